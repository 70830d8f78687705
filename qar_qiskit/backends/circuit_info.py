"""What the executors read off a tick circuit: its circuit, parameter order, structural key, values.

A *tick circuit* is a :class:`~qar_qiskit.circuits.composer.TickCircuit` (circuit, parameters in
the caller's order, plan) or a bare :class:`~qiskit.circuit.QuantumCircuit`. These helpers give
the executors one view of both, plus the caller's parameter values as a checked ``(B, P)`` array.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from qiskit.circuit import QuantumCircuit

from qar_qiskit.errors import BackendError, InputError

__all__ = ["circuit_of", "parameters_of", "plan_key_of", "fingerprint", "column_map", "as_value_matrix",
           "is_dynamic", "CONTROL_FLOW_OPS"]


def circuit_of(tick_circuit: Any) -> QuantumCircuit:
    """The QuantumCircuit of a TickCircuit (or the circuit itself)."""
    if isinstance(tick_circuit, QuantumCircuit):
        return tick_circuit
    circuit = getattr(tick_circuit, "circuit", None)
    if not isinstance(circuit, QuantumCircuit):
        raise InputError(f"expected a TickCircuit or QuantumCircuit, got {type(tick_circuit).__name__}")
    return circuit


def parameters_of(tick_circuit: Any) -> tuple:
    """The caller's parameter order: ``TickCircuit.parameters`` or ``circuit.parameters``."""
    params = getattr(tick_circuit, "parameters", None)
    if params is not None and not isinstance(tick_circuit, QuantumCircuit):
        return tuple(params)
    return tuple(circuit_of(tick_circuit).parameters)


def plan_key_of(tick_circuit: Any) -> tuple:
    """The structural key: ``plan.key()`` for a TickCircuit, else a fingerprint of the circuit."""
    plan = getattr(tick_circuit, "plan", None)
    if plan is not None and hasattr(plan, "key"):
        return ("plan", *plan.key())
    return ("circuit", fingerprint(circuit_of(tick_circuit)))


def fingerprint(circuit: QuantumCircuit) -> str:
    """A structural hash (ops, wires, parameter names) of a circuit without a plan."""
    h = hashlib.sha1()
    h.update(f"{circuit.num_qubits}/{[(r.name, r.size) for r in circuit.cregs]}".encode())
    for ins in circuit.data:
        qs = [circuit.find_bit(q).index for q in ins.qubits]
        cs = [circuit.find_bit(c).index for c in ins.clbits]
        h.update(f"{ins.operation.name}{qs}{cs}{[str(p) for p in ins.operation.params]};".encode())
    return h.hexdigest()


def column_map(caller_params: Sequence, isa: QuantumCircuit) -> np.ndarray:
    """Indices into the caller's parameters of each ISA parameter (by name)."""
    index = {p.name: i for i, p in enumerate(caller_params)}
    try:
        return np.array([index[p.name] for p in isa.parameters], dtype=int)
    except KeyError as exc:
        raise BackendError(f"transpiled circuit has parameter {exc.args[0]!r} unknown to the tick circuit") from None


def as_value_matrix(parameter_values: Any, num_parameters: int) -> np.ndarray:
    """``parameter_values`` as a float ``(B, P)`` array (a 1-D row or ``None`` is accepted)."""
    if parameter_values is None:
        if num_parameters:
            raise InputError(f"parameter_values: circuit has {num_parameters} parameters, none given")
        return np.zeros((1, 0))
    values = np.asarray(parameter_values, dtype=float)
    if values.ndim == 1:
        values = values.reshape(1, -1) if values.size or num_parameters == 0 else values.reshape(1, 0)
    if values.ndim != 2:
        raise InputError(f"parameter_values: expected a 2-D (batch, {num_parameters}) array, got shape {values.shape}")
    if values.shape[1] != num_parameters:
        raise InputError(f"parameter_values: expected {num_parameters} columns, got {values.shape[1]}")
    if values.shape[0] == 0:
        raise InputError("parameter_values: empty batch")
    if not np.all(np.isfinite(values)):
        raise InputError("parameter_values: contains NaN or infinity")
    return values


#: Names of Qiskit's control-flow instructions (a circuit holding one is dynamic).
CONTROL_FLOW_OPS = frozenset({"if_else", "while_loop", "for_loop", "switch_case"})


def is_dynamic(circuit: QuantumCircuit) -> bool:
    """Whether ``circuit`` holds a control-flow instruction (``if_else``, loops, ``switch_case``)."""
    return any(ins.operation.name in CONTROL_FLOW_OPS for ins in circuit.data)
