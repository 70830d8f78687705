"""Hanson's logarithmic market scoring rule (LMSR), computed in log space.

The market maker of an LMSR market over ``n`` outcomes with outstanding quantities ``q``
and liquidity ``b`` charges the cost function ``C(q) = b ln sum_i exp(q_i / b)``; the
instantaneous prices are ``p_i = dC/dq_i = softmax(q / b)_i``, and the market maker's loss
is bounded by ``b ln n``.

Reference: R. Hanson (2003), "Combinatorial information market design",
Information Systems Frontiers 5(1):107-119.

Everything here is stable for ``q / b`` in the thousands (log-sum-exp with max subtraction)
and the trade cost avoids the catastrophic cancellation of ``C(q + delta) - C(q)``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import log_softmax, logsumexp, softmax

from qar_qiskit.errors import InputError
from qar_qiskit.validation import as_float, as_float_array, as_int

__all__ = [
    "lmsr_prices",
    "lmsr_cost",
    "lmsr_trade_cost",
    "lmsr_worst_case_loss",
    "bin_centers",
    "recency_quantities",
]

# Largest register this twin accepts (2**20 bins); the circuits use at most 12 qubits.
_MAX_QUBITS = 20


def _q_and_b(q, b):
    q = as_float_array("q", q, ndim=1, allow_empty=False)
    b = as_float("b", b, positive=True)
    return q, b


def lmsr_prices(q, b):
    r"""LMSR prices (the market's probability estimate) for quantities ``q``.

    .. math:: p_i(q) = \frac{\partial C}{\partial q_i}
              = \frac{e^{q_i/b}}{\sum_j e^{q_j/b}} = \mathrm{softmax}(q/b)_i

    computed with max subtraction, so ``q / b`` in the thousands does not overflow. The
    prices are positive, sum to 1 and are unchanged by ``q -> q + c``.

    Reference: Hanson (2003), "Combinatorial information market design".

    Args:
        q: outstanding quantity per outcome (1-D, finite, non-empty).
        b: liquidity parameter, ``> 0``.

    Returns:
        The price vector, a float array of the same length as ``q``.

    Raises:
        InputError: if ``q`` is not a finite non-empty 1-D array or ``b <= 0``.
    """
    q, b = _q_and_b(q, b)
    return softmax(q / b)


def lmsr_cost(q, b):
    r"""LMSR cost function :math:`C(q) = b \ln \sum_i e^{q_i / b}` (log-sum-exp, stable).

    Reference: Hanson (2003), "Combinatorial information market design".

    Args:
        q: outstanding quantity per outcome (1-D, finite, non-empty).
        b: liquidity parameter, ``> 0``.

    Returns:
        ``C(q)`` as a float.

    Raises:
        InputError: if ``q`` is not a finite non-empty 1-D array or ``b <= 0``.
    """
    q, b = _q_and_b(q, b)
    return float(b * logsumexp(q / b))


def lmsr_trade_cost(q, delta, b):
    r"""Cost :math:`C(q + \Delta) - C(q)` of buying the bundle ``delta`` at state ``q``.

    Computed without subtracting two large costs:

    .. math:: C(q+\Delta) - C(q) = b \ln \sum_i p_i(q)\, e^{\Delta_i / b}

    For small trades (:math:`\max_i |\Delta_i| / b \le 1`) it is evaluated as
    :math:`b\,\mathrm{log1p}(\sum_i p_i\,\mathrm{expm1}(\Delta_i/b))`, which keeps full
    relative precision for tiny trades; otherwise as
    :math:`b\,\mathrm{logsumexp}(\ln p_i + \Delta_i/b)` with :math:`\ln p` the log-softmax.

    Reference: Hanson (2003), "Combinatorial information market design".

    Args:
        q: outstanding quantity per outcome before the trade (1-D, finite, non-empty).
        delta: quantity bought per outcome (negative = sold), same shape as ``q``.
        b: liquidity parameter, ``> 0``.

    Returns:
        The amount the trader pays (negative when the trader is paid), as a float.

    Raises:
        InputError: on non-finite inputs, a shape mismatch or ``b <= 0``.
    """
    q, b = _q_and_b(q, b)
    delta = as_float_array("delta", delta, ndim=1)
    if delta.shape != q.shape:
        raise InputError(f"delta: shape {delta.shape} does not match q shape {q.shape}")
    d = delta / b
    if np.max(np.abs(d)) <= 1.0:
        p = softmax(q / b)
        return float(b * math.log1p(float(np.dot(p, np.expm1(d)))))
    return float(b * logsumexp(log_softmax(q / b) + d))


def lmsr_worst_case_loss(n, b):
    r"""Worst-case loss of the LMSR market maker over ``n`` outcomes: :math:`b \ln n`.

    Starting from uniform quantities, the market maker's loss when outcome ``i`` happens is
    :math:`q_i - (C(q) - C(0)) \le b \ln n`, with equality in the limit where all trading
    went into the winning outcome.

    Reference: Hanson (2003), "Combinatorial information market design".

    Args:
        n: number of outcomes, integer ``>= 1``.
        b: liquidity parameter, ``> 0``.

    Returns:
        ``b * ln(n)`` as a float.

    Raises:
        InputError: if ``n < 1`` or ``b <= 0``.
    """
    n = as_int("n", n, minimum=1)
    b = as_float("b", b, positive=True)
    return float(b * math.log(n))


def bin_centers(n_qubits, return_range):
    r"""Centres of the ``2**n_qubits`` equal return bins covering ``[-R, R]``.

    .. math:: x_i = -R + (i + \tfrac12)\,\frac{2R}{2^n}, \quad i = 0, \dots, 2^n - 1

    Bin ``i`` is the half-open interval ``[-R + i w, -R + (i + 1) w)`` with
    ``w = 2R / 2**n``; the upper half of the bins (top qubit 1) has ``x_i > 0``.

    Args:
        n_qubits: register size, integer in ``[1, 20]``.
        return_range: ``R > 0``, the half-width of the return interval.

    Returns:
        A float array of length ``2**n_qubits``, increasing.

    Raises:
        InputError: if ``n_qubits`` is out of range or ``return_range <= 0``.
    """
    n_qubits = as_int("n_qubits", n_qubits, minimum=1, maximum=_MAX_QUBITS)
    r = as_float("return_range", return_range, positive=True)
    n = 2**n_qubits
    width = 2.0 * r / n
    return -r + (np.arange(n) + 0.5) * width


def recency_quantities(returns, n_qubits, return_range, decay, scale=1.0):
    r"""Recency-weighted LMSR quantities: one "trade" per past return in its bin.

    .. math:: q_i = s \sum_{t=0}^{T-1} \lambda^{T-1-t}\,
              \mathbf 1[\mathrm{clip}(r_t, -R, R) \in \mathrm{bin}_i]

    with :math:`\lambda` = ``decay`` and :math:`s` = ``scale``; the most recent return
    (``t = T - 1``) has age 0 and weight ``scale``. Bins are those of :func:`bin_centers`
    (half-open, lower edge included; a return equal to ``+R`` goes into the top bin).
    Returns outside ``[-R, R]`` are clipped into the end bins. An empty history gives zeros.

    A return of exactly 0 (an unchanged close) carries no direction: 0 is the edge between
    the two central bins ``2**n / 2 - 1`` (centre ``-w/2``) and ``2**n / 2`` (centre
    ``+w/2``), so its weight is split equally between them,

    .. math:: q_{N/2-1} \mathrel{+}= \tfrac12 s\lambda^{T-1-t}, \quad
              q_{N/2} \mathrel{+}= \tfrac12 s\lambda^{T-1-t} \quad (r_t = 0,\ N = 2^n).

    Every other return lies in one bin. The quantities are thus mirror-symmetric:
    ``recency_quantities(-r)`` is ``recency_quantities(r)`` reversed (for returns off the
    other bin edges), so a flat or symmetric history prices ``p_up = 1/2``.

    These are the quantities of Hanson's (2003) LMSR, whose prices
    ``softmax(q / b)`` are then the market's return distribution.

    Args:
        returns: past returns, oldest first (1-D, finite; may be empty).
        n_qubits: register size, integer in ``[1, 20]``.
        return_range: ``R > 0``.
        decay: recency weight per step, in ``(0, 1]``.
        scale: quantity bought per observed return, ``>= 0``.

    Returns:
        A float array of length ``2**n_qubits``.

    Raises:
        InputError: on non-finite returns or parameters out of range.
    """
    r = as_float_array("returns", returns, ndim=1)
    n_qubits = as_int("n_qubits", n_qubits, minimum=1, maximum=_MAX_QUBITS)
    big_r = as_float("return_range", return_range, positive=True)
    decay = as_float("decay", decay, positive=True, hi=1.0)
    scale = as_float("scale", scale, nonneg=True)
    n = 2**n_qubits
    q = np.zeros(n)
    if r.size == 0:
        return q
    width = 2.0 * big_r / n
    clipped = np.clip(r, -big_r, big_r)
    idx = np.clip(np.floor((clipped + big_r) / width).astype(np.int64), 0, n - 1)
    ages = np.arange(r.size - 1, -1, -1, dtype=float)
    weights = scale * np.power(decay, ages)
    zero = clipped == 0.0
    np.add.at(q, idx[~zero], weights[~zero])
    half = 0.5 * float(weights[zero].sum())
    q[n // 2 - 1] += half
    q[n // 2] += half
    return q
