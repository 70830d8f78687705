"""CLI commands: circuits (registered on the root app by :func:`register`).

``qar circuits export DIR`` writes the OpenQASM 3 file of every named circuit;
``qar circuits draw NAME [--out FILE]`` draws one (text on stdout, a text file, or a PNG).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from qar_qiskit.errors import InputError

circuits_app = typer.Typer(
    name="circuits",
    help="Export (OpenQASM 3) and draw the package's named circuits.",
    no_args_is_help=True,
)


@circuits_app.command("export")
def export_cmd(
    directory: Path = typer.Argument(..., help="Folder to write <name>.qasm files into."),
) -> None:
    """Write <name>.qasm (OpenQASM 3) of every named circuit into DIRECTORY."""
    from qar_qiskit.circuits.export import export_all

    if directory.exists() and not directory.is_dir():
        raise InputError(f"export directory: {directory} exists and is not a folder")
    paths = export_all(directory)
    typer.echo(f"wrote {len(paths)} circuits to {directory}")


@circuits_app.command("draw")
def draw_cmd(
    name: str = typer.Argument(..., help="Circuit name (see `qar circuits export`)."),
    out: Optional[Path] = typer.Option(
        None, "--out", "-o",
        help="Write to FILE: a PNG (matplotlib) if it ends with .png, else text.",
    ),
) -> None:
    """Draw circuit NAME: text on stdout, or into --out FILE (PNG when FILE ends with .png)."""
    from qar_qiskit.circuits.export import build

    circuit = build(name)  # InputError with the valid names for an unknown NAME
    if out is not None and out.suffix.lower() == ".png":
        _draw_png(circuit, out)
        typer.echo(f"wrote {out}")
        return
    text = str(circuit.draw(output="text", fold=-1 if out is not None else None))
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote {out}")


def _draw_png(circuit, out: Path) -> None:
    """PNG with matplotlib: Qiskit's ``mpl`` drawer, or the text drawing rendered by matplotlib.

    Qiskit's ``mpl`` drawer needs the optional ``pylatexenc`` package; without it the text
    drawing is rendered as a monospace image, so ``--out x.png`` always works.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from qiskit.exceptions import MissingOptionalLibraryError

    try:
        fig = circuit.draw(output="mpl", fold=40)
    except MissingOptionalLibraryError:
        text = str(circuit.draw(output="text", fold=120))
        lines = text.splitlines() or [""]
        width = max(len(line) for line in lines)
        fig = plt.figure(figsize=(max(2.0, 0.075 * width), max(1.0, 0.16 * len(lines))))
        fig.text(0.01, 0.99, text, family="DejaVu Sans Mono", fontsize=9, va="top", ha="left")
    fig.savefig(out, dpi=120, bbox_inches="tight")
    plt.close(fig)


def register(app: typer.Typer) -> None:
    """Add this module's commands to app."""
    app.add_typer(circuits_app, name="circuits")
