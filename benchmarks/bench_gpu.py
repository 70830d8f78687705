"""The same noisy tick on CPU and on GPU (``aer: {device: GPU}``), side by side in one run.

    python benchmarks/bench_gpu.py [--device FakeFez] [--regime trending] [--shots 1024] [--ticks 3]
        [--out reports/bench]

Runs the default config's plan for ``--regime`` (composer tick circuit, seeded parameter values)
on ``aer-noisy:<device>`` (the twirled estimator) and ``aer-noisy-exact:<device>`` (exact
trajectories), each once with Aer on the CPU and once with ``device: GPU`` (batched shots up to
the widest light-cone group, :func:`qar_qiskit.backends.device_sim.gpu_options`): one cold call,
then ``--ticks`` warm ticks, wall seconds each, and the decision counts' TVD between the CPU
and GPU runs of the same seed (same seed: the estimator's shots are drawn by numpy, so they
agree unless the statevector passes differ).

Needs a qiskit-aer built with CUDA (the ``qiskit-aer-gpu`` package, ``pip install
'qar-qiskit[gpu]'`` after ``pip uninstall qiskit-aer``). Without a GPU device it prints why it
skipped and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import tvd  # noqa: E402


def _decision(counts: dict[str, int]) -> np.ndarray:
    v = np.zeros(32)
    for key, n in counts.items():
        v[int(key, 2)] += n
    return v / v.sum()


def measure(device: str, regime: str, shots: int, ticks: int) -> dict:
    from qar_qiskit.backends import make_executor
    from qar_qiskit.circuits import composer
    from qar_qiskit.config import load_config
    from qar_qiskit.plan.planner import plan_for_regime

    plan = plan_for_regime(load_config(), regime)
    tc = composer.compose_tick_circuit(plan)
    values = np.random.default_rng(7).uniform(0.1, 1.2, (1, tc.circuit.num_parameters))
    report: dict = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "loadavg_start": os.getloadavg(), "command": " ".join(["python", *sys.argv]),
                    "device": device, "regime": regime, "shots": shots, "runs": {}}
    for kind in ("aer-noisy", "aer-noisy-exact"):
        decisions = {}
        for hw in ("CPU", "GPU"):
            ex = make_executor(f"{kind}:{device}", seed=1, shots=shots, aer_options={"device": hw})
            t = time.perf_counter()
            ex.run(tc, values, seed=0)
            cold = time.perf_counter() - t
            warm, rows = [], []
            for k in range(1, ticks + 1):
                t = time.perf_counter()
                rows.append(_decision(ex.run(tc, values, seed=k)[0].counts["decision"]))
                warm.append(time.perf_counter() - t)
            decisions[hw] = rows
            report["runs"][f"{kind} {hw}"] = {"cold_s": cold, "warm_s": warm}
            print(f"{kind} {hw}: cold {cold:.1f} s, warm {[round(w, 2) for w in warm]} s", flush=True)
        report["runs"][f"{kind} cpu_vs_gpu_tvd"] = [tvd(a, b) for a, b in zip(decisions["CPU"], decisions["GPU"])]
    report["loadavg_end"] = os.getloadavg()
    return report


def main(argv=None) -> int:
    from qiskit_aer import AerSimulator

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="FakeFez")
    ap.add_argument("--regime", default="trending")
    ap.add_argument("--shots", type=int, default=1024)
    ap.add_argument("--ticks", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path("reports/bench"))
    args = ap.parse_args(argv)
    devices = AerSimulator().available_devices()
    if "GPU" not in devices:
        print(f"bench_gpu: skipped: this qiskit-aer offers {', '.join(devices)}, no GPU (install "
              "qiskit-aer-gpu in place of qiskit-aer on a CUDA machine to run it)")
        return 0
    report = measure(args.device, args.regime, args.shots, args.ticks)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_gpu.json").write_text(json.dumps(report, indent=1, default=str))
    print(json.dumps(report, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
