"""The learning memory: multiplicative weights per regime over the experts.

After an outcome, expert ``a`` gets reward ``rho_a`` in [-1, 1] and every regime's weights
move by multiplicative weights, tempered by the probability ``P(r)`` that the tick was in that
regime::

    w[r, a] <- w[r, a] * exp(eta * P(r) * rho_a) / Z_r

This is Hedge (Freund & Schapire 1997) with gains instead of losses, so it inherits Hedge's
regret bound. Written as physics it is normalised imaginary-time evolution of the memory state
``sum_a sqrt(w[r, a]) |a>`` under the Hermitian experience Hamiltonian
``H = -sum_a rho_a |a><a|`` (shifted to trace zero, which changes nothing after normalisation):
``|psi> <- exp(-tau H / 2)|psi> / ||.||`` with ``tau = eta * P(r)``. The circuit loads the new
amplitudes ``sqrt(w)``; nothing non-unitary is ever applied as a gate.

A real-time evolution ``exp(-i H t)`` would only add phases to the memory amplitudes, and
phases alone do not change the measured expert probabilities, so it is not used for learning.
"""

from __future__ import annotations

import numpy as np

from qar_qiskit.errors import InputError
from qar_qiskit.experts.registry import default_experts
from qar_qiskit.labels import EXPERTS

__all__ = ["EXPERTS", "DEFAULT_PRIOR", "LearningMemory"]

#: Prior expert weights per regime (ours, not in the seeds): trust the market-price experts in
#: calm markets, lean on Hedge and abstention in a crisis (seeds: hedge "high_in_crisis").
#: Rows stable, trending, volatile, crisis; columns the built-ins' ``Expert.prior``.
DEFAULT_PRIOR = default_experts().prior()


def _shape(a: np.ndarray) -> bool:
    return a.ndim == 2 and a.shape[0] == 4 and a.shape[1] >= 2


def _array(data: dict, key: str) -> np.ndarray:
    try:
        return np.asarray(data[key], dtype=float)
    except ValueError:  # rows of different lengths
        raise InputError(f"memory.{key}: rows of different lengths") from None


class LearningMemory:
    """Multiplicative-weights memory, one weight vector over the ``n`` experts per regime.

    Args:
        learning_rate: eta.
        prior: (4, n) positive initial weights (regimes x experts), normalised per row
            (default: the built-ins' priors, :data:`DEFAULT_PRIOR`).
    """

    def __init__(self, learning_rate: float = 0.1, prior: np.ndarray | None = None) -> None:
        if not np.isfinite(learning_rate) or learning_rate <= 0:
            raise InputError(f"learning_rate must be a positive number, got {learning_rate}")
        self.learning_rate = float(learning_rate)
        prior = DEFAULT_PRIOR if prior is None else np.asarray(prior, dtype=float)
        self._log_w = np.log(self._check_weights(prior, "prior"))
        n = prior.shape[1]
        self.cumulative_reward = np.zeros((4, n))  # regime-weighted reward per (regime, expert)
        self.learner_reward = np.zeros(4)  # regime-weighted reward of the mixture per regime
        self.updates = 0

    @staticmethod
    def _check_weights(w: np.ndarray, name: str) -> np.ndarray:
        if not _shape(w) or not np.all(np.isfinite(w)) or np.any(w <= 0):
            raise InputError(f"{name}: expected a (4, n >= 2) array of positive finite weights")
        return w / w.sum(axis=1, keepdims=True)

    @property
    def n_experts(self) -> int:
        return self._log_w.shape[1]

    @property
    def weights(self) -> np.ndarray:
        """Row-stochastic (4, n) weights ``w[r, a]``."""
        w = np.exp(self._log_w - self._log_w.max(axis=1, keepdims=True))
        return w / w.sum(axis=1, keepdims=True)

    @property
    def amplitudes(self) -> np.ndarray:
        """Memory amplitudes ``sqrt(w[r, a])`` that the circuit loads."""
        return np.sqrt(self.weights)

    def update(self, rewards, regime_probabilities) -> None:
        """Apply one multiplicative-weights step.

        Args:
            rewards: (n,) rewards per expert in [-1, 1].
            regime_probabilities: (4,) regime probabilities at decision time.
        """
        rho = np.asarray(rewards, dtype=float)
        p = np.asarray(regime_probabilities, dtype=float)
        if rho.shape != (self.n_experts,) or not np.all(np.isfinite(rho)) or np.any(np.abs(rho) > 1 + 1e-12):
            raise InputError(f"rewards: expected {self.n_experts} finite values in [-1, 1]")
        if p.shape != (4,) or not np.all(np.isfinite(p)) or np.any(p < 0) or abs(p.sum() - 1) > 1e-6:
            raise InputError("regime_probabilities: expected 4 probabilities summing to 1")
        w = self.weights
        self.learner_reward += p * (w @ rho)
        self.cumulative_reward += p[:, None] * rho[None, :]
        self._log_w = self._log_w + self.learning_rate * p[:, None] * rho[None, :]
        self._log_w -= self._log_w.max(axis=1, keepdims=True)
        self.updates += 1

    def regret(self) -> np.ndarray:
        """Per-regime regret against the best single expert (regime-weighted rewards)."""
        return self.cumulative_reward.max(axis=1) - self.learner_reward

    # -- persistence ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "learning_rate": self.learning_rate,
            "log_weights": self._log_w.tolist(),
            "cumulative_reward": self.cumulative_reward.tolist(),
            "learner_reward": self.learner_reward.tolist(),
            "updates": self.updates,
        }

    @classmethod
    def from_dict(cls, data: dict) -> LearningMemory:
        log_w = _array(data, "log_weights")
        if not _shape(log_w) or not np.all(np.isfinite(log_w)):
            raise InputError("memory.log_weights: expected a finite (4, n >= 2) array")
        cumulative = _array(data, "cumulative_reward")
        if cumulative.shape != log_w.shape:
            raise InputError(f"memory.cumulative_reward: expected shape {log_w.shape}, got {cumulative.shape}")
        # log-weights are kept as saved: a weight that trails the best by more than ~745 in log
        # space (a long run of consistent outcomes) is 0 as a float but a valid log-weight
        mem = cls(float(data["learning_rate"]))
        mem._log_w = log_w
        mem.cumulative_reward = cumulative
        mem.learner_reward = np.asarray(data["learner_reward"], dtype=float).reshape(4)
        mem.updates = int(data["updates"])
        return mem
