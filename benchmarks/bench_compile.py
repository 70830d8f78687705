"""Compilation for a device: layout trials and fractional gates on the composed default tick.

    python benchmarks/bench_compile.py [--trials 8] [--devices FakeFez FakeTorino] [--out reports/bench]

For each regime plan of the default config (``all_plans(load_config())``) the composed tick
circuit is compiled with :func:`qar_qiskit.backends.compile.compile_for_device` at level 3, base
seed 11:

* ``single``: one transpilation (seed 11) -- what the executors do today;
* ``trials``: the best of ``--trials`` seeds by ESP (mapomatic-style selection);
* ``fractional`` (Heron targets): one transpilation for a copy of the target with ``rzz``/``rx``
  at the CZ/SX errors (:func:`with_fractional_gates`), and its best of ``--trials``.

It prints, per device, plan and variant, two-qubit gates, depth, ESP, active qubits and the
scheduled duration, plus the mean per variant. All figures are deterministic (seeded); only the
compile time depends on the machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_info  # noqa: E402

from qar_qiskit.backends.compile import CompileOptions, compile_for_device, isa_summary, with_fractional_gates  # noqa: E402
from qar_qiskit.circuits.composer import compose_tick_circuit  # noqa: E402
from qar_qiskit.config import load_config  # noqa: E402
from qar_qiskit.plan.planner import all_plans  # noqa: E402


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=8)
    ap.add_argument("--devices", nargs="+", default=["FakeFez", "FakeTorino"])
    ap.add_argument("--variants", nargs="+", default=None, help="subset of: single trials fractional fractional+trials")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    import qiskit_ibm_runtime.fake_provider as fp

    plans = all_plans(load_config())
    rows = []
    for dev_name in args.devices:
        device = getattr(fp, dev_name)()
        frac = with_fractional_gates(device.target)
        variants = {
            "single": dict(backend=device, options=CompileOptions(layout_trials=1)),
            f"trials{args.trials}": dict(backend=device, options=CompileOptions(layout_trials=args.trials)),
            "fractional": dict(target=frac, options=CompileOptions(layout_trials=1)),
            f"fractional+trials{args.trials}": dict(target=frac, options=CompileOptions(layout_trials=args.trials)),
        }
        if args.variants:
            variants = {k: v for k, v in variants.items() if k.replace(str(args.trials), "") in args.variants}
        for regime, plan in plans.items():
            circuit = compose_tick_circuit(plan).circuit
            for variant, kw in variants.items():
                t0 = time.perf_counter()
                isa = compile_for_device(circuit, **kw)
                seconds = time.perf_counter() - t0
                s = isa_summary(isa, kw.get("target") or device.target)
                rows.append({"device": dev_name, "regime": regime, "variant": variant, "compile_s": round(seconds, 2),
                             **{k: s[k] for k in ("two_qubit_gates", "depth", "esp", "active_qubits", "duration_s")}})
                r = rows[-1]
                print(f"{dev_name:<11} {regime:<9} {variant:<20} 2q {r['two_qubit_gates']:>4}  depth {r['depth']:>4}  "
                      f"ESP {r['esp']:.4f}  qubits {r['active_qubits']:>3}  T {1e6 * r['duration_s']:.1f} us  "
                      f"({r['compile_s']} s)", flush=True)
    summary = {}
    for r in rows:
        summary.setdefault((r["device"], r["variant"]), []).append(r)
    print("\nmeans over plans")
    means = []
    for (dev, variant), rs in summary.items():
        m = {"device": dev, "variant": variant, **{k: sum(x[k] for x in rs) / len(rs)
                                                  for k in ("two_qubit_gates", "depth", "esp", "duration_s")}}
        means.append(m)
        print(f"{dev:<11} {variant:<20} 2q {m['two_qubit_gates']:.1f}  depth {m['depth']:.1f}  ESP {m['esp']:.4f}  "
              f"T {1e6 * m['duration_s']:.1f} us")
    report = {"machine": machine_info(), "trials": args.trials, "rows": rows, "means": means}
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "bench_compile.json").write_text(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
