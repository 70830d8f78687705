"""The noisy 2008 backtest: time, agreement with the exact twin and distance to the exact decision.

    python benchmarks/bench_noisy_backtest.py --out reports/noisy2008 [--backends aer-noisy:FakeFez aer]
        [--start 2008-01-01 --end 2008-12-31] [--shots 1024]

Runs :func:`qar_qiskit.backtest.run_backtest` (what ``qar backtest`` runs) once per backend on
the packaged S&P 500 data with the VIX and the packaged config (default plan, mthree mitigation
on ``aer-noisy``), and records per decision day the total variation distance between the
decision distribution the backend measured (mitigated on ``aer-noisy``) and the exact twin's:
``TVD = 1/2 sum_d |p_measured(d) - p_exact(d)|`` over the 32 decisions. Reported per backend:
wall time, the share of resolvable days whose top full decision equals the exact twin's with
its Clopper-Pearson 95% lower bound, and the mean TVD. The noiseless ``aer`` run at the same
shots gives the shot-noise floor that ``TVD(noisy, exact) <= 1.5 x TVD(noiseless, exact)``
is judged against.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_info, tvd  # noqa: E402


class _Recorder:
    """A DecisionMaker that passes everything to a QAR and keeps each decision's TVD."""

    def __init__(self, qar):
        self._qar = qar
        self.tvd: list[float] = []

    def __getattr__(self, name):
        return getattr(self._qar, name)

    def decide(self, tick, returns_history=None):
        d = self._qar.decide(tick, returns_history=returns_history)
        sampled, exact = d.distribution["sampled"], d.distribution["exact"]
        if sampled is not None:
            self.tvd.append(tvd(sampled, exact))
        return d

    def record_outcome(self, decision_id, pnl, market_return=None):
        return self._qar.record_outcome(decision_id, pnl, market_return=market_return)


def run_one(backend: str, out: Path, start: str, end: str, shots: int) -> dict:
    from qar_qiskit.backtest import run_backtest
    from qar_qiskit.backtest.stats import clopper_pearson_lower
    from qar_qiskit.data.loader import load_dataset
    from qar_qiskit.system.qar import QAR

    rec = _Recorder(QAR.from_config(None, backend=backend, shots=shots))
    t0 = time.perf_counter()
    run_backtest(load_dataset("sp500"), start=start, end=end, qar=rec, out_dir=out, vix=load_dataset("vix"),
                 baselines=False)
    wall = time.perf_counter() - t0
    metrics = json.loads((out / "metrics.json").read_text())
    strat = metrics["strategy"]
    with open(out / "decisions.csv") as f:
        rows = list(csv.DictReader(f))
    res = [r for r in rows if r["exact_margin_resolvable"].lower() == "true"]
    same = sum(f"{r['action']}/{r['size']}/{r['risk']}" == f"{r['exact_action']}/{r['exact_size']}/{r['exact_risk']}"
               for r in res)
    return {"backend": backend, "shots": shots, "days": len(rows), "wall_s": wall,
            "s_per_day": wall / max(1, len(rows)), "resolvable_days": len(res),
            "top_decision_equal_resolvable": same / max(1, len(res)),
            "cp95_lower": clopper_pearson_lower(same, len(res)) if res else None,
            "mean_tvd": float(np.mean(rec.tvd)) if rec.tvd else None,
            "agreement_with_exact": strat.get("agreement_with_exact")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("reports/noisy2008"))
    ap.add_argument("--backends", nargs="+", default=["aer-noisy:FakeFez", "aer"])
    ap.add_argument("--start", default="2008-01-01")
    ap.add_argument("--end", default="2008-12-31")
    ap.add_argument("--shots", type=int, default=1024)
    args = ap.parse_args(argv)
    report = {"machine": machine_info(), "command": " ".join(sys.argv), "runs": []}
    for b in args.backends:
        print(f"[noisy backtest] {b}", file=sys.stderr, flush=True)
        report["runs"].append(run_one(b, args.out / b.replace(":", "-"), args.start, args.end, args.shots))
        print(json.dumps(report["runs"][-1]), flush=True)
    runs = {r["backend"]: r for r in report["runs"]}
    noisy = next((r for b, r in runs.items() if b.startswith("aer-noisy")), None)
    if noisy and "aer" in runs and runs["aer"]["mean_tvd"]:
        report["tvd_ratio_noisy_over_noiseless"] = noisy["mean_tvd"] / runs["aer"]["mean_tvd"]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_noisy_backtest.json").write_text(json.dumps(report, indent=1, default=str))
    print(json.dumps({k: v for k, v in report.items() if k != "runs"}, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
