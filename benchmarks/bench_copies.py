"""Issue #13: the decision reading a COPY of each expert's read qubit, measured side by side.

Variants of the default config's tick (one plan, default regime ``trending``):

* ``base``: the composer as it was (the decision reads the LMSR/Hedge top qubits and the
  prospect ancilla directly; every tail's causal cone then contains the decision block).
* ``extra``: three fresh qubits appended to the register (28 wide); ``CX(read -> copy)`` right
  after the heads; the decision reads the copies only; the tails keep the originals.
* ``reuse``: the copies on each expert's own lowest register qubit (still |0> until its tail),
  reset after the decision block, before the tail (25 wide; the cone stops at a reset, whose
  output does not depend on its input).

Per variant: per-register causal cones (qubits, two-qubit gates, ESP), the decision cone's ESP
(``tick_score``), whole-circuit two-qubit gates, the noisy tick's simulation groups and warm
time (``aer-noisy:FakeFez``, mthree on), and qiskit-ibm-runtime local mode
(``SamplerV2(mode=FakeFez())``) on the same ISA circuit at a few shots, scaled by shots.

Run: ``python benchmarks/bench_copies.py [--regime trending] [--shots 1024] [--local-shots 2]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from qiskit import QuantumCircuit, QuantumRegister
from qiskit.converters import circuit_to_dag, dag_to_circuit

from qar_qiskit.backends import lightcone
from qar_qiskit.backends.compile import tick_score
from qar_qiskit.backends.noisy import NoisyAerExecutor
from qar_qiskit.circuits import composer
from qar_qiskit.config import load_config
from qar_qiskit.plan.planner import plan_for_regime

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_report  # noqa: E402


def variant(plan, mode: str) -> QuantumCircuit:
    """The measured tick circuit of ``plan`` in variant ``mode`` (see module doc)."""
    if mode == "base":
        return composer.compose_tick_circuit(plan).circuit
    base = composer.compose_tick_circuit(plan)
    q = base.qubits
    reads = [q["lmsr"][-1], q["prospect"][-1], q["hedge"][-1]]
    n = plan.total + (3 if mode.startswith("extra") else 0)
    copies = list(range(plan.total, n)) if mode.startswith("extra") else [q["lmsr"][0], q["prospect"][0], q["hedge"][0]]
    remap = dict(zip(reads, copies))
    rev = mode == "extra_rev"  # the decision reads the originals, the tails and the buffer the copies
    src = base.circuit
    out = QuantumCircuit(QuantumRegister(n, "q"), *src.cregs, name=src.name, global_phase=src.global_phase)
    # the decision fragment's gates are those touching the decision qubits before the barrier
    dec = set(q["decision"])
    state, copied = "front", False
    for ins in src.data:
        idx = [src.find_bit(x).index for x in ins.qubits]
        name = ins.operation.name
        if state == "front" and any(i in dec for i in idx) and not copied:
            for r, c in zip(reads, copies):
                out.cx(r, c)
            copied = True
        if name == "barrier" and state == "front":
            state = "back"
            out.barrier()
            if mode == "reuse":
                for c in copies:
                    out.reset(c)
            continue
        if (state == "back") == rev and (rev or any(i in dec for i in idx)):
            idx = [remap.get(i, i) for i in idx]
        out.append(ins.operation, [out.qubits[i] for i in idx], ins.clbits)
    return out


def _cone_with_reset_cut(isa, registers, *, method="causal"):
    """lightcone.register_cone, but the backward search stops at a reset (its output is |0>
    whatever its input: exact under local noise)."""
    keep = lightcone._check_registers(isa, registers)
    dag = circuit_to_dag(lightcone._reduced(isa, keep))
    measures = [nd for nd in dag.op_nodes() if nd.op.name == "measure"]
    cone, stack = set(measures), list(measures)
    while stack:
        node = stack.pop()
        if node.op.name == "reset":
            continue
        for p in dag.op_predecessors(node):
            if p not in cone:
                cone.add(p)
                stack.append(p)
    for node in list(dag.op_nodes()):
        if node not in cone:
            dag.remove_op_node(node)
    circ = dag_to_circuit(dag)
    qubits = lightcone.active_qubits(circ)
    physical = tuple((i.operation.name, tuple(circ.find_bit(x).index for x in i.qubits)) for i in circ.data)
    compact = lightcone.compact_circuit(circ, qubits, cregs=[r for r in isa.cregs if r.name in keep])
    return lightcone.Cone(keep, tuple(qubits), compact, physical)


def measure(plan, mode: str, shots: int, small: int, local_shots: int, device: str) -> dict:
    import qar_qiskit.backends.noisy as noisy_mod

    circ = variant(plan, mode)
    if mode == "reuse":
        lightcone.register_cone = noisy_mod.register_cone = _cone_with_reset_cut
    else:
        lightcone.register_cone = noisy_mod.register_cone = ORIGINAL_CONE
    ex = NoisyAerExecutor(device, seed=1, mitigation="m3")
    t0 = time.perf_counter()
    prepared, _ = ex.prepared(circ)
    prep_s = time.perf_counter() - t0
    isa = prepared.isa
    target = ex.device.target
    stats = lightcone.circuit_stats(isa, target)
    whole = stats.pop("*")
    row = {"mode": mode, "width": circ.num_qubits, "logical_cx": circ.decompose().count_ops().get("cx", 0),
           "decision_esp": tick_score(isa, target), "whole_2q": whole.two_qubit_gates, "whole_esp": whole.esp,
           "cones": {k: (v.qubits, v.two_qubit_gates, round(v.esp, 3)) for k, v in stats.items()},
           "prepare_s": prep_s}
    values = np.random.default_rng(0).uniform(0.1, 1.2, (1, circ.num_parameters))
    res = None
    for s in (small, shots):
        t0 = time.perf_counter()
        res = ex.run(circ, values, shots=s)[0]
        row[f"warm_{s}_s"] = time.perf_counter() - t0
    row["groups"] = [(g["registers"], g["qubits"], g["method"]) for g in res.metadata["groups"]]
    if local_shots:
        from qiskit_ibm_runtime import SamplerV2
        from qiskit_ibm_runtime.fake_provider import FakeFez

        bound = isa.assign_parameters(prepared.bind_matrix(values)[0])
        t0 = time.perf_counter()
        SamplerV2(mode=FakeFez()).run([bound], shots=local_shots).result()
        row[f"local_{local_shots}_s"] = t = time.perf_counter() - t0
        row[f"local_scaled_{shots}_s"] = t * shots / local_shots
    _emit(row)
    return row


ORIGINAL_CONE = lightcone.register_cone
ROWS: list[dict] = []


def _emit(row: dict) -> None:
    ROWS.append(row)
    print(json.dumps(row), flush=True)


def aer_options(plan, device: str, shots: int) -> None:
    """Aer options on the base variant's widest simulation group, same circuit, side by side."""
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel

    lightcone.register_cone = ORIGINAL_CONE
    ex = NoisyAerExecutor(device, seed=1, mitigation="none", exact=True)
    circ = variant(plan, "base")
    prepared, _ = ex.prepared(circ)
    group = max(ex.groups(prepared), key=lambda g: len(g.physical))
    values = np.random.default_rng(0).uniform(0.1, 1.2, (1, circ.num_parameters))
    bound = prepared.bind_matrix(values)
    qc = group.circuit.assign_parameters(bound[0, group.columns])
    noise = NoiseModel.from_backend(group.entry.sub, readout_error=False)
    base = {"max_parallel_threads": 0, "fusion_enable": True, "fusion_max_qubit": 3}
    trials = {
        "default (fusion 3)": {},
        "fusion 2": {"fusion_max_qubit": 2},
        "fusion 4": {"fusion_max_qubit": 4},
        "no branching": {"shot_branching_enable": False},
        "branching+sampling": {"shot_branching_sampling_enable": True},
        "sv parallel threshold 30": {"statevector_parallel_threshold": 30},
        "1 thread": {"max_parallel_threads": 1},
    }
    for name, extra in trials.items():
        opts = {**base, "shot_branching_enable": True, **extra}
        sim = AerSimulator(method="statevector", noise_model=noise, **opts)
        t0 = time.perf_counter()
        sim.run(qc, shots=shots, seed_simulator=3).result()
        _emit({"aer_option": name, "group": group.registers, "qubits": len(group.physical),
                          "shots": shots, "s": time.perf_counter() - t0})


def esp_only(config, device: str, regimes, modes, trials) -> None:
    """Decision-cone ESP, cone widths and whole-circuit two-qubit gates per variant (compile only)."""
    from qar_qiskit.backends.compile import device_pass_manager
    from qar_qiskit.backends.noisy import fake_device

    fake = fake_device(device)
    for regime in regimes:
        plan = plan_for_regime(config, regime)
        for mode in modes:
            lightcone.register_cone = _cone_with_reset_cut if mode == "reuse" else ORIGINAL_CONE
            for k in trials:
                t0 = time.perf_counter()
                isa = device_pass_manager(fake, optimization_level=3, seed_transpiler=11, layout_trials=k).run(
                    variant(plan, mode))
                stats = lightcone.circuit_stats(isa, fake.target)
                whole = stats.pop("*")
                _emit({"regime": regime, "mode": mode, "trials": k,
                                  "decision_esp": round(tick_score(isa, fake.target), 4),
                                  "decision": (stats["decision"].qubits, stats["decision"].two_qubit_gates),
                                  "widest": max(v.qubits for v in stats.values()), "whole_2q": whole.two_qubit_gates,
                                  "compile_s": round(time.perf_counter() - t0, 1)})


def floor(plan, device: str, shots: int) -> None:
    """The base tick's memory+decision cone alone (what the decision must see in any design where
    it reads 12 logical qubits), simulated like the executor does, at ``shots``."""
    lightcone.register_cone = ORIGINAL_CONE
    ex = NoisyAerExecutor(device, seed=1, mitigation="none", exact=True)
    circ = variant(plan, "base")
    prepared, _ = ex.prepared(circ)
    cone = lightcone.register_cone(prepared.isa, ("memory", "decision"))
    entry = ex.active_set(cone.qubits)
    values = np.random.default_rng(0).uniform(0.1, 1.2, (1, circ.num_parameters))
    index = {p.name: j for j, p in enumerate(prepared.isa.parameters)}
    bound = prepared.bind_matrix(values)[0]
    qc = cone.circuit.assign_parameters([bound[index[p.name]] for p in cone.circuit.parameters])
    sim = entry.simulator if entry.readout_for(cone.circuit) is not None else entry.full_simulator
    for s in (shots // 8, shots):
        t0 = time.perf_counter()
        sim.run(qc, shots=s, seed_simulator=5).result()
        _emit({"floor": "memory+decision cone alone", "qubits": len(cone.qubits), "method": entry.method,
               "shots": s, "s": time.perf_counter() - t0})
    # the other exact method: the density matrix split at the reused measurements (one pass per
    # branch; Aer's own density_matrix run of this circuit simulates one shot at a time, because
    # routing reuses measured qubits: that was the "> 14 min floor" this benchmark once reported)
    from qiskit_aer.noise import NoiseModel

    from qar_qiskit.backends.dm_reference import exact_distribution
    from qar_qiskit.backends.readout import ClassicalReadout, post_readout_map

    t0 = time.perf_counter()
    exact_distribution(qc, NoiseModel.from_backend(entry.sub, readout_error=False),
                       ClassicalReadout.from_target(entry.sub.target, post_readout_map(qc)))
    _emit({"floor": "memory+decision cone alone", "qubits": len(cone.qubits), "method": "split density matrix",
           "shots": shots, "s": time.perf_counter() - t0})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--regime", default="trending")
    ap.add_argument("--device", default="FakeFez")
    ap.add_argument("--shots", type=int, default=1024)
    ap.add_argument("--base-shots", type=int, default=64, help="the base variant's (slow) shots")
    ap.add_argument("--local-shots", type=int, default=0,
                    help="local-mode shots (0: skip; 25 qubits took ~270 s per shot here)")
    ap.add_argument("--modes", default="extra,reuse,base")
    ap.add_argument("--aer-options-shots", type=int, default=0)
    ap.add_argument("--esp-only", default="", help="regimes (comma list): compile-only ESP table")
    ap.add_argument("--trials", default="16,48")
    ap.add_argument("--floor", action="store_true", help="time the base decision cone alone")
    ap.add_argument("--quick", action="store_true", help="compile-only table, trending, 16 trials")
    ap.add_argument("--out", type=Path, default=None, help="write bench_copies.json/.md here")
    args = ap.parse_args()
    if args.quick:
        args.esp_only, args.trials = args.esp_only or args.regime, "16"
    try:
        _run(args)
    finally:
        if args.out is not None:
            md = "# Decision reading copies of the read qubits (bench_copies)\n\n" + "\n".join(
                f"- `{json.dumps(r)}`" for r in ROWS) + "\n"
            write_report(args.out, "bench_copies", {"rows": ROWS}, md)


def _run(args) -> None:
    if args.esp_only:
        esp_only(load_config(None), args.device, args.esp_only.split(","), args.modes.split(","),
                 [int(t) for t in args.trials.split(",")])
        return
    plan = plan_for_regime(load_config(None), args.regime)
    if args.floor:
        floor(plan, args.device, args.shots)
        return
    if args.aer_options_shots:
        aer_options(plan, args.device, args.aer_options_shots)
    for mode in args.modes.split(","):
        shots = args.base_shots if mode == "base" else args.shots
        measure(plan, mode, shots, max(8, shots // 8), args.local_shots, args.device)


if __name__ == "__main__":
    main()
