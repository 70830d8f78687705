"""Execution benchmarks for qar_qiskit.backends (JSON + markdown into --out DIR).

    .venv/bin/python benchmarks/bench_execution.py --out bench-out [--quick] [--repeats N]

Measures, on the tick circuit (the composer's when it exists, else the 24-qubit stand-in):

1. Aer tuning grid: method (statevector for the 16-qubit plan, MPS with mps_probabilities),
   threads (max_parallel_threads=1 vs Aer's default), fusion on/off; 1 row and 8 rows per call.
2. Warm execution through AerExecutor vs a raw ``AerSimulator.run`` of the same bound ISA
   circuit with the same options (ratio), vs a naive loop that transpiles every tick and runs
   with Aer defaults, and the qiskit_aer SamplerV2 engine vs the direct engine.
3. Noisy: aer-noisy:FakeTorino (cold and warm) vs qiskit-ibm-runtime local testing mode
   (client-side ``Sampler(mode=FakeTorino())``) on the same circuit and shots.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qiskit.transpiler import generate_preset_pass_manager  # noqa: E402
from qiskit_aer import AerSimulator  # noqa: E402

from qar_qiskit.backends.aer import AerExecutor  # noqa: E402
from qar_qiskit.backends.noisy import NoisyAerExecutor  # noqa: E402
from qar_qiskit.circuits.composer import compose_tick_circuit as tick_circuit_for  # noqa: E402
from qar_qiskit.plan.allocation import AllocationPlan  # noqa: E402

SMALL = AllocationPlan(lmsr=1, prospect=2, hedge=1, buffer=1)  # 16 qubits
FULL = AllocationPlan()  # 24 qubits


def med(fn, repeats: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return 1000 * statistics.median(ts)


def values(tc, rows, seed=0):
    return np.random.default_rng(seed).uniform(0, np.pi, (rows, len(tc.parameters)))


def aer_grid(repeats: int, shots: int) -> list[dict]:
    out = []
    for label, plan in (("16q", SMALL), ("24q", FULL)):
        tc = tick_circuit_for(plan)
        n = tc.circuit.num_qubits
        methods = [("statevector", {})] if n <= 16 else []
        methods.append(("matrix_product_state", {"mps_sample_measure_algorithm": "mps_probabilities"}))
        for method, extra in methods:
            for threads in (1, 0):
                for fusion in (True, False):
                    sim = AerSimulator(method=method, max_parallel_threads=threads, fusion_enable=fusion, **extra)
                    isa = generate_preset_pass_manager(1, backend=sim).run(tc.circuit)
                    v = values(tc, 8)
                    names = [q.name for q in tc.parameters]
                    cols = [names.index(p.name) for p in isa.parameters]
                    bound1 = isa.assign_parameters(dict(zip(isa.parameters, v[0, cols])))
                    binds = [{p: v[:, c] for p, c in zip(isa.parameters, cols)}]
                    one = med(lambda: sim.run(bound1, shots=shots, seed_simulator=1).result(), repeats)
                    eight = med(lambda: sim.run(isa, shots=shots, parameter_binds=binds, seed_simulator=1).result(),
                                max(2, repeats // 2))
                    row = {"circuit": label, "qubits": n, "method": method, "threads": "1" if threads else "default",
                           "fusion": fusion, "one_row_ms": round(one, 1), "eight_rows_ms": round(eight, 1)}
                    print("grid", row, flush=True)
                    out.append(row)
    return out


def executor_vs_raw(repeats: int, shots: int) -> dict:
    res = {}
    tc = tick_circuit_for(FULL)
    ex = AerExecutor(seed=1)
    v1, v8 = values(tc, 1), values(tc, 8)
    ex.run(tc, v1, shots=shots)  # transpile once
    res["executor_1row_ms"] = med(lambda: ex.run(tc, v1, shots=shots), repeats)
    res["executor_8rows_ms"] = med(lambda: ex.run(tc, v8, shots=shots), max(2, repeats // 2))
    prepared, _ = ex.prepared(tc)
    isa = prepared.isa
    sim = ex.simulator(ex.method_for(isa.num_qubits))
    bound = isa.assign_parameters(dict(zip(isa.parameters, prepared.bind_matrix(v1)[0])))
    res["raw_aer_run_1row_ms"] = med(lambda: sim.run(bound, shots=shots, seed_simulator=1).result(), repeats)
    res["ratio_executor_over_raw"] = res["executor_1row_ms"] / res["raw_aer_run_1row_ms"]

    def naive():
        default = AerSimulator()
        from qiskit import transpile

        circ = transpile(tc.circuit.assign_parameters(dict(zip(tc.parameters, v1[0]))), default)
        default.run(circ, shots=shots, seed_simulator=1).result()

    res["naive_transpile_each_tick_default_aer_ms"] = med(naive, max(2, repeats // 3))
    res["speedup_vs_naive"] = res["naive_transpile_each_tick_default_aer_ms"] / res["executor_1row_ms"]
    exs = AerExecutor(seed=1, engine="sampler")
    exs.run(tc, v1, shots=shots)
    res["sampler_engine_1row_ms"] = med(lambda: exs.run(tc, v1, shots=shots), repeats)
    res["sampler_engine_8rows_ms"] = med(lambda: exs.run(tc, v8, shots=shots), max(2, repeats // 2))
    res["cache"] = ex.cache.stats()
    res = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in res.items()}
    print("executor", res, flush=True)
    return res


def noisy(shots: int, quick: bool, shot_counts: list[int]) -> dict:
    """aer-noisy:FakeTorino warm ticks vs qiskit-ibm-runtime local mode, same ISA circuit and shots.

    Per shot count, interleaved in one run: our executor as configured (statevector trajectories
    with Aer's shot branching, readout errors applied to the sampled outcomes), the same executor
    with ``shot_branching_enable=False`` (every shot simulated from the start; otherwise the same
    options), and local
    mode (``Sampler(mode=FakeTorino())``, which builds the 133-qubit noise model on each call).
    """
    from qiskit_ibm_runtime.executor_sampler import Sampler
    from qiskit_ibm_runtime.fake_provider import FakeTorino

    res = {"shots": shots, "circuit_qubits": 16}
    tc = tick_circuit_for(SMALL)
    v = values(tc, 1)
    t0 = time.perf_counter()
    ex = NoisyAerExecutor("FakeTorino", seed=1, mitigation="m3")
    r = ex.run(tc, v, shots=shots)
    res["ours_cold_s"] = time.perf_counter() - t0
    print("noisy: ours cold", res["ours_cold_s"], r[0].metadata["method"], len(r[0].metadata["active_qubits"]),
          flush=True)
    res["ours_method"] = r[0].metadata["method"]
    res["ours_readout"] = r[0].metadata["readout"]
    res["ours_active_qubits"] = len(r[0].metadata["active_qubits"])
    no_branching = NoisyAerExecutor("FakeTorino", seed=1, mitigation="m3", aer_options={"shot_branching_enable": False})
    no_branching.run(tc, v, shots=shots)
    isa, cols = ex.prepare(tc), ex.prepared(tc)[0]
    bound = cols.bind_matrix(v)
    rows = []
    for n in shot_counts:
        repeats = 3 if n <= 200 else 1

        def local_mode():
            sampler = Sampler(mode=FakeTorino(), options={"default_shots": n, "simulator": {"seed_simulator": 1}})
            sampler.run([(isa, bound, n)]).result()

        row = {"shots": n,
               "ours_warm_s": med(lambda: ex.run(tc, v, shots=n), repeats, warmup=0) / 1000,
               "ours_no_branching_s": med(lambda: no_branching.run(tc, v, shots=n), repeats, warmup=0) / 1000,
               "runtime_local_mode_s": med(local_mode, 1 if n > 200 else 2, warmup=0) / 1000}
        row["speedup_vs_local_mode"] = row["runtime_local_mode_s"] / row["ours_warm_s"]
        row["speedup_vs_no_branching"] = row["ours_no_branching_s"] / row["ours_warm_s"]
        row = {k: (round(x, 3) if isinstance(x, float) else x) for k, x in row.items()}
        print("noisy", row, flush=True)
        rows.append(row)
    res["by_shots"] = rows
    first = next((row for row in rows if row["shots"] == shots), rows[0])
    res["ours_warm_s"] = first["ours_warm_s"]
    res["runtime_local_mode_s"] = first["runtime_local_mode_s"]
    res["speedup_warm_vs_local_mode"] = first["speedup_vs_local_mode"]
    if not quick:
        tc24 = tick_circuit_for(FULL)
        v24 = values(tc24, 1)
        s24 = max(50, shots // 4)
        t0 = time.perf_counter()
        r = ex.run(tc24, v24, shots=s24)
        res["ours_24q_cold_s"] = time.perf_counter() - t0
        res["ours_24q_warm_s"] = med(lambda: ex.run(tc24, v24, shots=s24), 1, warmup=0) / 1000
        res["ours_24q_shots"] = s24
        res["ours_24q_method"] = r[0].metadata["method"]
    res = {k: (round(x, 3) if isinstance(x, float) else x) for k, x in res.items()}
    print("noisy", res, flush=True)
    return res


def markdown(report: dict) -> str:
    lines = ["# Execution benchmark", "", f"machine: {report['machine']}", ""]
    lines += ["## Aer grid (ms per call, median)", "",
              "| circuit | method | threads | fusion | 1 row | 8 rows |", "|---|---|---|---|---|---|"]
    for r in report["aer_grid"]:
        lines.append(f"| {r['circuit']} | {r['method']} | {r['threads']} | {r['fusion']} | {r['one_row_ms']} "
                     f"| {r['eight_rows_ms']} |")
    lines += ["", "## Executor vs raw Aer (24-qubit tick, ms)", ""]
    lines += [f"- {k}: {v}" for k, v in report["executor"].items()]
    lines += ["", "## Noisy (FakeTorino)", ""]
    lines += [f"- {k}: {v}" for k, v in report["noisy"].items() if k != "by_shots"]
    if report["noisy"].get("by_shots"):
        lines += ["", "| shots | ours warm s | ours, no shot branching s | runtime local mode s | local / ours "
                  "| no branching / ours |",
                  "|---:|---:|---:|---:|---:|---:|"]
        for r in report["noisy"]["by_shots"]:
            lines.append(f"| {r['shots']} | {r['ours_warm_s']} | {r['ours_no_branching_s']} "
                         f"| {r['runtime_local_mode_s']} "
                         f"| {r['speedup_vs_local_mode']:.1f}x | {r['speedup_vs_no_branching']:.1f}x |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--shots", type=int, default=1000)
    ap.add_argument("--noisy-shots", type=int, default=200)
    ap.add_argument("--noisy-shot-counts", default="50,200,1000",
                    help="comma list of shot counts for the noisy-vs-local-mode table")
    ap.add_argument("--quick", action="store_true", help="fewer repeats, skip the 24-qubit noisy run")
    ap.add_argument("--skip", default="", help="comma list of sections to skip: grid,executor,noisy")
    args = ap.parse_args()
    warnings.simplefilter("ignore", DeprecationWarning)
    repeats = 3 if args.quick else args.repeats
    skip = set(filter(None, args.skip.split(",")))
    report = {
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}",
        "tick_circuit": type(tick_circuit_for(FULL)).__name__,
        "aer_grid": [] if "grid" in skip else aer_grid(repeats, args.shots),
        "executor": {} if "executor" in skip else executor_vs_raw(repeats, args.shots),
        "noisy": {} if "noisy" in skip else noisy(args.noisy_shots, args.quick,
                                                  [int(x) for x in args.noisy_shot_counts.split(",") if x]),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_execution.json").write_text(json.dumps(report, indent=1))
    (args.out / "bench_execution.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
