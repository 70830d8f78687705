"""The ``qar`` command line.

Each sub-module registers its commands on the one Typer app; expected errors (bad input, unknown
backend, failed job) and an exception inside an expert's code end with a one-line message on
stderr and a non-zero exit code, never a traceback; ``qar --debug ...`` prints the traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from qar_qiskit.cli import _errors

app = typer.Typer(
    name="qar",
    help=(
        "Quantum Agentic Reasoning on Qiskit: trading decisions from parameterized circuits, "
        "each checked against an exact classical twin."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Optional[Path] = typer.Option(
        None, "--config", "-c",
        help=("YAML config file, or a packaged example config by name (default: the packaged "
              "config.yaml; 'noisy-small' gives 17-qubit plans for aer-noisy runs)."),
        exists=False, dir_okay=False,
    ),
    debug: bool = typer.Option(
        False, "--debug",
        help="On an error, print the full traceback instead of the one-line message.",
    ),
) -> None:
    """Global options shared by every command."""
    _errors.set_debug(debug)
    ctx.obj = {"config_path": config, "debug": debug}


def _register_all() -> None:
    from qar_qiskit.cli import backtest, circuits, jobs, sweep, system

    for module in (system, circuits, jobs, backtest, sweep):
        module.register(app)


_register_all()


def main() -> None:
    """Console-script entry point: run the app, turning expected errors into one line."""
    _errors.run(app)
