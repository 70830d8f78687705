"""Market features for one trading day, from the price history up to that day (no look-ahead).

For day ``t`` with closes ``c_0..c_t`` and log returns ``ℓ_i = ln(c_i / c_{i-1})``:

* ``volatility`` — realised volatility, annualised:
  ``σ_t = sqrt(252) · std(ℓ_{t-W+1}, …, ℓ_t)`` with the sample standard deviation (ddof = 1)
  over ``W = window`` returns.
* ``trend`` — the OLS slope ``β`` of ``ln c`` on the day index over the last ``L = trend_window``
  closes ``c_{t-L+1..t}``, annualised: ``trend = 252 · β`` (an annualised log drift; a series
  growing at a constant daily log rate ``g`` has trend ``252 g``).
* ``trend_clarity`` — the coefficient of determination ``R²`` of that same regression,
  ``R² = β² Σ(x - x̄)² / Σ(y - ȳ)²`` with ``x`` the day index and ``y = ln c``. It lies in
  [0, 1]: 1 for a straight line in log price (constant growth or decline), near 0 for a
  trendless random walk. It measures how *clean* a trend is, not its direction or size
  (that is ``trend``). A window with constant prices (``Σ(y - ȳ)² = 0``) has no trend:
  clarity 0.
* ``volume_normalized`` — ``v_t / mean(v_{t-V}, …, v_{t-1})`` with ``V = volume_window``: today's
  volume relative to the average of the *previous* V days. 1.0 when the data has no volume
  (``PriceData.volume is None``) or when that average is 0.
* ``last_return`` — the simple return of day t, ``c_t / c_{t-1} - 1``.
* ``vix`` — the VIX level on day t divided by 100 (e.g. 0.1376 for a VIX of 13.76), when VIX
  data covers that date: the latest VIX close on or before day t, at most
  :data:`VIX_MAX_STALENESS_DAYS` calendar days old, and day t not after the VIX data's last
  day. Otherwise None.
* ``price`` — ``c_t``; ``date`` — the day.

Every feature of day t uses only rows ``<= t``. Day t is *valid* from
``t >= warmup(window, trend_window, volume_window) = max(window, trend_window - 1,
volume_window if there is volume else 0)``; :func:`compute_features` rejects earlier days and
:func:`feature_table` gives NaN there.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from qar_qiskit.data.loader import PriceData

#: Trading days per year used to annualise.
TRADING_DAYS = 252
#: A VIX observation older than this (calendar days) does not cover a date.
VIX_MAX_STALENESS_DAYS = 5

FEATURE_NAMES: tuple[str, ...] = (
    "price", "volatility", "trend", "trend_clarity", "volume_normalized", "last_return", "vix",
)


def warmup(data: PriceData, window: int = 20, trend_window: int = 20,
           volume_window: int = 50) -> int:
    """The first day index at which every feature is defined (see the module docstring)."""
    _check_windows(window, trend_window, volume_window)
    need = max(window, trend_window - 1)
    if data.volume is not None:
        need = max(need, volume_window)
    return need


def _check_windows(window: int, trend_window: int, volume_window: int) -> None:
    if window < 2:
        raise ValueError(f"window must be >= 2 (got {window})")
    if trend_window < 3:
        raise ValueError(f"trend_window must be >= 3 (got {trend_window})")
    if volume_window < 1:
        raise ValueError(f"volume_window must be >= 1 (got {volume_window})")


def _vix_lookup(vix: Optional[PriceData], dates: np.ndarray) -> np.ndarray:
    """As-of join: VIX/100 on or before each date (NaN where not covered)."""
    out = np.full(len(dates), np.nan)
    if vix is None or len(vix) == 0:
        return out
    idx = np.searchsorted(vix.dates, dates, side="right") - 1
    ok = idx >= 0
    safe = np.where(ok, idx, 0)
    age = (dates - vix.dates[safe]).astype(np.int64)
    ok &= (age <= VIX_MAX_STALENESS_DAYS) & (dates <= vix.dates[-1])
    out[ok] = vix.close[safe[ok]] / 100.0
    return out


def compute_features(
    data: PriceData,
    t: int,
    window: int = 20,
    trend_window: int = 20,
    volume_window: int = 50,
    vix: Optional[PriceData] = None,
) -> dict:
    """The features of day ``t`` from ``data`` rows ``0..t`` only (see the module docstring).

    Args:
        data: the price history.
        t: day index (``0 <= t < len(data)``; negative indices count from the end).
        window: returns in the realised-volatility window.
        trend_window: closes in the trend regression.
        volume_window: previous days in the volume average.
        vix: optional VIX data (``load_dataset("vix")``).

    Returns:
        dict with ``date`` (numpy datetime64[D]), ``price``, ``volatility``, ``trend``,
        ``trend_clarity``, ``volume_normalized``, ``last_return`` (floats) and ``vix``
        (float or None).

    Raises:
        IndexError: t out of range. ValueError: t before the warm-up.
    """
    n = len(data)
    if t < 0:
        t += n
    if not 0 <= t < n:
        raise IndexError(f"day index {t} out of range for {n} rows")
    first = warmup(data, window, trend_window, volume_window)
    if t < first:
        raise ValueError(f"day {t} is before the warm-up ({first} days of history needed)")
    close = np.asarray(data.close[: t + 1], dtype=np.float64)

    logret = np.diff(np.log(close[t - window: t + 1]))
    vol = float(np.std(logret, ddof=1) * math.sqrt(TRADING_DAYS))

    y = np.log(close[t - trend_window + 1: t + 1])
    x = np.arange(trend_window, dtype=np.float64)
    xc = x - x.mean()
    yc = y - y.mean()
    sxx = float(xc @ xc)
    beta = float(xc @ yc) / sxx
    syy = float(yc @ yc)
    r2 = 0.0 if syy <= 0.0 else min(1.0, max(0.0, beta * beta * sxx / syy))

    if data.volume is None:
        vn = 1.0
    else:
        prev = float(np.mean(data.volume[t - volume_window: t]))
        vn = 1.0 if prev <= 0.0 else float(data.volume[t]) / prev

    v = _vix_lookup(vix, data.dates[t: t + 1])[0]
    return {
        "date": data.dates[t],
        "price": float(close[t]),
        "volatility": vol,
        "trend": beta * TRADING_DAYS,
        "trend_clarity": r2,
        "volume_normalized": vn,
        "last_return": float(close[t] / close[t - 1] - 1.0),
        "vix": None if math.isnan(v) else float(v),
    }


def feature_table(
    data: PriceData,
    window: int = 20,
    trend_window: int = 20,
    volume_window: int = 50,
    vix: Optional[PriceData] = None,
) -> dict[str, np.ndarray]:
    """:func:`compute_features` for every day at once (vectorised, same formulas).

    Returns:
        dict of arrays of length ``len(data)``: ``date`` and each name in
        :data:`FEATURE_NAMES` (``vix`` is NaN where not covered; every feature is NaN before
        the warm-up), plus ``valid`` (bool: day at or after the warm-up) and the scalar
        ``warmup``.
    """
    n = len(data)
    first = warmup(data, window, trend_window, volume_window)
    close = np.asarray(data.close, dtype=np.float64)
    logp = np.log(close)
    logret = np.full(n, np.nan)
    logret[1:] = np.diff(logp)
    simple = np.full(n, np.nan)
    simple[1:] = close[1:] / close[:-1] - 1.0

    vol = np.full(n, np.nan)
    if n > window:
        w = sliding_window_view(logret[1:], window)  # row k covers returns 1+k .. k+window
        vol[window:] = np.std(w, axis=-1, ddof=1) * math.sqrt(TRADING_DAYS)

    trend = np.full(n, np.nan)
    r2 = np.full(n, np.nan)
    if n >= trend_window:
        yw = sliding_window_view(logp, trend_window)  # row k ends at day k + L - 1
        x = np.arange(trend_window, dtype=np.float64)
        xc = x - x.mean()
        sxx = float(xc @ xc)
        yc = yw - yw.mean(axis=-1, keepdims=True)
        beta = (yc @ xc) / sxx
        syy = np.einsum("ij,ij->i", yc, yc)
        with np.errstate(divide="ignore", invalid="ignore"):
            rr = np.where(syy > 0.0, beta * beta * sxx / np.where(syy > 0, syy, 1.0), 0.0)
        trend[trend_window - 1:] = beta * TRADING_DAYS
        r2[trend_window - 1:] = np.clip(rr, 0.0, 1.0)

    vn = np.ones(n)
    if data.volume is not None:
        vn = np.full(n, np.nan)
        v = np.asarray(data.volume, dtype=np.float64)
        if n > volume_window:
            prev = sliding_window_view(v[:-1], volume_window).mean(axis=-1)  # days k..k+V-1
            with np.errstate(divide="ignore", invalid="ignore"):
                vn[volume_window:] = np.where(prev > 0, v[volume_window:] / np.where(
                    prev > 0, prev, 1.0), 1.0)

    valid = np.arange(n) >= first
    table = {
        "date": np.asarray(data.dates),
        "price": close.copy(),
        "volatility": vol,
        "trend": trend,
        "trend_clarity": r2,
        "volume_normalized": vn,
        "last_return": simple,
        "vix": _vix_lookup(vix, np.asarray(data.dates)),
    }
    for key in FEATURE_NAMES:
        if key != "vix":
            table[key] = np.where(valid, table[key], np.nan)
    table["vix"] = np.where(valid, table["vix"], np.nan)
    table["valid"] = valid
    table["warmup"] = first
    return table
