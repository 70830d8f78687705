"""Split a fragment where its read-out qubits are set: the *head* that sets them, the *tail* after.

The decision register reads one summary qubit of each expert (LMSR top qubit, prospect
ancilla, Hedge top qubit) and the regime qubits (m1, m2). If the rest of a fragment uses
those qubits only as controls (or through gates diagonal in the computational basis), the
rest commutes with every later gate that also uses them only as controls: the composer can
put the read right after the head, and the decision's backward light cone on a device then
holds the head only (one RY for the LMSR and Hedge cascades, one RY for the prospect
ancilla), not the whole fragment. The composed unitary is the same up to that commutation,
so every measured distribution is unchanged.

:func:`split_at_read` finds the head as the instructions up to the last one that acts on a
read qubit other than as a control or a diagonal gate: the tail then uses the read qubits
only in those ways. A fragment that sets its read qubit last (the old prospect ancilla) has
the whole fragment as its head.
"""

from __future__ import annotations

from collections.abc import Iterable

from qiskit import QuantumCircuit
from qiskit.circuit import ControlledGate, Qubit

__all__ = ["DIAGONAL_GATES", "is_control_use", "split_at_read"]

#: Gates diagonal in the computational basis of every qubit they act on.
DIAGONAL_GATES = frozenset({"p", "rz", "z", "s", "sdg", "t", "tdg", "cz", "cp", "crz", "rzz", "ccz", "id"})


def is_control_use(circuit: QuantumCircuit, instruction, qubit: Qubit) -> bool:
    """Whether ``instruction`` uses ``qubit`` only in a way diagonal on it.

    True for a diagonal gate, for a ``ControlledGate`` (CX, CCX, MCX, ...) with ``qubit`` among
    its controls, and for the relative-phase Toffolis ``rccx``/``rcccx`` with ``qubit`` as a
    control (each is a permutation of its target times a diagonal phase, so it is block
    diagonal in the control's basis). False otherwise (the qubit is a target, or measured).
    """
    op = instruction.operation
    if qubit not in instruction.qubits:
        return True
    if op.name in DIAGONAL_GATES:
        return True
    position = list(instruction.qubits).index(qubit)
    if isinstance(op, ControlledGate):
        return position < op.num_ctrl_qubits
    if op.name in ("rccx", "rcccx"):
        return position < op.num_qubits - 1
    return False


def split_at_read(circuit: QuantumCircuit, read: Iterable[int]) -> tuple[QuantumCircuit, QuantumCircuit]:
    """``(head, tail)`` of ``circuit`` with ``head.compose(tail) == circuit`` instruction by instruction.

    Args:
        circuit: a fragment (no measurements).
        read: indices of the qubits another fragment reads (as controls) after the head.

    Returns:
        Two circuits on the same qubits (the tail carries the global phase): ``head`` ends with
        the last instruction that acts on a read qubit other than as a control.
    """
    qubits = [circuit.qubits[i] for i in read]
    data = list(circuit.data)
    last = -1
    for i, inst in enumerate(data):
        if any(not is_control_use(circuit, inst, q) for q in qubits):
            last = i
    head = circuit.copy_empty_like(name=f"{circuit.name}_head")
    tail = circuit.copy_empty_like(name=f"{circuit.name}_tail")
    head.global_phase = 0
    for inst in data[: last + 1]:
        head.append(inst)
    for inst in data[last + 1:]:
        tail.append(inst)
    return head, tail
