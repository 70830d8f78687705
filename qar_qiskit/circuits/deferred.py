"""Deferred measurement: a dynamic circuit rewritten for backends without ``if_else``.

Principle of deferred measurement (Nielsen & Chuang 2010, §4.4): a measurement of qubit ``q``
into bit ``c`` followed by gates conditioned on ``c`` gives the same outcome statistics as
the same gates *quantum*-controlled by ``q``, with ``q`` measured into ``c`` at the end — as
long as ``q`` is not acted on (other than as a control) after its measurement.

:func:`defer_measurements` applies that rewrite to circuits whose control flow is
``if_test((clbit, value))`` blocks (no ``else``) of unitary gates, each clbit written by one
measurement — the shape of :func:`qar_qiskit.circuits.teleport.teleport_dynamic`. Anything else
is refused with :class:`~qar_qiskit.errors.BackendError` rather than rewritten wrongly.
"""

from __future__ import annotations

from qiskit import QuantumCircuit
from qiskit.circuit import ClassicalRegister, Clbit, Gate

from qar_qiskit.errors import BackendError

__all__ = ["defer_measurements"]


def _condition_bit(op, circuit: QuantumCircuit) -> tuple[Clbit, int]:
    cond = getattr(op, "condition", None)
    if isinstance(cond, tuple) and len(cond) == 2:
        target, value = cond
        if isinstance(target, ClassicalRegister) and target.size == 1:
            target = target[0]
        if isinstance(target, Clbit) and value in (0, 1, True, False):
            return target, int(value)
    raise BackendError(f"deferred measurement: unsupported condition {cond!r} (need (clbit, 0|1))")


def defer_measurements(circuit: QuantumCircuit) -> QuantumCircuit:
    """The circuit with mid-circuit measurements deferred and ``if_test`` blocks made quantum-controlled.

    Args:
        circuit: a circuit with ``measure`` and ``if_test((clbit, value))`` blocks of gates.

    Returns:
        An equivalent static circuit (same registers and parameters): every measured qubit is
        measured into its bit at the end; each conditioned gate ``U`` becomes ``U`` controlled
        on the measured qubit with ``ctrl_state = value``.

    Raises:
        BackendError: the circuit does not have the supported shape (an ``else`` branch, a
            non-gate in a block, a measured qubit acted on again, a bit written twice...).
    """
    out = QuantumCircuit(*circuit.qregs, *circuit.cregs, name=circuit.name, global_phase=circuit.global_phase)
    source: dict[Clbit, object] = {}   # clbit -> the qubit measured into it
    measured: dict[object, Clbit] = {}  # qubit -> its clbit (measured, now only a control)
    for ins in circuit.data:
        op = ins.operation
        if op.name == "measure":
            q, c = ins.qubits[0], ins.clbits[0]
            if q in measured or c in source:
                raise BackendError("deferred measurement: a qubit or bit is measured twice")
            source[c], measured[q] = q, c
            continue
        if op.name == "if_else":
            if len(op.blocks) > 1 and op.blocks[1] is not None and len(op.blocks[1].data):
                raise BackendError("deferred measurement: if_else with an else branch is not supported")
            bit, value = _condition_bit(op, circuit)
            if bit not in source:
                raise BackendError("deferred measurement: condition on a bit no measurement wrote")
            control = source[bit]
            body = op.blocks[0]
            for inner in body.data:
                gate = inner.operation
                if not isinstance(gate, Gate):
                    raise BackendError(f"deferred measurement: {gate.name!r} inside a conditioned block")
                targets = [ins.qubits[body.find_bit(q).index] for q in inner.qubits]
                if any(t in measured for t in targets):
                    raise BackendError("deferred measurement: a conditioned gate acts on a measured qubit")
                out.append(gate.control(1, ctrl_state=value), [control, *targets])
            continue
        if op.name in ("while_loop", "for_loop", "switch_case", "reset"):
            raise BackendError(f"deferred measurement: {op.name!r} is not supported")
        if any(q in measured for q in ins.qubits) and op.name != "barrier":
            raise BackendError(f"deferred measurement: {op.name!r} acts on a qubit after its measurement")
        out.append(op, ins.qubits, ins.clbits)
    for q, c in measured.items():
        out.measure(q, c)
    return out
