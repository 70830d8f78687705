"""CLI command: sweep (registered on the root app by :func:`register`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def _sweep(
    spec: str = typer.Argument(..., help="Sweep spec: a YAML file (data, windows, backends, "
                               "shots, seeds, cost_bps, overrides) or a packaged name "
                               "(sweep-sp500)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (results.csv, cells/, "
                             "summary.md).", file_okay=False),
    workers: Optional[int] = typer.Option(
        None, "--workers", "-w", help="Worker processes of the embedded Dask cluster "
        "(default: one per core)."),
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler", help="Address of an existing Dask scheduler, tcp://HOST:PORT."),
    resume: bool = typer.Option(False, "--resume", help="Run only the cells not done yet "
                                "(failed cells run again)."),
    serial: bool = typer.Option(False, "--serial", help="Run the cells one by one in this "
                                "process (no Dask)."),
    retries: int = typer.Option(2, "--retries", min=0, max=10, help="Times a cell may lose its "
                                "worker before it is recorded as failed (embedded cluster)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bar over "
                                  "cells (only on a terminal)."),
) -> None:
    """Run a grid of backtests (assets x windows x backends x shots x seeds x costs x config
    overrides) on Dask, with results that survive killed workers and clients, and summarise
    them: mean and 95% interval over seeds, PSR and deflated Sharpe ratio, equity fans.

    Dask comes with the sweep extra: pip install 'qar-qiskit\\[sweep]' (--serial needs no Dask)."""
    from qar_qiskit.sweep.runner import run_sweep

    res = run_sweep(spec, out, workers=workers, scheduler=scheduler, resume=resume,
                    serial=serial, retries=retries, progress=progress, echo=typer.echo)
    typer.echo(f"{res.total} cells: {res.skipped} already done, {res.ok} run now, "
               f"{res.failed} failed")
    typer.echo(f"results: {res.out / 'results.csv'}; summary: {res.out / 'summary.md'}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to app."""
    app.command("sweep")(_sweep)
