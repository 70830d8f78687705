"""Cone-first vs whole-circuit compilation: every register's cone ESP, routed 2q gates, compile time.

    python benchmarks/bench_cone_first.py [--trials 16] [--devices FakeFez ...] [--out reports/bench]

For each regime plan of the default config and each device, side by side in one run:

* ``whole``: today's compilation (best of ``--trials`` seeded level-3 transpilations by the
  decision cone's ESP, :class:`~qar_qiskit.backends.compile.BestOfSeeds`);
* ``cone-first``: ``strategy="cone-first"`` (:class:`~qar_qiskit.backends.cone_first.Guarded`): a
  cone-first candidate only where no register's cone ESP falls below ``whole``'s, else ``whole``;
* ``unguarded``: the cone-first candidate of highest decision-cone ESP whatever the other
  registers lose (what the decision alone could get; not a product setting).

The two cone-first rows are chosen from the same candidates (``--trials`` prefix seeds x 2
suffix routings), so their compile time is one figure (``cone-first`` = ``whole`` + candidates).
Per row: every measured register's cone ESP, the decision cone's qubits, the whole circuit's
two-qubit gates and ESP. FakeNighthawk's error values are placeholders (its own warning): judge it
by routed two-qubit gates and decision-cone size. Figures are deterministic; times are not.

Measured 2026-12-06 23:48 - 12-07 00:15 UTC, ``python benchmarks/bench_cone_first.py`` (defaults),
shared 2-core machine at load 6-11 (seconds inflated; whole compile 1.4-2.3 s per plan on FakeFez
at load 2.5). Decision-cone ESP, whole -> best unguarded cone-first candidate:

    FakeFez        0.661-0.696 -> 0.709-0.727   (each candidate loses a register, e.g. hedge 0.585 -> 0.189)
    FakeMarrakesh  0.767-0.802 -> up to 0.802
    FakeKingston   0.776-0.800 -> 0.798-0.814
    FakeTorino     0.616-0.628 -> up to 0.622   (0-2 candidates per plan)
    FakeNighthawk  0.837-0.842 -> 0.841-0.847   (placeholder errors; 166-188 2q, decision cone 12-13 q)

Guarded ``cone-first``: 0 admissible candidates on all 20 device x plan pairs, i.e. the whole
compilation each time, for 10-50% more compile time. Full table: the project's compile notes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_info  # noqa: E402

from qar_qiskit.backends.compile import device_pass_manager, register_esps  # noqa: E402
from qar_qiskit.backends.cone_first import ConeFirst  # noqa: E402
from qar_qiskit.circuits.composer import compose_tick_circuit  # noqa: E402
from qar_qiskit.config import load_config  # noqa: E402
from qar_qiskit.plan.planner import all_plans  # noqa: E402

DEVICES = ["FakeFez", "FakeMarrakesh", "FakeKingston", "FakeTorino", "FakeNighthawk"]


def _row(device, regime, variant, isa, target, seconds):
    cones = register_esps(isa, target)
    whole = cones.pop("*")
    return {"device": device, "regime": regime, "variant": variant, "compile_s": round(seconds, 1),
            "esp": {k: round(v["esp"], 4) for k, v in cones.items()},
            "decision_qubits": cones["decision"]["qubits"], "decision_2q": cones["decision"]["two_qubit_gates"],
            "two_qubit_gates": whole["two_qubit_gates"], "circuit_esp": round(whole["esp"], 4)}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=16)
    ap.add_argument("--devices", nargs="+", default=DEVICES)
    ap.add_argument("--regimes", nargs="+", default=None)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    import qiskit_ibm_runtime.fake_provider as fp

    info = {**machine_info(), "load": os.getloadavg(), "command": " ".join(["python", *sys.argv])}
    print(json.dumps(info))
    plans = all_plans(load_config())
    rows = []
    for dev_name in args.devices:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # FakeNighthawk: placeholder errors
            device = getattr(fp, dev_name)()
        target = device.target
        for regime, plan in plans.items():
            if args.regimes and regime not in args.regimes:
                continue
            circuit = compose_tick_circuit(plan).circuit
            t0 = time.perf_counter()
            ref = device_pass_manager(device, layout_trials=args.trials, strategy="whole").run(circuit)
            t_whole = time.perf_counter() - t0
            ref_row = _row(dev_name, regime, "whole", ref, target, t_whole)
            t0 = time.perf_counter()
            cf = ConeFirst(target, seed_transpiler=11, trials=args.trials)
            cands = [(isa, register_esps(isa, target)) for isa in
                     cf.candidates(circuit, min_decision_esp=ref_row["esp"]["decision"])]
            t_cf = t_whole + time.perf_counter() - t0
            refe = ref_row["esp"]

            def key(item):
                e = item[1]
                return (e["decision"]["esp"],
                        sum(math.log(v["esp"]) for n, v in e.items() if n not in ("decision", "*")))

            ok = [c for c in cands if all(c[1][n]["esp"] >= refe[n] - 1e-12 for n in refe)]
            guarded = max(ok, key=key)[0] if ok else ref
            free = max(cands, key=key)[0] if cands else ref
            rows += [ref_row, _row(dev_name, regime, "cone-first", guarded, target, t_cf),
                     _row(dev_name, regime, "unguarded", free, target, t_cf)]
            for r in rows[-3:]:
                regs = " ".join(f"{k} {v:.3f}" for k, v in r["esp"].items())
                print(f"{dev_name:<13} {regime:<9} {r['variant']:<10} 2q {r['two_qubit_gates']:>4}  "
                      f"decision cone {r['decision_qubits']:>2} q {r['decision_2q']:>3} 2q  {regs}  "
                      f"({r['compile_s']} s; {len(cands)} candidates, {len(ok)} admissible)", flush=True)
    report = {"machine": info, "trials": args.trials, "rows": rows}
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "bench_cone_first.json").write_text(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
