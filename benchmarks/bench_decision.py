"""Warm decision latency: QAR.decide on Aer vs a raw Aer run of the same bound ISA circuit vs a
naive loop that transpiles every tick. Measured interleaved, in one run.

The naive baseline is reported twice, so that the speed-up of caching the transpiled circuit is
not confused with the choice of simulator: (a) transpile every tick for ``AerSimulator()`` with
Aer's defaults (dense statevector, all threads) and run there; (b) transpile every tick for the
same tuned simulator the framework uses (same method and options, the executor's optimization
level) and run there. (b) / framework is the gain of the transpile cache alone.

    python benchmarks/bench_decision.py --ticks 20 --out reports/bench
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import date
from pathlib import Path

import numpy as np
from qiskit import transpile
from qiskit_aer import AerSimulator

from qar_qiskit.circuits.composer import compose_tick_circuit
from qar_qiskit.system.qar import QAR
from qar_qiskit.tick import MarketTick


def measure(ticks: int = 20, shots: int = 1024) -> dict:
    """Interleaved medians: warm ``QAR.decide`` on aer, raw Aer of the same bound ISA circuit,
    naive transpile-every-tick on Aer defaults (a) and on the tuned simulator (b); plus the cold
    first decision and the stage breakdown of the warm decisions."""
    rng = np.random.default_rng(0)
    returns = rng.normal(0.0004, 0.01, 120)
    qar = QAR(backend="aer", shots=shots)
    tick = lambda i: MarketTick(price=100 + i, volatility=0.12, trend_clarity=0.8)  # noqa: E731
    cold_t = time.perf_counter()
    qar.decide(tick(0), returns_history=returns)
    cold = time.perf_counter() - cold_t

    analysis = qar.analyse(tick(0))
    plan = qar.plan(analysis.dominant)
    tc = compose_tick_circuit(plan)
    values = tc.parameter_values(qar.tick_inputs(tick(0), plan, analysis, returns))
    executor = qar.executor
    isa = executor.prepare(tc)
    bound = isa.assign_parameters(dict(zip(tc.parameters, values)))
    sim = executor.simulator(executor.method_for(isa.num_qubits))
    default_sim = AerSimulator()

    level = executor.optimization_level
    logical = tc.circuit.assign_parameters(dict(zip(tc.parameters, values)))
    framework, raw, naive, naive_tuned, stages = [], [], [], [], []
    for i in range(1, ticks + 1):
        t = time.perf_counter()
        d = qar.decide(tick(i), returns_history=returns)
        framework.append(time.perf_counter() - t)
        stages.append(d.timing)
        t = time.perf_counter()
        sim.run(bound, shots=shots, seed_simulator=i).result()
        raw.append(time.perf_counter() - t)
        if i <= max(3, ticks // 5):  # the naive loop is slow: fewer samples
            t = time.perf_counter()
            circ = transpile(tc.circuit.assign_parameters(dict(zip(tc.parameters, values))), default_sim)
            default_sim.run(circ, shots=shots, seed_simulator=i).result()
            naive.append(time.perf_counter() - t)
            t = time.perf_counter()
            circ = transpile(logical, sim, optimization_level=level)
            sim.run(circ, shots=shots, seed_simulator=i).result()
            naive_tuned.append(time.perf_counter() - t)

    med = {k: statistics.median(v) for k, v in (("framework", framework), ("raw_aer", raw),
                                                ("naive", naive), ("naive_tuned", naive_tuned))}
    stage_med = {k: statistics.median(s.get(k, 0.0) for s in stages) for k in stages[0]}
    return {
        "date": date.today().isoformat(), "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
        "plan": plan.sizes(), "qubits": plan.total, "shots": shots, "ticks": ticks,
        "cold_decision_s": cold, "median_s": med, "stage_median_s": stage_med,
        "overhead_vs_raw_aer": med["framework"] / med["raw_aer"],
        "speedup_vs_naive": med["naive"] / med["framework"],
        "speedup_vs_naive_tuned": med["naive_tuned"] / med["framework"],
        "optimization_level": level,
        "cache": executor.cache_stats(),
    }


def markdown(report: dict) -> str:
    med, cold = report["median_s"], report["cold_decision_s"]
    stages = ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in report["stage_median_s"].items())
    return (f"| measure | median |\n|---|---|\n| cold first decision | {cold * 1000:.0f} ms |\n"
            f"| warm QAR.decide (aer) | {med['framework'] * 1000:.1f} ms |\n"
            f"| raw AerSimulator.run, same bound ISA circuit | {med['raw_aer'] * 1000:.1f} ms |\n"
            f"| naive (a): transpile every tick, Aer defaults | {med['naive'] * 1000:.0f} ms |\n"
            f"| naive (b): transpile every tick (optimization level "
            f"{report['optimization_level']}), same tuned simulator | {med['naive_tuned'] * 1000:.0f} ms |\n"
            f"| framework / raw Aer | {report['overhead_vs_raw_aer']:.2f}x |\n"
            f"| naive (a) / framework: cache + simulator choice | {report['speedup_vs_naive']:.1f}x |\n"
            f"| naive (b) / framework: the transpile cache alone | "
            f"{report['speedup_vs_naive_tuned']:.1f}x |\n\n"
            f"Warm decision stages (median): {stages}\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ticks", type=int, default=20)
    ap.add_argument("--shots", type=int, default=1024)
    ap.add_argument("--out", type=Path, default=Path("reports/bench"))
    args = ap.parse_args()
    report = measure(args.ticks, args.shots)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "decision.json").write_text(json.dumps(report, indent=2))
    md = markdown(report)
    (args.out / "decision.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
