"""Sweep speed-up: the same cells serially in one process vs on a 2-worker Dask LocalCluster.

    python benchmarks/bench_sweep.py --out reports/bench [--workers 2] [--seeds 4] [--repeats 1]

The grid (written to ``OUT/sweep-bench/spec.yaml``): S&P 500, the years 2017 and 2018, backends
``aer`` (1024 shots) and ``exact``, ``--seeds`` seeds (the exact backend keeps one seed, so the
grid has ``seeds`` aer cells and 1 exact cell per window; two windows). The serial and the Dask
runs alternate (serial, dask, dask, serial, ... ``--repeats`` times) so that a change in the
machine's load hits both alike. Both wall times include everything a user waits for: for Dask
the cluster start and the workers' imports, for serial the in-process run (the package is
imported once before the first run). The per-cell results of every run are compared with the
first serial run (decisions.csv byte for byte).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_report  # noqa: E402


def _spec(folder: Path, seeds: int) -> Path:
    # cells of a year each, so that the cluster's start-up (~5-10 s: two processes importing
    # qiskit) is small next to the work; with quarter-year cells it dominated (2026-12-03)
    spec = {"data": ["sp500"], "windows": [{"start": "2017-01-03", "end": "2017-12-29"},
                                           {"start": "2018-01-02", "end": "2018-12-31"}],
            "backends": ["aer", "exact"], "shots": [1024], "seeds": seeds}
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / "spec.yaml"
    p.write_text(yaml.safe_dump(spec))
    return p


def _decisions(out: Path) -> dict[str, bytes]:
    return {p.name: (p / "decisions.csv").read_bytes() for p in (out / "cells").iterdir()}


def measure(out: Path, workers: int = 2, seeds: int = 4, repeats: int = 1) -> dict:
    import qar_qiskit.backtest.runner  # noqa: F401  (imports paid once, before the clock)
    from qar_qiskit.sweep.runner import run_sweep

    folder = out / "sweep-bench"
    spec = _spec(folder, seeds)
    times: dict[str, list[float]] = {"serial": [], "dask": []}
    reference, identical, cells = None, True, 0
    order = []
    for i in range(repeats):
        order += ["serial", "dask"] if i % 2 == 0 else ["dask", "serial"]
    for j, mode in enumerate(order):
        run_dir = folder / f"run-{j}-{mode}"
        shutil.rmtree(run_dir, ignore_errors=True)
        t0 = time.perf_counter()
        res = run_sweep(spec, run_dir, workers=workers if mode == "dask" else None,
                        serial=mode == "serial", progress=False, echo=lambda s: None)
        times[mode].append(time.perf_counter() - t0)
        cells = res.total
        assert res.failed == 0, f"{res.failed} cells failed in {run_dir}"
        got = _decisions(run_dir)
        if reference is None:
            reference = got
        identical &= got == reference
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="minutes"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_at_end": os.getloadavg(),
        "cells": cells, "workers": workers, "seeds": seeds, "repeats": repeats,
        "wall_s": times, "median_wall_s": med,
        "speedup": med["serial"] / med["dask"],
        "cells_per_hour_per_core_serial": cells / med["serial"] * 3600,
        "results_identical": identical,
    }


def markdown(r: dict) -> str:
    return (
        f"Sweep of {r['cells']} cells (S&P 500, 2017 and 2018, aer 1024 shots x "
        f"{r['seeds']} seeds + exact), {r['date']}, {r['machine']}, load average at the end "
        f"{r['load_average_at_end'][0]:.1f}:\n\n"
        "| run | wall (median) |\n|---|---:|\n"
        f"| serial, one process | {r['median_wall_s']['serial']:.1f} s |\n"
        f"| Dask LocalCluster, {r['workers']} workers (incl. start-up) | "
        f"{r['median_wall_s']['dask']:.1f} s |\n"
        f"| speed-up | {r['speedup']:.2f}x |\n\n"
        f"Per-cell decisions identical to the serial run: {r['results_identical']}.\n"
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("reports/bench"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args(argv)
    report = measure(args.out, args.workers, args.seeds, args.repeats)
    write_report(args.out, "sweep", report, markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
