"""Export the daily market data shipped with the ``arch`` package to gzip CSV in the package.

Run once, in a throwaway virtual environment that has ``arch`` and ``pandas`` (neither is a
run-time dependency of qar-qiskit)::

    python3 -m venv /tmp/archenv && /tmp/archenv/bin/pip install arch pandas
    /tmp/archenv/bin/python scripts/export_arch_data.py

It writes ``qar_qiskit/data/{sp500,nasdaq,vix}.csv.gz`` from ``arch.data.sp500.load()``,
``arch.data.nasdaq.load()`` and ``arch.data.vix.load()``:

* dates as ISO ``YYYY-MM-DD`` (arch's raw files use ``M/D/YYYY``);
* prices written with Python's shortest round-trip ``repr`` of the float64 that arch loads,
  so every value parses back to exactly the same double (checked below) and no digits are
  dropped or invented; for arch 8.0.0 the value text is identical to arch's own CSV text
  (e.g. ``1229.22998``, ``1252``);
* volume as an integer; a value arch marks as missing (the VIX file has ``.`` on 46 market
  holidays, which arch reads as NaN) is written as an empty field;
* gzip with ``mtime=0`` and no embedded file name, so the output is byte-reproducible.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import math
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parents[1] / "qar_qiskit" / "data"

#: arch column name -> our column name, in output order.
COLUMNS = {
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Adj Close": "adj_close",
    "Volume": "volume",
    "vix": "close",  # the VIX file has a single level column: our ``close``
}


def _fmt(value, integer: bool) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if integer:
        iv = int(value)
        if iv != value:
            raise ValueError(f"non-integer volume {value!r}")
        return str(iv)
    text = repr(float(value))
    # arch's raw CSV writes whole numbers without ".0" (e.g. ``1252``); do the same.
    return text[:-2] if text.endswith(".0") else text


def export(name: str, frame, out_dir: Path) -> dict:
    """Write one arch DataFrame (DatetimeIndex + numeric columns) to ``<name>.csv.gz``."""
    cols = [c for c in COLUMNS if c in frame.columns]
    missing = [c for c in frame.columns if c not in COLUMNS]
    if missing:
        raise ValueError(f"{name}: unexpected columns {missing}")
    header = ["date"] + [COLUMNS[c] for c in cols]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for stamp, row in zip(frame.index, frame[cols].itertuples(index=False, name=None)):
        writer.writerow(
            [stamp.strftime("%Y-%m-%d")]
            + [_fmt(v, integer=(c == "Volume")) for c, v in zip(cols, row)]
        )
    text = buf.getvalue()

    # Round trip: every value parses back to the identical float64.
    back = list(csv.reader(io.StringIO(text)))[1:]
    for k, c in enumerate(cols, start=1):
        for j, (stamp, value) in enumerate(zip(frame.index, frame[c].to_numpy())):
            field = back[j][k]
            if field == "":
                assert math.isnan(value), (name, c, j)
            else:
                assert float(field) == float(value), (name, c, j, field, value)
            assert back[j][0] == stamp.strftime("%Y-%m-%d")

    raw = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("ascii"))
    data = raw.getvalue()
    path = out_dir / f"{name}.csv.gz"
    path.write_bytes(data)
    n_missing = int(frame[cols].isna().any(axis=1).sum())
    return {
        "file": path.name,
        "rows": len(frame),
        "first": frame.index[0].strftime("%Y-%m-%d"),
        "last": frame.index[-1].strftime("%Y-%m-%d"),
        "columns": header,
        "rows_with_missing": n_missing,
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    args = parser.parse_args()

    import arch
    import arch.data.nasdaq
    import arch.data.sp500
    import arch.data.vix

    args.out.mkdir(parents=True, exist_ok=True)
    print(f"arch {arch.__version__}")
    for name, module in (("sp500", arch.data.sp500), ("nasdaq", arch.data.nasdaq),
                         ("vix", arch.data.vix)):
        info = export(name, module.load(), args.out)
        print(info)


if __name__ == "__main__":
    main()
