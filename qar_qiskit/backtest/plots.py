"""Backtest plots (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qar_qiskit.backtest import metrics as M
from qar_qiskit.labels import ACTIONS

if TYPE_CHECKING:  # pragma: no cover
    from qar_qiskit.backtest.result import BacktestResult

REGIME_COLORS = {"stable": "#4daf4a", "trending": "#377eb8", "volatile": "#ff7f00",
                 "crisis": "#e41a1c"}
ACTION_COLORS = {"sell": "#d62728", "hold": "#7f7f7f", "buy": "#2ca02c", "hedge": "#9467bd"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _x(result: BacktestResult) -> np.ndarray:
    # Each P&L is realised at the close of the trading day after the decision day.
    return result.outcome_dates.astype(object)


def _shade_regimes(ax, result: BacktestResult) -> None:
    x = result.dates.astype(object)
    regimes = np.asarray(result.regimes, dtype=object)
    for name, color in REGIME_COLORS.items():
        mask = regimes == name
        if mask.any():
            ax.fill_between(x, 0, 1, where=mask, step="post", color=color, alpha=0.12,
                            transform=ax.get_xaxis_transform(), linewidth=0,
                            label=f"{name} ({mask.mean():.0%})")


def plain_log_axis(axis) -> None:
    """Plain decimal tick labels (``0.9``, ``1``, ``2``) on a log-scaled matplotlib ``axis``.

    Matplotlib's default log formatter writes ``2×10⁰``-style labels. Here a range under one
    decade gets ~6 evenly spaced ticks (:class:`~matplotlib.ticker.MaxNLocator`), a wider one
    ticks at 1, 2 and 5 times the powers of ten; labels are ``%g``, minor ticks unlabelled.
    """
    from matplotlib import ticker

    lo, hi = sorted(axis.get_view_interval())
    if lo > 0 and hi / lo < 10:
        axis.set_major_locator(ticker.MaxNLocator(nbins=6))
    else:
        axis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(ticker.NullFormatter())


def plot_equity(result: BacktestResult, path: Path) -> Path:
    """Equity of the strategy, its exact twin and buy-and-hold (log scale), net of costs (solid)
    and gross (dotted, strategy only), regimes shaded."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(11, 5.5))
    x = _x(result)
    styles = {"strategy": dict(color="black", lw=1.4, label=f"QAR ({result.backend}), net"),
              "exact_twin": dict(color="#1f77b4", lw=1.0, ls="--", label="exact twin run, net"),
              "buy_and_hold": dict(color="#8c564b", lw=1.0, label="buy and hold, net")}
    net = result.equity_net
    for key, style in styles.items():
        if key in result.positions:
            ax.plot(x, net[key], **style)
    ax.plot(x, result.equity["strategy"], color="black", lw=0.8, ls=":",
            label=f"QAR ({result.backend}), gross")
    _shade_regimes(ax, result)
    ax.set_yscale("log")
    plain_log_axis(ax.yaxis)
    ax.set_ylabel("equity (start = 1, log scale)")
    ax.set_title(f"{result.source}: equity, backend {result.backend}, "
                 f"costs {result.cost_bps:g} bp per unit traded")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_drawdown(result: BacktestResult, path: Path) -> Path:
    """Drawdown ``1 - E_t / max_{s<=t} E_s`` (net of costs) of the strategy and buy-and-hold."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(11, 4))
    x = _x(result)
    for key, color, ls, label in (("buy_and_hold", "#8c564b", "-", "buy and hold"),
                                  ("strategy", "black", "-", f"QAR ({result.backend})"),
                                  ("exact_twin", "#1f77b4", "--", "exact twin")):
        if key in result.positions:
            dd = M.drawdown_series(M.net_pnl(result.positions[key], result.return_next,
                                             result.cost_bps))
            ax.plot(x, -dd, color=color, lw=1.0, ls=ls, label=f"{label} (max {dd.max():.1%})")
    ax.set_ylabel("drawdown")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_title(f"{result.source}: drawdowns, net of costs")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def decision_mix(result: BacktestResult) -> dict[str, dict[str, float]]:
    """Share of each action among the days of each dominant regime (regimes that occurred)."""
    regimes = np.asarray(result.regimes, dtype=object)
    actions = np.asarray([r["action"] for r in result.rows], dtype=object)
    mix = {}
    names = [r for r in REGIME_COLORS if (regimes == r).any()]
    names += sorted(set(regimes) - set(names))
    for reg in names:
        m = regimes == reg
        mix[reg] = {a: float(np.mean(actions[m] == a)) for a in ACTIONS}
    return mix


def plot_decision_mix(result: BacktestResult, path: Path) -> Path:
    """Stacked bars: the action mix on the days of each dominant regime."""
    plt = _pyplot()
    mix = decision_mix(result)
    regimes = np.asarray(result.regimes, dtype=object)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    names = list(mix)
    bottom = np.zeros(len(names))
    for a in ACTIONS:
        h = np.array([mix[r][a] for r in names])
        ax.bar(names, h, bottom=bottom, color=ACTION_COLORS[a], label=a)
        bottom += h
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels([f"{r}\n({int((regimes == r).sum())} days)" for r in names])
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of days")
    ax.set_title(f"{result.source}: decisions per regime")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
