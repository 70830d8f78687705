"""Cone-first compilation: the decision block is placed and routed alone, the rest around it.

The composed tick circuit measures ``memory`` and ``decision`` and then puts a barrier across
all qubits (:mod:`qar_qiskit.circuits.composer`): everything the decision depends on lies before
it. Compiling the whole circuit at once lets the layout serve every register at once; the
decision's cone then gets whatever the compromise leaves. Cone-first compilation splits the
circuit at that barrier and compiles the two parts in turn on the same physical qubits:

1. **Prefix** (the decision block, with the ``memory``/``decision`` measurements): the best of
   ``trials`` seeded preset transpilations by the decision cone's ESP (then the memory cone's,
   then fewer two-qubit gates, then the lower seed).
2. **Suffix** (buffer, tails, the other measurements): starts from the prefix's *final* layout.
   Every logical qubit the prefix left untouched is placed on a free physical qubit next to the
   partners it meets in the suffix (hop distance on the coupling graph, then the qubit's
   readout error, preferring qubits the prefix did not touch), and the suffix is routed on a
   copy of the target without the couplers whose two-qubit error is at least
   ``max_coupler_error`` (0.2; a routed SWAP over such a coupler costs three of those gates).
   Of ``suffix_trials`` seeded routings, the one with the highest product of the other
   registers' cone ESPs is kept -- chosen by ESP, not by two-qubit count.
3. **Join**: prefix, a barrier, suffix, qubit for qubit. The decision cone is the prefix's
   (causal cones end at the measurements), so stage 2 cannot change it.

ESP is :func:`~qar_qiskit.backends.lightcone.esp` on the causal cones of
:mod:`~qar_qiskit.backends.lightcone`; the measured figures are in
``benchmarks/bench_cone_first.py``'s docstring and in :mod:`qar_qiskit.backends.compile`.

A circuit with no such barrier (or no ``decision`` register before it) is compiled the usual
way by the caller (:func:`split_at_barrier` returns ``None``).

**Measured** (``python benchmarks/bench_cone_first.py``, 16 prefix seeds x 2 suffix routings,
default config's four plans; 2026-12-06/07, shared 2-core machine at load 7-10, so the seconds
are inflated several-fold; ESPs are deterministic). Decision-cone ESP and the register that lost
most, whole compilation (today) vs the best cone-first candidate by decision ESP *without* the
guard ("unguarded"):

    device        plan      whole: decision  unguarded: decision  worst other register (whole -> unguarded)
    FakeFez       stable        0.683            0.727              lmsr     0.559 -> 0.332
    FakeFez       trending      0.678            0.709              prospect 0.669 -> 0.509
    FakeFez       volatile      0.696            0.718              prospect 0.539 -> 0.241
    FakeFez       crisis        0.661            0.727              hedge    0.585 -> 0.189
    FakeMarrakesh stable        0.787            0.792              lmsr     0.653 -> 0.505
    FakeMarrakesh volatile      0.767            0.802              lmsr     0.783 -> 0.741
    FakeKingston  stable        0.800            0.807              lmsr     0.648 -> 0.530

Every cone-first candidate (2-30 per plan) lost at least one register against the whole
compilation, so the guarded result was the whole compilation on every plan measured: the prefix's
layout serves the decision and scatters some expert's qubits for its tail, and no suffix routing
(seeds, the 0.2 coupler limit or none: identical results) wins that back. Hence
:data:`~qar_qiskit.backends.compile.DEFAULT_STRATEGY` is ``"whole"``; the full table (all
registers, FakeTorino, FakeNighthawk, compile seconds) is in ``benchmarks/bench_cone_first.py``'s
output and the project notes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.transpiler import CouplingMap, Layout, Target, generate_preset_pass_manager

from qar_qiskit.backends.lightcone import circuit_stats

__all__ = ["ConeFirst", "Guarded", "use_mid_circuit_measure", "split_at_barrier", "routing_target",
           "DEFAULT_MAX_COUPLER_ERROR", "DEFAULT_SUFFIX_TRIALS"]

#: Couplers with a two-qubit error at or above this are not used to route the suffix.
DEFAULT_MAX_COUPLER_ERROR = 0.2
#: Seeded routings of the suffix, best product of the other registers' cone ESP kept.
DEFAULT_SUFFIX_TRIALS = 2

_IDLE = frozenset({"barrier", "delay"})


def split_at_barrier(circuit: QuantumCircuit) -> tuple[QuantumCircuit, QuantumCircuit] | None:
    """``(prefix, suffix)`` of ``circuit`` at its first barrier across all qubits, or ``None``.

    Both parts keep every qubit and classical register of ``circuit`` (so they compose back bit
    for bit); the barrier itself is in neither. ``None`` when there is no such barrier or the
    prefix measures no ``decision`` register.
    """
    cut = next((i for i, ins in enumerate(circuit.data)
                if ins.operation.name == "barrier" and len(ins.qubits) == circuit.num_qubits), None)
    if cut is None:
        return None
    decision = {b for reg in circuit.cregs if reg.name == "decision" for b in reg}
    if not decision or not any(ins.operation.name == "measure" and set(ins.clbits) & decision
                               for ins in circuit.data[:cut]):
        return None
    prefix, suffix = circuit.copy_empty_like(), circuit.copy_empty_like()
    for ins in circuit.data[:cut]:
        prefix.append(ins)
    for ins in circuit.data[cut + 1:]:
        suffix.append(ins)
    return prefix, suffix


def routing_target(target: Target, max_coupler_error: float = DEFAULT_MAX_COUPLER_ERROR) -> Target:
    """A copy of ``target`` without the two-qubit instructions whose error is ``>= max_coupler_error``.

    Everything else (qubit properties, single-qubit gates, measurements, control flow) is kept.
    """
    out = Target(description=target.description, num_qubits=target.num_qubits, dt=target.dt,
                 granularity=target.granularity, min_length=target.min_length, pulse_alignment=target.pulse_alignment,
                 acquire_alignment=target.acquire_alignment, qubit_properties=target.qubit_properties,
                 concurrent_measurements=getattr(target, "concurrent_measurements", None))
    for name in target.operation_names:
        op = target.operation_from_name(name)
        props = target[name]
        if isinstance(op, type) or props is None or None in props:
            out.add_instruction(op, props if props is not None and None not in props else None, name=name)
            continue
        kept = {q: p for q, p in props.items()
                if len(q) != 2 or p is None or p.error is None or p.error < max_coupler_error}
        out.add_instruction(op, kept, name=name)
    return out


def _used(circuit: QuantumCircuit) -> set[int]:
    return {circuit.find_bit(q).index for ins in circuit.data if ins.operation.name not in _IDLE for q in ins.qubits}


def _partners(circuit: QuantumCircuit) -> dict[int, list[int]]:
    """Logical qubit -> the qubits it shares a multi-qubit gate with (first meeting first)."""
    out: dict[int, list[int]] = {}
    for ins in circuit.data:
        if ins.operation.name in _IDLE or len(ins.qubits) < 2:
            continue
        qs = [circuit.find_bit(q).index for q in ins.qubits]
        for a in qs:
            for b in qs:
                if a != b and b not in out.setdefault(a, []):
                    out[a].append(b)
    return out


def _readout_error(target: Target, q: int) -> float:
    p = target["measure"].get((q,)) if "measure" in target.operation_names else None
    return float(p.error) if p is not None and p.error is not None else 0.0


def suffix_layout(prefix_isa: QuantumCircuit, prefix: QuantumCircuit, suffix: QuantumCircuit,
                  target: Target) -> Layout:
    """The suffix's initial layout: the prefix's final positions, untouched qubits next to their partners.

    ``target`` is the routing target (:func:`routing_target`): distances are hops on its
    coupling graph. A free physical qubit is one that holds no qubit the prefix used (it is in
    ``|0>``); those the prefix touched at all (its routing) come last among equals.
    """
    final = prefix_isa.layout.final_index_layout(filter_ancillas=True)
    used = _used(prefix)
    place = {v: final[v] for v in used}
    taken = set(place.values())
    touched = set(_used(prefix_isa))
    dist = CouplingMap(target.build_coupling_map().get_edges()).distance_matrix
    dist = np.where(np.isfinite(dist), dist, 1e6) if dist is not None else None
    partners = _partners(suffix)
    todo = [v for v in range(suffix.num_qubits) if v not in place]
    # qubits with a placed partner first (most placed partners first), then the others in order
    while todo:
        todo.sort(key=lambda v: (-sum(p in place for p in partners.get(v, ())), v))
        v = todo.pop(0)
        anchors = [place[p] for p in partners.get(v, ()) if p in place] or sorted(taken)
        free = [q for q in range(target.num_qubits) if q not in taken]

        def cost(q: int, anchors=anchors) -> tuple:
            hops = sum(dist[a, q] for a in anchors) if dist is not None and anchors else 0.0
            return (hops, q in touched, _readout_error(target, q), q)

        q = min(free, key=cost)
        place[v] = q
        taken.add(q)
    return Layout({suffix.qubits[v]: q for v, q in place.items()})


def _log_esp_product(values) -> float:
    return sum(math.log(max(v, 1e-300)) for v in values)


def join(prefix_isa: QuantumCircuit, suffix_isa: QuantumCircuit) -> QuantumCircuit:
    """Prefix, a barrier on the qubits either part touches, then the suffix, on the same physical qubits.

    The result carries the prefix's initial layout (where each logical qubit starts); its
    ``final_layout`` is ``None`` (not tracked: the executors read measured registers, not observables).
    """
    from qiskit.transpiler import TranspileLayout

    out = prefix_isa.copy()
    if prefix_isa.layout is not None:
        lay = prefix_isa.layout
        out._layout = TranspileLayout(lay.initial_layout, lay.input_qubit_mapping, final_layout=None,  # noqa: SLF001
                                      _input_qubit_count=lay._input_qubit_count,  # noqa: SLF001
                                      _output_qubit_list=lay._output_qubit_list)  # noqa: SLF001
    active = sorted(_used(prefix_isa) | _used(suffix_isa))
    out.barrier([out.qubits[q] for q in active])
    out.compose(suffix_isa, qubits=out.qubits, clbits=out.clbits, inplace=True)
    out.global_phase = prefix_isa.global_phase + suffix_isa.global_phase
    return out


class ConeFirst:
    """Cone-first candidates (module docstring) of a tick circuit for ``target``.

    Args:
        target: the device target (error rates for the scores, instructions for the ISA).
        optimization_level: preset pass-manager level of both stages.
        seed_transpiler: seed of the first trial; trial ``k`` of either stage uses ``seed + k``.
        trials: seeded compilations of the prefix.
        suffix_trials: seeded routings of the suffix per prefix kept.
        max_coupler_error: couplers at or above this error are left out of the suffix's routing.
        translation_method: the preset pass manager's translation plugin (fractional targets).
    """

    def __init__(self, target: Target, *, optimization_level: int = 3, seed_transpiler: int = 11,
                 trials: int = 16, suffix_trials: int = DEFAULT_SUFFIX_TRIALS,
                 max_coupler_error: float = DEFAULT_MAX_COUPLER_ERROR, translation_method: str | None = None):
        self.target = target
        self.level = int(optimization_level)
        self.seed = int(seed_transpiler)
        self.trials = int(trials)
        self.suffix_trials = int(suffix_trials)
        self.routing = routing_target(target, max_coupler_error)
        self.translation_method = translation_method

    def _pm(self, target: Target, seed: int, initial_layout: Layout | None = None):
        kwargs: dict[str, Any] = {"optimization_level": self.level, "seed_transpiler": seed}
        if self.translation_method:
            kwargs["translation_method"] = self.translation_method
        if initial_layout is not None:
            kwargs["initial_layout"] = initial_layout
        return generate_preset_pass_manager(target=target, **kwargs)

    def prefixes(self, prefix: QuantumCircuit, min_decision_esp: float = 0.0) -> list[tuple[float, QuantumCircuit]]:
        """The distinct compiled prefixes whose decision-cone ESP exceeds ``min_decision_esp``, best first."""
        found: dict[tuple, tuple[tuple, QuantumCircuit]] = {}
        for k in range(self.trials):
            isa = self._pm(self.target, self.seed + k).run(prefix)
            stats = circuit_stats(isa, self.target, registers=("decision", "memory"))
            d = stats["decision"].esp
            if d <= min_decision_esp:
                continue
            key = (round(d, 12), round(stats["memory"].esp, 12) if "memory" in stats else 0.0,
                   -stats["*"].two_qubit_gates, -k)
            sig = (tuple(isa.layout.final_index_layout(filter_ancillas=True))
                   + (stats["*"].two_qubit_gates, round(d, 12)))
            if sig not in found or key > found[sig][0]:
                found[sig] = (key, isa)
        return [(key[0], isa) for key, isa in sorted(found.values(), key=lambda kv: kv[0], reverse=True)]

    def candidates(self, circuit: QuantumCircuit, min_decision_esp: float = 0.0):
        """Yield joined cone-first ISA circuits of ``circuit`` (nothing if it cannot be split).

        For each distinct prefix (best decision ESP first) above ``min_decision_esp``, the
        suffix routed with seeds ``seed .. seed + suffix_trials - 1`` from that prefix's layout.
        """
        split = split_at_barrier(circuit)
        if split is None:
            return
        prefix, suffix = split
        for _, isa in self.prefixes(prefix, min_decision_esp):
            layout = suffix_layout(isa, prefix, suffix, self.routing)
            for k in range(self.suffix_trials):
                yield join(isa, self._pm(self.routing, self.seed + k, layout).run(suffix))


def _register_esps(isa: QuantumCircuit, target: Target) -> dict[str, float]:
    stats = circuit_stats(isa, target)
    stats.pop("*")
    return {name: s.esp for name, s in stats.items()}


class Guarded:
    """``run(circuit)``: the ``whole`` compilation, or a cone-first candidate that beats it for every register.

    The reference is ``whole.run(circuit)`` (today's best of seeds). A cone-first candidate is
    admissible when every measured register's cone ESP is at least the reference's (to 1e-12;
    ``max_register_loss`` > 0 lets the registers other than ``decision`` lose up to that fraction,
    for measurement: ``benchmarks/bench_cone_first.py``);
    the admissible candidate with the highest decision-cone ESP wins (then the highest product of
    the other registers' ESPs, then the first found). Without an admissible candidate the
    reference is returned: by construction no register's cone ESP is ever below the ``whole``
    compilation's. ``mid_circuit_measure``: :func:`use_mid_circuit_measure` on the result.
    ``last_choice`` says what was chosen (``"cone-first"`` or ``"whole"``) and the candidates seen.
    """

    def __init__(self, target: Target, whole, cone_first: ConeFirst | None = None, *,
                 mid_circuit_measure: bool = False, max_register_loss: float = 0.0):
        self.max_register_loss = float(max_register_loss)
        self.target = target
        self.whole = whole
        self.cone_first = cone_first
        self.mid_circuit_measure = bool(mid_circuit_measure)
        self.last_choice: dict[str, Any] = {}

    def run(self, circuit: QuantumCircuit) -> QuantumCircuit:
        best = self.whole.run(circuit)
        choice = {"strategy": "whole", "candidates": 0, "admissible": 0}
        if self.cone_first is not None:
            ref = _register_esps(best, self.target)
            best_key = None
            for isa in self.cone_first.candidates(circuit, min_decision_esp=ref.get("decision", 0.0)):
                choice["candidates"] += 1
                esps = _register_esps(isa, self.target)
                floor = {n: ref[n] * (1.0 - self.max_register_loss) - 1e-12 for n in ref}
                floor["decision"] = ref.get("decision", 0.0) - 1e-12
                if set(esps) != set(ref) or any(esps[n] < floor[n] for n in ref):
                    continue
                choice["admissible"] += 1
                key = (round(esps.get("decision", 0.0), 12),
                       round(_log_esp_product(v for n, v in esps.items() if n != "decision"), 12))
                if best_key is None or key > best_key:
                    best, best_key, choice["strategy"] = isa, key, "cone-first"
        self.last_choice = choice
        return use_mid_circuit_measure(best, self.target) if self.mid_circuit_measure else best


def use_mid_circuit_measure(isa: QuantumCircuit, target: Target, name: str = "measure_2") -> QuantumCircuit:
    """``isa`` with its non-terminal measurements as IBM's ``MidCircuitMeasure`` where it pays.

    qiskit-ibm-runtime's ``ConvertToMidCircuitMeasure`` replaces every measurement that has a
    later operation on its qubit by ``measure_2`` (a shorter mid-circuit measurement; FakeKingston,
    FakeBoston and FakePittsburgh offer it, FakeFez and FakeTorino do not). Here a replaced
    measurement is put back where the target's ``measure_2`` error on that qubit is higher than
    its ``measure`` error, so the ESP never drops. A target without ``name``: ``isa`` unchanged.
    """
    if name not in target.operation_names:
        return isa
    from qiskit.circuit.library import Measure
    from qiskit.converters import circuit_to_dag, dag_to_circuit
    from qiskit_ibm_runtime.transpiler.passes import ConvertToMidCircuitMeasure

    out = dag_to_circuit(ConvertToMidCircuitMeasure(target, mcm_name=name).run(circuit_to_dag(isa)))
    out._layout = isa.layout  # noqa: SLF001 - keep the layout the conversion does not change
    for i, ins in enumerate(out.data):
        if ins.operation.name == name:
            q = (out.find_bit(ins.qubits[0]).index,)
            mcm, plain = target[name].get(q), target["measure"].get(q)
            if mcm is None or (plain is not None and (mcm.error or 0.0) > (plain.error or 0.0)):
                out.data[i] = ins.replace(operation=Measure())
    return out

