"""Per-expert performance trackers and the synergy matrix (seeds: QuantumLearningOrchestrator)."""

from __future__ import annotations

from collections import deque

import numpy as np

#: The built-ins with a register (the default set's synergy experts).
SYNERGY_EXPERTS: tuple[str, ...] = ("lmsr", "prospect", "hedge")


class PerformanceTracker:
    """Bounded history of one expert's rewards: mean, hit rate, count."""

    def __init__(self, maxlen: int = 200) -> None:
        self.rewards: deque[float] = deque(maxlen=maxlen)

    def add(self, reward: float) -> None:
        self.rewards.append(float(reward))

    def summary(self) -> dict:
        r = np.asarray(self.rewards, dtype=float)
        if r.size == 0:
            return {"count": 0, "mean_reward": 0.0, "hit_rate": 0.0}
        return {"count": int(r.size), "mean_reward": float(r.mean()), "hit_rate": float((r > 0).mean())}


class SynergyMatrix:
    """Co-success of the experts that act (those with a register; for the built-ins 3x3 over
    LMSR, prospect and Hedge).

    ``matrix[i, j]`` is the fraction of recorded outcomes in which experts i and j both earned a
    positive reward (the diagonal is each expert's own hit rate).

    Args:
        names: the experts, in order (default :data:`SYNERGY_EXPERTS`).
    """

    def __init__(self, names: tuple[str, ...] = SYNERGY_EXPERTS) -> None:
        self.names = tuple(names)
        self.co_success = np.zeros((len(self.names), len(self.names)))
        self.count = 0

    def add(self, rewards: dict[str, float]) -> None:
        hit = np.array([rewards[name] > 0 for name in self.names], dtype=float)
        self.co_success += np.outer(hit, hit)
        self.count += 1

    @property
    def matrix(self) -> np.ndarray:
        return self.co_success / self.count if self.count else np.zeros_like(self.co_success)
