"""Drawings a person can read: one labelled box per fragment, qubits named for their register.

The circuit that runs has ONE register ``q`` (docs/design.md §2) and its fragments inlined gate by
gate: drawn as it is, the default tick is thousands of pixels of rotations on ``q_0 .. q_24``.
A *drawing copy* regroups the same instructions:

* every qubit sits on a register named for its component (``market_0 .. market_3``,
  ``memory_0``, ``lmsr_3``, ``decision_4``, ``buffer_0`` ...);
* every fragment's instructions (:attr:`TickCircuit.spans`) become one box, a :class:`Gate`
  named for the fragment whose definition is exactly those instructions; a fragment the
  composer splits where the decision reads it shows as ``lmsr head`` and ``lmsr tail``;
* measurements and the barrier stay as they are.

``decompose(reps=1)`` of the drawing opens the boxes into the gates that run (on the named
qubits); ``--decompose 2`` and more open Qiskit's own composite gates further. The drawing is for
people only: nothing executes it.
"""

from __future__ import annotations

from collections.abc import Sequence

from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Gate

from qar_qiskit.errors import InputError

__all__ = ["tick_drawing", "fragment_drawing", "drawing", "TICK_FRAGMENTS"]

#: Exported circuit names (``qar circuits export``) that are fragments of the tick -> the key of
#: :attr:`TickCircuit.wiring` that says where their qubits sit.
TICK_FRAGMENTS: dict[str, str] = {
    **{n: n for n in ("market", "memory", "lmsr", "prospect", "hedge", "decision", "feedback")},
    **{f"pattern_{r}": "buffer" for r in ("stable", "trending", "volatile", "crisis")},
}


def _named_registers(tick) -> tuple[list[QuantumRegister], dict[int, object]]:
    """One register per component of the plan, and tick qubit index -> the named qubit."""
    regs, where = [], {}
    for name, idx in tick.qubits.items():
        if idx:
            reg = QuantumRegister(len(idx), name)
            regs.append(reg)
            where.update({i: reg[k] for k, i in enumerate(idx)})
    return regs, where


def _box(label: str, instructions: Sequence, qubit_index: dict) -> tuple[Gate, list[int]]:
    """``instructions`` (of the tick circuit) as one box on the tick qubits they touch, in order."""
    touched = sorted({qubit_index[q] for inst in instructions for q in inst.qubits})
    local = {t: k for k, t in enumerate(touched)}
    body = QuantumCircuit(len(touched), name=label)
    for inst in instructions:
        body.append(inst.operation, [body.qubits[local[qubit_index[q]]] for q in inst.qubits])
    return _as_box(body, label), touched


def _as_box(body: QuantumCircuit, label: str) -> Gate:
    """A parameter-free gate named for the fragment (a box labelled ``label``; no parameter list
    in the drawing) whose definition is ``body``."""
    box = Gate(label.replace(" ", "_"), body.num_qubits, [], label=label)
    box.definition = body
    return box


def tick_drawing(tick) -> QuantumCircuit:
    """The drawing copy of a :class:`~qar_qiskit.circuits.composer.TickCircuit` (see module doc).

    Every instruction of ``tick.circuit`` appears once, in order: inside its fragment's box, or
    (measurements, the barrier) as it is, on the same named qubits and classical bits.
    """
    source = tick.circuit
    regs, named = _named_registers(tick)
    cregs = [ClassicalRegister(c.size, f"c_{c.name}") for c in source.cregs]
    out = QuantumCircuit(*regs, *cregs, name=f"{source.name} (drawing)", global_phase=source.global_phase)
    qubit_index = {q: i for i, q in enumerate(source.qubits)}
    clbit = {c: out.clbits[i] for i, c in enumerate(source.clbits)}
    starts = {start: (label, stop) for label, start, stop in tick.spans}
    data, i = source.data, 0
    while i < len(data):
        if i in starts:
            label, stop = starts[i]
            box, touched = _box(label, data[i:stop], qubit_index)
            out.append(box, [named[t] for t in touched])
            i = stop
            continue
        inst = data[i]
        out.append(inst.operation, [named[qubit_index[q]] for q in inst.qubits], [clbit[c] for c in inst.clbits])
        i += 1
    return out


def fragment_drawing(name: str, fragment: QuantumCircuit, tick) -> QuantumCircuit:
    """``fragment`` (exported as ``name``) as one box on the named qubits it occupies in ``tick``.

    Raises:
        InputError: ``name`` is not a tick fragment, or its width differs from its wiring.
    """
    if name not in TICK_FRAGMENTS:
        raise InputError(f"circuit {name!r} is not a fragment of the tick; fragments: {', '.join(TICK_FRAGMENTS)}")
    wires = tick.wiring[TICK_FRAGMENTS[name]]
    if len(wires) != fragment.num_qubits:
        raise InputError(f"{name}: {fragment.num_qubits} qubits, but the tick wires it to {len(wires)}")
    regs, named = _named_registers(tick)
    out = QuantumCircuit(*regs, name=f"{name} (drawing)")
    out.append(_as_box(fragment, name), [named[t] for t in wires])
    return out


def drawing(name: str, decompose: int = 0, plan=None) -> QuantumCircuit:
    """The drawing of the exported circuit ``name`` (``qar circuits export``), boxes opened
    ``decompose`` times.

    Tick fragments and ``tick_default`` get named registers and one box per fragment; the other
    circuits (Bell, GHZ, teleportation, ...) are small and already on named registers, and are
    drawn as they are.

    Args:
        name: an exported circuit name.
        decompose: how many levels of boxes to open (0: one box per fragment).
        plan: the :class:`~qar_qiskit.plan.allocation.AllocationPlan` ``tick_default`` is composed
            for (default: the default plan, as exported). Fragments are drawn at the export's
            sizes, wired as in the default plan.

    Raises:
        InputError: unknown name (the message lists the valid ones), or ``decompose < 0``.
    """
    from qar_qiskit.circuits.composer import compose_tick_circuit
    from qar_qiskit.circuits.export import build
    from qar_qiskit.plan.allocation import AllocationPlan

    if not isinstance(decompose, int) or decompose < 0:
        raise InputError(f"decompose: need an integer >= 0, got {decompose!r}")
    if name == "tick_default":
        circuit = tick_drawing(compose_tick_circuit(plan or AllocationPlan()))
    else:
        circuit = build(name)
        if name in TICK_FRAGMENTS:
            circuit = fragment_drawing(name, circuit, compose_tick_circuit(AllocationPlan()))
    return circuit.decompose(reps=decompose) if decompose else circuit
