"""Backtest throughput: ticks (decision days) per second on each backend, from metrics.json.

    python benchmarks/bench_backtest.py --out reports/bench [--start 2008-01-01 --end 2008-12-31] \
[--backends aer exact] [--full]

Runs :func:`qar_qiskit.backtest.runner.run_backtest` (what ``qar backtest`` runs) on the
packaged S&P 500 data with the VIX, once per backend, writing each report to
``<out>/backtest-<backend>/`` and reading ``metrics.json`` back: ``strategy.ticks_per_second``
(decision days / seconds spent in ``decide`` + ``record_outcome``), ``run.decide_seconds``,
``run.wall_seconds`` (the whole loop, baselines included), ``run.mean_timing_s`` (per-phase
means) and the top-decision agreement with the exact twin. ``--full`` runs the whole data set
(1999-2018, ~5000 days: ~10+ minutes on ``aer`` on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fmt, machine_info  # noqa: E402

QUICK_WINDOW = ("2008-01-01", "2008-12-31")


def run_one(backend: str, out_dir: Path, start=None, end=None, data: str = "sp500", shots=None, seed=None,
            progress: bool = True) -> dict:
    """One backtest; returns the parts of its metrics.json that describe speed and agreement."""
    from qar_qiskit.backtest.runner import run_backtest
    from qar_qiskit.data.loader import load_dataset

    prices = load_dataset(data)
    vix = load_dataset("vix")
    out_dir = Path(out_dir)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        run_backtest(prices, start=start, end=end, backend=backend, shots=shots, seed=seed, out_dir=out_dir,
                     progress=progress, vix=vix)
    total_s = time.perf_counter() - t0
    metrics = json.loads((out_dir / "metrics.json").read_text())
    run, strat = metrics["run"], metrics["strategy"]
    return {
        "backend": backend,
        "requested_backend": backend,
        "backend_reported": run.get("backend"),
        "backends_used": run.get("backends_used"),
        "source": run.get("source"),
        "first_day": run.get("first_day"),
        "last_day": run.get("last_day"),
        "days": run.get("days"),
        "ticks_per_second": strat.get("ticks_per_second"),
        "decide_seconds": run.get("decide_seconds"),
        "wall_seconds": run.get("wall_seconds"),
        "total_seconds_incl_setup_and_report": total_s,
        "mean_timing_s": run.get("mean_timing_s"),
        "agreement_with_exact": strat.get("agreement_with_exact"),
        "agreement_resolvable": strat.get("agreement_resolvable"),
        "resolvable_days": strat.get("resolvable_days"),
        "sharpe": strat.get("sharpe"),
        "metrics_json": str(out_dir / "metrics.json"),
    }


def measure(backends=("aer", "exact"), start=QUICK_WINDOW[0], end=QUICK_WINDOW[1], out: Path = Path("reports/bench"),
            data: str = "sp500", shots=None, seed=None, progress: bool = True) -> dict:
    """Backtest once per backend over [start, end] (None = the data's ends) and return the report."""
    t0 = time.perf_counter()
    runs = []
    for b in backends:
        label = b.replace(":", "-")
        window = "full" if start is None and end is None else f"{start}_{end}"
        print(f"[backtest] {b} {data} {start or 'start'}..{end or 'end'}", file=sys.stderr, flush=True)
        try:
            runs.append(run_one(b, Path(out) / f"backtest-{label}-{window}", start, end, data, shots, seed, progress))
        except Exception as exc:  # noqa: BLE001 - reported, the other backends still run
            runs.append({"backend": b, "error": f"{type(exc).__name__}: {exc}"})
    return {"benchmark": "backtest", "data": data, "start": start, "end": end, "shots": shots, "seed": seed,
            "runs": runs, "duration_s": time.perf_counter() - t0}


def markdown(report: dict) -> str:
    lines = [
        f"`run_backtest` on `{report['data']}` {report['start'] or 'first day'} .. {report['end'] or 'last day'} "
        "(read from each run's `metrics.json`; ticks/s = decision days / time in decide + record_outcome).",
        "",
        "| backend | days | ticks/s | decide s | loop wall s | mean analysis | mean execute "
        "| agreement with exact (resolvable) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["runs"]:
        if "error" in r:
            lines.append(f"| {r['backend']} | failed: {r['error']} | | | | | | |")
            continue
        mt = r.get("mean_timing_s") or {}

        def ms(key):
            return "n/a" if key not in mt else f"{1000 * mt[key]:.1f} ms"

        agree = r.get("agreement_with_exact")
        res = r.get("agreement_resolvable")
        lines.append(
            f"| {r['backend']} | {r['days']} | {fmt(r['ticks_per_second'], 1)} | {fmt(r['decide_seconds'], 1)} | "
            f"{fmt(r['wall_seconds'], 1)} | {ms('analysis_s')} | {ms('execute_s')} | "
            f"{'n/a' if agree is None else f'{agree:.1%}'} ({'n/a' if res is None else f'{res:.1%}'}) |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--out", type=Path, default=Path("reports/bench"), help="output folder")
    ap.add_argument("--backends", nargs="+", default=["aer", "exact"])
    ap.add_argument("--data", default="sp500", choices=("sp500", "nasdaq"))
    ap.add_argument("--start", default=QUICK_WINDOW[0])
    ap.add_argument("--end", default=QUICK_WINDOW[1])
    ap.add_argument("--full", action="store_true", help="the whole data set (overrides --start/--end)")
    ap.add_argument("--shots", type=int, default=None, help="shots per tick (default: the config's)")
    ap.add_argument("--seed", type=int, default=None, help="base seed (default: the config's)")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    start, end = (None, None) if args.full else (args.start, args.end)
    report = measure(args.backends, start, end, args.out, args.data, args.shots, args.seed, not args.no_progress)
    report["machine"] = machine_info()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "backtest.json").write_text(json.dumps(report, indent=1) + "\n")
    md = "# Backtest throughput\n\n" + markdown(report)
    (args.out / "backtest.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
