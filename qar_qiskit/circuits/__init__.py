"""Parameterized circuit fragments of one tick and their composition (docs/model.md).

Encoding (Möttönen et al. 2004 uniformly controlled rotations), the fragments (market,
memory, LMSR, prospect, Hedge, decision, feedback, buffer patterns), the composer that lays
them out on one shared register, the per-tick inputs, and the counts reader. Names are
loaded lazily so that importing the package does not import Qiskit until needed.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "ucry": "encoding",
    "append_ucry": "encoding",
    "amplitude_prep": "encoding",
    "amplitude_angles": "encoding",
    "controlled_amplitude_prep": "encoding",
    "controlled_amplitude_angles": "encoding",
    "market_circuit": "market",
    "market_parameter_values": "market",
    "memory_circuit": "memory",
    "memory_parameter_values": "memory",
    "lmsr_circuit": "lmsr",
    "lmsr_parameter_values": "lmsr",
    "prospect_circuit": "prospect",
    "prospect_parameter_values": "prospect",
    "hedge_circuit": "hedge",
    "hedge_parameter_values": "hedge",
    "decision_circuit": "decision",
    "decision_parameter_values": "decision",
    "feedback_circuit": "feedback",
    "feedback_parameter_values": "feedback",
    "pattern_circuit": "patterns",
    "TickInputs": "inputs",
    "TickCircuit": "composer",
    "compose_tick_circuit": "composer",
    "Readout": "reader",
    "read_counts": "reader",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'qar_qiskit.circuits' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"qar_qiskit.circuits.{module}"), name)
    globals()[name] = value
    return value
