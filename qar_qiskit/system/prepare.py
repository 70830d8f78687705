"""Stage 1 of a tick: prepare (analysis, plan, inputs, exact twin).

One function, :meth:`TickPreparer.prepare`, used both by :meth:`QAR.decide` (which then
executes the tick) and by :meth:`QAR.prepare_tick` (which hands the circuit to ``qar submit``):

* regime analysis of the tick (the classical twin of the market register);
* the allocation plan for the dominant regime;
* every fragment's numbers (:class:`~qar_qiskit.circuits.inputs.TickInputs`) from the returns
  history, the learning memory and the feedback history;
* the experts' scalar outputs, the decision table ``P_a(d | r)`` and the exact decision
  distribution ``P(d) = sum_r P(r) sum_a w[r, a] P_a(d | r)`` (docs/model.md).

The result is a frozen :class:`PreparedTick`. Nothing here changes any state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qar_qiskit.circuits.inputs import TickInputs
from qar_qiskit.classical.decision import decision_distribution, decision_table
from qar_qiskit.classical.regime import RegimeAnalysis, regime_analysis
from qar_qiskit.config import REGIMES, QARConfig
from qar_qiskit.experts.registry import ExpertSet
from qar_qiskit.experts.tick import build_tick_inputs
from qar_qiskit.learning.feedback import FeedbackRecord
from qar_qiskit.plan.allocation import AllocationPlan
from qar_qiskit.plan.planner import plan_for_regime
from qar_qiskit.tick import MarketTick

__all__ = ["PreparedTick", "TickPreparer", "regime_phases"]


@dataclass(frozen=True, eq=False)
class PreparedTick:
    """Everything known about a tick before any circuit runs.

    Attributes:
        tick: the market tick.
        analysis: its regime analysis (probabilities, dominant regime, uncertainty).
        plan: the allocation plan of the dominant regime.
        inputs: every fragment's numbers.
        outputs: the experts' outputs (:func:`~qar_qiskit.classical.decision.expert_outputs`:
            per expert, and the tick's ``protection``).
        table: the decision table ``P_a(d | r)``, shape (4, n experts, 32).
        exact: the exact decision distribution, shape (32,).
    """

    tick: MarketTick
    analysis: RegimeAnalysis
    plan: AllocationPlan
    inputs: TickInputs
    outputs: dict
    table: np.ndarray
    exact: np.ndarray

    def tick_circuit(self):
        """The plan's composed tick circuit (cached per plan by the composer)."""
        from qar_qiskit.circuits.composer import compose_tick_circuit

        return compose_tick_circuit(self.plan)

    def context(self) -> dict[str, Any]:
        """What a result read later (another process) needs to become a decision and be compared
        with the twin: the regime, its probabilities, the exact distribution and the tick."""
        return {"source": "market-tick", "regime": self.analysis.dominant,
                "regime_probabilities": dict(zip(REGIMES, map(float, self.analysis.probabilities))),
                "exact_decision_distribution": self.exact.tolist(),
                "tick": self.tick.model_dump(mode="json")}


def regime_phases(feedback: Sequence[FeedbackRecord]) -> np.ndarray:
    """``phi_r = pi/2 · mean(sign(outcome))`` over the feedback records of regime ``r`` (0 when none).

    The phases are visible in the statevector but do not change any measured probability of
    the tick circuit.
    """
    phases = np.zeros(4)
    for r in range(4):
        outs = [np.sign(h.outcome) for h in feedback if h.regime == r]
        if outs:
            phases[r] = np.pi / 2 * float(np.mean(outs))
    return phases


class TickPreparer:
    """Prepares ticks for one config and one expert set.

    Args:
        config: the validated config.
        experts: the :class:`~qar_qiskit.experts.ExpertSet` (the QAR resolves it from its
            ``experts`` argument or the config's ``experts``).
    """

    def __init__(self, config: QARConfig, experts: ExpertSet) -> None:
        self.config = config
        self.experts = experts

    def analyse(self, tick: MarketTick) -> RegimeAnalysis:
        """Regime analysis of a tick (the classical twin of the market register)."""
        return regime_analysis(tick.volatility, tick.trend_clarity, tick.volume_normalized,
                               self.config.market_regimes.ranges())

    def plan(self, regime: str) -> AllocationPlan:
        return plan_for_regime(self.config, regime, self.experts)

    def inputs(self, plan: AllocationPlan, analysis: RegimeAnalysis, returns: np.ndarray,
               memory_weights: np.ndarray, feedback: Sequence[FeedbackRecord]) -> tuple[TickInputs, dict]:
        """Every fragment's numbers and the experts' outputs (computed once per tick).

        Each expert makes its data from the returns (the built-ins: LMSR prices
        ``p_i = exp(q_i/b) / sum_j exp(q_j/b)`` of recency-weighted return counts, Hanson 2003; the
        prospect lottery on the same bins, Tversky & Kahneman 1992; Hedge weights over the hedge
        ratios, Freund & Schapire 1997), then the size/risk angles from the outputs and the
        feedback angles from the history (:func:`~qar_qiskit.experts.tick.build_tick_inputs`).
        """
        feedback = list(feedback)
        return build_tick_inputs(self.experts, plan, returns, self.config,
                                 regime_probabilities=analysis.probabilities, regime_phases=regime_phases(feedback),
                                 memory_weights=memory_weights, feedback_history=feedback)

    def prepare(self, tick: MarketTick, returns: np.ndarray, memory_weights: np.ndarray,
                feedback: Sequence[FeedbackRecord]) -> PreparedTick:
        """Analysis, plan, inputs and the exact twin of one tick."""
        analysis = self.analyse(tick)
        plan = self.plan(analysis.dominant)
        inputs, outputs = self.inputs(plan, analysis, returns, memory_weights, feedback)
        table = decision_table(inputs, outputs)
        exact = decision_distribution(inputs, table=table)
        return PreparedTick(tick, analysis, plan, inputs, outputs, table, exact)
