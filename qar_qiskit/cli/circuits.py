"""CLI commands: circuits (registered on the root app by :func:`register`).

``qar circuits export DIR`` writes the OpenQASM 3 file of every named circuit;
``qar circuits draw NAME [--out FILE] [--decompose N]`` draws one (text on stdout, a text file,
or a PNG): tick fragments and the composed tick as one labelled box per fragment on qubits named
for their register (``circuits/draw.py``), ``--decompose N`` for the gates inside;
``qar circuits stats --backend B`` prints, per plan of the config, every measured register's
backward light cone in the ISA circuit (qubits, two-qubit gates, depth, ESP) and the whole circuit's;
``--isa-out DIR`` also writes each plan's ISA circuit as a QPY file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from qar_qiskit.errors import InputError

circuits_app = typer.Typer(
    name="circuits",
    help="Export (OpenQASM 3), draw, and measure (light cones, ESP) the package's circuits.",
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
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Circuit name (see `qar circuits export`)."),
    out: Optional[Path] = typer.Option(
        None, "--out", "-o",
        help="Write to FILE: a PNG (matplotlib) if it ends with .png, else text.",
    ),
    decompose: int = typer.Option(0, "--decompose", "-d", min=0, max=10,
                                  help="Open the fragment boxes N levels (1: the gates that run)."),
    regime: Optional[str] = typer.Option(None, "--regime", "-r",
                                         help="tick_default only: the config's plan for this regime."),
) -> None:
    """Draw circuit NAME: each tick fragment one labelled box on qubits named for their register
    (market_0..3, memory, lmsr, ..., decision, buffer); --decompose N for the gates inside."""
    from qar_qiskit.circuits.draw import drawing

    plan = None
    if regime is not None:
        if name != "tick_default":
            raise InputError(f"--regime: only for tick_default, not {name!r}")
        from qar_qiskit.config import load_config
        from qar_qiskit.plan.planner import plan_for_regime

        plan = plan_for_regime(load_config((ctx.obj or {}).get("config_path")), regime)
    circuit = drawing(name, decompose=decompose, plan=plan)  # InputError with the valid names
    if out is not None and out.suffix.lower() == ".png":
        _draw_png(circuit, out)
        typer.echo(f"wrote {out}")
        return
    text = str(circuit.draw(output="text", fold=-1 if out is not None else None, idle_wires=False))
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote {out}")


@circuits_app.command("stats")
def stats_cmd(
    ctx: typer.Context,
    backend: str = typer.Option("aer-noisy:FakeFez", "--backend", "-b",
                                help="aer-noisy:<FakeDevice> or ibm:<name> (a backend with a device target)."),
    regime: Optional[str] = typer.Option(None, "--regime", "-r", help="Only this regime's plan (default: all four)."),
    optimization_level: int = typer.Option(3, "--optimization-level", "-O", min=0, max=3,
                                           help="Preset pass-manager level."),
    cone: str = typer.Option("causal", "--cone",
                             help="causal (exact under local noise) or commutation (Qiskit's LightCone pass)."),
    isa_out: Optional[Path] = typer.Option(None, "--isa-out", file_okay=False,
                                           help="Write each plan's ISA circuit (QPY) into this folder."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of the table."),
) -> None:
    """Per plan and measured register: the backward light cone's qubits, two-qubit gates, depth
    and ESP (product of 1 - error over its gates and measurements, from the device target).
    --isa-out DIR saves the compiled circuits described (one QPY file per plan: the circuit the
    noisy or IBM executor runs)."""
    import json

    from qar_qiskit.backends.cone_report import plan_stats, stats_table
    from qar_qiskit.config import load_config

    config = load_config((ctx.obj or {}).get("config_path"))
    rows = plan_stats(config, backend, regime=regime, optimization_level=optimization_level, method=cone,
                      isa_out=isa_out)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    else:
        typer.echo(stats_table(rows))


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
        fig = circuit.draw(output="mpl", fold=40, idle_wires=False)
    except MissingOptionalLibraryError:
        text = str(circuit.draw(output="text", fold=-1, idle_wires=False))
        lines = text.splitlines() or [""]
        width = max(len(line) for line in lines)
        fig = plt.figure(figsize=(max(2.0, 0.075 * width), max(1.0, 0.16 * len(lines))))
        fig.text(0.01, 0.99, text, family="DejaVu Sans Mono", fontsize=9, va="top", ha="left")
    fig.savefig(out, dpi=120, bbox_inches="tight")
    plt.close(fig)


def register(app: typer.Typer) -> None:
    """Add this module's commands to app."""
    app.add_typer(circuits_app, name="circuits")
