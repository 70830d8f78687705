"""CLI commands: ``qar decide`` (one decision) and ``qar check`` (pre-deployment checks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np
import typer
import yaml

from qar_qiskit.config import MAX_SEED, MAX_SHOTS
from qar_qiskit.errors import InputError


def read_tick_file(path: Path) -> dict:
    """A tick file (JSON or YAML mapping) as a dict; InputError naming the file otherwise."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputError(f"tick file not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a tick file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    try:
        data = yaml.safe_load(text)  # JSON is valid YAML
    except yaml.YAMLError:
        raise InputError(f"{path}: not valid JSON/YAML") from None
    except RecursionError:
        raise InputError(f"{path}: nested too deeply") from None
    except (ValueError, OverflowError) as exc:  # e.g. a date such as 2020-02-30
        raise InputError(f"{path}: invalid value ({' '.join(str(exc).split())})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a tick file must hold a mapping of fields")
    return data


def _load_tick(path: Path):
    from qar_qiskit.tick import MarketTick

    data = read_tick_file(path)
    try:
        return MarketTick.parse(data)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


#: Header names (matched case-insensitively, ``_``/``-``/space alike) of a history file's column
#: of daily log returns; a file without one is read as prices by the data loader.
RETURN_COLUMNS = ("return", "returns", "log return", "log returns")


def read_history_file(path: Path) -> np.ndarray:
    """The daily log returns, oldest first, of a ``--history`` CSV.

    Two layouts:

    * a ``return`` column (or ``returns``, ``log_return``; matched like the loader's headers):
      daily log returns, oldest first, one per row (other columns, e.g. a date, are ignored;
      blank lines are skipped);
    * otherwise prices, read by :func:`qar_qiskit.data.loader.load_csv` (plain or gzip): a date
      column and a close column (``close`` or ``price``; at least 30 rows, ascending or descending
      dates); the returns are ``log(c_t / c_{t-1})``.

    Raises:
        InputError: a missing or malformed file; the message names the file and the row.
    """
    import csv

    from qar_qiskit.data.loader import load_csv
    from qar_qiskit.validation import as_float

    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise InputError(f"history file not found: {path}") from None
    except (OSError, UnicodeDecodeError):
        rows = []  # gzip or another encoding: the loader reads it (and names the problem)
    header = (rows[:1] or [[]])[0]
    names = [" ".join(h.strip().lower().replace("_", " ").replace("-", " ").split()) for h in header]
    column = next((names.index(name) for name in RETURN_COLUMNS if name in names), None)
    if column is None:
        close = load_csv(path).close
        return np.diff(np.log(close))
    name = header[column].strip()
    values = [as_float(f"{path}: row {number}: {name}", row[column].strip() if column < len(row) else "")
              for number, row in enumerate(rows[1:], start=1) if any(cell.strip() for cell in row)]
    if not values:
        raise InputError(f"{path}: the {name} column has no rows")
    return np.asarray(values, dtype=float)


def _build_qar(ctx: typer.Context, backend, shots, seed, state: Optional[Path] = None, profile=None):
    from qar_qiskit.config import load_config
    from qar_qiskit.system.qar import QAR

    config_path = (ctx.obj or {}).get("config_path")
    if state is not None and state.exists():
        qar = QAR.load(state, config=config_path, backend=backend, shots=shots, seed=seed, profile=profile)
        if qar.config_overrides:
            changed = ", ".join(f"{k} {_short(old)} -> {_short(new)}" for k, (old, new) in qar.config_overrides.items())
            typer.echo(f"config: {config_path} overrides the state's {changed}", err=True)
        return qar
    config = load_config(config_path)
    return QAR(config, backend=backend, shots=shots, seed=seed, profile=profile)


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _decide_epilog() -> str:
    from qar_qiskit.tick import tick_fields_help

    return ("Tick file fields (JSON or YAML mapping; `required`, or the default used when left out; "
            "allowed range; unit):\n\n" + tick_fields_help()
            + "\n\nA decision made without a return history or with defaulted fields says so: a `note:` "
              "line, and `missing_context` in --json.")


def decide(
    ctx: typer.Context,
    tick: Path = typer.Option(..., "--tick", help="JSON/YAML file with one market tick (fields below)."),
    backend: Optional[str] = typer.Option(None, "--backend", "-b", help="exact | aer | aer-noisy:<FakeDevice> | "
                                          "aer-noisy-exact:<FakeDevice> | ibm:<name>"),
    shots: Optional[int] = typer.Option(None, "--shots", min=1, max=MAX_SHOTS, help="Shots (default from config)."),
    seed: Optional[int] = typer.Option(None, "--seed", min=0, max=MAX_SEED, help="Base seed (default from config)."),
    state: Optional[Path] = typer.Option(None, "--state", help="Load learning state from this file if it exists, and "
                                         "save it back. With --config, the config's keys override the state's."),
    history: Optional[Path] = typer.Option(None, "--history", help="CSV of the returns before the tick, oldest first: "
                                           "a 'return' column of daily log returns, or date and close columns "
                                           "(at least 30 rows). Replaces the state's returns for this decision."),
    profile: Optional[str] = typer.Option(None, "--profile", help="Backend profile: a packaged name "
                                          "(aer, aer-noisy-torino, ibm) or a YAML path."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole decision as JSON."),
) -> None:
    """Decide for one market tick and print the decision."""
    market_tick = _load_tick(tick)
    returns = read_history_file(history) if history is not None else None
    qar = _build_qar(ctx, backend, shots, seed, state, profile)
    decision = qar.decide(market_tick, returns_history=returns)
    if state is not None:
        qar.save(state)
    if as_json:
        typer.echo(decision.model_dump_json(indent=2))
        return
    lo, hi = decision.confidence_interval
    typer.echo(f"decision   {decision.action} {decision.size} {decision.risk}  (position {decision.position:+.3f})")
    typer.echo(f"confidence {decision.confidence:.3f}  [{lo:.3f}, {hi:.3f}]  shots={decision.shots}")
    probs = ", ".join(f"{k} {v:.2f}" for k, v in decision.regime.probabilities.items())
    typer.echo(f"regime     {decision.regime.dominant}  ({probs}; uncertainty {decision.regime.uncertainty:.2f})")
    typer.echo(f"exact twin {decision.exact_action} {decision.exact_size} {decision.exact_risk}")
    for order in decision.orders:
        typer.echo(f"order      {order.side} {order.size:.4f} of portfolio "
                   f"{('(' + order.reason + ')') if order.reason else ''}")
    if decision.circuit:
        c = decision.circuit
        typer.echo(f"circuit    {c.num_qubits} qubits, depth {c.depth}, {c.two_qubit_gates} two-qubit gates"
                   + (f", ESP {c.esp:.3f} on {c.active_qubits} physical qubits" if c.esp is not None else ""))
        if c.decision_cone is not None:
            k = c.decision_cone
            typer.echo(f"cone       decision register's light cone: {k.qubits} qubits, "
                       f"{k.two_qubit_gates} two-qubit gates, depth {k.depth}, ESP {k.esp:.3f}")
    typer.echo(f"backend    {decision.backend}"
               f"{' (' + decision.fallback_reason + ')' if decision.fallback_reason else ''}")
    typer.echo(f"time       {1000 * decision.timing.get('total_s', 0):.1f} ms")
    if decision.missing_context is not None:
        typer.echo(f"note:      {_note(decision.missing_context)}")


def _note(missing) -> str:
    """The one-line ``note:`` of a decision's missing context."""
    parts = []
    if missing.returns_history:
        parts.append(f"return history {missing.returns_history} (give --history or --state)")
    if missing.defaulted_fields:
        parts.append("the tick left out " + ", ".join(missing.defaulted_fields) + " (defaults used; see --help)")
    return "; ".join(parts)


def check(
    ctx: typer.Context,
    backend: Optional[str] = typer.Option(None, "--backend", "-b", help="Backend to check (default from config)."),
) -> None:
    """Run the pre-deployment checks; print PASS/FAIL per check, exit 1 on any FAIL."""
    from qar_qiskit.system.checks import run_checks

    results = run_checks((ctx.obj or {}).get("config_path"), backend)
    for name, ok, detail in results:
        typer.echo(f"{'PASS' if ok else 'FAIL'}  {name:<22} {detail}")
    if not all(ok for _, ok, _ in results):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``decide`` and ``check`` to ``app``."""
    app.command("decide", epilog=_decide_epilog())(decide)
    app.command("check")(check)
