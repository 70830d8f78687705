"""One sweep cell: one backtest, run on a Dask worker (or in-process for serial runs).

:func:`run_cell` takes the cell's coordinates (a plain dict, see :mod:`qar_qiskit.sweep.spec`)
and returns a plain dict: ``id``, ``row`` (the cell's line of ``results.csv``) and ``files``
(the report folder's files as bytes), or ``id`` and ``error`` when the backtest raised. The
files travel back to the client, so workers need no shared file system (only the package and,
for CSV sources, the CSV files at the same paths).
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Union

#: Environment of a worker process: one core each (numpy's BLAS and OpenMP; the Aer executor
#: already runs with ``max_parallel_threads=1``), and Dask's statistical profiler off. The
#: profiler calls ``sys._current_frames()`` every 10 ms, which on CPython 3.11 can deadlock with
#: a thread being started (cpython#106883, dask/distributed#8616); QAR starts one thread per
#: tick for its backend timeout, and a full-period aer cell hung within minutes here (measured
#: 2026-12-03: the worker stopped heartbeating, every thread waiting for the GIL).
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False"}

#: The metrics of each cell kept in results.csv, for the strategy gross and net.
METRIC_KEYS = ("cagr", "sharpe", "max_drawdown", "volatility", "turnover", "total_return",
               "psr", "sr_daily", "skewness", "kurtosis")

#: Coordinates written to results.csv.
COORDS = ("id", "config_key", "data", "start", "end", "backend", "shots", "seed", "cost_bps",
          "overrides")

COLUMNS = (COORDS + ("status", "error", "first_day", "last_day", "days")
           + tuple(f"{k}_gross" for k in METRIC_KEYS) + tuple(f"{k}_net" for k in METRIC_KEYS)
           + ("bh_cagr_net", "bh_sharpe_net", "agreement_action", "agreement_action_resolvable",
              "agreement_decision", "agreement_decision_resolvable", "resolvable_days",
              "wall_seconds", "worker"))


def load_source(source: Union[str, dict]):
    """The :class:`~qar_qiskit.data.loader.PriceData` of a packaged name or a CSV mapping."""
    from qar_qiskit.data.loader import DATASETS, load_csv, load_dataset

    if isinstance(source, str):
        name = source.strip().lower()
        if name not in DATASETS or name == "vix":
            raise ValueError(f"unknown data set {source!r}; use sp500, nasdaq or "
                             "{path: FILE.csv, ...}")
        return load_dataset(name)
    cols = {k: source.get(k) for k in ("date_column", "close_column", "volume_column")}
    return load_csv(source["path"], **cols)


def source_label(source: Union[str, dict]) -> str:
    if isinstance(source, str):
        return source.strip().lower()
    return source.get("name") or Path(source["path"]).name.split(".")[0]


def nested(dotted: dict[str, Any]) -> dict:
    """``{"a.b": 1}`` -> ``{"a": {"b": 1}}`` (dotted config keys to a config mapping)."""
    out: dict = {}
    for key, value in dotted.items():
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def coordinates_row(cell: dict) -> dict:
    """The coordinate columns of a cell's results.csv row."""
    row = {k: cell.get(k) for k in COORDS}
    row["data"] = source_label(cell["data"])
    row["overrides"] = json.dumps(cell.get("overrides") or {}, sort_keys=True)
    return row


def run_cell(cell: dict) -> dict:
    """Run one cell's backtest; never raises for a failing backtest (returns ``error``)."""
    _stop_worker_profiler()
    t0 = time.perf_counter()
    try:
        return _run(cell, t0)
    except Exception as exc:  # recorded as a failed cell, the sweep goes on
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return {"id": cell["id"], "error": tb}


def _stop_worker_profiler() -> None:
    """Stop the Dask worker's profiler if this runs on a worker that still has it (a worker
    started without :data:`WORKER_ENV`; see there why)."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):  # not on a Dask worker
        return
    for name in ("profile", "profile-cycle"):
        pc = worker.periodic_callbacks.pop(name, None)
        if pc is not None:
            worker.loop.add_callback(pc.stop)  # thread-safe hand-over to the event loop


def _run(cell: dict, t0: float) -> dict:
    from qar_qiskit.backtest.runner import run_backtest
    from qar_qiskit.config import load_config
    from qar_qiskit.data.loader import load_dataset
    from qar_qiskit.system.qar import QAR

    data = load_source(cell["data"])
    vix = load_dataset("vix") if isinstance(cell["data"], str) else None
    overrides = nested(cell.get("overrides") or {})
    config = load_config(cell.get("config"), overrides=overrides or None)
    qar = QAR(config, backend=cell["backend"], shots=cell.get("shots"), seed=cell["seed"])
    with tempfile.TemporaryDirectory(prefix="qar-cell-") as tmp:
        res = run_backtest(data, cell.get("start"), cell.get("end"), qar=qar, vix=vix,
                           out_dir=tmp, progress=False, cost_bps=cell["cost_bps"],
                           baselines=bool(cell.get("baselines")))
        files = {p.name: p.read_bytes() for p in Path(tmp).iterdir() if p.is_file()}
    m = res.metrics
    s, bh = m["strategy"], m["baselines"]["buy_and_hold"]["net"]
    row = coordinates_row(cell)
    row.update(status="ok", error="", first_day=m["run"]["first_day"],
               last_day=m["run"]["last_day"], days=m["run"]["days"])
    row.update({f"{k}_gross": s.get(k) for k in METRIC_KEYS})
    row.update({f"{k}_net": s["net"].get(k) for k in METRIC_KEYS})
    row.update(bh_cagr_net=bh["cagr"], bh_sharpe_net=bh["sharpe"],
               agreement_action=s["agreement_with_exact"],
               agreement_action_resolvable=s["agreement_resolvable"],
               agreement_decision=s["agreement_decision"],
               agreement_decision_resolvable=s["agreement_decision_resolvable"],
               resolvable_days=s["resolvable_days"],
               wall_seconds=time.perf_counter() - t0,
               worker=f"{socket.gethostname()}:{os.getpid()}")
    return {"id": cell["id"], "row": row, "files": files}
