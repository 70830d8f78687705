"""Market regime analysis from fuzzy memberships (twin of the market-superposition fragment).

Each regime is a box of ranges for three features (volatility, trend clarity, normalised
volume), taken from the seed design notes. A feature's membership in a range is 1 inside
the range and falls linearly to a small floor outside it (:func:`fuzzy_membership`); a
regime's membership is the geometric mean of its three feature memberships; the regime
amplitudes are the memberships normalised in L2, so the regime probabilities are
``P(r) = m_r**2 / sum_s m_s**2``. The uncertainty is the Shannon entropy of ``P``
divided by ``ln 4``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qar_qiskit.errors import InputError
from qar_qiskit.labels import REGIMES
from qar_qiskit.validation import as_distribution, as_float, as_float_array

__all__ = [
    "REGIMES",
    "FEATURES",
    "DEFAULT_REGIME_RANGES",
    "RegimeAnalysis",
    "fuzzy_membership",
    "regime_memberships",
    "regime_probabilities",
    "normalized_entropy",
    "regime_analysis",
]

FEATURES = ("volatility", "trend_clarity", "volume_normalized")

#: The seeds' regime definitions: {regime: {feature: (lo, hi)}}.
DEFAULT_REGIME_RANGES = {
    "stable": {
        "volatility": (0.0, 0.2),
        "trend_clarity": (0.7, 1.0),
        "volume_normalized": (0.8, 1.2),
    },
    "trending": {
        "volatility": (0.2, 0.4),
        "trend_clarity": (0.5, 0.8),
        "volume_normalized": (1.0, 1.5),
    },
    "volatile": {
        "volatility": (0.4, 0.7),
        "trend_clarity": (0.0, 0.5),
        "volume_normalized": (1.2, 2.0),
    },
    "crisis": {
        "volatility": (0.7, 1.0),
        "trend_clarity": (0.0, 0.3),
        "volume_normalized": (1.5, 5.0),
    },
}


@dataclass(frozen=True)
class RegimeAnalysis:
    """Result of :func:`regime_analysis`.

    Attributes:
        probabilities: ``(4,)`` regime probabilities ``P(r)`` in :data:`REGIMES` order
            (sum to 1).
        memberships: ``(4,)`` fuzzy memberships ``m_r`` in ``(0, 1]``.
        dominant: name of the most probable regime (first one on ties).
        dominant_index: its index in :data:`REGIMES`.
        uncertainty: normalised Shannon entropy of ``probabilities``, in ``[0, 1]``.
    """

    probabilities: np.ndarray
    memberships: np.ndarray
    dominant: str
    dominant_index: int
    uncertainty: float

    @property
    def amplitudes(self) -> np.ndarray:
        """The real regime amplitudes ``sqrt(P(r))`` that the market register encodes."""
        return np.sqrt(self.probabilities)


def fuzzy_membership(x, lo, hi, softness=0.5, floor=1e-3, *, open_low=False, open_high=False):
    r"""Trapezoidal fuzzy membership of ``x`` in the range ``[lo, hi]``.

    With margin :math:`m = s\,(hi - lo)` (:math:`s` = ``softness``) and distance
    :math:`d` of ``x`` outside the range (0 inside):

    .. math:: \mu(x) = \max\big(f,\; 1 - (1 - f)\, d / m\big)

    i.e. 1 inside, falling linearly to the floor :math:`f` at distance :math:`m`, never
    below :math:`f` (a zero membership would make a regime impossible and its amplitude
    undefined). With ``softness = 0`` the function is a step from 1 to ``floor``.
    ``open_low`` / ``open_high`` treat the lower / upper edge as open: the membership stays
    1 below ``lo`` / above ``hi`` (used for the outermost ranges, e.g. a volatility of 1.3
    is fully "crisis" although the crisis range is (0.7, 1.0)).

    Args:
        x: feature value(s), scalar or array-like, finite.
        lo: lower edge of the range.
        hi: upper edge, ``> lo``.
        softness: margin as a fraction of the range width, ``>= 0``.
        floor: minimum membership, in ``(0, 1]``.
        open_low: keep membership 1 for ``x < lo``.
        open_high: keep membership 1 for ``x > hi``.

    Returns:
        A float for scalar ``x``, otherwise an array of the same shape.

    Raises:
        InputError: on non-finite input, ``hi <= lo``, ``softness < 0`` or a floor outside
            ``(0, 1]``.
    """
    arr = as_float_array("x", x)
    lo = as_float("lo", lo)
    hi = as_float("hi", hi)
    if not hi > lo:
        raise InputError(f"hi: must be > lo ({lo!r}), got {hi!r}")
    softness = as_float("softness", softness, nonneg=True)
    floor = as_float("floor", floor, positive=True, hi=1.0)
    below = np.zeros_like(arr) if open_low else np.maximum(lo - arr, 0.0)
    above = np.zeros_like(arr) if open_high else np.maximum(arr - hi, 0.0)
    d = below + above
    margin = softness * (hi - lo)
    if margin > 0:
        mu = np.maximum(floor, 1.0 - (1.0 - floor) * d / margin)
    else:
        mu = np.where(d > 0, floor, 1.0)
    return float(mu) if arr.ndim == 0 else mu


def _check_ranges(ranges):
    if ranges is None:
        ranges = DEFAULT_REGIME_RANGES
    if not hasattr(ranges, "keys"):
        raise InputError(f"ranges: expected a mapping regime -> feature ranges, got {ranges!r}")
    extra = set(ranges) - set(REGIMES)
    if extra:
        raise InputError(f"ranges: unknown regime(s) {sorted(extra)}; expected {REGIMES}")
    out = {}
    for r in REGIMES:
        if r not in ranges:
            raise InputError(f"ranges: missing regime {r!r}")
        feats = ranges[r]
        if not hasattr(feats, "keys"):
            raise InputError(f"ranges.{r}: expected a mapping feature -> (lo, hi)")
        extra = set(feats) - set(FEATURES)
        if extra:
            raise InputError(f"ranges.{r}: unknown feature(s) {sorted(extra)}")
        out[r] = {}
        for f in FEATURES:
            if f not in feats:
                raise InputError(f"ranges.{r}: missing feature {f!r}")
            try:
                lo, hi = feats[f]
            except (TypeError, ValueError) as exc:
                raise InputError(f"ranges.{r}.{f}: expected (lo, hi)") from exc
            lo = as_float(f"ranges.{r}.{f}[0]", lo)
            hi = as_float(f"ranges.{r}.{f}[1]", hi)
            if not hi > lo:
                raise InputError(f"ranges.{r}.{f}: hi must be > lo, got ({lo}, {hi})")
            out[r][f] = (lo, hi)
    return out


def regime_memberships(
    volatility, trend_clarity, volume_normalized, ranges=None, softness=0.5, floor=1e-3
):
    r"""Fuzzy membership of a market state in each regime, in :data:`REGIMES` order.

    .. math:: m_r = \big(\mu_{r,\mathrm{vol}}\;\mu_{r,\mathrm{trend}}\;
              \mu_{r,\mathrm{volume}}\big)^{1/3}

    (geometric mean of :func:`fuzzy_membership` per feature). Open edges: for each feature,
    a range whose ``lo <= 0`` is open below, and the range(s) with the largest ``hi`` among
    the regimes are open above (with the default ranges: crisis volatility above 1.0,
    crisis volume above 5.0 and stable trend clarity above 1.0 keep membership 1).

    Args:
        volatility: annualised volatility, finite and ``>= 0``.
        trend_clarity: trend clarity, finite and ``>= 0`` (nominally in ``[0, 1]``).
        volume_normalized: volume relative to its average, finite and ``>= 0``.
        ranges: ``{regime: {feature: (lo, hi)}}`` for all four regimes and three features;
            ``None`` for :data:`DEFAULT_REGIME_RANGES`.
        softness: passed to :func:`fuzzy_membership`.
        floor: passed to :func:`fuzzy_membership`.

    Returns:
        A ``(4,)`` float array with entries in ``[floor, 1]``.

    Raises:
        InputError: on a negative or non-finite feature or malformed ``ranges``.
    """
    values = {
        "volatility": as_float("volatility", volatility, nonneg=True),
        "trend_clarity": as_float("trend_clarity", trend_clarity, nonneg=True),
        "volume_normalized": as_float("volume_normalized", volume_normalized, nonneg=True),
    }
    rng = _check_ranges(ranges)
    top = {f: max(rng[r][f][1] for r in REGIMES) for f in FEATURES}
    m = np.empty(len(REGIMES))
    for i, r in enumerate(REGIMES):
        logs = 0.0
        for f in FEATURES:
            lo, hi = rng[r][f]
            mu = fuzzy_membership(
                values[f], lo, hi, softness, floor, open_low=lo <= 0.0, open_high=hi >= top[f]
            )
            logs += math.log(mu)
        m[i] = math.exp(logs / len(FEATURES))
    return m


def regime_probabilities(memberships):
    r"""Regime probabilities from memberships: :math:`P(r) = m_r^2 / \sum_s m_s^2`.

    The amplitudes :math:`a_r = m_r / \lVert m \rVert_2` are what the market register
    prepares; the probabilities are their squares.

    Args:
        memberships: ``(4,)`` non-negative memberships, not all zero.

    Returns:
        A ``(4,)`` float array summing to 1.

    Raises:
        InputError: on a wrong shape, negative/non-finite entries or all zeros.
    """
    m = as_float_array("memberships", memberships, ndim=1, nonneg=True)
    if m.shape != (len(REGIMES),):
        raise InputError(f"memberships: expected shape (4,), got {m.shape}")
    scale = m.max()
    if not scale > 0:
        raise InputError("memberships: must not all be zero")
    a = m / scale
    p = a * a
    return p / p.sum()


def normalized_entropy(probabilities):
    r"""Shannon entropy normalised by its maximum: :math:`H(p) / \ln n` in ``[0, 1]``.

    .. math:: H(p) = -\sum_i p_i \ln p_i \quad (0 \ln 0 = 0)

    Reference: C. E. Shannon (1948), "A mathematical theory of communication".

    Args:
        probabilities: 1-D non-negative vector summing to 1 (within 1e-9), length ``n``.

    Returns:
        The normalised entropy as a float (0.0 when ``n == 1``).

    Raises:
        InputError: on an invalid distribution.
    """
    p = as_distribution("probabilities", probabilities, atol=1e-9)
    if p.size == 1:
        return 0.0
    nz = p[p > 0]
    h = float(-np.sum(nz * np.log(nz)))
    return float(min(1.0, max(0.0, h / math.log(p.size))))


def regime_analysis(volatility, trend_clarity, volume_normalized, ranges=None):
    r"""Regime probabilities, dominant regime and uncertainty of one market state.

    .. math::
        m_r = \big(\mu_{r,\mathrm{vol}}\,\mu_{r,\mathrm{trend}}\,
        \mu_{r,\mathrm{volume}}\big)^{1/3},\quad
        P(r) = \frac{m_r^2}{\sum_s m_s^2},\quad
        U = \frac{-\sum_r P(r) \ln P(r)}{\ln 4}

    See :func:`regime_memberships` (fuzzy memberships with open outer edges),
    :func:`regime_probabilities` and :func:`normalized_entropy`.

    Args:
        volatility: annualised volatility, finite and ``>= 0``.
        trend_clarity: trend clarity, finite and ``>= 0``.
        volume_normalized: volume relative to its average, finite and ``>= 0``.
        ranges: ``{regime: {feature: (lo, hi)}}``; ``None`` for
            :data:`DEFAULT_REGIME_RANGES`.

    Returns:
        A :class:`RegimeAnalysis`.

    Raises:
        InputError: on a negative or non-finite feature or malformed ``ranges``.
    """
    m = regime_memberships(volatility, trend_clarity, volume_normalized, ranges)
    p = regime_probabilities(m)
    idx = int(np.argmax(p))
    m.setflags(write=False)
    p.setflags(write=False)
    return RegimeAnalysis(
        probabilities=p,
        memberships=m,
        dominant=REGIMES[idx],
        dominant_index=idx,
        uncertainty=normalized_entropy(p),
    )
