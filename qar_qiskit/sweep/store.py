"""A sweep's output folder, written so that a killed client loses at most the cells in flight.

Layout of ``DIR``:

* ``cells/<id>/``: the cell's report (metrics.json, decisions.csv, plots, report.md) and
  ``row.json`` (its results.csv row). Written into a temporary folder and renamed into place
  (``rename`` of a folder is atomic on POSIX file systems), so a cell folder with ``row.json``
  is complete, and a cell is *done* exactly when its folder exists. A second result for a done
  cell (a task that Dask ran twice after a worker loss) is dropped: no cell is counted twice.
* ``failed/<id>.json``: the row of a cell that failed (with its error); removed if the cell
  later succeeds (``--resume`` runs failed cells again).
* ``results.csv``: one row per done or failed cell. Each finished cell appends its line with one
  ``write`` on an ``O_APPEND`` descriptor; the file is rebuilt from the folders (temporary file,
  then ``os.replace``) when a sweep starts and when it ends, so it always matches them.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import uuid
from pathlib import Path

from qar_qiskit.sweep.cell import COLUMNS


def _line(row: dict) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(
        ["" if row.get(k) is None else (repr(row[k]) if isinstance(row[k], float) else row[k])
         for k in COLUMNS])
    return buf.getvalue()


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class SweepStore:
    """The output folder of one sweep (see the module docstring)."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.cells = self.out / "cells"
        self.failed = self.out / "failed"
        self.csv = self.out / "results.csv"
        for d in (self.cells, self.failed):
            d.mkdir(parents=True, exist_ok=True)

    def done_ids(self) -> set[str]:
        """Ids of the cells whose folder is complete."""
        return {p.name for p in self.cells.iterdir() if (p / "row.json").is_file()}

    def has_results(self) -> bool:
        return bool(self.done_ids()) or any(self.failed.glob("*.json"))

    def record(self, payload: dict, cell: dict) -> bool:
        """Store one cell's outcome; False if the cell was already done (nothing written)."""
        cid = payload["id"]
        target = self.cells / cid
        if (target / "row.json").is_file():
            return False
        if "error" in payload:
            from qar_qiskit.sweep.cell import coordinates_row

            row = {**coordinates_row(cell), "status": "failed", "error": payload["error"]}
            _write_atomic(self.failed / f"{cid}.json", json.dumps(row).encode())
        else:
            row = payload["row"]
            tmp = self.cells / f".tmp-{cid}-{uuid.uuid4().hex}"
            tmp.mkdir()
            for name, data in payload["files"].items():
                (tmp / Path(name).name).write_bytes(data)
            (tmp / "row.json").write_text(json.dumps(row), encoding="utf-8")
            if target.exists():  # an incomplete folder cannot exist; a stray one is replaced
                shutil.rmtree(target)
            os.rename(tmp, target)
            (self.failed / f"{cid}.json").unlink(missing_ok=True)
        fd = os.open(self.csv, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            if os.fstat(fd).st_size == 0:
                os.write(fd, _line(dict(zip(COLUMNS, COLUMNS))).encode())
            os.write(fd, _line(row).encode())
        finally:
            os.close(fd)
        return True

    def rows(self) -> list[dict]:
        """Every done row, then every failed row of a cell that is not done."""
        done = sorted(self.done_ids())
        rows = [json.loads((self.cells / c / "row.json").read_text(encoding="utf-8")) for c in done]
        for p in sorted(self.failed.glob("*.json")):
            if p.stem not in done:
                rows.append(json.loads(p.read_text(encoding="utf-8")))
        return rows

    def rebuild_csv(self) -> Path:
        """Rewrite results.csv from the folders (atomically)."""
        for p in self.cells.glob(".tmp-*"):  # left by a killed client: never renamed, not done
            shutil.rmtree(p, ignore_errors=True)
        text = _line(dict(zip(COLUMNS, COLUMNS))) + "".join(_line(r) for r in self.rows())
        _write_atomic(self.csv, text.encode())
        return self.csv
