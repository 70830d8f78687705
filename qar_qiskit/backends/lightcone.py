"""Backward light cones of measured registers in a routed ISA circuit, their size and ESP.

A register's *backward light cone* is the part of the circuit its measured bits can depend on.
Two notions are offered:

* ``"causal"`` (default): every operation with a path to one of the register's ``measure``
  nodes in the circuit's DAG (``DAGCircuit.ancestors``; barriers removed first, the other
  registers' measurements removed). Under a noise model made of *local* channels (each gate's
  error acts on that gate's qubits, readout errors on the measured qubit: Aer's device noise
  model, ``NoiseModel.from_backend``, has no crosstalk) the register's measured distribution is
  exactly that of the cone alone. Proof sketch: the cone is closed under predecessors, so the
  circuit can be reordered as ``rest ∘ cone``; ``rest`` acts after the cone on its qubits or on
  other qubits, and being trace preserving it leaves the measured bits' marginal unchanged.
* ``"commutation"``: Qiskit's :class:`~qiskit.transpiler.passes.LightCone` (measurement light
  cone with commutation checks). It also drops gates that *commute* with the measured ``Z``
  (and with the cone's later gates), e.g. a ``cz`` whose partner leaves the cone: right for the
  noiseless distribution, **wrong under noise**, because the dropped gate's error channel
  (depolarising, relaxation) does reach the measured qubit. The noisy simulation therefore uses
  the causal cone; ``tests/backends/test_lightcone.py`` shows the difference exactly (density
  matrix) on a small circuit.

Measured on the default config's trending plan (25 qubits) on FakeFez, optimization level 3,
seed_transpiler 11 (295 CZ), 2 shared cores, 2026-12-03: ``LightCone`` took 0.16-0.98 s per
register (its commutation loop is quadratic in the cone's size) and its cones held 0-2 fewer
two-qubit gates than the causal ones (decision: 288 vs 288; lmsr 177 vs 179), while the causal
cone took 3-9 ms per register.

ESP (estimated success probability) of a set of operations: ``prod(1 - e_i)`` over its gates
and measurements, ``e_i = target[name][physical qargs].error`` (``None`` counts as 0; barriers
and delays are skipped). Ref.: Nishio et al., "Extracting success from IBM's 20-qubit machines
using error-aware compilation", ACM JETC 16 (2020).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from qiskit.circuit import QuantumCircuit, QuantumRegister
from qiskit.converters import circuit_to_dag, dag_to_circuit
from qiskit.dagcircuit import DAGOpNode

from qar_qiskit.errors import BackendError

__all__ = [
    "Cone",
    "ConeStats",
    "active_qubits",
    "compact_circuit",
    "register_qubits",
    "register_cone",
    "cone_groups",
    "cone_stats",
    "circuit_stats",
    "esp",
]

_SKIP_ON_IDLE = {"barrier", "delay"}
_NOT_GATES = {"barrier", "delay"}
METHODS = ("causal", "commutation")


# --------------------------------------------------------------------------------------------
# compaction onto the active physical qubits (shared with the noisy executor)


def active_qubits(isa: QuantumCircuit) -> list[int]:
    """Physical qubits an ISA circuit acts on (barriers and delays alone do not count)."""
    used = set()
    for ins in isa.data:
        if ins.operation.name in _SKIP_ON_IDLE:
            continue
        used.update(isa.find_bit(q).index for q in ins.qubits)
    return sorted(used)


def compact_circuit(isa: QuantumCircuit, active: list[int], cregs=None) -> QuantumCircuit:
    """``isa`` re-expressed on ``len(active)`` qubits (qubit ``active[i]`` becomes ``i``).

    ``cregs`` (default: all of ``isa``'s) are the classical registers the result carries; every
    clbit an instruction writes must belong to one of them.
    """
    index = {p: i for i, p in enumerate(active)}
    q = QuantumRegister(len(active), "q")
    out = QuantumCircuit(q, *(isa.cregs if cregs is None else cregs), name=isa.name, global_phase=isa.global_phase)
    for ins in isa.data:
        phys = [isa.find_bit(x).index for x in ins.qubits]
        if any(p not in index for p in phys):
            if ins.operation.name in _SKIP_ON_IDLE:
                kept = [q[index[p]] for p in phys if p in index]
                if kept and ins.operation.name == "barrier":
                    out.barrier(*kept)
                continue
            raise BackendError("internal: compaction dropped an active qubit")  # pragma: no cover
        out.append(ins.operation, [q[index[p]] for p in phys], ins.clbits)
    return out


def register_qubits(circuit: QuantumCircuit) -> dict[str, list[int]]:
    """Register name -> the qubit index measured into each of its bits (bit 0 first; -1 if none)."""
    clbit_to_qubit: dict[int, int] = {}
    for ins in circuit.data:
        if ins.operation.name == "measure":
            clbit_to_qubit[circuit.find_bit(ins.clbits[0]).index] = circuit.find_bit(ins.qubits[0]).index
    out = {}
    for reg in circuit.cregs:
        out[reg.name] = [clbit_to_qubit.get(circuit.find_bit(b).index, -1) for b in reg]
    return out


# --------------------------------------------------------------------------------------------
# cones


@dataclass(frozen=True, eq=False)
class Cone:
    """The backward light cone of a group of registers.

    Attributes:
        registers: the registers whose measurements the cone ends in (circuit order).
        qubits: the physical qubits of the cone, ascending; qubit ``i`` of :attr:`circuit` is
            physical qubit ``qubits[i]``.
        circuit: the cone's operations compacted onto ``len(qubits)`` qubits, carrying only the
            group's classical registers.
        physical: the cone's operations as ``(name, physical qargs)``, for ESP and stats.
    """

    registers: tuple[str, ...]
    qubits: tuple[int, ...]
    circuit: QuantumCircuit
    physical: tuple[tuple[str, tuple[int, ...]], ...] = field(repr=False)


def _measured(isa: QuantumCircuit) -> list[str]:
    regs = register_qubits(isa)
    return [name for name, qs in regs.items() if any(q >= 0 for q in qs)]


def _check_registers(isa: QuantumCircuit, registers: Iterable[str]) -> tuple[str, ...]:
    names = set(registers)
    known = [r.name for r in isa.cregs]
    unknown = sorted(names - set(known))
    if unknown:
        raise BackendError(f"registers: no classical register {unknown[0]!r} in the circuit; it has {', '.join(known)}")
    if not names:
        raise BackendError("registers: empty register group")
    return tuple(n for n in known if n in names)


def _reduced(isa: QuantumCircuit, keep: tuple[str, ...]) -> QuantumCircuit:
    """``isa`` without barriers and without the measurements into registers outside ``keep``."""
    bits = {b for r in isa.cregs if r.name in keep for b in r}
    out = isa.copy_empty_like()
    for ins in isa.data:
        if ins.operation.name == "barrier" or (ins.operation.name == "measure" and ins.clbits[0] not in bits):
            continue
        out.append(ins)
    return out


def register_cone(isa: QuantumCircuit, registers: Iterable[str], *, method: str = "causal") -> Cone:
    """The backward light cone of ``registers``' measurements in ``isa`` (physical qubits kept).

    Args:
        isa: a measured circuit; its qubit ``i`` is physical qubit ``i`` (a routed ISA circuit).
        registers: names of classical registers of ``isa``.
        method: ``"causal"`` (exact under local noise) or ``"commutation"`` (Qiskit's
            ``LightCone`` pass; exact only without noise). See the module docstring.

    Raises:
        BackendError: an unknown register or method.
    """
    if method not in METHODS:
        raise BackendError(f"method: must be one of {', '.join(METHODS)}, got {method!r}")
    keep = _check_registers(isa, registers)
    reduced = _reduced(isa, keep)
    if method == "commutation":
        from qiskit.transpiler.passes import LightCone

        from qar_qiskit.backends.readout import terminal_measurements

        if terminal_measurements(reduced) is None:
            # LightCone starts from the circuit's *final* measurements; a register measured
            # mid-circuit (the tick's memory and decision) would get a wrong cone (measured: a
            # decision marginal off by 0.5 in TVD), so refuse instead of answering wrongly.
            raise BackendError(f"method: 'commutation' needs {', '.join(keep)} measured at the end of the "
                               "circuit; use method='causal' for registers measured mid-circuit")
        circ = LightCone()(reduced)
    else:
        dag = circuit_to_dag(reduced)
        measures = [n for n in dag.op_nodes() if n.op.name == "measure"]
        cone = set(measures)
        for node in measures:
            cone.update(a for a in dag.ancestors(node) if isinstance(a, DAGOpNode))
        for node in list(dag.op_nodes()):
            if node not in cone:
                dag.remove_op_node(node)
        circ = dag_to_circuit(dag)
    qubits = active_qubits(circ)
    physical = tuple((ins.operation.name, tuple(circ.find_bit(q).index for q in ins.qubits)) for ins in circ.data)
    compact = compact_circuit(circ, qubits, cregs=[r for r in isa.cregs if r.name in keep])
    return Cone(keep, tuple(qubits), compact, physical)


def _cone_nodes(isa: QuantumCircuit, names: list[str]) -> dict[str, tuple[frozenset, frozenset[int]]]:
    """Per register: the ids of its causal cone's gates (measurements excluded) and its qubits,
    from one DAG of ``isa`` without barriers (the same cone as :func:`register_cone`)."""
    dag = circuit_to_dag(_reduced(isa, tuple(r.name for r in isa.cregs)))
    reg_of = {b: r.name for r in isa.cregs for b in r}
    out = {}
    for name in names:
        measures = [n for n in dag.op_nodes() if n.op.name == "measure" and reg_of.get(n.cargs[0]) == name]
        nodes = set()
        for node in measures:
            nodes.update(a for a in dag.ancestors(node) if isinstance(a, DAGOpNode) and a.op.name != "measure")
        qubits = {isa.find_bit(q).index for n in (*nodes, *measures) for q in n.qargs}
        out[name] = (frozenset(n._node_id for n in nodes), frozenset(qubits))
    return out


def cone_groups(isa: QuantumCircuit, *, joint: Iterable[str] = (),
                max_width: int | None = None) -> list[tuple[str, ...]]:
    """Groups of measured registers to simulate together, each on its own causal cone.

    Every measured register starts in a group of its own joined with ``joint`` (registers that
    must be sampled jointly with every other, e.g. the post-selected market register). A
    simulation's cost is taken as ``2**width * gates`` (a statevector pass or trajectory touches
    every amplitude once per gate), and two groups ``A`` and ``B`` merge only when
    ``cost(A ∪ B) <= cost(A) + cost(B)`` (cone qubits and cone gates of the union), and not when
    the merged cone would exceed ``max_width`` while neither part does. Greedy, largest saving
    first.

    Why gates count: merging a small cone into a wide group multiplies the small cone's gates by
    the wide group's ``2**width``. Measured on the default config's four plans on FakeFez
    (level 3, seed_transpiler 11, 8 layout trials, 2026-12-06, ``max_width=24``):

    ========  ==========================================  ==========================================
    regime    old rule (``2**width`` alone)               this rule
    ========  ==========================================  ==========================================
    stable    market | all six others (22 qubits)         market | memory+hedge+decision | lmsr+prospect | buffer
    trending  market | memory+lmsr | prospect+decision    market | memory+decision | lmsr | prospect
              | hedge+buffer                              | hedge | buffer
    volatile  market+memory | lmsr | prospect+buffer      market+memory+decision | lmsr | prospect
              | hedge+decision                            | hedge+buffer
    crisis    market | memory+lmsr | prospect+decision    market | memory+prospect+decision | lmsr
              | hedge | buffer                            | hedge | buffer
    ========  ==========================================  ==========================================

    The old rule put the 12-qubit decision cone (488 gates) into the 18-qubit prospect group on
    trending (that tick took 98.5 s on the exact trajectories, 79.8 s of it that group); merges
    that remain add few gates to the wider cone (e.g. memory's cone lies in decision's).

    Returns:
        Register-name tuples (circuit order), the groups in order of their first register.
    """
    names = _measured(isa)
    joint_t = _check_registers(isa, joint) if tuple(joint) else ()
    cones = _cone_nodes(isa, names)
    groups: list[tuple[set[str], frozenset, frozenset[int]]] = []
    for n in names:
        if n in joint_t and len(joint_t) < len(names):
            continue
        regs = {n, *joint_t}
        groups.append((regs, frozenset().union(*(cones[r][0] for r in regs)),
                       frozenset().union(*(cones[r][1] for r in regs))))
    if not groups:
        return []

    def cost(gates, qubits) -> float:
        return 2.0 ** len(qubits) * max(1, len(gates))

    def saving(a, b):
        union = a[2] | b[2]
        if max_width is not None and len(union) > max_width and max(len(a[2]), len(b[2])) <= max_width:
            return None
        gain = cost(a[1], a[2]) + cost(b[1], b[2]) - cost(a[1] | b[1], union)
        return gain if gain >= 0 else None

    while len(groups) > 1:
        best = None
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                s = saving(groups[i], groups[j])
                if s is not None and (best is None or s > best[0]):
                    best = (s, i, j)
        if best is None:
            break
        _, i, j = best
        merged = (groups[i][0] | groups[j][0], groups[i][1] | groups[j][1], groups[i][2] | groups[j][2])
        groups = [g for k, g in enumerate(groups) if k not in (i, j)] + [merged]
    order = {n: k for k, n in enumerate(r.name for r in isa.cregs)}
    out = [tuple(sorted(g[0], key=order.__getitem__)) for g in groups]
    return sorted(out, key=lambda g: order[g[0]])


# --------------------------------------------------------------------------------------------
# statistics


def _error(target, name: str, qargs: tuple[int, ...]) -> float:
    if name in _NOT_GATES or target is None or name not in target.operation_names:
        return 0.0
    props = target[name]
    p = props.get(qargs) if props is not None else None
    return float(p.error) if p is not None and p.error is not None else 0.0


def esp(operations: Iterable[tuple[str, tuple[int, ...]]], target) -> float:
    """``prod(1 - error)`` over ``(name, physical qargs)`` from ``target`` (see module docstring)."""
    log_esp = 0.0
    for name, qargs in operations:
        e = _error(target, name, qargs)
        if e >= 1.0:
            return 0.0
        log_esp += math.log1p(-e)
    return math.exp(log_esp)


@dataclass(frozen=True)
class ConeStats:
    """Size and ESP of a cone (or of the whole circuit, ``registers == ("*",)``)."""

    registers: tuple[str, ...]
    qubits: int
    physical_qubits: tuple[int, ...]
    two_qubit_gates: int
    depth: int
    esp: float

    def as_dict(self) -> dict:
        return {"registers": list(self.registers), "qubits": self.qubits, "physical_qubits": list(self.physical_qubits),
                "two_qubit_gates": self.two_qubit_gates, "depth": self.depth, "esp": self.esp}


def _stats(registers, circuit: QuantumCircuit, physical, qubits, target) -> ConeStats:
    two = sum(1 for name, qargs in physical if len(qargs) == 2 and name not in _NOT_GATES)
    return ConeStats(tuple(registers), len(qubits), tuple(qubits), two,
                     circuit.depth(lambda ins: ins.operation.name != "barrier"), esp(physical, target))


def cone_stats(isa: QuantumCircuit, registers: Iterable[str], target=None, *, method: str = "causal") -> ConeStats:
    """:class:`ConeStats` of ``registers``' backward light cone in ``isa`` (ESP from ``target``)."""
    cone = register_cone(isa, registers, method=method)
    return _stats(cone.registers, cone.circuit, cone.physical, cone.qubits, target)


def circuit_stats(isa: QuantumCircuit, target=None, *, method: str = "causal",
                  registers: Iterable[str] | None = None) -> dict[str, ConeStats]:
    """Per measured register (or those of ``registers`` that are measured) its cone's
    :class:`ConeStats`, and the whole circuit's under ``"*"``."""
    names = [n for n in _measured(isa) if registers is None or n in set(registers)]
    out = {name: cone_stats(isa, (name,), target, method=method) for name in names}
    physical = tuple((ins.operation.name, tuple(isa.find_bit(q).index for q in ins.qubits)) for ins in isa.data)
    out["*"] = _stats(("*",), isa, physical, active_qubits(isa), target)
    return out
