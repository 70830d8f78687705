"""Stage 3 of a tick: assemble the decision (a pure function of typed inputs).

:func:`assemble_decision` turns a :class:`~qar_qiskit.system.prepare.PreparedTick`, an
:class:`~qar_qiskit.system.execute.Execution` and the risk view of the moment into a
:class:`~qar_qiskit.decision.model.Decision`; it changes no state.

* The decision ``d = argmax`` of the sampled distribution (the exact one without samples), with
  ``d = A + 4 S + 16 K`` (action, size, risk; docs/model.md).
* Its confidence is ``P(d)`` with the Wilson 95% interval of ``round(P(d) · shots)`` of
  ``shots`` (Wilson 1927); without samples the interval is the exact value.
* ``exact_margin_resolvable``: the exact top-two margin ``p1 - p2`` exceeds 3 standard errors of
  a difference of two multinomial shares, ``se = sqrt((p1 + p2 - (p1 - p2)^2) / shots)``.
* Positions: the position table of the expected hedge ratio, scaled by the risk assessment;
  each expert's expected position on this tick's inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qar_qiskit.backends.counts import margin_resolvable
from qar_qiskit.classical.decision import expert_decision_distributions
from qar_qiskit.classical.stats import wilson_interval
from qar_qiskit.config import REGIMES
from qar_qiskit.decision.model import Decision
from qar_qiskit.decision.positions import RiskAssessment, RiskManager, decision_positions
from qar_qiskit.experts.tick import decision_components
from qar_qiskit.labels import ACTIONS, RISKS, SIZES
from qar_qiskit.system.execute import Execution
from qar_qiskit.system.prepare import PreparedTick

__all__ = ["TickContext", "assemble_decision", "tick_day"]


def tick_day(tick, index: int) -> str:
    """The tick's day (ISO date), or ``tick-<index>`` for a tick without a timestamp."""
    return tick.timestamp.date().isoformat() if tick.timestamp else f"tick-{index}"


@dataclass(frozen=True)
class TickContext:
    """Where the tick stands in the run: its index, the run's base seed and shots, the risk view.

    Attributes:
        index: the tick's index in the run (``decision_id = f"{seed}-{index}"``).
        seed: the run's base seed.
        shots: the run's shots per tick.
        assessment: the risk manager's assessment of this tick (scale and flags).
        risk: the risk manager (read only: its ``orders``).
    """

    index: int
    seed: int
    shots: int
    assessment: RiskAssessment
    risk: RiskManager


def assemble_decision(prepared: PreparedTick, execution: Execution, ctx: TickContext,
                      timing: dict[str, float]) -> Decision:
    """The :class:`Decision` of a prepared and executed tick (pure: reads, never writes)."""
    exact, inputs, out, analysis = prepared.exact, prepared.inputs, prepared.outputs, prepared.analysis
    sampled, readout = execution.sampled, execution.readout
    shots = ctx.shots if sampled is not None else None
    dist = sampled if sampled is not None else exact
    d = int(np.argmax(dist))
    d_exact = int(np.argmax(exact))
    protection = float(out["protection"])
    pos_table = decision_positions(protection) * ctx.assessment.scale
    order_rows = ctx.risk.orders(float(pos_table[d]), ctx.assessment.flags)
    if shots:
        resolvable = margin_resolvable(exact, shots)
        ci = wilson_interval(int(round(dist[d] * shots)), shots)
    else:
        resolvable = True
        ci = (float(exact[d]), float(exact[d]))
    expert_pos = dict(zip(inputs.experts.names,
                          map(float, expert_decision_distributions(inputs, table=prepared.table) @ pos_table)))
    regime_probs = dict(zip(REGIMES, map(float, analysis.probabilities)))
    measured = dict(zip(REGIMES, map(float, readout.regime_probabilities))) if readout else regime_probs
    components = decision_components(inputs, out, readout)
    a, s, k = d % 4, (d // 4) % 4, d // 16
    ea, es, ek = d_exact % 4, (d_exact // 4) % 4, d_exact // 16
    return Decision(
        decision_id=f"{ctx.seed}-{ctx.index}",
        tick_index=ctx.index,
        action=ACTIONS[a], size=SIZES[s], risk=RISKS[k],
        position=float(pos_table[d]),
        confidence=float(dist[d]),
        confidence_interval=(float(ci[0]), float(ci[1])),
        shots=shots,
        hedge_strategy="protective" if ACTIONS[a] == "hedge" else "none",
        protection_level=protection if ACTIONS[a] == "hedge" else 0.0,
        regime={"probabilities": measured, "exact_probabilities": regime_probs,
                "dominant": analysis.dominant, "uncertainty": float(analysis.uncertainty),
                "invalid_code_rate": float(readout.invalid_regime_rate) if readout else 0.0},
        components=components,
        distribution={"sampled": sampled.tolist() if sampled is not None else None, "exact": exact.tolist()},
        exact_action=ACTIONS[ea], exact_size=SIZES[es], exact_risk=RISKS[ek],
        exact_position=float(pos_table[d_exact]),
        exact_margin_resolvable=resolvable,
        postselect_rejected_rate=readout.postselect_rejected_rate if readout else None,
        expert_positions=expert_pos,
        orders=order_rows,
        risk_flags=list(ctx.assessment.flags),
        backend=execution.backend,
        fallback_reason=execution.fallback_reason,
        circuit=execution.circuit,
        timing=dict(timing),
    )
