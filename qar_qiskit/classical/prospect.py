"""Cumulative prospect theory (CPT) of Tversky & Kahneman (1992).

Value function ``v(x) = x**alpha`` for gains, ``-lam * (-x)**beta`` for losses; probability
weighting ``w(p) = p**c / (p**c + (1 - p)**c)**(1 / c)`` with ``c = gamma`` for gains and
``c = delta`` for losses; rank-dependent (cumulative) decision weights.

Reference: A. Tversky & D. Kahneman (1992), "Advances in prospect theory: cumulative
representation of uncertainty", J. Risk and Uncertainty 5:297-323 (parameter estimates
alpha = beta = 0.88, lambda = 2.25, gamma = 0.61, delta = 0.69).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qar_qiskit.errors import InputError
from qar_qiskit.validation import as_distribution, as_float, as_float_array

__all__ = [
    "CPTParams",
    "value_function",
    "cpt_weight",
    "cpt_decision_weights",
    "cpt_value",
    "certainty_equivalent",
]


@dataclass(frozen=True)
class CPTParams:
    """Parameters of cumulative prospect theory (Tversky & Kahneman 1992 estimates).

    Attributes:
        alpha: curvature of the value function for gains, ``v(x) = x**alpha``.
        beta: curvature for losses, ``v(x) = -lam * (-x)**beta``.
        lam: loss aversion coefficient lambda.
        gamma: probability-weighting parameter for gains (``w+``).
        delta: probability-weighting parameter for losses (``w-``).

    Raises:
        InputError: if any parameter is not a finite number ``> 0``.
    """

    alpha: float = 0.88
    beta: float = 0.88
    lam: float = 2.25
    gamma: float = 0.61
    delta: float = 0.69

    def __post_init__(self):
        for name in ("alpha", "beta", "lam", "gamma", "delta"):
            value = as_float(name, getattr(self, name), positive=True)
            object.__setattr__(self, name, value)


_DEFAULT = CPTParams()


def _params(params):
    if params is None:
        return _DEFAULT
    if not isinstance(params, CPTParams):
        raise InputError(f"params: expected CPTParams or None, got {type(params).__name__}")
    return params


def _out(arr, scalar):
    return float(arr) if scalar else arr


def value_function(x, params=None):
    r"""CPT value function (Tversky & Kahneman 1992).

    .. math:: v(x) = \begin{cases} x^{\alpha} & x \ge 0 \\
                                   -\lambda (-x)^{\beta} & x < 0 \end{cases}

    Args:
        x: outcome(s) relative to the reference point (scalar or array-like, finite).
        params: :class:`CPTParams`; ``None`` for the published estimates.

    Returns:
        A float for scalar input, otherwise an array of the same shape.

    Raises:
        InputError: if ``x`` contains NaN/inf.
    """
    pr = _params(params)
    arr = as_float_array("x", x)
    mag = np.abs(arr)
    out = np.where(arr >= 0, np.power(mag, pr.alpha), -pr.lam * np.power(mag, pr.beta))
    return _out(out, arr.ndim == 0)


def cpt_weight(p, c):
    r"""Tversky--Kahneman probability weighting function (Tversky & Kahneman 1992).

    .. math:: w(p) = \frac{p^c}{\left(p^c + (1-p)^c\right)^{1/c}}

    with ``w(0) = 0`` and ``w(1) = 1`` exactly. ``c = gamma = 0.61`` gives ``w+`` (gains),
    ``c = delta = 0.69`` gives ``w-`` (losses).

    Args:
        p: probability/probabilities in ``[0, 1]`` (scalar or array-like).
        c: curvature parameter, ``> 0``.

    Returns:
        A float for scalar input, otherwise an array of the same shape.

    Raises:
        InputError: if ``p`` is outside ``[0, 1]`` or not finite, or ``c <= 0``.
    """
    arr = as_float_array("p", p, nonneg=True)
    c = as_float("c", c, positive=True)
    if arr.size and np.any(arr > 1.0):
        raise InputError(f"p: probabilities must be <= 1, got maximum {arr.max()!r}")
    pc = np.power(arr, c)
    qc = np.power(1.0 - arr, c)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pc / np.power(pc + qc, 1.0 / c)
    out = np.where(arr == 0.0, 0.0, np.where(arr == 1.0, 1.0, out))
    return _out(out, arr.ndim == 0)


def _check_prospect(outcomes, probabilities):
    x = as_float_array("outcomes", outcomes, ndim=1, allow_empty=False)
    p = as_distribution("probabilities", probabilities, atol=1e-9)
    if x.shape != p.shape:
        raise InputError(
            f"probabilities: length {p.shape[0]} does not match outcomes length {x.shape[0]}"
        )
    return x, p


def _rank_weights(p_sorted, c):
    """Differences of w(cumulative probability) along an already ranked outcome list."""
    cum = np.clip(np.cumsum(p_sorted), 0.0, 1.0)
    wc = np.asarray(cpt_weight(cum, c), dtype=float)
    return np.diff(np.concatenate(([0.0], wc)))


def cpt_decision_weights(outcomes, probabilities, params=None):
    r"""Rank-dependent CPT decision weights :math:`\pi_i` (Tversky & Kahneman 1992).

    Gains :math:`x > 0`, ranked from the largest down, use the decumulative probabilities:

    .. math:: \pi^+_j = w^+(p_1 + \dots + p_j) - w^+(p_1 + \dots + p_{j-1})

    Losses :math:`x < 0`, ranked from the most negative up, use the cumulative
    probabilities:

    .. math:: \pi^-_j = w^-(p_1 + \dots + p_j) - w^-(p_1 + \dots + p_{j-1})

    with :math:`w^+ = w(\cdot;\gamma)` and :math:`w^- = w(\cdot;\delta)`
    (see :func:`cpt_weight`).

    Conventions: an outcome of exactly 0 is the reference point; it is neither gain nor
    loss and gets decision weight 0 (its value ``v(0) = 0`` contributes nothing either way).
    Tied outcomes are ranked in input order (stable sort); the weights of a tie add up to
    the weight the merged outcome would get. Weights are returned in the input order. The
    weights of gains sum to ``w+(P(gain))`` and those of losses to ``w-(P(loss))``, so in
    general ``sum(pi) != 1``.

    Args:
        outcomes: outcomes relative to the reference point (1-D, finite, non-empty).
        probabilities: their probabilities (same length, ``>= 0``, sum to 1 within 1e-9).
        params: :class:`CPTParams`; ``None`` for the published estimates.

    Returns:
        The decision weights as a float array in the input order.

    Raises:
        InputError: on NaN/inf, a length mismatch, negative probabilities or probabilities
            that do not sum to 1.
    """
    pr = _params(params)
    x, p = _check_prospect(outcomes, probabilities)
    pi = np.zeros_like(x)
    gains = np.flatnonzero(x > 0)
    if gains.size:
        order = gains[np.argsort(-x[gains], kind="stable")]
        pi[order] = _rank_weights(p[order], pr.gamma)
    losses = np.flatnonzero(x < 0)
    if losses.size:
        order = losses[np.argsort(x[losses], kind="stable")]
        pi[order] = _rank_weights(p[order], pr.delta)
    return pi


def cpt_value(outcomes, probabilities, params=None):
    r"""CPT value of a prospect: :math:`V = \sum_i \pi_i\, v(x_i)`.

    Decision weights from :func:`cpt_decision_weights`, values from :func:`value_function`.

    Reference: Tversky & Kahneman (1992), "Advances in prospect theory".

    Args:
        outcomes: outcomes relative to the reference point (1-D, finite, non-empty).
        probabilities: their probabilities (same length, ``>= 0``, sum to 1 within 1e-9).
        params: :class:`CPTParams`; ``None`` for the published estimates.

    Returns:
        ``V`` as a float.

    Raises:
        InputError: as :func:`cpt_decision_weights`.
    """
    pr = _params(params)
    pi = cpt_decision_weights(outcomes, probabilities, pr)
    v = value_function(np.asarray(outcomes, dtype=float), pr)
    return float(np.dot(pi, v))


def certainty_equivalent(outcomes, probabilities, params=None):
    r"""Certainty equivalent: the sure amount whose CPT value equals the prospect's.

    Inverting :math:`v` at :math:`V` = :func:`cpt_value`:

    .. math:: CE = \begin{cases} V^{1/\alpha} & V \ge 0 \\
                                 -(-V/\lambda)^{1/\beta} & V < 0 \end{cases}

    Reference: Tversky & Kahneman (1992), "Advances in prospect theory".

    Args:
        outcomes: outcomes relative to the reference point (1-D, finite, non-empty).
        probabilities: their probabilities (same length, ``>= 0``, sum to 1 within 1e-9).
        params: :class:`CPTParams`; ``None`` for the published estimates.

    Returns:
        The certainty equivalent as a float.

    Raises:
        InputError: as :func:`cpt_decision_weights`.
    """
    pr = _params(params)
    v = cpt_value(outcomes, probabilities, pr)
    if v >= 0:
        return float(v ** (1.0 / pr.alpha))
    return float(-((-v / pr.lam) ** (1.0 / pr.beta)))
