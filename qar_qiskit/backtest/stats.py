"""Statistics for backtests and sweeps: probabilistic and deflated Sharpe ratios, intervals.

* Probabilistic Sharpe ratio (Bailey & López de Prado 2012, "The Sharpe ratio efficient
  frontier", J. of Risk 15(2)): with the *per-period* (daily, not annualised) Sharpe ratio
  ``SR = mean(x) / std(x)`` (ddof = 1) of ``n`` returns, their skewness ``γ3`` and kurtosis
  ``γ4`` (3 for a normal; biased moment estimates),

  ``PSR(SR*) = Φ( (SR - SR*) · sqrt(n - 1) / sqrt(1 - γ3 · SR + (γ4 - 1) / 4 · SR²) )``,

  the probability that the true Sharpe ratio exceeds ``SR*``.
* Deflated Sharpe ratio (Bailey & López de Prado 2014, "The deflated Sharpe ratio", J. of
  Portfolio Management 40(5)): PSR against the Sharpe ratio expected from the best of ``N``
  independent trials with no skill,

  ``SR*_0 = sqrt(V[SR_k]) · ((1 - γ) Φ⁻¹(1 - 1/N) + γ Φ⁻¹(1 - 1/(N e)))``,

  ``γ`` the Euler–Mascheroni constant and ``V[SR_k]`` the variance of the per-period Sharpe
  ratios over the trials; ``SR*_0 = 0`` for ``N = 1``.
* Student-t 95% interval of a mean over seeds; one-sided Clopper–Pearson lower bound.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Optional

import numpy as np
from scipy import stats as _st

EULER_GAMMA = 0.5772156649015329


def probabilistic_sharpe(pnl: np.ndarray, sr_star: float = 0.0) -> dict[str, Optional[float]]:
    """PSR of a daily P&L series against the per-period benchmark ``sr_star``.

    Returns:
        ``psr`` (None when the series has < 3 values or no variation), ``sr_daily``,
        ``skewness``, ``kurtosis`` (non-excess) and ``psr_benchmark`` (= ``sr_star``).
    """
    x = np.asarray(pnl, dtype=np.float64)
    out: dict[str, Optional[float]] = {"psr": None, "psr_benchmark": float(sr_star),
                                       "sr_daily": None, "skewness": None, "kurtosis": None}
    if x.size < 3:
        return out
    sd = float(np.std(x, ddof=1))
    if sd <= 1e-15:
        return out
    sr = float(np.mean(x)) / sd
    g3 = float(_st.skew(x))
    g4 = float(_st.kurtosis(x, fisher=False))
    denom = 1.0 - g3 * sr + (g4 - 1.0) / 4.0 * sr * sr
    out.update(sr_daily=sr, skewness=g3, kurtosis=g4)
    if denom > 0:
        out["psr"] = float(_st.norm.cdf((sr - sr_star) * math.sqrt(x.size - 1) / math.sqrt(denom)))
    return out


def expected_max_sharpe(sr_variance: float, n_trials: int) -> float:
    """``SR*_0``: the expected maximum per-period Sharpe ratio of ``n_trials`` skill-less trials."""
    if n_trials < 1:
        raise ValueError(f"n_trials: must be >= 1, got {n_trials}")
    if n_trials == 1 or not sr_variance > 0:
        return 0.0
    n = float(n_trials)
    z1 = _st.norm.ppf(1.0 - 1.0 / n)
    z2 = _st.norm.ppf(1.0 - 1.0 / (n * math.e))
    return float(math.sqrt(sr_variance) * ((1.0 - EULER_GAMMA) * z1 + EULER_GAMMA * z2))


def deflated_sharpe(pnl: np.ndarray, trial_srs: Sequence[float]) -> dict[str, Optional[float]]:
    """DSR of one P&L series, deflated over the per-period Sharpe ratios of all trials tried.

    Returns:
        ``dsr`` (PSR against ``SR*_0``), ``sr_star`` (``SR*_0``) and ``n_trials``.
    """
    srs = np.asarray([s for s in trial_srs if s is not None and math.isfinite(s)], dtype=float)
    n = max(int(srs.size), 1)
    var = float(np.var(srs, ddof=1)) if srs.size > 1 else 0.0
    star = expected_max_sharpe(var, n)
    return {"dsr": probabilistic_sharpe(pnl, star)["psr"], "sr_star": star, "n_trials": n}


def mean_interval(values: Sequence[float], level: float = 0.95) -> dict[str, Optional[float]]:
    """Mean and two-sided Student-t interval ``mean ± t_{(1+level)/2, n-1} · s / sqrt(n)``.

    The bounds are None for fewer than 2 finite values (no spread to estimate).
    """
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], dtype=float)
    if v.size == 0:
        return {"mean": None, "low": None, "high": None, "n": 0}
    m = float(v.mean())
    if v.size < 2:
        return {"mean": m, "low": None, "high": None, "n": 1}
    half = float(_st.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return {"mean": m, "low": m - half, "high": m + half, "n": int(v.size)}


def clopper_pearson_lower(successes: int, n: int, confidence: float = 0.95) -> float:
    """One-sided Clopper–Pearson lower bound ``Beta⁻¹(1 - confidence; k, n - k + 1)``
    (0 when k = 0; ``(1 - confidence)^(1/n)`` when k = n)."""
    if not 0 <= successes <= n or n < 1:
        raise ValueError(f"need 0 <= successes <= n and n >= 1, got {successes}, {n}")
    if successes == 0:
        return 0.0
    return float(_st.beta.ppf(1.0 - confidence, successes, n - successes + 1))
