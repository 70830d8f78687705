"""Run a sweep's cells as Dask futures (``dask.distributed``), or serially in-process.

* Cluster: an embedded :class:`distributed.LocalCluster` (``workers`` processes, default one
  per core, one thread each, BLAS/OpenMP capped at one thread by
  :data:`~qar_qiskit.sweep.cell.WORKER_ENV`, which also turns Dask's profiler off), or an existing scheduler
  (``scheduler="tcp://HOST:PORT"``: ``dask scheduler`` + ``dask worker``, dask-jobqueue, Kubernetes).
* Faults: a worker that dies mid-cell makes the scheduler run the cell again on another worker,
  up to ``distributed.scheduler.allowed-failures`` times (set to ``retries`` for the embedded
  cluster; an external scheduler uses its own setting, default 3); after that the cell is
  recorded as failed (``KilledWorker``) and the sweep goes on. A backtest that raises is
  recorded as failed at once (it would fail again). Results are stored as they arrive
  (:class:`~qar_qiskit.sweep.store.SweepStore`); ``resume=True`` skips the done cells.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from qar_qiskit.errors import InputError, QARError
from qar_qiskit.sweep.cell import WORKER_ENV, run_cell
from qar_qiskit.sweep.spec import load_spec
from qar_qiskit.sweep.store import SweepStore


@dataclass
class SweepOutcome:
    """What a sweep did: cells in the grid, skipped as done, run now (ok / failed)."""

    out: Path
    total: int
    skipped: int
    ok: int
    failed: int
    dashboard: Optional[str] = None


#: How to install what a Dask sweep needs (``dask[distributed]`` is an optional dependency).
SWEEP_EXTRA = "pip install 'qar-qiskit[sweep]'"


def require_dask() -> None:
    """Raise a :class:`~qar_qiskit.errors.QARError` naming the ``sweep`` extra when ``dask`` or
    ``distributed`` cannot be imported (a serial sweep needs neither)."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise QARError(f"qar sweep runs its cells on Dask, which is not installed ({exc.name or exc}): "
                       f"{SWEEP_EXTRA}, or add --serial to run the cells one by one without Dask") from None


def _client(workers: Optional[int], scheduler: Optional[str], retries: int):
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        return Client(scheduler, timeout="30s"), None
    n = workers or os.cpu_count() or 1
    with dask.config.set({"distributed.scheduler.allowed-failures": retries,
                          "distributed.worker.profile.enabled": False}):
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=":0", env=dict(WORKER_ENV))
    return Client(cluster), cluster


def run_sweep(spec_path: Union[str, Path], out: Union[str, Path], *,
              workers: Optional[int] = None, scheduler: Optional[str] = None,
              resume: bool = False, serial: bool = False, retries: int = 2,
              progress: bool = True, echo: Callable[[str], None] = print) -> SweepOutcome:
    """Run every cell of the spec that is not done yet and write the summary.

    Args:
        spec_path: the YAML spec (validated before anything runs).
        out: the output folder.
        workers: processes of the embedded cluster (default: one per core).
        scheduler: address of an existing Dask scheduler (instead of the embedded cluster).
        resume: run only the cells that are not done (otherwise ``out`` must have no results).
        serial: run the cells one after the other in this process (no Dask).
        retries: runs of a cell allowed to lose their worker (embedded cluster).
        progress: a tqdm bar over cells (on a terminal).
        echo: where the dashboard address and notes go.

    Raises:
        InputError: a bad spec, or results in ``out`` without ``resume``.
        QARError: Dask is not installed (the ``sweep`` extra) and ``serial`` is False.
    """
    if not serial:
        require_dask()
    if workers is not None and scheduler is not None:
        raise InputError("--workers and --scheduler are mutually exclusive: give one")
    if workers is not None and workers < 1:
        raise InputError(f"--workers: must be >= 1, got {workers}")
    spec, cells = load_spec(spec_path)
    store = SweepStore(Path(out))
    if store.has_results() and not resume:
        raise InputError(f"--out {out}: already holds sweep results; add --resume to run only "
                         "the missing cells, or choose another folder")
    (store.out / "spec.json").write_text(json.dumps(spec.model_dump(mode="json"), indent=2))
    (store.out / "cells.json").write_text(json.dumps(cells, indent=1, default=str))
    store.rebuild_csv()
    done = store.done_ids()
    todo = [c for c in cells if c["id"] not in done]
    outcome = SweepOutcome(out=store.out, total=len(cells), skipped=len(cells) - len(todo),
                           ok=0, failed=0)
    from tqdm import tqdm

    bar = tqdm(total=len(todo), desc="cells", unit="cell",
               disable=not (progress and sys.stderr.isatty()))

    def store_one(payload: dict, cell: dict) -> None:
        if store.record(payload, cell):
            if "error" in payload:
                outcome.failed += 1
            else:
                outcome.ok += 1
        bar.update(1)

    try:
        if serial or not todo:
            for cell in todo:
                store_one(run_cell(cell), cell)
        else:
            _run_dask(todo, workers, scheduler, retries, store_one, outcome, echo)
    finally:
        bar.close()
        store.rebuild_csv()
    from qar_qiskit.sweep.summary import write_summary

    write_summary(store, cells)
    return outcome


def _run_dask(todo, workers, scheduler, retries, store_one, outcome, echo) -> None:
    from distributed import as_completed

    client, cluster = _client(workers, scheduler, retries)
    try:
        outcome.dashboard = client.dashboard_link
        echo(f"dask dashboard: {client.dashboard_link}"
             + ("" if _has_bokeh() else " (install bokeh to serve it)"))
        by_key = {}
        futures = []
        for cell in todo:
            fut = client.submit(run_cell, cell, key=f"qar-cell-{cell['id']}", pure=False)
            by_key[fut.key] = cell
            futures.append(fut)
        for fut in as_completed(futures):
            cell = by_key[fut.key]
            try:
                payload = fut.result()
            except Exception as exc:  # KilledWorker after the allowed failures, lost client...
                payload = {"id": cell["id"], "error": f"{type(exc).__name__}: {exc}"}
            store_one(payload, cell)
            fut.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _has_bokeh() -> bool:
    import importlib.util

    return importlib.util.find_spec("bokeh") is not None
