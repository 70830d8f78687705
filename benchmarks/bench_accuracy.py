"""Accuracy: TVD of the sampled decision distribution to the exact twin, against shot noise.

    python benchmarks/bench_accuracy.py --out reports/bench [--per-regime 2] [--shots 256 1024 4096 16384]

For seeded ticks covering all four regimes (:func:`_common.seeded_ticks`) and each shot count,
``QAR(backend="aer", shots=S, seed=...).decide(tick, returns_history=...)`` is run end to end
(one QAR per shot count; they share one executor so each plan is transpiled once). Per decision
the total variation distance between ``decision.distribution.sampled`` and
``decision.distribution.exact`` (32 decisions) is compared with

* the **expected** TVD of a multinomial sample of S shots from the exact distribution (exact
  binomial mean absolute deviations, :func:`_common.expected_tvd`): a noiseless simulator that
  prepares the right state should give ``mean TVD / expected TVD ≈ 1``;
* the 99% **bound** of :func:`qar_qiskit.classical.stats.shot_noise_tvd_bound`
  (Bretagnolle–Huber–Carol): at least 99% of the ticks should lie below it (it is loose, so
  usually all of them do).

Also reported: top-decision agreement with the exact twin (all ticks, and the ticks whose exact
top-two margin is resolvable at S shots) and the median warm ``decide`` latency.

**Agreement section** (``--agreement-per-regime N --agreement-shots S``): N fresh seeded ticks per
regime at S shots; on the ticks whose exact top-two margin exceeds 3 standard errors
("resolvable"), the share whose sampled full decision (action, size, risk) equals the exact one,
with its one-sided 95% Clopper–Pearson lower bound. "≥ 99% on resolvable ticks" is claimed only
when that bound is ≥ 0.99, which needs at least 299 resolvable ticks with no miss.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REGIMES, expected_tvd, field, fmt, machine_info, multinomial_tvd_quantile, seeded_ticks, tvd  # noqa: E402

DEFAULT_SHOTS = (256, 1024, 4096, 16384)


def _make_qars(shots_list, seed: int, backend: str):
    """One QAR per shot count, sharing the first one's executor when it exposes one."""
    from qar_qiskit.system.qar import QAR

    first = QAR(backend=backend, shots=shots_list[0], seed=seed)
    shared = getattr(first, "executor", None)
    qars = {shots_list[0]: first}
    for s in shots_list[1:]:
        try:
            qars[s] = QAR(backend=backend, shots=s, seed=seed, executor=shared)
        except TypeError:  # a QAR without the executor argument: its own executor
            qars[s] = QAR(backend=backend, shots=s, seed=seed)
    return qars


def measure(per_regime: int = 2, shots_list=DEFAULT_SHOTS, seed: int = 7, tick_seed: int = 2024,
            backend: str = "aer", confidence: float = 0.99, progress: bool = True, regimes=REGIMES) -> dict:
    """Run the accuracy benchmark and return its report (JSON-ready dict)."""
    from tqdm import tqdm

    from qar_qiskit.classical.stats import shot_noise_tvd_bound

    shots_list = tuple(int(s) for s in shots_list)
    ticks = seeded_ticks(per_regime, seed=tick_seed, regimes=tuple(regimes))
    qars = _make_qars(shots_list, seed, backend)
    rows = []
    t_start = time.perf_counter()
    # Warm every plan first so that the per-decision latency below is the warm one.
    warm_s = {}
    for st in ticks:
        if st.regime not in warm_s:
            t0 = time.perf_counter()
            qars[shots_list[0]].decide(st.tick, returns_history=st.returns)
            warm_s[st.regime] = time.perf_counter() - t0
    bar = tqdm(total=len(shots_list) * len(ticks), desc="accuracy", unit="decision", disable=not progress)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for shots in shots_list:
            qar = qars[shots]
            for st in ticks:
                t0 = time.perf_counter()
                d = qar.decide(st.tick, returns_history=st.returns)
                dt = time.perf_counter() - t0
                exact = np.asarray(field(d.distribution, "exact"), dtype=float)
                sampled = field(d.distribution, "sampled")
                row = {"shots": shots, "regime": st.regime, "index": st.index, "backend": d.backend,
                       "decide_s": dt}
                if sampled is None:  # classical fallback: nothing sampled
                    row.update(error=d.fallback_reason or "no sampled distribution")
                else:
                    sampled = np.asarray(sampled, dtype=float)
                    row.update(
                        tvd=tvd(sampled, exact),
                        expected_tvd=expected_tvd(exact, shots),
                        bound=shot_noise_tvd_bound(exact, shots, confidence),
                        mc_quantile=multinomial_tvd_quantile(exact, shots, confidence),
                        support=int(np.count_nonzero(exact > 0)),
                        counts_integral=bool(np.allclose(sampled * shots, np.round(sampled * shots), atol=1e-6)),
                        top_agrees=(d.action, d.size, d.risk) == (d.exact_action, d.exact_size, d.exact_risk),
                        resolvable=bool(d.exact_margin_resolvable),
                        exact_top_p=float(exact.max()),
                    )
                    row["within_bound"] = row["tvd"] <= row["bound"]
                    row["within_mc_quantile"] = row["tvd"] <= row["mc_quantile"]
                rows.append(row)
                bar.update(1)
    bar.close()

    summary = []
    for shots in shots_list:
        ok = [r for r in rows if r["shots"] == shots and "tvd" in r]
        failed = sum(1 for r in rows if r["shots"] == shots and "tvd" not in r)
        res = [r for r in ok if r["resolvable"]]
        if not ok:
            summary.append({"shots": shots, "ticks": 0, "failed": failed})
            continue
        mean_tvd = float(np.mean([r["tvd"] for r in ok]))
        mean_exp = float(np.mean([r["expected_tvd"] for r in ok]))
        summary.append({
            "shots": shots,
            "ticks": len(ok),
            "failed": failed,
            "mean_tvd": mean_tvd,
            "max_tvd": float(np.max([r["tvd"] for r in ok])),
            "mean_expected_tvd": mean_exp,
            "tvd_over_expected": mean_tvd / mean_exp if mean_exp > 0 else None,
            "mean_bound": float(np.mean([r["bound"] for r in ok])),
            "fraction_within_bound": float(np.mean([r["within_bound"] for r in ok])),
            "mean_mc_quantile": float(np.mean([r["mc_quantile"] for r in ok])),
            "fraction_within_mc_quantile": float(np.mean([r["within_mc_quantile"] for r in ok])),
            "top_agreement": float(np.mean([r["top_agrees"] for r in ok])),
            "resolvable_ticks": len(res),
            "top_agreement_resolvable": float(np.mean([r["top_agrees"] for r in res])) if res else None,
            "median_decide_s": statistics.median(r["decide_s"] for r in ok),
            "counts_match_shots": all(r["counts_integral"] for r in ok),
        })
    by_regime = {}
    for regime in REGIMES:
        ok = [r for r in rows if r["regime"] == regime and "tvd" in r]
        if ok:
            by_regime[regime] = {
                "ticks": len({r["index"] for r in ok}),
                "tvd_over_expected": float(np.mean([r["tvd"] for r in ok]) / np.mean([r["expected_tvd"] for r in ok])),
                "fraction_within_bound": float(np.mean([r["within_bound"] for r in ok])),
                "fraction_within_mc_quantile": float(np.mean([r["within_mc_quantile"] for r in ok])),
            }
    return {
        "benchmark": "accuracy",
        "backend": backend,
        "seed": seed,
        "tick_seed": tick_seed,
        "per_regime": per_regime,
        "regimes": list(regimes),
        "shots": list(shots_list),
        "confidence": confidence,
        "ticks": [{"regime": st.regime, "index": st.index, "volatility": st.tick.volatility,
                   "trend_clarity": st.tick.trend_clarity, "volume_normalized": st.tick.volume_normalized}
                  for st in ticks],
        "cold_first_decision_s": warm_s,
        "summary": summary,
        "by_regime": by_regime,
        "rows": rows,
        "duration_s": time.perf_counter() - t_start,
    }


def agreement(per_regime: int = 120, shots: int = 4096, seed: int = 11, tick_seed: int = 77,
              backend: str = "aer", progress: bool = True) -> dict:
    """Full-decision and action agreement with the exact twin on many ticks, with the
    one-sided 95% Clopper–Pearson lower bound on the resolvable ticks."""
    from tqdm import tqdm

    from qar_qiskit.backtest.stats import clopper_pearson_lower
    from qar_qiskit.system.qar import QAR

    ticks = seeded_ticks(per_regime, seed=tick_seed)
    qar = QAR(backend=backend, shots=shots, seed=seed)
    rows = []
    t0 = time.perf_counter()
    for st in tqdm(ticks, desc="agreement", unit="tick", disable=not progress):
        d = qar.decide(st.tick, returns_history=st.returns)
        if field(d.distribution, "sampled") is None:
            continue
        rows.append({"regime": st.regime, "resolvable": bool(d.exact_margin_resolvable),
                     "decision": (d.action, d.size, d.risk) == (d.exact_action, d.exact_size, d.exact_risk),
                     "action": d.action == d.exact_action})
    res = [r for r in rows if r["resolvable"]]
    k = sum(r["decision"] for r in res)
    bound = clopper_pearson_lower(k, len(res)) if res else None
    return {
        "backend": backend, "shots": shots, "seed": seed, "tick_seed": tick_seed,
        "ticks": len(rows), "fallbacks": len(ticks) - len(rows), "resolvable_ticks": len(res),
        "decision_agreement": float(np.mean([r["decision"] for r in rows])) if rows else None,
        "action_agreement": float(np.mean([r["action"] for r in rows])) if rows else None,
        "resolvable_decision_agreements": k,
        "resolvable_decision_agreement": k / len(res) if res else None,
        "resolvable_action_agreement": float(np.mean([r["action"] for r in res])) if res else None,
        "clopper_pearson_lower_95": bound,
        "claim_99_met": bound is not None and bound >= 0.99,
        "duration_s": time.perf_counter() - t0,
    }


def agreement_markdown(a: dict) -> str:
    bound = a["clopper_pearson_lower_95"]
    return (
        f"Agreement with the exact twin, `{a['backend']}` at {a['shots']} shots, {a['ticks']} seeded "
        f"ticks (tick seed {a['tick_seed']}, QAR seed {a['seed']}):\n\n"
        "| ticks | full decision | action | resolvable ticks | full decision (resolvable) | "
        "action (resolvable) | one-sided 95% Clopper–Pearson lower bound |\n"
        "|---:|---:|---:|---:|---:|---:|---:|\n"
        f"| {a['ticks']} | {fmt(a['decision_agreement'], 4)} | {fmt(a['action_agreement'], 4)} | "
        f"{a['resolvable_ticks']} | {a['resolvable_decision_agreements']}/{a['resolvable_ticks']} | "
        f"{fmt(a['resolvable_action_agreement'], 4)} | {fmt(bound, 4)} |\n\n"
        f"\"≥ 99% agreement on resolvable ticks\": {'met' if a['claim_99_met'] else 'NOT shown'} "
        f"(lower bound {fmt(bound, 4)}{' >= 0.99' if a['claim_99_met'] else ' < 0.99'}).\n"
    )


def markdown(report: dict) -> str:
    lines = [
        f"Backend `{report['backend']}`, {len(report['ticks'])} seeded ticks "
        f"({report['per_regime']} per regime: {', '.join(report['regimes'])}), QAR seed {report['seed']}, "
        f"tick seed {report['tick_seed']}. TVD over the 32 decisions between "
        "`decision.distribution.sampled` and `.exact`; *expected* = exact mean TVD of a multinomial "
        f"sample at that shot count; *bound* = `shot_noise_tvd_bound` at {report['confidence']:.0%} "
        "(Bretagnolle–Huber–Carol, loose); *MC q* = the same-confidence quantile of the TVD of "
        "simulated multinomial samples (4000 draws per tick), a tight check.",
        "",
        "| shots | ticks | mean TVD | expected TVD | TVD / expected | max TVD | mean bound | within bound "
        "| within MC q | top agrees | top agrees (resolvable) | median decide |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in report["summary"]:
        if not s.get("ticks"):
            lines.append(f"| {s['shots']} | 0 | failed: {s.get('failed')} | | | | | | | | | |")
            continue
        res = s["top_agreement_resolvable"]
        lines.append(
            f"| {s['shots']} | {s['ticks']} | {s['mean_tvd']:.4f} | {s['mean_expected_tvd']:.4f} | "
            f"{fmt(s['tvd_over_expected'], 2)} | {s['max_tvd']:.4f} | {s['mean_bound']:.4f} | "
            f"{s['fraction_within_bound']:.0%} | {s['fraction_within_mc_quantile']:.0%} | {s['top_agreement']:.0%} | "
            f"{'n/a' if res is None else f'{res:.0%}'} ({s['resolvable_ticks']}) | "
            f"{1000 * s['median_decide_s']:.0f} ms |"
        )
    if report["by_regime"]:
        lines += ["", "Per regime (all shot counts): " + "; ".join(
            f"{r}: TVD/expected {v['tvd_over_expected']:.2f}, within bound {v['fraction_within_bound']:.0%}, "
            f"within MC q {v['fraction_within_mc_quantile']:.0%}"
            for r, v in report["by_regime"].items()) + "."]
    failed = sum(s.get("failed", 0) for s in report["summary"])
    if failed:
        lines += ["", f"**{failed} decision(s) fell back to the classical twin** (no sampled distribution)."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--out", type=Path, default=Path("reports/bench"), help="output folder")
    ap.add_argument("--per-regime", type=int, default=2, help="seeded ticks per regime (default 2)")
    ap.add_argument("--shots", type=int, nargs="+", default=list(DEFAULT_SHOTS), help="shot counts")
    ap.add_argument("--seed", type=int, default=7, help="QAR base seed")
    ap.add_argument("--tick-seed", type=int, default=2024, help="seed of the synthetic ticks")
    ap.add_argument("--backend", default="aer", help="backend spec (default aer)")
    ap.add_argument("--agreement-per-regime", type=int, default=0,
                    help="ticks per regime of the agreement section (0: skip; 100 gives ~300 resolvable)")
    ap.add_argument("--agreement-shots", type=int, default=4096, help="shots of the agreement section")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    report = measure(args.per_regime, args.shots, args.seed, args.tick_seed, args.backend,
                     progress=not args.no_progress)
    report["machine"] = machine_info()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "accuracy.json").write_text(json.dumps(report, indent=1) + "\n")
    md = "# Accuracy: sampled vs exact decision distribution\n\n" + markdown(report)
    if args.agreement_per_regime > 0:
        report["agreement"] = agreement(args.agreement_per_regime, args.agreement_shots,
                                        backend=args.backend, progress=not args.no_progress)
        (args.out / "accuracy.json").write_text(json.dumps(report, indent=1) + "\n")
        md += "\n" + agreement_markdown(report["agreement"])
    (args.out / "accuracy.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
