"""CLI commands: backtest (registered on the root app by :func:`register`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from qar_qiskit.backtest.metrics import DEFAULT_COST_BPS
from qar_qiskit.config import MAX_SEED, MAX_SHOTS
from qar_qiskit.errors import InputError


def _backtest(
    ctx: typer.Context,
    data: Optional[str] = typer.Option(
        None, "--data", "-d", help="Packaged data set: sp500 or nasdaq (default sp500)."),
    csv: Optional[Path] = typer.Option(
        None, "--csv", help="Any daily CSV with a date and a close column (instead of --data).",
        dir_okay=False),
    start: Optional[str] = typer.Option(None, "--start", help="First decision day, YYYY-MM-DD."),
    end: Optional[str] = typer.Option(None, "--end", help="Last day, YYYY-MM-DD."),
    backend: Optional[str] = typer.Option(
        None, "--backend", "-b", help="exact | aer | aer-noisy:<FakeDevice> | aer-noisy-exact:<FakeDevice> "
        "| ibm:<name> "
        "(default: from the config)."),
    profile: Optional[str] = typer.Option(
        None, "--profile", help="Backend profile: a packaged name (aer, aer-noisy-torino, ibm) or a YAML path."),
    shots: Optional[int] = typer.Option(None, "--shots", min=1, max=MAX_SHOTS, help="Shots per tick."),
    seed: Optional[int] = typer.Option(None, "--seed", min=0, max=MAX_SEED, help="Base seed."),
    cost_bps: float = typer.Option(
        DEFAULT_COST_BPS, "--cost-bps", min=0.0, max=10_000.0,
        help="Transaction cost in basis points per unit of position traded (one side); "
        "metrics are reported gross and net."),
    baselines: bool = typer.Option(
        True, "--baselines/--no-baselines",
        help="Run the exact twin and each expert alone as their own backtests (5 exact runs)."),
    date_column: Optional[str] = typer.Option(None, "--date-column", help="CSV date column name."),
    close_column: Optional[str] = typer.Option(
        None, "--close-column", help="CSV close column name (e.g. SP500 for a Date,SP500 file)."),
    volume_column: Optional[str] = typer.Option(None, "--volume-column",
                                                help="CSV volume column name."),
    out: Optional[Path] = typer.Option(
        None, "--out", "-o", help="Report folder (default ./reports/backtest-<data>).",
        file_okay=False),
    progress: bool = typer.Option(True, "--progress/--no-progress",
                                  help="Progress bar (only on a terminal)."),
    spread: Optional[Path] = typer.Option(
        None, "--spread", help="A `qar sweep` output folder: the report says where this run's "
        "net Sharpe ratio falls among that sweep's seeds on the same data, period, backend, "
        "shots and cost.", file_okay=False),
) -> None:
    """Backtest QAR day by day on real daily data and write a report.

    Features of each day use only prices up to that day; the position is held to the next close and every trade
    pays --cost-bps. The report (metrics.json, decisions.csv, equity.png, drawdown.png, decision_mix.png,
    report.md) compares the strategy, gross and net, with buy-and-hold, its exact twin and each expert alone
    (independent runs).
    """
    from qar_qiskit.backtest.headline import load_spread, placement
    from qar_qiskit.backtest.report import write_report
    from qar_qiskit.backtest.runner import run_backtest
    from qar_qiskit.data.loader import DATASETS, load_csv, load_dataset

    seeds = None if spread is None else load_spread(spread)  # before the run: fail fast

    if data is not None and csv is not None:
        raise InputError("--data and --csv are mutually exclusive: give one")
    vix = None
    if csv is None and any(c is not None for c in (date_column, close_column, volume_column)):
        raise InputError("--date-column/--close-column/--volume-column apply to --csv only")
    if csv is not None:
        prices = load_csv(csv, date_column=date_column, close_column=close_column,
                          volume_column=volume_column)
        label = csv.name.split(".")[0] or "csv"
    else:
        name = (data or "sp500").strip().lower()
        if name not in DATASETS or name == "vix":
            raise InputError(f"--data: unknown data set {data!r}; choose sp500 or nasdaq "
                             "(or --csv FILE)")
        prices = load_dataset(name)
        vix = load_dataset("vix")
        label = name
    out_dir = out if out is not None else Path("reports") / f"backtest-{label}"
    config_path = (ctx.obj or {}).get("config_path") if ctx is not None else None

    result = run_backtest(prices, start=start, end=end, backend=backend, shots=shots, seed=seed,
                          config_path=config_path, progress=progress, vix=vix,
                          profile=profile, cost_bps=cost_bps, baselines=baselines)
    result.files = write_report(result, out_dir, spread=seeds)
    run = result.metrics["run"]
    s = result.metrics["strategy"]
    bh = result.metrics["baselines"]["buy_and_hold"]

    def pct(v):
        return "n/a" if v is None else f"{100 * v:.2f}%"

    def num(v):
        return "n/a" if v is None else f"{v:.2f}"

    typer.echo(f"report: {out_dir / 'report.md'}  (files in {out_dir})")
    typer.echo(f"{run['source']}: {run['first_day']} .. {run['last_day']}, {run['days']} days, "
               f"backend {run['backend']}")
    typer.echo(f"net of {cost_bps:g} bp per unit traded (gross Sharpe in brackets)")
    typer.echo(f"{'':14s}{'CAGR':>9s}{'vol':>9s}{'Sharpe':>8s}{'(gross)':>9s}{'PSR':>7s}"
               f"{'maxDD':>9s}{'hit':>8s}")
    for label_, m in (("QAR", s), ("buy and hold", bh)):
        n = m["net"]
        typer.echo(f"{label_:14s}{pct(n['cagr']):>9s}{pct(n['volatility']):>9s}"
                   f"{num(n['sharpe']):>8s}{'(' + num(m['sharpe']) + ')':>9s}{num(n['psr']):>7s}"
                   f"{pct(n['max_drawdown']):>9s}{pct(n['hit_rate']):>8s}")
    typer.echo("hit: share of the days with a position whose net P&L is positive")
    typer.echo(f"agreement with exact (same inputs), action: {pct(s['agreement_with_exact'])} "
               f"(resolvable days: {pct(s['agreement_resolvable'])}); full decision: "
               f"{pct(s['agreement_decision'])} (resolvable: "
               f"{pct(s['agreement_decision_resolvable'])}); {num(s['ticks_per_second'])} ticks/s")
    if run["backend"] != "exact":
        typer.echo(placement(run, s["net"].get("sharpe"), seeds))


def register(app: typer.Typer) -> None:
    """Add this module's commands to app."""
    app.command("backtest")(_backtest)
