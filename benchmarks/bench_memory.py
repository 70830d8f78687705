"""Peak resident memory of the documented commands (issue #17).

    python benchmarks/bench_memory.py --out DIR [--quick]

Each command runs in a fresh interpreter (``qar_qiskit.cli:main`` in a subprocess), which
reports its own peak resident set size from ``resource.getrusage(RUSAGE_SELF).ru_maxrss``
(KiB on Linux) when it ends, so every figure is that one command's peak, start-up included:

* ``qar decide --tick T --backend aer`` at the default plan (25-qubit plan, 1024 shots);
* ``qar decide --tick T --backend exact`` (the twins only: the floor);
* ``qar backtest --backend aer`` over 2008 (``--quick``) and over the whole S&P 500 data set,
  1999-2018 (the default), with the report (plots included).

Writes ``bench_memory.json`` and ``bench_memory.md`` under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import ROOT, machine_info  # noqa: E402

#: Runs ``qar ARGS`` in this interpreter and prints the peak RSS (KiB) as the last stderr line.
_CHILD = """
import resource, sys
from qar_qiskit.cli import main
sys.argv = ["qar", *sys.argv[1:]]
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
print("PEAK_RSS_KIB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""

TICK = {"price": 4500.0, "volatility": 0.14, "trend_clarity": 0.8, "volume_normalized": 1.0}


def peak_rss(args: list[str], cwd: Path) -> dict:
    """``{"command", "peak_rss_mib", "seconds", "exit"}`` of ``qar ARGS`` in a fresh interpreter."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CHILD, *args], cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("PEAK_RSS_KIB ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"qar {' '.join(args)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return {"command": "qar " + " ".join(args), "peak_rss_mib": round(int(lines[-1].split()[1]) / 1024, 1),
            "seconds": round(seconds, 1), "exit": proc.returncode}


def measure(quick: bool, work: Path) -> list[dict]:
    tick = work / "tick.json"
    tick.write_text(json.dumps(TICK))
    rows = [peak_rss(["decide", "--tick", tick.name, "--backend", "exact"], work),
            peak_rss(["decide", "--tick", tick.name, "--backend", "aer"], work)]
    period = ["--start", "2008-01-01", "--end", "2008-12-31"] if quick else []
    rows.append(peak_rss(["backtest", "--backend", "aer", *period, "--out", "report", "--no-progress"], work))
    return rows


def markdown(report: dict) -> str:
    lines = ["Peak resident memory (`getrusage` ru_maxrss of a fresh interpreter running the command):", "",
             "| command | peak RSS | wall |", "|---|---:|---:|"]
    for r in report["rows"]:
        lines.append(f"| `{r['command']}` | {r['peak_rss_mib']:.0f} MiB | {r['seconds']:.0f} s |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench" / "bench_memory")
    parser.add_argument("--quick", action="store_true", help="backtest over 2008 only (default: 1999-2018)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        rows = measure(args.quick, Path(tmp))
    report = {"machine": machine_info(), "quick": args.quick, "rows": rows}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_memory.json").write_text(json.dumps(report, indent=2))
    (args.out / "bench_memory.md").write_text(markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
