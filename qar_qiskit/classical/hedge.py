"""Freund & Schapire's Hedge algorithm (exponential weights over experts), in log space.

After each round ``t`` with loss vector ``l_t`` in ``[0, 1]^N`` the weights are updated as
``w_{t+1, i} ∝ w_{t, i} exp(-eta l_{t, i})``. With ``eta = sqrt(8 ln N / T)`` the expected
regret against the best expert is at most ``sqrt(T ln N / 2)``.

References: Y. Freund & R. E. Schapire (1997), "A decision-theoretic generalization of
on-line learning and an application to boosting", J. Computer and System Sciences
55(1):119-139; the bound in the form ``ln N / eta + eta T / 8`` (Hoeffding's lemma) is
Theorem 2.2 of N. Cesa-Bianchi & G. Lugosi (2006), "Prediction, Learning, and Games".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from qar_qiskit.errors import InputError
from qar_qiskit.validation import as_float, as_float_array, as_int

__all__ = [
    "HedgeResult",
    "hedge_weights",
    "optimal_eta",
    "regret_bound",
    "hedge_ratios",
    "hedge_ratio_losses",
]

_MAX_QUBITS = 20


@dataclass(frozen=True)
class HedgeResult:
    """Outcome of running Hedge over a loss sequence.

    Attributes:
        weights: ``(T, N)`` array; row ``t`` holds the normalised weights after the update
            with the losses of round ``t`` (i.e. the weights used in round ``t + 1``).
        initial_weights: ``(N,)`` normalised weights used in the first round.
        cumulative_losses: ``(N,)`` total loss of each expert.
        learner_loss: Hedge's cumulative expected loss ``sum_t <w_t, l_t>`` (weights from
            before round ``t``).
        best_expert_loss: ``min_i`` cumulative loss of expert ``i``.
        regret: ``learner_loss - best_expert_loss``.
    """

    weights: np.ndarray
    initial_weights: np.ndarray
    cumulative_losses: np.ndarray
    learner_loss: float
    best_expert_loss: float
    regret: float

    @property
    def final_weights(self) -> np.ndarray:
        """The weights after the last round (the initial weights when ``T = 0``)."""
        return self.weights[-1] if self.weights.shape[0] else self.initial_weights


def _readonly(a):
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


def hedge_weights(losses, eta, initial=None):
    r"""Run Hedge (Freund & Schapire 1997) over a ``T x N`` loss matrix.

    .. math::
        w_{t+1,i} = \frac{w_{t,i}\, e^{-\eta \ell_{t,i}}}{\sum_j w_{t,j}\, e^{-\eta \ell_{t,j}}},
        \qquad
        L_{\mathrm{Hedge}} = \sum_t \langle w_t, \ell_t \rangle,
        \qquad
        \mathrm{regret} = L_{\mathrm{Hedge}} - \min_i \sum_t \ell_{t,i}

    computed in log space (``log w_{t+1} = log w_1 - eta * cumulative loss``, normalised
    with log-sum-exp), so large ``eta * T`` cannot underflow every weight. With
    ``eta = optimal_eta(T, N)`` the regret is at most :func:`regret_bound` ``(T, N)``.

    Reference: Freund & Schapire (1997), "A decision-theoretic generalization of on-line
    learning and an application to boosting", J. Comput. Syst. Sci. 55:119-139.

    Args:
        losses: ``(T, N)`` array-like of losses in ``[0, 1]`` (``T`` may be 0; ``N >= 1``).
        eta: learning rate, ``>= 0``.
        initial: optional ``(N,)`` non-negative prior weights (not all zero); uniform if
            ``None``. They are normalised.

    Returns:
        A :class:`HedgeResult`.

    Raises:
        InputError: if ``losses`` is not a finite 2-D array in ``[0, 1]``, ``eta < 0``, or
            ``initial`` is invalid.
    """
    loss = as_float_array("losses", losses, ndim=2)
    t_rounds, n = loss.shape
    if n < 1:
        raise InputError("losses: needs at least one expert (column)")
    if loss.size and (loss.min() < 0.0 or loss.max() > 1.0):
        raise InputError("losses: values must lie in [0, 1]")
    eta = as_float("eta", eta, nonneg=True)
    if initial is None:
        log_w0 = np.full(n, -math.log(n))
    else:
        w0 = as_float_array("initial", initial, ndim=1, nonneg=True)
        if w0.shape != (n,):
            raise InputError(f"initial: expected {n} weights, got shape {w0.shape}")
        if not w0.sum() > 0:
            raise InputError("initial: weights must not all be zero")
        with np.errstate(divide="ignore"):
            log_w0 = np.log(w0 / w0.sum())

    cum = np.cumsum(loss, axis=0)  # (T, N) cumulative losses after each round
    # shift by the leader's loss first so eta * T being large costs no precision in the log
    lead = cum.min(axis=1, keepdims=True) if t_rounds else np.zeros((0, 1))
    log_unnorm = log_w0[None, :] - eta * (cum - lead)
    log_w = log_unnorm - logsumexp(log_unnorm, axis=1, keepdims=True)
    weights = np.exp(log_w)
    weights /= weights.sum(axis=1, keepdims=True) if t_rounds else 1.0
    w0 = np.exp(log_w0)
    before = np.vstack([w0[None, :], weights[:-1]]) if t_rounds else np.zeros((0, n))
    learner = float(np.sum(before * loss))
    totals = cum[-1] if t_rounds else np.zeros(n)
    best = float(totals.min())
    return HedgeResult(
        weights=_readonly(weights),
        initial_weights=_readonly(w0),
        cumulative_losses=_readonly(totals),
        learner_loss=learner,
        best_expert_loss=best,
        regret=learner - best,
    )


def optimal_eta(T, N):
    r"""Learning rate :math:`\eta^* = \sqrt{8 \ln N / T}` that minimises the Hedge bound.

    It minimises :math:`\ln N / \eta + \eta T / 8`, giving regret
    :math:`\le \sqrt{T \ln N / 2}` (Freund & Schapire 1997; Cesa-Bianchi & Lugosi 2006,
    Thm. 2.2).

    Args:
        T: number of rounds, integer ``>= 1``.
        N: number of experts, integer ``>= 1`` (``N = 1`` gives 0).

    Returns:
        ``eta*`` as a float.

    Raises:
        InputError: if ``T < 1`` or ``N < 1``.
    """
    t = as_int("T", T, minimum=1)
    n = as_int("N", N, minimum=1)
    return float(math.sqrt(8.0 * math.log(n) / t))


def regret_bound(T, N):
    r"""Regret bound of Hedge at :func:`optimal_eta`: :math:`\sqrt{T \ln N / 2}`.

    Holds for every loss sequence in ``[0, 1]`` (Freund & Schapire 1997; Cesa-Bianchi &
    Lugosi 2006, Thm. 2.2).

    Args:
        T: number of rounds, integer ``>= 0``.
        N: number of experts, integer ``>= 1``.

    Returns:
        The bound as a float.

    Raises:
        InputError: if ``T < 0`` or ``N < 1``.
    """
    t = as_int("T", T, minimum=0)
    n = as_int("N", N, minimum=1)
    return float(math.sqrt(t * math.log(n) / 2.0))


def hedge_ratios(n_qubits):
    r"""The ``2**n`` hedge ratios :math:`h_k = k / (2^n - 1)`, from 0 (unhedged) to 1.

    Args:
        n_qubits: register size, integer in ``[1, 20]``.

    Returns:
        A float array of length ``2**n_qubits``.

    Raises:
        InputError: if ``n_qubits`` is out of range.
    """
    n_qubits = as_int("n_qubits", n_qubits, minimum=1, maximum=_MAX_QUBITS)
    m = 2**n_qubits
    return np.arange(m, dtype=float) / (m - 1)


def hedge_ratio_losses(returns, n_qubits, r_scale):
    r"""Loss of each hedge-ratio expert on each past return, for :func:`hedge_weights`.

    .. math:: \ell_t(h_k) = \frac{1 - \mathrm{clip}\big((1 - h_k)\, r_t / r_{\mathrm{scale}},
              -1, 1\big)}{2} \in [0, 1], \qquad h_k = \frac{k}{2^n - 1}

    A fully hedged position (``h = 1``) always loses 1/2; an unhedged long position loses
    less than 1/2 on up days and more on down days.

    Reference: the experts are then weighted with Hedge, Freund & Schapire (1997).

    Args:
        returns: past returns, oldest first (1-D, finite; may be empty).
        n_qubits: register size, integer in ``[1, 20]``.
        r_scale: return that maps to the extreme loss 0 or 1, ``> 0``.

    Returns:
        A ``(T, 2**n_qubits)`` float array.

    Raises:
        InputError: on non-finite returns or parameters out of range.
    """
    r = as_float_array("returns", returns, ndim=1)
    h = hedge_ratios(n_qubits)
    r_scale = as_float("r_scale", r_scale, positive=True)
    pnl = np.clip((1.0 - h)[None, :] * r[:, None] / r_scale, -1.0, 1.0)
    return (1.0 - pnl) / 2.0
