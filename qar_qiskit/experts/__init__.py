"""Experts as plug-ins: the :class:`Expert` contract, the built-ins and the expert set.

A strategy developer adds an expert by subclassing :class:`Expert` (README, "Writing your own
expert") and passing an instance to ``QAR(experts=[...])``; the config's ``experts:`` list
names the set (default: the four built-ins ``lmsr, prospect, hedge, abstain``).
"""

from __future__ import annotations

from qar_qiskit.experts.base import SIDES, Expert, bit_marginal
from qar_qiskit.experts.builtin import BUILTINS, AbstainExpert, HedgeExpert, LMSRExpert, ProspectExpert
from qar_qiskit.experts.registry import (
    ExpertSet,
    check_state_experts,
    default_experts,
    get_expert,
    register_expert,
    resolve_experts,
)

__all__ = [
    "Expert", "SIDES", "bit_marginal",
    "LMSRExpert", "ProspectExpert", "HedgeExpert", "AbstainExpert", "BUILTINS",
    "ExpertSet", "register_expert", "get_expert", "resolve_experts", "default_experts",
    "check_state_experts",
]
