"""Noisy tick: the twirled estimator (``aer-noisy``) vs exact trajectories (``aer-noisy-exact``), one run.

    python benchmarks/bench_noisy_estimator.py [--device FakeFez] [--regime trending] [--shots 1024]
        [--ticks 3] [--out reports/bench]

On the default config's plan for ``--regime`` (composer tick circuit, seeded parameter values):

* warm tick time (after one cold call that transpiles, builds the noise tables and calibrates
  mthree; mitigation on, as the default tick) of both executors, wall and process CPU seconds;
* the exact full-noise decision distribution: the decision register's causal cone (12 qubits on
  the default trending plan) under ``NoiseModel.from_backend`` of its sub-device, density matrix
  split at its reused measurements (:mod:`qar_qiskit.backends.dm_reference`), readout errors applied;
  and the same with the twirled noise model (the estimator's bias is the TVD between the two);
* per tick, TVD(decision counts, exact) of both executors (raw counts, seeds ``1..ticks``), and
  the shot noise of a true sampler: the mean TVD of ``shots`` multinomial draws from the exact
  distribution (2000 draws).

Machine load (``uptime``) is recorded before and after: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return f"loadavg {os.getloadavg()}"


def _timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def _decision_vector(counts: dict[str, int]) -> np.ndarray:
    v = np.zeros(32)
    for key, n in counts.items():
        v[int(key, 2)] += n
    return v / v.sum()


def measure(device: str = "FakeFez", regime: str = "trending", shots: int = 1024, ticks: int = 3,
            samples: int | None = None) -> dict:
    from qiskit_aer.noise import NoiseModel

    from qar_qiskit.backends import make_executor
    from qar_qiskit.backends.device_sim import SubDevice, sub_target
    from qar_qiskit.backends.dm_reference import exact_distribution
    from qar_qiskit.backends.lightcone import register_cone
    from qar_qiskit.backends.readout import ClassicalReadout, post_readout_map
    from qar_qiskit.backends.twirl import PauliTable
    from qar_qiskit.circuits import composer
    from qar_qiskit.config import load_config
    from qar_qiskit.plan.planner import plan_for_regime

    report: dict = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "uptime_start": _uptime(),
                    "command": " ".join(["python", *sys.argv]), "device": device, "regime": regime, "shots": shots}
    plan = plan_for_regime(load_config(), regime)
    tc = composer.compose_tick_circuit(plan)
    values = np.random.default_rng(7).uniform(0.1, 1.2, (1, tc.circuit.num_parameters))
    report["plan"] = plan.sizes()
    executors = {"estimator": make_executor(f"aer-noisy:{device}", seed=1, shots=shots,
                                            **({"samples": samples} if samples else {})),
                 "exact": make_executor(f"aer-noisy-exact:{device}", seed=1, shots=shots)}
    results: dict = {}
    for name, ex in executors.items():
        _, cold, _ = _timed(lambda: ex.run(tc, values, seed=0))
        rows = []
        for k in range(1, ticks + 1):
            res, wall, cpu = _timed(lambda: ex.run(tc, values, seed=k)[0])
            rows.append({"wall_s": wall, "cpu_s": cpu, "decision": _decision_vector(res.counts["decision"])})
        results[name] = {"cold_s": cold, "rows": rows, "groups": res.metadata["groups"]}
        print(f"{name}: cold {cold:.1f} s, warm {[round(r['wall_s'], 2) for r in rows]} s", flush=True)
    # exact references on the decision cone (the same ISA circuit the executors ran)
    prepared, _ = executors["exact"].prepared(tc)
    cone = register_cone(prepared.isa, ("decision",))
    sub = SubDevice(sub_target(executors["exact"].device.target, list(cone.qubits)), "cone")
    readout = ClassicalReadout.from_target(sub.target, post_readout_map(cone.circuit))
    index = {p.name: j for j, p in enumerate(prepared.isa.parameters)}
    bound = prepared.bind_matrix(values)[0][[index[p.name] for p in cone.circuit.parameters]]
    full, ref_s, _ = _timed(lambda: exact_distribution(cone.circuit, NoiseModel.from_backend(sub, readout_error=False),
                                                       readout, values=bound))
    twirled, tw_s, _ = _timed(lambda: exact_distribution(
        cone.circuit, PauliTable.from_target(sub.target).noise_model(list(sub.target.operation_names)),
        readout, values=bound))
    # dm_reference orders outcomes by the measured clbits: the decision register's 5 bits, in order
    rng = np.random.default_rng(123)
    draws = rng.multinomial(shots, full, size=2000) / shots
    shot_tvd = float(np.mean(0.5 * np.abs(draws - full).sum(axis=1)))
    report.update({
        "decision_cone_qubits": len(cone.qubits), "reference_s": ref_s, "twirled_reference_s": tw_s,
        "twirl_bias_tvd": float(0.5 * np.abs(full - twirled).sum()), "shot_noise_tvd": shot_tvd,
    })
    for name, r in results.items():
        tvds = [float(0.5 * np.abs(row["decision"] - full).sum()) for row in r["rows"]]
        report[name] = {"cold_s": r["cold_s"], "warm_wall_s": [row["wall_s"] for row in r["rows"]],
                        "warm_cpu_s": [row["cpu_s"] for row in r["rows"]], "decision_tvd": tvds,
                        "mean_decision_tvd": float(np.mean(tvds)), "groups": r["groups"]}
    est, exa = report["estimator"], report["exact"]
    report["speedup_wall"] = float(np.mean(exa["warm_wall_s"]) / np.mean(est["warm_wall_s"]))
    report["speedup_cpu"] = float(np.mean(exa["warm_cpu_s"]) / np.mean(est["warm_cpu_s"]))
    report["tvd_ratio_estimator"] = est["mean_decision_tvd"] / shot_tvd
    report["tvd_ratio_exact"] = exa["mean_decision_tvd"] / shot_tvd
    report["uptime_end"] = _uptime()
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="FakeFez")
    ap.add_argument("--regime", default="trending")
    ap.add_argument("--shots", type=int, default=1024)
    ap.add_argument("--ticks", type=int, default=3)
    ap.add_argument("--samples", type=int, default=None)
    ap.add_argument("--out", type=Path, default=Path("reports/bench"))
    args = ap.parse_args()
    report = measure(args.device, args.regime, args.shots, args.ticks, args.samples)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"noisy_estimator_{args.regime}.json"
    path.write_text(json.dumps(report, indent=2, default=float))
    summary = {k: v for k, v in report.items() if k not in ("estimator", "exact")}
    for name in ("estimator", "exact"):
        summary[name] = {k: report[name][k] for k in ("cold_s", "warm_wall_s", "warm_cpu_s", "decision_tvd")}
    print(json.dumps(summary, indent=2, default=float))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
