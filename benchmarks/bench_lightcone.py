"""Light cones and ESP of the default config's plans on fake IBM devices; cone-simulation timing.

1. Per device (FakeFez, FakeTorino, FakeBrisbane) and regime plan of the default config, at
   ``optimization_level=3`` with the noisy executor's pass manager (16 layout trials from
   ``seed_transpiler=11`` kept by the decision cone's ESP):
   every measured register's backward light cone (qubits, two-qubit gates, depth, ESP) and the
   whole circuit's (``qar_qiskit.backends.cone_report.plan_stats``).
2. ``--timing`` (off with ``--quick``): a warm noisy tick with light-cone simulation vs the
   whole circuit as one simulation vs qiskit-ibm-runtime local mode (``Sampler(mode=Fake*())``)
   on the same ISA circuit and parameter values. Local mode (and the whole-circuit simulation)
   runs ``--local-shots`` shots and is scaled linearly to ``--shots`` (trajectory simulation
   costs per shot; the scaling is stated in the output).

    python benchmarks/bench_lightcone.py --out results/lightcone [--quick] [--timing]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import ROOT, machine_info  # noqa: E402

from qar_qiskit.backends.cone_report import plan_stats, stats_table  # noqa: E402
from qar_qiskit.config import load_config  # noqa: E402

DEVICES = ("FakeFez", "FakeTorino", "FakeBrisbane")


def tables(devices, level: int) -> list[dict]:
    config = load_config(None)
    rows = []
    for device in devices:
        t0 = time.perf_counter()
        rows += plan_stats(config, f"aer-noisy:{device}", optimization_level=level)
        print(f"{device}: stats in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    return rows


def timing(devices, config_path, regime: str, shots: int, local_shots: int, whole: bool) -> list[dict]:
    """Warm tick seconds: light-cone simulation at ``shots``; whole circuit and local mode scaled."""
    import numpy as np
    import qiskit_ibm_runtime.fake_provider as fp
    from qiskit_ibm_runtime.executor_sampler import Sampler

    from qar_qiskit.backends.noisy import NoisyAerExecutor
    from qar_qiskit.circuits.composer import compose_tick_circuit
    from qar_qiskit.plan.planner import plan_for_regime

    plan = plan_for_regime(load_config(config_path), regime)
    tc = compose_tick_circuit(plan)
    values = np.random.default_rng(0).uniform(0.1, 1.2, (1, len(tc.parameters)))
    out = []
    for device in devices:
        ex = NoisyAerExecutor(device, seed=1, mitigation="m3")
        t0 = time.perf_counter()
        ex.run(tc, values, shots=shots)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = ex.run(tc, values, shots=shots)[0]
        warm = time.perf_counter() - t0
        row = {"device": device, "regime": regime, "plan_qubits": plan.total, "shots": shots, "cone_cold_s": cold,
               "cone_warm_s": warm, "groups": res.metadata["groups"]}
        isa = ex.prepare(tc)
        bound = ex.prepared(tc)[0].bind_matrix(values)
        if whole:
            full = NoisyAerExecutor(device, seed=1, mitigation="m3", light_cone=False)
            full.run(tc, values, shots=local_shots)
            t0 = time.perf_counter()
            full.run(tc, values, shots=local_shots)
            row["whole_warm_s_scaled"] = (time.perf_counter() - t0) * shots / local_shots
        sampler = Sampler(mode=getattr(fp, device)(),
                          options={"default_shots": local_shots, "simulator": {"seed_simulator": 1}})
        t0 = time.perf_counter()
        sampler.run([(isa, bound, local_shots)]).result()
        row["local_mode_s_at_local_shots"] = time.perf_counter() - t0
        row["local_shots"] = local_shots
        row["local_mode_s_scaled"] = row["local_mode_s_at_local_shots"] * shots / local_shots
        row["speedup_vs_local_mode"] = row["local_mode_s_scaled"] / warm
        print("timing", json.dumps(row), file=sys.stderr, flush=True)
        out.append(row)
    return out


def markdown(rows: list[dict], times: list[dict], machine: dict) -> str:
    lines = ["## Light cones and ESP (default config, optimization level 3, 16 layout trials from seed_transpiler 11 "
             "kept by the decision cone's ESP)", "",
             f"{machine.get('date', '')}; {machine.get('cpu', '')}", "",
             "| device | plan | active qubits | two-qubit gates | depth | ESP whole | decision cone: qubits | "
             "two-qubit | depth | ESP |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        c, d = r["circuit"], r["registers"].get("decision", {})
        lines.append(f"| {r['backend'].split(':')[-1]} | {r['regime']} | {c['qubits']} | {c['two_qubit_gates']} | "
                     f"{c['depth']} | {c['esp']:.3f} | {d.get('qubits')} | {d.get('two_qubit_gates')} | "
                     f"{d.get('depth')} | {d.get('esp', float('nan')):.3f} |")
    lines += ["", "Every register:", "", "```", stats_table(rows).rstrip(), "```"]
    if times:
        lines += ["", "## Warm noisy tick: light-cone simulation vs qiskit-ibm-runtime local mode", "",
                  "| device | plan qubits | shots | cone warm s | groups (registers: qubits) "
                  "| whole circuit s (scaled) "
                  "| local mode s (scaled from shots) | speed-up |", "|---|---:|---:|---:|---|---:|---:|---:|"]
        for t in times:
            groups = "; ".join(f"{'+'.join(g['registers'])}: {g['qubits']}" for g in t["groups"])
            whole = f"{t['whole_warm_s_scaled']:.1f}" if "whole_warm_s_scaled" in t else "-"
            lines.append(f"| {t['device']} | {t['plan_qubits']} | {t['shots']} | {t['cone_warm_s']:.2f} | {groups} | "
                         f"{whole} | {t['local_mode_s_scaled']:.1f} (from {t['local_shots']}) | "
                         f"{t['speedup_vs_local_mode']:.1f}x |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "lightcone")
    ap.add_argument("--quick", action="store_true", help="tables only (no timing)")
    ap.add_argument("--devices", default=",".join(DEVICES))
    ap.add_argument("--level", type=int, default=3)
    ap.add_argument("--timing", action="store_true", help="also time a warm noisy tick (minutes)")
    ap.add_argument("--config", default=None, help="config of the timed plan (default: the packaged one)")
    ap.add_argument("--regime", default="trending")
    ap.add_argument("--shots", type=int, default=1024)
    ap.add_argument("--local-shots", type=int, default=64)
    ap.add_argument("--timing-devices", default="FakeFez,FakeTorino")
    ap.add_argument("--whole", action="store_true", help="also time the whole circuit as one simulation")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    machine = machine_info()
    rows = tables(args.devices.split(","), args.level)
    times = []
    if args.timing and not args.quick:
        times = timing(args.timing_devices.split(","), args.config, args.regime, args.shots, args.local_shots,
                       args.whole)
    (args.out / "bench_lightcone.json").write_text(json.dumps({"machine": machine, "stats": rows, "timing": times},
                                                              indent=2, default=str))
    md = markdown(rows, times, machine)
    (args.out / "bench_lightcone.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
