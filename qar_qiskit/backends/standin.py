"""A stand-in for the composed tick circuit (used by tests and benchmarks).

:func:`standin_tick_circuit` builds a parameterized circuit with the *shape* of the real tick
circuit (one QuantumRegister ``q``, one named ClassicalRegister per component, all measured at
the end) from an :class:`~qar_qiskit.plan.allocation.AllocationPlan`, so the execution layer
can be tested and benchmarked without :mod:`qar_qiskit.circuits.composer`. Once the composer
exists, :func:`tick_circuit_for` prefers it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qiskit.circuit import ClassicalRegister, Parameter, QuantumCircuit, QuantumRegister

from qar_qiskit.plan.allocation import AllocationPlan


@dataclass(frozen=True)
class StandinTickCircuit:
    """Same attributes as the composer's ``TickCircuit``: circuit, parameters, plan."""

    circuit: QuantumCircuit
    parameters: tuple
    plan: Any
    meta: dict = field(default_factory=dict)


def standin_tick_circuit(plan: AllocationPlan | None = None, *, layers: int = 2) -> StandinTickCircuit:
    """A parameterized circuit laid out like the tick circuit for ``plan``.

    Each component gets RY/RZ rotations and a CX ladder inside its block; neighbouring blocks
    are linked by one CX (the entanglement buffer's role), so the circuit is only weakly
    entangled across blocks, as the real one is.
    """
    plan = plan or AllocationPlan()
    sizes, offsets = plan.sizes(), plan.offsets()
    q = QuantumRegister(plan.total, "q")
    cregs = {name: ClassicalRegister(n, name) for name, n in sizes.items() if n > 0}
    qc = QuantumCircuit(q, *cregs.values(), name=f"tick-{plan.regime}")
    params: list[Parameter] = []
    names = [n for n, s in sizes.items() if s > 0]
    for layer in range(layers):
        for name in names:
            o, n = offsets[name], sizes[name]
            for i in range(n):
                p = Parameter(f"{name}_{layer}_{i}")
                params.append(p)
                qc.ry(p, q[o + i])
            for i in range(n - 1):
                qc.cx(q[o + i], q[o + i + 1])
            if layer == layers - 1:
                p = Parameter(f"{name}_rz")
                params.append(p)
                qc.rz(p, q[o])
        for a, b in zip(names, names[1:]):
            qc.cx(q[offsets[a] + sizes[a] - 1], q[offsets[b]])
    for name in names:
        o, n = offsets[name], sizes[name]
        qc.measure(q[o:o + n], cregs[name])
    return StandinTickCircuit(qc, tuple(qc.parameters), plan)


def tick_circuit_for(plan: AllocationPlan | None = None):
    """The composer's TickCircuit when :mod:`qar_qiskit.circuits.composer` exists, else the stand-in."""
    plan = plan or AllocationPlan()
    try:
        from qar_qiskit.circuits.composer import compose_tick_circuit  # type: ignore
    except ImportError:
        return standin_tick_circuit(plan)
    return compose_tick_circuit(plan)
