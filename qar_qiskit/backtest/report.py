"""Write a backtest report: metrics.json, decisions.csv, equity/drawdown/decision-mix PNGs and
report.md (a headline table).

``decisions.csv`` has one row per decision day t: ``date`` (day t), ``close`` (c_t),
``return_next`` (r_{t+1} = c_{t+1}/c_t - 1), ``regime`` (dominant), ``p_<regime>`` (measured
regime probabilities), ``action``, ``size``, ``risk``, ``confidence``, ``position`` (p_t),
``pnl`` (p_t · r_{t+1}, gross), ``equity`` (Π_{s<=t}(1 + pnl_s)), ``cost``
(c · |p_t - p_{t-1}|, p_0 = 0), ``pnl_net`` (pnl - cost), ``equity_net``, the same-inputs exact
decision ``exact_action``/``exact_size``/``exact_risk``/``exact_position`` and
``exact_margin_resolvable``, ``backend``, ``decision_id`` and ``expert_<name>`` (each expert's
expected position on this tick's inputs inside this run; the expert-alone *baselines* are
independent runs). Floats are written with ``repr`` (exact), so anyone can recompute the net
P&L from ``position`` and ``return_next``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from qar_qiskit.backtest import plots

if TYPE_CHECKING:  # pragma: no cover
    from qar_qiskit.backtest.headline import Spread
    from qar_qiskit.backtest.result import BacktestResult

REPORT_FILES = ("metrics.json", "decisions.csv", "equity.png", "drawdown.png",
                "decision_mix.png", "report.md")

_LABELS = {
    "exact_twin": "exact twin",
    "buy_and_hold": "buy and hold",
}


def _cell(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def write_decisions_csv(result: BacktestResult, path: Path) -> Path:
    """One row per decision day (see the module docstring for the columns)."""
    columns: list[str] = []
    for row in result.rows:
        for k in row:
            if k not in columns:
                columns.append(k)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in result.rows:
            writer.writerow([_cell(row.get(k, "")) for k in columns])
    return path


def _pct(v) -> str:
    return "n/a" if v is None else f"{100 * v:.2f}%"


def _f(v, digits: int = 2) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}"


def _table(rows, run, key: str | None) -> list[str]:
    lines = [
        "| strategy | CAGR | volatility | Sharpe | PSR (SR > 0) | max drawdown | hit rate | "
        "turnover | mean abs exposure | total return |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, metrics in rows:
        v = metrics.get(key, metrics) if key else metrics
        label = (f"QAR ({run['backend']})" if name == "strategy"
                 else _LABELS.get(name, name.replace("expert_", "expert alone: ")))
        lines.append(
            f"| {label} | {_pct(v['cagr'])} | {_pct(v['volatility'])} | {_f(v['sharpe'])} | "
            f"{_f(v.get('psr'), 3)} | {_pct(v['max_drawdown'])} | {_pct(v['hit_rate'])} | "
            f"{_f(v['turnover'], 3)} | {_f(v['exposure'], 3)} | {_pct(v['total_return'])} |"
        )
    return lines


def applied_settings(settings: dict) -> dict:
    """The run settings that took effect on the run's backend: the backend, then only the
    settings its executor takes (:func:`~qar_qiskit.backends.registry.executor_settings`: none
    for ``exact``; readout mitigation for ``aer-noisy`` only; the transpiler seed for
    ``aer-noisy`` and ``ibm``) and, on sampled backends, the post-selection flags."""
    from qar_qiskit.backends.registry import executor_settings
    from qar_qiskit.settings import RunSettings

    rs = RunSettings.from_dict(settings)
    out = {"backend": rs.backend, **executor_settings(rs)}
    if rs.kind != "exact":
        out.update(postselect_market=rs.postselect_market,
                   postselect_consistency=rs.postselect_consistency)
    return out


def _settings_line(run) -> list[str]:
    if not run.get("settings"):
        return []
    applied = applied_settings(run["settings"])
    # a setting left at None takes the backend's own default (e.g. aer's optimization level)
    text = "Run settings: " + ", ".join(f"{k} `{v}`" if v is not None else f"{k} (backend default)"
                                        for k, v in applied.items())
    if applied["backend"] == "exact":
        text += " (the exact backend samples nothing: no shots, seed or mitigation)"
    return [text + ".", ""]


def _seed_lines(run, s, spread: Optional[Spread]) -> list[str]:
    from qar_qiskit.backtest.headline import placement

    if run["backend"] == "exact":
        return ["The exact backend samples nothing: the seed does not change this run.", ""]
    return [placement(run, s["net"].get("sharpe"), spread), ""]


def render_markdown(result: BacktestResult, spread: Optional[Spread] = None) -> str:
    """The report's headline tables (net and gross) and run summary as Markdown (``spread``: a
    sweep's seeds, :func:`qar_qiskit.backtest.headline.load_spread`, to place this run among)."""
    m = result.metrics
    run = m["run"]
    s = m["strategy"]
    hidden = {f"expert_{name}" for name in run.get("experts_without_register", ())}
    rows = [("strategy", s)] + [(k, v) for k, v in m["baselines"].items() if k not in hidden]
    lines = [
        f"# Backtest: {run['source']}",
        "",
        f"Decision days {run['first_day']} to {run['last_day']} ({run['days']} days; the last "
        f"P&L is realised on {run['last_outcome_day']}). Backend `{run['backend']}`"
        + (f", {run['shots']} shots" if run.get("shots") and run["backend"] != "exact" else "")
        + (f", seed {run['seed']}" if run.get("seed") is not None else "") + ".",
        "",
        *_settings_line(run),
        *_seed_lines(run, s, spread),
        "Position p_t is held from the close of day t to the close of day t+1; daily P&L "
        f"p_t · r_{{t+1}} - c · |p_t - p_{{t-1}}| with c = {run['cost_bps']:g} bp per unit of "
        "position traded; rf = 0; 252 trading days a year. PSR: probabilistic Sharpe ratio "
        "against 0 on daily returns, with their skewness and kurtosis (Bailey & López de Prado "
        "2012). Hit rate: the share of the days with a position (p_t ≠ 0) whose P&L is "
        "positive (net of costs in the net table; 0 when the strategy never holds a position). "
        "The exact twin and the experts alone are independent runs (exact backend; the "
        "experts with learning off and the memory fixed on them).",
        "",
        f"## Net of costs ({run['cost_bps']:g} bp)",
        "",
        *_table(rows, run, "net"),
        "",
        "## Gross (no costs)",
        "",
        *_table(rows, run, None),
        "",
        "## Sampled vs exact",
        "",
        "Same inputs: the sampled decision against the exact distribution's decision on the "
        "same tick (same memory, feedback and risk state).",
        "",
        "| agreement | all days | resolvable days |",
        "|---|---:|---:|",
        f"| action | {_pct(s['agreement_with_exact'])} | {_pct(s['agreement_resolvable'])} |",
        f"| full decision (action, size, risk) | {_pct(s.get('agreement_decision'))} | "
        f"{_pct(s.get('agreement_decision_resolvable'))} |",
        "",
        f"Resolvable: the {s['resolvable_days']} days where the exact top-two margin exceeds "
        "3 standard errors at the shots used. Action agreement with the independent exact-twin "
        f"run (its own path): {_pct(s.get('agreement_with_twin_run'))}.",
        "",
    ]
    share = s["regime_time_share"]
    lines += [
        "## Regimes (share of days dominant)",
        "",
        "| " + " | ".join(share) + " |",
        "|" + "---:|" * len(share),
        "| " + " | ".join(_pct(v) for v in share.values()) + " |",
        "",
        "## Decision mix per regime",
        "",
        "| regime | " + " | ".join(plots.ACTIONS) + " |",
        "|---|" + "---:|" * len(plots.ACTIONS),
    ]
    for reg, mix in plots.decision_mix(result).items():
        lines.append(f"| {reg} | " + " | ".join(_pct(mix[a]) for a in plots.ACTIONS) + " |")
    tps = s.get("ticks_per_second")
    lines += [
        "",
        "## Speed",
        "",
        f"{_f(tps, 1)} ticks per second (decide + record_outcome; {run['decide_seconds']:.1f} s "
        f"of {run['wall_seconds']:.1f} s wall).",
    ]
    if run["mean_timing_s"]:
        lines.append("")
        lines.append("Mean per tick: " + ", ".join(
            f"{k} {1000 * v:.2f} ms" for k, v in run["mean_timing_s"].items()) + ".")
    if run["notes"]:
        lines += ["", "## Notes", ""] + [f"* {n}" for n in run["notes"]]
    lines += [
        "",
        "![equity](equity.png)",
        "",
        "![drawdown](drawdown.png)",
        "",
        "![decision mix](decision_mix.png)",
        "",
    ]
    return "\n".join(lines)


def write_report(result: BacktestResult, out_dir: Path,
                 spread: Optional[Spread] = None) -> dict[str, Path]:
    """Write every report file into ``out_dir`` (created if needed; ``spread`` as in
    :func:`render_markdown`); returns name -> path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    path = out_dir / "metrics.json"
    path.write_text(json.dumps(result.metrics, indent=2, allow_nan=False) + "\n",
                    encoding="utf-8")
    files["metrics.json"] = path
    files["decisions.csv"] = write_decisions_csv(result, out_dir / "decisions.csv")
    files["equity.png"] = plots.plot_equity(result, out_dir / "equity.png")
    files["drawdown.png"] = plots.plot_drawdown(result, out_dir / "drawdown.png")
    files["decision_mix.png"] = plots.plot_decision_mix(result, out_dir / "decision_mix.png")
    path = out_dir / "report.md"
    path.write_text(render_markdown(result, spread), encoding="utf-8")
    files["report.md"] = path
    return files
