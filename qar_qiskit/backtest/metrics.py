"""Backtest metrics (plain numpy).

Conventions: a strategy holds position ``p_t`` (signed fraction of capital) from the close of
day t to the close of day t+1 and earns the simple return ``r_{t+1} = c_{t+1}/c_t - 1``, so its
daily P&L is ``x_t = p_t · r_{t+1}`` and its equity after N days is
``E_N = Π_{t=1..N} (1 + x_t)`` with ``E_0 = 1``. No financing (risk-free rate 0). A year has
:data:`TRADING_DAYS` = 252 trading days.

Transaction costs: trading ``|p_t - p_{t-1}|`` units of position at the close of day t (with
``p_0 = 0``: the first entry pays, a final exit does not) costs ``c · |p_t - p_{t-1}|`` with
``c = cost_bps / 10^4``, charged to day t's P&L: the *net* P&L is
``x_t^net = p_t · r_{t+1} - c · |p_t - p_{t-1}|``. The default :data:`DEFAULT_COST_BPS` = 5 bp
per unit traded (one side) is a conservative all-in figure for a liquid index ETF or future
(half-spread of about 1 bp plus slippage and fees); buy-and-hold pays it once, on entry.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Optional

import numpy as np

TRADING_DAYS = 252

#: Default one-way transaction cost in basis points per unit of position traded.
DEFAULT_COST_BPS = 5.0


def trading_costs(positions: np.ndarray, cost_bps: float) -> np.ndarray:
    """Cost of each day's trade ``c · |p_t - p_{t-1}|`` (``p_0 = 0``, ``c = cost_bps / 10^4``)."""
    if not (math.isfinite(cost_bps) and cost_bps >= 0):
        raise ValueError(f"cost_bps: must be a finite number >= 0, got {cost_bps!r}")
    p = np.asarray(positions, dtype=np.float64)
    return cost_bps * 1e-4 * np.abs(np.diff(p, prepend=0.0))


def net_pnl(positions: np.ndarray, returns_next: np.ndarray, cost_bps: float) -> np.ndarray:
    """Daily P&L net of costs ``p_t · r_{t+1} - c · |p_t - p_{t-1}|``."""
    p = np.asarray(positions, dtype=np.float64)
    return p * np.asarray(returns_next, dtype=np.float64) - trading_costs(p, cost_bps)


def equity_curve(pnl: np.ndarray) -> np.ndarray:
    """``E_t = Π_{s<=t} (1 + x_s)`` for t = 1..N (E_0 = 1 is not included)."""
    return np.cumprod(1.0 + np.asarray(pnl, dtype=np.float64))


def cagr(pnl: np.ndarray, periods_per_year: int = TRADING_DAYS) -> float:
    """Compound annual growth rate ``E_N^(252 / N) - 1`` (N = number of daily P&Ls).

    A total loss (``E_N <= 0``) gives -1.
    """
    x = np.asarray(pnl, dtype=np.float64)
    if x.size == 0:
        return 0.0
    final = float(np.prod(1.0 + x))
    if final <= 0.0:
        return -1.0
    return final ** (periods_per_year / x.size) - 1.0


def annualised_volatility(pnl: np.ndarray, periods_per_year: int = TRADING_DAYS) -> float:
    """``sqrt(252) · std(x)`` with the sample standard deviation (ddof = 1); 0 for N < 2."""
    x = np.asarray(pnl, dtype=np.float64)
    if x.size < 2:
        return 0.0
    return float(np.std(x, ddof=1) * math.sqrt(periods_per_year))


def sharpe(pnl: np.ndarray, periods_per_year: int = TRADING_DAYS) -> float:
    """Annualised Sharpe ratio with rf = 0: ``sqrt(252) · mean(x) / std(x)`` (ddof = 1).

    0 when the P&L has no variation (e.g. a strategy that always holds cash).
    """
    x = np.asarray(pnl, dtype=np.float64)
    if x.size < 2:
        return 0.0
    sd = float(np.std(x, ddof=1))
    if sd <= 1e-15:
        return 0.0
    return float(np.mean(x) / sd * math.sqrt(periods_per_year))


def drawdown_series(pnl: np.ndarray) -> np.ndarray:
    """``DD_t = 1 - E_t / max(E_0, …, E_t)`` for t = 1..N (in [0, 1]; E_0 = 1 is a peak)."""
    eq = equity_curve(pnl)
    peak = np.maximum.accumulate(np.concatenate(([1.0], eq)))[1:]
    return 1.0 - eq / peak


def max_drawdown(pnl: np.ndarray) -> float:
    """Maximum drawdown ``max_t DD_t`` as a positive fraction (0.5 = lost half from a peak)."""
    dd = drawdown_series(pnl)
    return float(dd.max()) if dd.size else 0.0


def hit_rate(positions: np.ndarray, pnl: np.ndarray) -> float:
    """Share of days with a position (``p_t != 0``) whose P&L is positive (0 if none)."""
    p = np.asarray(positions, dtype=np.float64)
    x = np.asarray(pnl, dtype=np.float64)
    active = np.abs(p) > 1e-12
    if not active.any():
        return 0.0
    return float(np.mean(x[active] > 0.0))


def turnover(positions: np.ndarray) -> float:
    """Mean absolute position change per day ``mean_t |p_t - p_{t-1}|`` with ``p_0 = 0``
    (the initial entry counts: buy-and-hold over N days has turnover 1/N)."""
    p = np.asarray(positions, dtype=np.float64)
    if p.size == 0:
        return 0.0
    return float(np.mean(np.abs(np.diff(p, prepend=0.0))))


def exposure(positions: np.ndarray) -> float:
    """Mean absolute exposure ``mean_t |p_t|``."""
    p = np.asarray(positions, dtype=np.float64)
    return float(np.mean(np.abs(p))) if p.size else 0.0


def regime_time_share(regimes: Sequence[str], names: Iterable[str] = ()) -> dict[str, float]:
    """Fraction of days on which each regime was dominant (``names`` are always listed)."""
    labels = list(regimes)
    keys = list(dict.fromkeys(list(names) + sorted(set(labels))))
    n = len(labels)
    return {k: (sum(1 for r in labels if r == k) / n if n else 0.0) for k in keys}


def agreement(actions: Sequence[str], exact_actions: Sequence[str],
              mask: Optional[np.ndarray] = None) -> Optional[float]:
    """Share of days where the sampled action equals the exact twin's action.

    With ``mask``, only the days where it is True (e.g. ``exact_margin_resolvable``); None when
    no day qualifies.
    """
    a = np.asarray(list(actions), dtype=object)
    e = np.asarray(list(exact_actions), dtype=object)
    m = np.ones(len(a), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if not m.any():
        return None
    return float(np.mean(a[m] == e[m]))


def pnl_metrics(positions: np.ndarray, pnl: np.ndarray) -> dict[str, float]:
    """Every return-based metric of one daily P&L series (``positions`` give hit rate,
    turnover and exposure), with the probabilistic Sharpe ratio against 0."""
    from qar_qiskit.backtest.stats import probabilistic_sharpe

    p = np.asarray(positions, dtype=np.float64)
    x = np.asarray(pnl, dtype=np.float64)
    return {
        "days": int(p.size),
        "total_return": float(np.prod(1.0 + x) - 1.0) if x.size else 0.0,
        "cagr": cagr(x),
        "volatility": annualised_volatility(x),
        "sharpe": sharpe(x),
        "max_drawdown": max_drawdown(x),
        "hit_rate": hit_rate(p, x),
        "turnover": turnover(p),
        "exposure": exposure(p),
        **probabilistic_sharpe(x),
    }


def performance(positions: np.ndarray, returns_next: np.ndarray,
                cost_bps: Optional[float] = None) -> dict:
    """Metrics of one position series against the next-day returns.

    Gross (no costs) at the top level; with ``cost_bps`` also ``"net"`` (the same metrics on
    :func:`net_pnl`), ``"cost_bps"`` and ``"costs_paid"`` (sum of the daily costs, in units of
    starting capital, not compounded).
    """
    p = np.asarray(positions, dtype=np.float64)
    r = np.asarray(returns_next, dtype=np.float64)
    out: dict = pnl_metrics(p, p * r)
    if cost_bps is not None:
        out["cost_bps"] = float(cost_bps)
        out["costs_paid"] = float(trading_costs(p, cost_bps).sum())
        out["net"] = pnl_metrics(p, net_pnl(p, r, cost_bps))
    return out
