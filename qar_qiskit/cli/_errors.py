"""Expected errors end the CLI with one line and exit code 2, never a traceback."""

from __future__ import annotations

import sys

import typer

from qar_qiskit.errors import QARError


def run(app: typer.Typer) -> None:
    """Run ``app``; a :class:`QARError` (or a pydantic/OS error from user input) is one line."""
    from pydantic import ValidationError

    try:
        app(standalone_mode=True)
    except QARError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except ValidationError as exc:
        typer.echo(f"error: {QARError.from_validation(exc)}", err=True)
        sys.exit(2)
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        typer.echo(f"error: {exc.strerror}: {exc.filename}", err=True)
        sys.exit(2)
