"""Regime feedback (seeds: Stable/Trending/Volatile/CrisisMarketQuantumFeedback), honest version.

The seeds multiply "success amplifier" matrices and then normalise the product to make it look
unitary. Here a feedback is, by construction, a set of RY rotations of the decision register's
size and risk qubits, one angle ``delta[r, j]`` per regime ``r`` and bit ``j`` (realised in the
circuit with single regime-qubit controls, see ``docs/model.md``). The angles come from the
regime's recent decisions:

    delta[r, j] = s * sum_i amp_r * c_r**age_i * sign(outcome_i) * (2 bit_ij - 1)
                  - bias_rj * beta_bar[r, j]

with ``s = interference_strength * pi / 16``, ``c_r`` the regime's coherence_preservation (the
per-step decay), ``amp_r`` its pattern_amplification, the sum over its last ``feedback_memory``
decisions, and the defensive term pulling the regime-weighted mean expert angle
``beta_bar[r, j] = sum_a w[r, a] beta[a, j]`` toward zero by ``defensive_bias`` (size bits) or
``risk_suppression`` (risk bit). Successes rotate toward the size/risk bits they used, failures
away from them. Angles are clipped to [-pi/2, pi/2].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qar_qiskit.config import REGIMES, QARConfig


@dataclass(frozen=True)
class FeedbackRecord:
    """What the feedback needs to remember of one decided-and-settled tick."""

    regime: int  # dominant regime index at decision time
    bits: tuple[int, int, int]  # (size_lo, size_hi, risk) of the reported decision
    outcome: float  # realised reward of the reported decision (sign matters)


def feedback_angles(
    history: list[FeedbackRecord], config: QARConfig, beta: np.ndarray, memory_weights: np.ndarray
) -> np.ndarray:
    """Feedback angles ``delta`` (4 regimes x 3 bits) from the settled decision history.

    Args:
        history: settled decisions, oldest first.
        config: supplies each regime's memory, decay, amplification and defensive bias.
        beta: (4 experts x 3 bits) size/risk angles of this tick.
        memory_weights: (4 regimes x 4 experts) learning-memory weights of this tick.
    """
    step = config.learning.interference_strength * np.pi / 16
    beta_bar = np.asarray(memory_weights) @ np.asarray(beta)  # (4 regimes, 3 bits)
    delta = np.zeros((4, 3))
    for r, name in enumerate(REGIMES):
        rc = config.market_regimes.get(name)
        recent = [h for h in history if h.regime == r][-rc.feedback_memory:]
        n = len(recent)
        for i, h in enumerate(recent):
            decay = rc.coherence_preservation ** (n - 1 - i)
            direction = 2 * np.asarray(h.bits, dtype=float) - 1
            delta[r] += step * rc.pattern_amplification * decay * np.sign(h.outcome) * direction
        delta[r, :2] -= rc.defensive_bias * beta_bar[r, :2]
        delta[r, 2] -= rc.risk_suppression * beta_bar[r, 2]
    return np.clip(delta, -np.pi / 2, np.pi / 2)
