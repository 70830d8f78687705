"""Compose all fragments of one tick onto one shared register (docs/design.md §2).

The tick circuit has ONE ``QuantumRegister`` named ``"q"`` of ``plan.total`` qubits, the
components laid out at ``plan.offsets()``, and ONE ``ClassicalRegister`` per component
(``market``, ``memory``, one per expert with a register, named for it — for the built-ins
``lmsr``, ``prospect``, ``hedge`` —, ``decision``, ``buffer``), each
component measured into its own register once its last gate is done (memory and decision
after the decision block, the others at the end). Its structure depends on the plan only
(the buffer pattern on ``plan.regime``); everything that changes per tick is a ``Parameter``,
so a plan is built (and transpiled) once and each tick only binds numbers.

Gate order (hardware-grade: the decision reads each fragment as early as its read qubit is
set, so its light cone on a device holds only what it reads, see ``stages.py``): market
amplitudes on (m1, m2); memory (controlled on m1, m2); the head of each expert's fragment
(``Expert.circuit`` up to its read qubit, ``Expert.read_qubit``; one RY for each built-in:
the LMSR and Hedge top qubits, the prospect ancilla); decision mapping (controlled on the
memory, reading those qubits); regime feedback (controlled on m1, m2); measurement of the
memory and decision registers and a barrier; buffer pattern; the experts' tails (their
registers, controlled on the read qubits); the market
code completion and phases; the other measurements. Every tail uses the qubits read before it
only as controls, so this order gives the same measured distributions as fragment after
fragment.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

from qar_qiskit.circuits.decision import decision_circuit, decision_parameter_values
from qar_qiskit.circuits.feedback import feedback_circuit, feedback_parameter_values
from qar_qiskit.circuits.inputs import TickInputs
from qar_qiskit.circuits.market import M1, M2, market_circuit, market_parameter_values
from qar_qiskit.circuits.memory import memory_circuit, memory_parameter_values
from qar_qiskit.circuits.patterns import MAX_READS, pattern_circuit
from qar_qiskit.circuits.stages import split_at_read
from qar_qiskit.errors import InputError
from qar_qiskit.experts.parameters import fragment_values
from qar_qiskit.experts.registry import ExpertSet, resolve_experts
from qar_qiskit.plan.allocation import AllocationPlan

__all__ = ["TickCircuit", "compose_tick_circuit", "clear_cache", "cache_info"]


@dataclass(frozen=True, eq=False)
class TickCircuit:
    """The composed, measured tick circuit for one plan (shared by the cache: do not mutate).

    Attributes:
        plan: the allocation plan it was built for.
        circuit: the measured ``QuantumCircuit`` (one register ``q``, one classical register
            per component).
        parameters: the circuit's parameters, in ``circuit.parameters`` order (the order
            SamplerV2 PUB parameter values use).
        qubits: component name -> indices of its qubits on ``q`` (little-endian order).
        wiring: fragment name (``market`` .. ``feedback``, ``buffer``) -> the qubits of ``q`` its
            qubits 0, 1, ... sit on.
        spans: ``(label, start, stop)``: ``circuit.data[start:stop]`` came from one fragment
            (``lmsr head``, ``lmsr tail`` for a split one), in circuit order; for drawings
            (``circuits/draw.py``), which box each span.
        experts: the plan's expert set.
    """

    plan: AllocationPlan
    circuit: QuantumCircuit
    parameters: tuple
    qubits: dict[str, tuple[int, ...]]
    experts: ExpertSet
    _unmeasured: QuantumCircuit = field(repr=False)
    _slots: dict[str, np.ndarray] = field(repr=False)
    wiring: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)
    spans: tuple[tuple[str, int, int], ...] = field(default=(), repr=False)

    def unmeasured(self) -> QuantumCircuit:
        """A copy of the circuit without measurements (same parameters), for statevector tests."""
        return self._unmeasured.copy()

    def parameter_values(self, inputs: TickInputs) -> np.ndarray:
        """Parameter values for ``inputs``, 1-D, in :attr:`parameters` order.

        Raises:
            InputError: naming the field, if the input arrays do not fit the plan.
        """
        if not isinstance(inputs, TickInputs):
            raise InputError(f"inputs: expected TickInputs, got {type(inputs).__name__}")
        inputs.check_plan(self.plan)
        values = {
            "market": market_parameter_values(inputs.regime_probabilities, inputs.regime_phases),
            "memory": memory_parameter_values(inputs.memory_weights),
            # bound by parameter name (experts/parameters.py), in the fragment's parameter order
            **{e.name: fragment_values(e, e.data(inputs), [self.parameters[i] for i in self._slots[e.name]])
               for e in inputs.experts.with_register},
            "decision": decision_parameter_values(inputs.size_risk_angles),
            "feedback": feedback_parameter_values(inputs.feedback_angles),
        }
        out = np.empty(len(self.parameters))
        for name, slots in self._slots.items():
            vals = values[name]
            if vals.size != slots.size:  # pragma: no cover - guarded by check_plan
                raise InputError(f"{name}: {vals.size} values for {slots.size} parameters")
            out[slots] = vals
        return out

    def bind(self, inputs: TickInputs, measured: bool = True) -> QuantumCircuit:
        """The circuit with ``inputs`` bound (measured, or without measurements)."""
        circ = self.circuit if measured else self._unmeasured
        return circ.assign_parameters(self.parameter_values(inputs))


def _build(plan: AllocationPlan) -> TickCircuit:
    experts = resolve_experts(plan.experts)
    sizes, off, widths = plan.sizes(), plan.offsets(), plan.expert_sizes()
    qubits = {name: tuple(range(off[name], off[name] + sizes[name])) for name in sizes}
    q = QuantumRegister(plan.total, "q")
    qc = QuantumCircuit(q, name=f"qar_tick_{plan.regime}")

    mk = qubits["market"]
    mem = qubits["memory"]
    dec = qubits["decision"]
    registered = [e.name for e in experts.with_register]
    local_read = {e.name: e.read_qubit(widths[e.name]) for e in experts.with_register}
    read_q = [qubits[name][local_read[name]] for name in registered]

    fragments = {
        "market": (market_circuit(), list(mk)),
        "memory": (memory_circuit(plan.memory), [*mem, mk[M1], mk[M2]]),
        **{e.name: (e.circuit(widths[e.name]), list(qubits[e.name])) for e in experts.with_register},
        "decision": (decision_circuit(experts), [*dec, *mem, *read_q]),
        "feedback": (feedback_circuit(), [dec[2], dec[3], dec[4], mk[M1], mk[M2]]),
    }
    # The decision reads the read qubits themselves, not copies of them. A copy (CX read -> copy
    # after the head, the decision on the copy, the tail on the original) takes the decision
    # block out of the tails' noisy light cones (widest noisy simulation 18 -> 16 qubits, the
    # trending tick 3.9x faster side by side), but its CX and qubit join the decision's cone:
    # 12-13 -> 15-16 qubits, decision-cone ESP 0.599-0.659 instead of 0.661-0.692 on FakeFez
    # (16 layout trials, four plans; 2026-12-03, benchmarks/bench_copies.py, docs/model.md).
    # Not kept: the hardware ESP is the goal, and the decision's own 12-qubit cone alone already
    # takes 42 s per 1024 noisy shots on this machine.
    # Each fragment the decision reads is split where its read qubit is set (stages.py): the
    # heads, then the reads, then the tails, which use the read qubits only as controls.
    reads = {"market": [M1, M2], **{name: [local_read[name]] for name in registered}}
    split = {name: split_at_read(fragments[name][0], reads[name]) for name in reads}
    front = [
        ("market head", split["market"][0], fragments["market"][1]),
        ("memory", *fragments["memory"]),
        *((f"{n} head", split[n][0], fragments[n][1]) for n in registered),
        ("decision", *fragments["decision"]),
        ("feedback", *fragments["feedback"]),
    ]
    # The buffer only records parities of read qubits (and, in crisis, copies the risk bit after
    # its measurement: a control on a measured qubit, the same distribution by the deferred-
    # measurement principle). In front it cost the crisis decision cone its CNOTs: best decision
    # ESP on FakeFez 0.668 -> 0.699 (32 seeds, optimization level 3).
    witnesses = read_q[:MAX_READS]
    back = [
        ("buffer", pattern_circuit(plan.regime, plan.buffer, len(witnesses)), [*qubits["buffer"], *witnesses, dec[4]]),
        *((f"{n} tail", split[n][1], fragments[n][1]) for n in (*registered, "market")),
    ]
    spans = []
    for label, frag, where in front:
        spans.append((label, len(qc.data), len(qc.data) + len(frag.data)))
        qc.compose(frag, qubits=where, inplace=True)
    measured = qc.copy()
    # The decision block is complete: memory and decision are measured now, and a barrier keeps the
    # router from interleaving the tails (and their SWAPs) with it, so no register waits behind
    # unrelated gates and the decision's light cone on a device is the block alone.
    _measure(measured, qubits, ("memory", "decision"))
    measured.barrier()
    for label, frag, where in back:
        spans.append((label, len(measured.data), len(measured.data) + len(frag.data)))
        qc.compose(frag, qubits=where, inplace=True)
        measured.compose(frag, qubits=where, inplace=True)
    _measure(measured, qubits, ("buffer", "market", *registered))
    # classical registers in the plan's register order (readers and SamplerV2 results name them)
    measured = _ordered_cregs(measured, tuple(sizes))

    parameters = tuple(qc.parameters)
    index = {p: i for i, p in enumerate(parameters)}
    slots = {
        name: np.array([index[p] for p in frag.parameters], dtype=np.intp)
        for name, (frag, _) in fragments.items()
    }
    if sum(s.size for s in slots.values()) != len(parameters):  # pragma: no cover - invariant
        raise RuntimeError("composer: fragment parameters do not cover the circuit's parameters")
    wiring = {name: tuple(where) for name, (_, where) in fragments.items()}
    wiring["buffer"] = tuple(back[0][2])
    return TickCircuit(plan, measured, parameters, qubits, experts, qc, slots, wiring=wiring, spans=tuple(spans))


def _measure(circuit: QuantumCircuit, qubits: dict[str, tuple[int, ...]], names) -> None:
    for name in names:
        if qubits[name]:
            creg = ClassicalRegister(len(qubits[name]), name)
            circuit.add_register(creg)
            circuit.measure([circuit.qubits[i] for i in qubits[name]], creg)


def _ordered_cregs(circuit: QuantumCircuit, order: tuple[str, ...]) -> QuantumCircuit:
    """The same circuit with its classical registers declared in ``order``."""
    by_name = {c.name: c for c in circuit.cregs}
    out = QuantumCircuit(*circuit.qregs, *(by_name[n] for n in order if n in by_name), name=circuit.name)
    out.global_phase = circuit.global_phase
    for inst in circuit.data:
        out.append(inst)
    return out


_CACHE: dict[tuple, TickCircuit] = {}
_LOCK = threading.Lock()
_STATS = {"hits": 0, "misses": 0}


def compose_tick_circuit(plan: AllocationPlan) -> TickCircuit:
    """The composed tick circuit for ``plan``, built once per ``plan.key()`` (thread-safe cache).

    Args:
        plan: the allocation plan.

    Returns:
        The cached :class:`TickCircuit`.
    """
    key = plan.key()
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _STATS["hits"] += 1
            return hit
        _STATS["misses"] += 1
        built = _build(plan)
        _CACHE[key] = built
        return built


def cache_info() -> dict[str, int]:
    """Cache statistics: ``hits``, ``misses``, ``size``."""
    with _LOCK:
        return {**_STATS, "size": len(_CACHE)}


def clear_cache() -> None:
    """Empty the composed-circuit cache (and reset its statistics)."""
    with _LOCK:
        _CACHE.clear()
        _STATS.update(hits=0, misses=0)
