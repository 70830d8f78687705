"""One tick's inputs for an expert set: every expert's data, then the size/risk and feedback angles.

``beta[a, j]`` comes from each expert's :meth:`~qar_qiskit.experts.Expert.size_risk` at its
exact read probability, ``delta[r, j]`` from the regime feedback history
(:func:`qar_qiskit.learning.feedback.feedback_angles`), docs/model.md.
"""

from __future__ import annotations

import numpy as np

from qar_qiskit.circuits.inputs import TickInputs
from qar_qiskit.classical.decision import expert_outputs
from qar_qiskit.learning.feedback import feedback_angles

__all__ = ["build_tick_inputs", "decision_components"]


def build_tick_inputs(experts, plan, returns: np.ndarray, config, *, regime_probabilities, regime_phases,
                      memory_weights, feedback_history) -> tuple[TickInputs, dict]:
    """The tick's :class:`TickInputs` and the experts' outputs (:func:`expert_outputs`).

    Args:
        experts: the :class:`~qar_qiskit.experts.ExpertSet` (the plan's experts, in order).
        plan: the allocation plan (each expert's register size).
        returns: daily log returns up to this tick, oldest first.
        config: the :class:`~qar_qiskit.config.QARConfig` (built-ins read their sections).
        regime_probabilities: ``P(r)``, shape (4,).
        regime_phases: ``phi_r``, shape (4,).
        memory_weights: ``w[r, a]``, shape (4, n).
        feedback_history: settled ``FeedbackRecord`` s, oldest first.
    """
    widths = plan.expert_sizes()
    data = {e.name: e.inputs(returns, widths[e.name], config) for e in experts.with_register}
    fields: dict = {"expert_data": {}}
    for e in experts.with_register:
        for key, value in e.fields(data[e.name]).items():
            if key == "expert_data":
                fields["expert_data"].update(value)
            else:
                fields[key] = value
    base = TickInputs(
        regime_probabilities=np.asarray(regime_probabilities, dtype=float),
        regime_phases=regime_phases,
        memory_weights=memory_weights,
        size_risk_angles=np.zeros((experts.n, 3)),
        feedback_angles=np.zeros((4, 3)),
        experts=experts,
        **fields,
    )
    out = expert_outputs(base)  # depends on the distributions only, not on the angles
    # size/risk from the data as the experts made them (TickInputs holds them renormalised,
    # which can move the last bit; the decisions before the expert contract used these)
    beta = experts.size_risk_angles(data, out["p_read"], config.learning.edge_gain)
    delta = feedback_angles(list(feedback_history), config, beta, memory_weights)
    return base.with_angles(beta, delta), out


def decision_components(inputs: TickInputs, outputs: dict, readout=None) -> dict:
    """A decision's ``components``: each expert's :meth:`~qar_qiskit.experts.Expert.report`
    (exact from ``outputs``, :func:`expert_outputs`; measured from ``readout``, a
    :class:`~qar_qiskit.circuits.reader.Readout`, if there is one), the memory weights and the
    feedback angles."""
    out = {e.name: e.report(e.data(inputs), readout.experts[e.name] if readout else None,
                            outputs["experts"][e.name]) for e in inputs.experts.with_register}
    out["memory"] = {"weights": inputs.memory_weights.tolist()}
    out["feedback_angles"] = inputs.feedback_angles.tolist()
    return out
