"""Noise: decisions on a fake IBM device's noise model vs noiseless Aer vs the exact twin.

    python benchmarks/bench_noise.py --out reports/bench [--device FakeTorino] [--per-regime 1] [--shots 128]

For seeded ticks of every regime (:func:`_common.seeded_ticks`) the tick circuit of a plan is run
through ``make_executor("aer-noisy:<device>", mitigation="m3")`` (the device's noise model on the
circuit compacted to its active physical qubits, mthree readout mitigation) and through
``make_executor("aer")`` with the same shots. Per tick and per variant (noiseless Aer, noisy raw
counts, the executor's readout-mitigated quasi-probabilities ``result.mitigated``, and those
projected onto the nearest probability vector) it reports:

* whether the top decision (argmax over the 32 decisions) matches the exact twin's
  (:func:`qar_qiskit.classical.decision.decision_distribution`), and, for the noisy variants,
  the noiseless run's;
* the TVD of the decision distribution to the exact one (for mitigated output: of the
  quasi-distribution, negative entries included);
* the market register's invalid-code rate (shots whose 4-bit code is none of the 4 regime codes;
  0 for a noiseless run; for mitigated output the quasi-probability mass on invalid codes).

Plan size: noisy trajectory simulation costs ~0.2 s per shot at 16-17 active qubits on this
machine (statevector + shot branching; see ``qar_qiskit/backends/noisy.py``), and the default
25-qubit plans route onto more than 24 active qubits, where the noisy executor falls back to MPS
(~3 s per shot). So by default each regime uses its **minimal plan** (LMSR 1, prospect 1+1,
Hedge 1, the regime's minimum buffer: 16-17 qubits); ``--plan default`` uses the config's plans.
Inputs come from ``QAR.tick_inputs`` for that plan, so noisy, noiseless and exact see the same
numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    REGIME_CODES,
    REGIMES,
    expected_tvd,
    finite_json,
    finite_mean,
    machine_info,
    nearest_probability,
    quasi_vector,
    resolvable,
    seeded_ticks,
    tvd,
)

VARIANTS = ("aer", "noisy_raw", "noisy_postselected", "noisy_consistent", "noisy_both", "noisy_mitigated",
            "noisy_mitigated_projected")
LABELS = {"aer": "noiseless Aer", "noisy_raw": "noisy, raw counts",
          "noisy_postselected": "noisy, market post-selected (same shots as raw)",
          "noisy_consistent": "noisy, decision-consistency post-selected (action_lo = mem1, abstain holds)",
          "noisy_both": "noisy, market and consistency post-selected",
          "noisy_mitigated": "noisy, mitigated (quasi-probabilities)",
          "noisy_mitigated_projected": "noisy, mitigated, projected to probabilities"}


def minimal_plan(regime: str):
    """The smallest valid plan for ``regime`` (LMSR 1, prospect 2, Hedge 1, minimum buffer)."""
    from qar_qiskit.plan.allocation import AllocationPlan

    last = None
    for buffer in range(0, 5):
        try:
            return AllocationPlan(regime=regime, lmsr=1, prospect=2, hedge=1, buffer=buffer)
        except Exception as exc:  # noqa: BLE001 - pydantic ValidationError: buffer too small
            last = exc
    raise RuntimeError(f"no minimal plan for {regime}: {last}")


def _invalid_rate(market: np.ndarray) -> float:
    mask = np.ones(market.size, dtype=bool)
    mask[list(REGIME_CODES)] = False
    return float(market[mask].sum())


def measure(per_regime: int = 1, shots: int = 128, device: str = "FakeTorino", plan: str = "minimal",
            seed: int = 11, tick_seed: int = 2024, mitigation: str = "m3", progress: bool = True) -> dict:
    """Run the noise benchmark and return its report (JSON-ready dict)."""
    from tqdm import tqdm

    from qar_qiskit.backends import make_executor
    from qar_qiskit.circuits.composer import compose_tick_circuit
    from qar_qiskit.circuits.decision import CONSISTENCY_KEY, consistent_codes
    from qar_qiskit.circuits.reader import read_counts
    from qar_qiskit.classical.decision import decision_distribution
    from qar_qiskit.system.qar import QAR

    t_start = time.perf_counter()
    qar = QAR(backend="exact")  # only its classical side: regime analysis and tick inputs
    ticks = seeded_ticks(per_regime, seed=tick_seed, qar=qar)
    noiseless = make_executor("aer", seed=seed)
    noisy = make_executor(f"aer-noisy:{device}", seed=seed, mitigation=mitigation)
    rows, plans, caught = [], {}, []
    bar = tqdm(total=len(ticks), desc=f"noise {device}", unit="tick", disable=not progress)
    for regime in REGIMES:
        group = [st for st in ticks if st.regime == regime]
        if not group:
            continue
        p = minimal_plan(regime) if plan == "minimal" else qar.plan(regime)
        tc = compose_tick_circuit(p)
        inputs, values = [], []
        for st in group:
            inp = qar.tick_inputs(st.tick, p, qar.analyse(st.tick), st.returns)
            inputs.append(inp)
            values.append(tc.parameter_values(inp))
        values = np.asarray(values)
        t0 = time.perf_counter()
        ideal = noiseless.run(tc, values, shots=shots, seed=seed)
        aer_s = time.perf_counter() - t0
        noisy_results, selected, consistent, both = [], [], [], []
        checks = {CONSISTENCY_KEY: consistent_codes()}
        noisy_s = 0.0
        with warnings.catch_warnings(record=True) as wlist:
            warnings.simplefilter("always")
            for j in range(len(group)):  # one row per call: progress per tick, timing per tick
                t0 = time.perf_counter()
                noisy_results.append(noisy.run(tc, values[j:j + 1], shots=shots, seed=seed + j)[0])
                noisy_s += time.perf_counter() - t0
                # the same seed gives the same shots: the raw run's shots with invalid market codes dropped
                selected.append(noisy.run(tc, values[j:j + 1], shots=shots, seed=seed + j,
                                          postselect={"market": REGIME_CODES})[0])
                consistent.append(noisy.run(tc, values[j:j + 1], shots=shots, seed=seed + j, postselect=checks)[0])
                both.append(noisy.run(tc, values[j:j + 1], shots=shots, seed=seed + j,
                                      postselect={"market": REGIME_CODES, **checks})[0])
                bar.update(1)
        caught += sorted({str(w.message) for w in wlist if not issubclass(w.category, DeprecationWarning)})
        meta = noisy_results[0].metadata
        plans[regime] = {"sizes": p.sizes(), "qubits": p.total, "active_qubits": len(meta.get("active_qubits", [])),
                         "method": meta.get("method"), "mitigation": meta.get("mitigation"),
                         "mitigation_note": meta.get("mitigation_note"),
                         "noisy_first_call_s": noisy_results[0].timing.get("prepare_s", 0.0)
                         + noisy_results[0].timing.get("run_s", 0.0),
                         "noisy_run_s_per_tick": float(np.mean([r.timing.get("run_s", np.nan) for r in noisy_results])),
                         "noisy_wall_s": noisy_s, "aer_wall_s": aer_s}
        for st, inp, r_ideal, r_noisy, r_sel, r_con, r_both in zip(group, inputs, ideal, noisy_results, selected,
                                                                 consistent, both):
            exact = decision_distribution(inp)
            top = int(np.argmax(exact))
            ro_ideal = read_counts(p, r_ideal.counts)
            ro_noisy = read_counts(p, r_noisy.counts)
            dists = {"aer": ro_ideal.decision, "noisy_raw": ro_noisy.decision}
            invalid = {"aer": ro_ideal.invalid_regime_rate, "noisy_raw": ro_noisy.invalid_regime_rate}
            market_l1 = {"aer": 1.0, "noisy_raw": 1.0}
            dists["noisy_postselected"] = read_counts(p, r_sel.counts).decision
            invalid["noisy_postselected"] = 0.0  # by construction; the dropped share is the raw rate
            market_l1["noisy_postselected"] = 1.0
            kept = {v: r.metadata.get("kept_shots", shots) / shots
                    for v, r in (("noisy_postselected", r_sel), ("noisy_consistent", r_con), ("noisy_both", r_both))}
            for v, r in (("noisy_consistent", r_con), ("noisy_both", r_both)):
                ro = read_counts(p, r.counts)
                dists[v], invalid[v], market_l1[v] = ro.decision, ro.invalid_regime_rate, 1.0
            if r_noisy.mitigated is not None:
                market_q = quasi_vector(r_noisy.mitigated["market"], 4)
                dists["noisy_mitigated"] = quasi_vector(r_noisy.mitigated["decision"], p.sizes()["decision"])
                invalid["noisy_mitigated"] = _invalid_rate(market_q)
                market_l1["noisy_mitigated"] = float(np.abs(market_q).sum())
                dists["noisy_mitigated_projected"] = nearest_probability(dists["noisy_mitigated"])
                invalid["noisy_mitigated_projected"] = _invalid_rate(nearest_probability(market_q))
                market_l1["noisy_mitigated_projected"] = 1.0
            row = {"regime": regime, "index": st.index, "exact_top": top, "exact_top_p": float(exact[top]),
                   "resolvable": resolvable(exact, shots), "expected_tvd": expected_tvd(exact, shots)}
            for v, dist in dists.items():
                d_top = int(np.argmax(dist)) if np.all(np.isfinite(dist)) else -1  # NaN output: a miss
                row[v] = {"top": d_top, "agrees_exact": d_top == top,
                          "l1_norm": float(np.abs(dist).sum()), "market_l1_norm": market_l1[v],
                          "agrees_noiseless": d_top == int(np.argmax(dists["aer"])),
                          "tvd": tvd(dist, exact), "invalid_code_rate": float(invalid[v]),
                          "kept": float(kept.get(v, 1.0))}
            rows.append(row)
    bar.close()

    summary = {}
    for v in VARIANTS:
        ok = [r for r in rows if v in r]
        if not ok:
            continue
        res = [r for r in ok if r["resolvable"]]
        mean_tvd, bad_tvd = finite_mean(r[v]["tvd"] for r in ok)
        mean_invalid, bad_invalid = finite_mean(r[v]["invalid_code_rate"] for r in ok)
        l1 = [r[v]["l1_norm"] for r in ok if np.isfinite(r[v]["l1_norm"])]
        ml1 = [r[v]["market_l1_norm"] for r in ok if np.isfinite(r[v]["market_l1_norm"])]
        summary[v] = {
            "ticks": len(ok),
            "top_agreement_exact": float(np.mean([r[v]["agrees_exact"] for r in ok])),
            "top_agreement_exact_resolvable": float(np.mean([r[v]["agrees_exact"] for r in res])) if res else None,
            "resolvable_ticks": len(res),
            "top_agreement_noiseless": float(np.mean([r[v]["agrees_noiseless"] for r in ok])),
            "mean_tvd": mean_tvd,
            "mean_invalid_code_rate": mean_invalid,
            "mean_kept": float(np.mean([r[v]["kept"] for r in ok])),
            "max_l1_norm": max(l1) if l1 else None,
            "max_market_l1_norm": max(ml1) if ml1 else None,
            # ticks whose (mitigated) decision or market output contained NaN/inf
            "nonfinite_decision_ticks": bad_tvd,
            "nonfinite_market_ticks": bad_invalid,
        }
    return {
        "benchmark": "noise",
        "device": device,
        "plan": plan,
        "shots": shots,
        "seed": seed,
        "tick_seed": tick_seed,
        "per_regime": per_regime,
        "mitigation": mitigation,
        "mean_expected_tvd": float(np.mean([r["expected_tvd"] for r in rows])) if rows else None,
        "plans": plans,
        "summary": summary,
        "rows": rows,
        "warnings": sorted(set(caught)),
        "duration_s": time.perf_counter() - t_start,
    }


def markdown(report: dict) -> str:
    plans = report["plans"]
    plan_txt = ", ".join(f"{r} {v['qubits']} qubits ({v['active_qubits']} active, {v['method']}, "
                         f"{v['noisy_run_s_per_tick']:.1f} s/tick)" for r, v in plans.items())
    mit = {v.get("mitigation") for v in plans.values()}
    lines = [
        f"`aer-noisy:{report['device']}` vs noiseless `aer` vs the exact twin; {report['plan']} plans "
        f"({plan_txt}); {sum(1 for _ in report['rows'])} seeded ticks ({report['per_regime']} per regime), "
        f"{report['shots']} shots each; readout mitigation: {', '.join(sorted(map(str, mit)))}. "
        f"Shot noise alone would give a mean TVD of {report['mean_expected_tvd']:.3f} at this shot count.",
        "",
        "| variant | top = exact | top = exact (resolvable) | top = noiseless | mean TVD to exact "
        "| market invalid-code rate | shots kept | max Σ|p|: decision / market |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    def num(x, digits, bad=0):
        cell = "n/a" if x is None else f"{x:.3g}" if abs(x) >= 1000 else f"{x:.{digits}f}"
        return cell + (f" ({bad} NaN)" if bad else "")

    for v, s in report["summary"].items():
        res = s["top_agreement_exact_resolvable"]
        lines.append(
            f"| {LABELS[v]} | {s['top_agreement_exact']:.0%} | "
            f"{'n/a' if res is None else f'{res:.0%}'} ({s['resolvable_ticks']}) | "
            f"{s['top_agreement_noiseless']:.0%} | {num(s['mean_tvd'], 3, s.get('nonfinite_decision_ticks', 0))} | "
            f"{num(s['mean_invalid_code_rate'], 3, s.get('nonfinite_market_ticks', 0))} | {s['mean_kept']:.0%} | "
            f"{num(s['max_l1_norm'], 2)} / {num(s['max_market_l1_norm'], 2)} |"
        )
    mit = report["summary"].get("noisy_mitigated")
    if mit and (mit.get("nonfinite_decision_ticks") or mit.get("nonfinite_market_ticks")):
        lines += ["", f"The mitigated output contained NaN on {mit['nonfinite_decision_ticks']} tick(s) for the "
                  f"decision register and {mit['nonfinite_market_ticks']} for the market register; means are over "
                  "the finite ticks, and a NaN decision output counts as a disagreement."]
    if mit and max(mit["max_l1_norm"] or 0, mit["max_market_l1_norm"] or 0) > 1.5:
        lines += ["", "The mitigated quasi-distributions are far from probability vectors on some ticks "
                  f"(Σ|q| up to {num(mit['max_l1_norm'], 1)} on the decision register, "
                  f"{num(mit['max_market_l1_norm'], 1)} on the market register), so TVDs and invalid-code "
                  "rates of the quasi row can exceed 1; the projected row uses the nearest probability "
                  "vector (Smolin–Gambetta–Smith)."]
    if report.get("warnings"):
        lines += ["", "Warnings raised while running: " + "; ".join(f"`{w}`" for w in report["warnings"]) + "."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--out", type=Path, default=Path("reports/bench"), help="output folder")
    ap.add_argument("--device", default="FakeTorino", help="fake device class (default FakeTorino)")
    ap.add_argument("--per-regime", type=int, default=1, help="seeded ticks per regime (default 1)")
    ap.add_argument("--shots", type=int, default=128, help="shots per tick (default 128; ~0.2 s each)")
    ap.add_argument("--plan", choices=("minimal", "default"), default="minimal",
                    help="minimal 16-17 qubit plans (default) or the config's 25-qubit plans (very slow)")
    ap.add_argument("--mitigation", choices=("m3", "tensored"), default="m3")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--tick-seed", type=int, default=2024)
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    report = measure(args.per_regime, args.shots, args.device, args.plan, args.seed, args.tick_seed,
                     args.mitigation, progress=not args.no_progress)
    report["machine"] = machine_info()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "noise.json").write_text(json.dumps(finite_json(report), indent=1) + "\n")
    md = "# Noise: decisions on a fake device\n\n" + markdown(report)
    (args.out / "noise.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
