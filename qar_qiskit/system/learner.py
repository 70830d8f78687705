"""Stage 4 of a tick: learn from its outcome. The learner's state and its (de)serialisation.

:class:`Learner` holds everything that outcomes change: the learning memory (multiplicative
weights per regime), the per-expert performance trackers, the synergy matrix, the feedback
history, the risk manager's daily P&L, and the decisions awaiting an outcome (``pending``, each a
:class:`PendingOutcome`) or already settled. :meth:`Learner.to_dict` / :meth:`Learner.from_dict`
are what :mod:`qar_qiskit.system.persistence` stores (it validates the mapping first).

Rewards: expert ``a`` earns ``clip(position_a · r / reward_scale, -1, 1)`` where ``r`` is the
market return over the holding period and ``position_a`` its expected position on the tick's
inputs; the reported decision's outcome ``clip(position · r / reward_scale, -1, 1)`` feeds the
feedback history (docs/model.md).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from qar_qiskit.config import REGIMES, QARConfig
from qar_qiskit.decision.positions import RiskManager
from qar_qiskit.errors import InputError
from qar_qiskit.experts.registry import ExpertSet, check_state_experts
from qar_qiskit.labels import ACTIONS, RISKS, SIZES
from qar_qiskit.learning.feedback import FeedbackRecord
from qar_qiskit.learning.memory import LearningMemory
from qar_qiskit.learning.trackers import PerformanceTracker, SynergyMatrix

__all__ = ["Learner", "PendingOutcome"]


@dataclass(frozen=True)
class PendingOutcome:
    """What learning needs from a decision until its outcome is recorded."""

    regime_probabilities: tuple[float, ...]
    dominant_index: int
    position: float
    expert_positions: dict[str, float]
    bits: tuple[int, int, int]
    day: str

    @classmethod
    def of(cls, decision: Any, day: str) -> PendingOutcome:
        """From a :class:`~qar_qiskit.decision.model.Decision`; ``bits`` = (size_lo, size_hi, risk)
        of ``d = A + 4 S + 16 K``."""
        d = ACTIONS.index(decision.action) + 4 * SIZES.index(decision.size) + 16 * RISKS.index(decision.risk)
        return cls(regime_probabilities=tuple(decision.regime.exact_probabilities[r] for r in REGIMES),
                   dominant_index=REGIMES.index(decision.regime.dominant), position=decision.position,
                   expert_positions=dict(decision.expert_positions),
                   bits=((d >> 2) & 1, (d >> 3) & 1, (d >> 4) & 1), day=day)

    def to_dict(self) -> dict:
        return {"regime_probabilities": list(self.regime_probabilities), "dominant_index": self.dominant_index,
                "position": self.position, "expert_positions": dict(self.expert_positions),
                "bits": list(self.bits), "day": self.day}

    @classmethod
    def from_dict(cls, data: dict) -> PendingOutcome:
        return cls(tuple(data["regime_probabilities"]), data["dominant_index"], data["position"],
                   dict(data["expert_positions"]), tuple(data["bits"]), data["day"])


class Learner:
    """The learning state of a QAR and its update rule.

    Args:
        config: the validated config (learning rate, history sizes, reward scale, risk limits).
        experts: the :class:`~qar_qiskit.experts.ExpertSet` (memory columns, trackers, synergy).
    """

    def __init__(self, config: QARConfig, experts: ExpertSet) -> None:
        lc = config.learning
        self.config = config
        self.experts = experts
        self.memory = LearningMemory(lc.learning_rate, experts.prior())
        self.trackers = {name: PerformanceTracker(lc.tracker_history) for name in experts.names}
        self.synergy = SynergyMatrix(tuple(e.name for e in experts.with_register))
        self.feedback_history: deque[FeedbackRecord] = deque(maxlen=lc.memory_depth)
        self.pending: dict[str, PendingOutcome] = {}
        self.settled: deque[str] = deque(maxlen=lc.history_size)
        self.risk = RiskManager(config.risk_management)

    def expect(self, decision: Any, day: str) -> None:
        """Remember ``decision`` until its outcome comes (the oldest beyond ``history_size`` are dropped)."""
        self.pending[decision.decision_id] = PendingOutcome.of(decision, day)
        while len(self.pending) > self.config.learning.history_size:
            self.pending.pop(next(iter(self.pending)))

    def learn(self, decision_id: str, pnl: float, market_return: float | None) -> dict[str, float]:
        """Apply a pending decision's outcome once; return each expert's reward.

        Raises:
            InputError: unknown or already-settled id, or no position and no market return.
        """
        if decision_id in self.settled:
            raise InputError(f"decision_id {decision_id!r}: outcome already recorded")
        pending = self.pending.get(decision_id)
        if pending is None:
            raise InputError(f"decision_id {decision_id!r}: unknown decision")
        if market_return is None:
            if abs(pending.position) < 1e-12:
                raise InputError(f"decision_id {decision_id!r}: held no position, so market_return is needed "
                                 "to reward the experts")
            market_return = pnl / (pending.position * self.config.risk_management.max_position_size)
        scale = self.config.learning.reward_scale
        names = self.experts.names
        rewards = {name: float(np.clip(pending.expert_positions[name] * market_return / scale, -1, 1))
                   for name in names}
        self.memory.update([rewards[n] for n in names], pending.regime_probabilities)
        for name in names:
            self.trackers[name].add(rewards[name])
        self.synergy.add(rewards)
        outcome = float(np.clip(pending.position * market_return / scale, -1, 1))
        self.feedback_history.append(FeedbackRecord(pending.dominant_index, pending.bits, outcome))
        self.risk.record(pending.day, pnl)
        del self.pending[decision_id]
        self.settled.append(decision_id)
        return rewards

    # -- state --------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The learner's state as JSON-ready values (the keys of the state file's payload)."""
        risk = self.risk.to_dict()
        return {
            "experts": list(self.experts.names),
            "memory": self.memory.to_dict(),
            "synergy": {"co_success": self.synergy.co_success.tolist(), "count": self.synergy.count},
            "trackers": {name: list(t.rewards) for name, t in self.trackers.items()},
            "feedback_history": [[h.regime, list(h.bits), h.outcome] for h in self.feedback_history],
            "pending": {k: p.to_dict() for k, p in self.pending.items()},
            "settled": list(self.settled),
            "risk_daily_pnl": risk["daily_pnl"],
            "risk_last_day": risk["last_day"],
        }

    @classmethod
    def from_dict(cls, config: QARConfig, data: dict, experts: ExpertSet) -> Learner:
        """Inverse of :meth:`to_dict`, for a mapping the state loader validated (feedback records
        as mappings or ``[regime, bits, outcome]`` triples) and for the experts it names.

        Raises:
            StateError: the state's experts (or the shapes of its per-expert parts) are not ``experts``.
            InputError: the memory's weights are not a finite (4, n) array.
        """
        check_state_experts(data, experts)
        learner = cls(config, experts)
        learner.memory = LearningMemory.from_dict(data["memory"])
        learner.synergy.co_success = np.asarray(data["synergy"]["co_success"], dtype=float)
        learner.synergy.count = data["synergy"]["count"]
        for name, rewards in data["trackers"].items():
            learner.trackers[name].rewards.extend(rewards)
        for h in data["feedback_history"]:
            regime, bits, outcome = (h["regime"], h["bits"], h["outcome"]) if isinstance(h, dict) else h
            learner.feedback_history.append(FeedbackRecord(regime, tuple(bits), outcome))
        for k, v in data["pending"].items():
            learner.pending[k] = PendingOutcome.from_dict(v)
        learner.settled.extend(data["settled"])
        learner.risk = RiskManager.from_dict(config.risk_management, {"daily_pnl": data["risk_daily_pnl"],
                                                                      "last_day": data.get("risk_last_day")})
        return learner
