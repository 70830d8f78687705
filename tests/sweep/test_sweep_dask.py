"""``qar sweep`` on Dask: equal to serial runs, and every cell exactly once after faults.

The fault tests start a real ``dask scheduler`` and two ``dask worker`` processes (the venv's
``dask`` command) on 127.0.0.1 with ephemeral ports, and drive ``qar sweep`` as a separate
process, as a user would.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from qar_qiskit.sweep.cell import WORKER_ENV, run_cell
from qar_qiskit.sweep.runner import run_sweep
from qar_qiskit.sweep.spec import load_spec

BIN = Path(sys.executable).parent
ENV = {**os.environ, **WORKER_ENV, "PYTHONUNBUFFERED": "1"}


def _write(tmp_path, spec, name="spec.yaml"):
    p = tmp_path / name
    p.write_text(yaml.safe_dump(spec))
    return p


def _rows(out):
    with open(out / "results.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_local_cluster_equals_serial_cell_by_cell(tmp_path):
    spec = _write(tmp_path, {"data": ["sp500"], "windows": [
        {"start": "2018-01-02", "end": "2018-01-31"},
        {"start": "2018-03-01", "end": "2018-03-02"}],  # too short: this cell fails
        "backends": ["exact", "aer"], "shots": [64], "seeds": 1})
    _, cells = load_spec(spec)
    res = run_sweep(spec, tmp_path / "dask", workers=2, progress=False, echo=lambda s: None)
    assert (res.total, res.ok, res.failed) == (4, 2, 2)
    rows = {r["id"]: r for r in _rows(tmp_path / "dask")}
    assert set(rows) == {c["id"] for c in cells}
    for cell in cells:
        serial = run_cell(cell)  # the same cell, in this process
        row = rows[cell["id"]]
        if "error" in serial:
            assert row["status"] == "failed" and "fewer than 2 decision days" in row["error"]
            assert serial["error"] == row["error"]
            continue
        assert row["status"] == "ok"
        folder = tmp_path / "dask" / "cells" / cell["id"]
        assert (folder / "decisions.csv").read_bytes() == serial["files"]["decisions.csv"]
        for k, v in serial["row"].items():
            if k not in ("wall_seconds", "worker"):
                assert row[k] == ("" if v is None else (repr(v) if isinstance(v, float) else str(v))), k
    summary = (tmp_path / "dask" / "summary.md").read_text()
    assert "## sp500" in summary and "## Failed cells" in summary and "95%" in summary


class _Cluster:
    """A scheduler and worker processes on 127.0.0.1 (ephemeral ports, no dashboard)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.file = tmp / "scheduler.json"
        self.scheduler = subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--scheduler-file", str(self.file)],
            env=ENV, stdout=subprocess.DEVNULL, stderr=open(tmp / "scheduler.log", "w"))
        for _ in range(300):
            if self.file.is_file() and self.file.stat().st_size:
                break
            time.sleep(0.1)
        self.address = json.loads(self.file.read_text())["address"]
        self.workers = [self.add_worker(i) for i in range(2)]

    def add_worker(self, i: int) -> subprocess.Popen:
        return subprocess.Popen(
            [str(BIN / "dask"), "worker", "--scheduler-file", str(self.file), "--nthreads", "1",
             "--no-nanny", "--no-dashboard", "--host", "127.0.0.1", "--name", f"w{i}"],
            env=ENV, stdout=subprocess.DEVNULL, stderr=open(self.tmp / f"worker{i}.log", "w"))

    def close(self) -> None:
        for p in self.workers + [self.scheduler]:
            if p.poll() is None:
                p.terminate()
        for p in self.workers + [self.scheduler]:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """One cluster for the two fault tests (the worker-kill test runs last: it kills one)."""
    c = _Cluster(tmp_path_factory.mktemp("cluster"))
    yield c
    c.close()


SPEC = {"data": ["nasdaq"], "start": "2008-09-02", "end": "2008-10-03", "backends": ["aer"],
        "shots": [64], "seeds": 4}


def _sweep_process(spec, out, address, *extra):
    return subprocess.Popen([str(BIN / "qar"), "sweep", str(spec), "--out", str(out),
                             "--scheduler", address, "--no-progress", *extra],
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_for_done(out, n, proc, timeout=180):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        done = list((out / "cells").glob("*/row.json")) if (out / "cells").is_dir() else []
        if len(done) >= n:
            return done
        assert proc.poll() is None, proc.stdout.read()
        time.sleep(0.05)
    raise AssertionError("sweep too slow")


def _check_exactly_once(out, cells):
    rows = _rows(out)
    ids = [r["id"] for r in rows]
    assert sorted(ids) == sorted(c["id"] for c in cells)  # every cell, each once
    assert all(r["status"] == "ok" for r in rows), [r["error"] for r in rows]
    assert sorted(p.name for p in (out / "cells").iterdir()) == sorted(ids)


def _start_sweep(tmp_path, cluster):
    """Start ``qar sweep`` on the cluster and return once its first cell is done."""
    spec = _write(tmp_path, SPEC)
    _, cells = load_spec(spec)
    out = tmp_path / "out"
    proc = _sweep_process(spec, out, cluster.address)
    _wait_for_done(out, 1, proc)
    return spec, cells, out, proc


def test_client_killed_then_resume_runs_only_missing(tmp_path, cluster):
    spec, cells, out, proc = _start_sweep(tmp_path, cluster)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    before = {p.parent.name: p.read_text() for p in (out / "cells").glob("*/row.json")}
    assert 1 <= len(before) < len(cells)
    # without --resume the folder is refused
    again = _sweep_process(spec, out, cluster.address)
    text, _ = again.communicate(timeout=60)
    assert again.returncode != 0 and "--resume" in text
    proc = _sweep_process(spec, out, cluster.address, "--resume")
    text, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, text
    n = len(cells) - len(before)
    assert f"{len(cells)} cells: {len(before)} already done, {n} run now, 0 failed" in text
    _check_exactly_once(out, cells)
    for cid, row in before.items():  # the cells done before the kill were not run again
        assert (out / "cells" / cid / "row.json").read_text() == row


def test_worker_killed_mid_sweep_every_cell_once(tmp_path, cluster):
    spec, cells, out, proc = _start_sweep(tmp_path, cluster)
    # kill a worker that the scheduler says is running a cell (3 cells left, 2 workers)
    from distributed import Client

    with Client(cluster.address, timeout="20s") as client:
        names = {a: w["name"] for a, w in client.scheduler_info()["workers"].items()}
        busy = [a for a, keys in client.processing().items() if keys]
        assert busy
        victim = cluster.workers[int(names[busy[0]][1:])]
        lost = client.processing()[busy[0]]
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
    text, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, text
    assert "4 cells: 0 already done, 4 run now, 0 failed" in text
    _check_exactly_once(out, cells)
    # the cells the victim was running were run again by the other worker
    rows = {r["id"]: r for r in _rows(out)}
    for key in lost:
        assert not rows[str(key).removeprefix("qar-cell-")]["worker"].endswith(f":{victim.pid}")


def test_cells_stop_the_profiler_of_a_worker_that_has_it():
    """A worker started without WORKER_ENV still loses its profiler when a cell lands on it."""
    import dask
    from distributed import Client, LocalCluster

    from qar_qiskit.sweep.cell import _stop_worker_profiler

    def callbacks(dask_worker):
        return sorted(dask_worker.periodic_callbacks)

    with dask.config.set({"distributed.worker.profile.enabled": True}):
        with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                          dashboard_address=None) as cl, Client(cl) as client:
            assert "profile" in next(iter(client.run(callbacks).values()))
            client.submit(_stop_worker_profiler, pure=False).result()
            time.sleep(0.2)  # the stop is handed to the worker's event loop
            left = next(iter(client.run(callbacks).values()))
    assert "profile" not in left and "profile-cycle" not in left and "heartbeat" in left
