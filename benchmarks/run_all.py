"""Run every benchmark in ``benchmarks/`` and write one report.

    python benchmarks/run_all.py --out reports/bench [--quick | --full] [--only a b] [--skip a b]

Writes ``<out>/benchmarks.md`` and ``<out>/benchmarks.json`` (date, machine, versions, and per
section its status, duration and numbers), plus each benchmark's own files under ``<out>/<section>/``
and subprocess logs under ``<out>/logs/``.

Sections (in run order):

* ``decision``  -- cold/warm decision latency vs raw Aer vs transpile-every-tick
  (``bench_decision.measure(ticks, shots)`` when it exists, else its CLI in a subprocess, read
  back from its ``decision.json``); first, so that "cold" means a fresh interpreter;
* ``circuits``  -- two-qubit gates / depth on FakeTorino (``bench_circuits.main``);
* ``accuracy``  -- TVD of sampled vs exact decision distributions vs shot noise (``bench_accuracy``);
* ``backtest``  -- backtest ticks/s on ``aer`` and ``exact`` from the runner's ``metrics.json``
  (``bench_backtest``): 2008 with ``--quick``, 2007-2009 by default, the whole S&P 500 data set
  (1999-2018, ~5000 days) with ``--full``;
* ``noise``     -- decisions on ``aer-noisy:FakeTorino`` with and without mthree mitigation vs the
  exact twin (``bench_noise``);
* ``execution`` -- the executor benchmark (``bench_execution.py`` in a subprocess): ``--quick`` runs
  only its executor-vs-raw-Aer part (the Aer tuning grid is skipped, and its noisy part, which
  ``noise`` covers); the default runs it with its own ``--quick`` (3 repeats, no 24-qubit noisy
  run); ``--full`` runs all of it (the 24-qubit noisy MPS run took 1886 s cold + 1658 s warm for
  50 shots);
* any other ``benchmarks/bench_*.py`` is run as ``python FILE --out <out>/<name>`` (with ``--quick``
  when it accepts it) and its markdown appended.
  ``bench_memory.py`` is one: peak resident memory (getrusage) of ``qar decide`` (exact, aer) and of
  ``qar backtest`` on aer, 2008 with ``--quick``, 1999-2018 otherwise.

Measured on this project's 2-core machine (shared with other jobs, 2026-11-22): ``--quick``
2.7-3.3 min; the default 12.9 min (noise 6.0 min, bench_execution --quick 4.7 min); the default
with bench_execution in full (as ``--full`` runs it) took 71.8 min, of which bench_execution alone
64.4 min. ``--full`` adds the whole-data-set backtest (~5000 days, ~20 ticks/s on aer) on top.
On 2026-12-01 (quiet machine): ``--quick`` 87 s; ``--only noise`` in the default mode 271 s (noisy
trajectories with shot branching). The report's header has each run's measured total.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import ROOT, fmt, machine_info  # noqa: E402

from qar_qiskit.jsonsafe import json_safe  # noqa: E402

#: Run order. ``decision`` goes first so that its cold first decision runs in a fresh interpreter
#: (no Qiskit pass managers or circuits warmed by another section).
KNOWN = ("decision", "circuits", "accuracy", "backtest", "noise", "execution")
FILES = {"circuits": "bench_circuits.py", "decision": "bench_decision.py", "accuracy": "bench_accuracy.py",
         "backtest": "bench_backtest.py", "noise": "bench_noise.py", "execution": "bench_execution.py"}

#: Per-mode settings.
MODES = {
    "quick": {
        "decision": {"ticks": 20, "shots": 1024},
        "accuracy": {"per_regime": 2, "shots_list": (256, 1024, 4096, 16384)},
        "backtest": {"start": "2008-01-01", "end": "2008-12-31"},
        "noise": {"per_regime": 1, "shots": 64},
        "execution": ["--quick", "--skip", "grid,noisy"],
    },
    "default": {
        "decision": {"ticks": 20, "shots": 1024},
        "accuracy": {"per_regime": 6, "shots_list": (256, 1024, 4096, 16384)},
        "backtest": {"start": "2007-01-01", "end": "2009-12-31"},
        "noise": {"per_regime": 2, "shots": 256},
        "execution": ["--quick"],
    },
}
#: ``--full``: the default settings, the backtest over the whole data set, and bench_execution
#: without ``--quick`` (7 repeats and its 24-qubit noisy MPS run: ~1 h on 2 cores).
MODES["full"] = {**MODES["default"], "backtest": {"start": None, "end": None}, "execution": []}


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def load_module(name: str):
    """Import ``benchmarks/<file>`` by path (the folder is not a package)."""
    path = HERE / name
    spec = importlib.util.spec_from_file_location(f"qar_bench_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_script(script: str, args: list[str], log: Path, timeout: float | None = None) -> int:
    """Run ``python benchmarks/<script> args`` from the repo root; stdout+stderr to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(HERE / script), *args]
    _log(f"  $ {' '.join(cmd)}  (log: {log})")
    with log.open("w") as fh:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout)
    return proc.returncode


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# ---------------------------------------------------------------------------------------------
# sections: each returns (report dict, markdown)


def section_circuits(out: Path, mode: str):
    mod = load_module(FILES["circuits"])
    folder = out / "circuits"
    mod.main(["--out", str(folder)])
    report = json.loads((folder / "bench_circuits.json").read_text())
    md = (folder / "bench_circuits.md").read_text()
    md = "\n".join(line.replace("## ", "#### ", 1) if line.startswith("## ") else line
                   for line in md.splitlines() if not line.startswith("# "))
    return report, md.strip() + "\n"


def section_decision(out: Path, mode: str):
    cfg = MODES[mode]["decision"]
    folder = out / "decision"
    how = None
    try:
        mod = load_module(FILES["decision"])
    except Exception as exc:  # noqa: BLE001 - fall back to the CLI
        mod, how = None, f"import failed ({type(exc).__name__}: {exc}); ran the CLI"
    if mod is not None and callable(getattr(mod, "measure", None)):
        report = mod.measure(cfg["ticks"], cfg["shots"])
        how = "bench_decision.measure(ticks, shots)"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "decision.json").write_text(json.dumps(report, indent=2, default=str))
    else:
        how = how or "bench_decision.py has no measure(): ran its CLI"
        log = out / "logs" / "decision.log"
        rc = run_script(FILES["decision"], ["--ticks", str(cfg["ticks"]), "--shots", str(cfg["shots"]),
                                            "--out", str(folder)], log)
        if rc != 0 or not (folder / "decision.json").is_file():
            raise RuntimeError(f"bench_decision.py exited {rc}; last lines of {log}:\n{_tail(log)}")
        report = json.loads((folder / "decision.json").read_text())
    report = {"how": how, "settings": cfg, **report}
    return report, decision_markdown(report)


def decision_markdown(r: dict) -> str:
    med = r.get("median_s") or {}
    lines = [f"How: {r['how']}; {r.get('ticks', r['settings']['ticks'])} warm ticks, "
             f"{r.get('shots', r['settings']['shots'])} shots, plan {r.get('plan', 'n/a')} "
             f"({r.get('qubits', 'n/a')} qubits).", ""]
    if "cold_decision_s" in r and med:
        def ms(v, digits=1):
            return "n/a" if v is None else f"{1000 * v:.{digits}f} ms"

        lines += [
            "| measure | median |", "|---|---:|",
            f"| cold first decision (compose + transpile + run) | {ms(r['cold_decision_s'], 0)} |",
            f"| warm `QAR.decide` (aer) | {ms(med.get('framework'))} |",
            f"| raw `AerSimulator.run`, same bound ISA circuit | {ms(med.get('raw_aer'))} |",
            f"| naive: transpile every tick, Aer defaults | {ms(med.get('naive'), 0)} |",
            f"| framework / raw Aer | {fmt(r.get('overhead_vs_raw_aer'), 2)}x |",
            f"| naive / framework | {fmt(r.get('speedup_vs_naive'), 1)}x |",
        ]
        stages = r.get("stage_median_s") or {}
        if stages:
            lines += ["", "Warm decision stages (median): "
                      + ", ".join(f"{k} {1000 * v:.1f} ms" for k, v in stages.items()) + "."]
        if r.get("cache"):
            lines += ["", f"Transpile cache: `{json.dumps(r['cache'])}`."]
    else:  # an unknown report layout: list its scalar entries
        lines += ["| key | value |", "|---|---|"]
        for k, v in _flatten(r).items():
            if isinstance(v, (int, float, str, bool)) and k not in ("how",):
                lines.append(f"| {k} | {fmt(v, 4) if isinstance(v, float) else v} |")
    return "\n".join(lines) + "\n"


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def section_accuracy(out: Path, mode: str):
    mod = load_module(FILES["accuracy"])
    report = mod.measure(**MODES[mode]["accuracy"])
    (out / "accuracy").mkdir(parents=True, exist_ok=True)
    (out / "accuracy" / "accuracy.json").write_text(json.dumps(json_safe(report), indent=1) + "\n")
    compact = {k: v for k, v in report.items() if k != "rows"}
    return compact, mod.markdown(report)


def section_backtest(out: Path, mode: str):
    mod = load_module(FILES["backtest"])
    window = MODES[mode]["backtest"]
    start, end = window["start"], window["end"]
    report = mod.measure(("aer", "exact"), start, end, out / "backtest")
    failed = [r for r in report["runs"] if "error" in r]
    md = mod.markdown(report)
    if len(failed) == len(report["runs"]):
        raise RuntimeError("; ".join(f"{r['backend']}: {r['error']}" for r in failed))
    return report, md


def section_noise(out: Path, mode: str):
    mod = load_module(FILES["noise"])
    report = mod.measure(**MODES[mode]["noise"])
    (out / "noise").mkdir(parents=True, exist_ok=True)
    (out / "noise" / "noise.json").write_text(json.dumps(json_safe(report), indent=1) + "\n")
    compact = {k: v for k, v in report.items() if k != "rows"}
    return compact, mod.markdown(report)


def section_execution(out: Path, mode: str):
    folder = out / "execution"
    log = out / "logs" / "execution.log"
    rc = run_script(FILES["execution"], ["--out", str(folder), *MODES[mode]["execution"]], log)
    if rc != 0 or not (folder / "bench_execution.json").is_file():
        raise RuntimeError(f"bench_execution.py exited {rc}; last lines of {log}:\n{_tail(log)}")
    report = json.loads((folder / "bench_execution.json").read_text())
    md = (folder / "bench_execution.md").read_text()
    md = "\n".join(line.replace("## ", "#### ", 1) if line.startswith("## ") else line
                   for line in md.splitlines() if not line.startswith("# "))
    skipped = [k for k in ("aer_grid", "executor", "noisy") if not report.get(k)]
    md = _drop_empty_subsections(md)
    if skipped:
        md += f"\n(skipped in this mode: {', '.join(skipped)})\n"
    return {"args": MODES[mode]["execution"], **report}, md.strip() + "\n"


def _drop_empty_subsections(md: str) -> str:
    """Remove ``####`` subsections without data (a table with no rows, no list items)."""
    parts, current = [], []
    for line in md.splitlines():
        if line.startswith("#### ") and current:
            parts.append(current)
            current = []
        current.append(line)
    parts.append(current)
    kept = []
    for part in parts:
        body = [ln for ln in part[1:] if ln.strip()]
        has_data = any(ln.startswith("- ") for ln in body) or sum(ln.startswith("|") for ln in body) > 2
        if not part[0].startswith("#### ") or has_data:
            kept.append("\n".join(part))
    return "\n".join(kept)


def section_other(out: Path, mode: str, script: str):
    name = Path(script).stem
    folder = out / name
    log = out / "logs" / f"{name}.log"
    args = ["--out", str(folder)]
    if mode == "quick":
        help_text = subprocess.run([sys.executable, str(HERE / script), "--help"], cwd=ROOT, capture_output=True,
                                   text=True, timeout=120).stdout
        if "--quick" in help_text:
            args.append("--quick")
    rc = run_script(script, args, log)
    if rc != 0:
        raise RuntimeError(f"{script} exited {rc}; last lines of {log}:\n{_tail(log)}")
    mds = sorted(folder.glob("*.md"))
    md = "\n\n".join(p.read_text() for p in mds) or f"(no markdown output; see {log})\n"
    jsons = {p.name: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}
    return {"script": script, "args": args, "outputs": jsons}, md


TITLES = {
    "circuits": "c. Two-qubit gates and depth on a fake IBM device",
    "decision": "a. Decision latency: warm/cold vs raw Aer vs transpile-every-tick",
    "accuracy": "d. Accuracy: sampled vs exact decision distribution",
    "backtest": "b. Backtest throughput",
    "noise": "e. Noise: aer-noisy:FakeTorino vs noiseless vs exact",
    "execution": "f. Execution layer (bench_execution.py)",
}


def discover() -> list[str]:
    """Every ``benchmarks/bench_*.py`` not handled by a known section."""
    known = set(FILES.values())
    return sorted(p.name for p in HERE.glob("bench_*.py") if p.name not in known)


def render(report: dict, mds: dict) -> str:
    m = report["machine"]
    git = m.get("git") or {}
    lines = [
        "# QAR benchmark suite",
        "",
        f"- date: {m['date']}",
        f"- command: `{report['command']}` (mode: {report['mode']})",
        f"- machine: {m['platform']}, {m['cpu']}, {m['cpu_count']} CPUs ({m.get('cpus_usable')} usable)",
        f"- versions: python {m['python']}, qiskit {m['qiskit']}, qiskit-aer {m['qiskit_aer']}, "
        f"qiskit-ibm-runtime {m['qiskit_ibm_runtime']}, mthree {m['mthree']}, numpy {m['numpy']}",
        f"- code: commit {git.get('commit')}{' + uncommitted changes' if git.get('dirty') else ''}",
        f"- total duration: {report['total_s']:.0f} s ({report['total_s'] / 60:.1f} min)",
        "",
        "| section | status | duration |",
        "|---|---|---:|",
    ]
    order = sorted(report["sections"], key=lambda n: TITLES.get(n, "z " + n))
    for name in order:
        sec = report["sections"][name]
        lines.append(f"| {TITLES.get(name, name)} | {sec['status']} | {sec['duration_s']:.0f} s |")
    lines.append("")
    for name in order:
        sec = report["sections"][name]
        lines += [f"## {TITLES.get(name, name)}", ""]
        if sec["status"] != "ok":
            lines += ["**Failed:**", "", "```", sec.get("error", "").strip(), "```", ""]
        if mds.get(name):
            lines += [mds[name].rstrip(), ""]
    return "\n".join(lines).rstrip() + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--out", type=Path, default=Path("reports/bench"), help="output folder")
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="small settings: a few minutes on 2 cores")
    group.add_argument("--full", action="store_true",
                       help="default settings plus the backtest over the whole S&P 500 data set (1999-2018) "
                            "and bench_execution without --quick (its 24-qubit noisy run alone took ~1 h)")
    ap.add_argument("--only", nargs="+", default=None, help=f"sections to run ({', '.join(KNOWN)}, or a file name)")
    ap.add_argument("--skip", nargs="+", default=[], help="sections to leave out")
    args = ap.parse_args(argv)
    mode = "quick" if args.quick else "full" if args.full else "default"
    out = args.out
    out.mkdir(parents=True, exist_ok=True)

    sections = [*KNOWN, *discover()]
    if args.only:
        sections = [s for s in sections if s in args.only or Path(s).stem in args.only]
    sections = [s for s in sections if s not in args.skip and Path(s).stem not in args.skip]

    report = {"command": "python benchmarks/run_all.py " + " ".join(argv if argv is not None else sys.argv[1:]),
              "mode": mode, "machine": machine_info(), "settings": MODES[mode],
              "sections": {}}
    mds: dict[str, str] = {}
    t_all = time.perf_counter()
    for i, name in enumerate(sections, 1):
        _log(f"== [{i}/{len(sections)}] {name} ({mode})")
        t0 = time.perf_counter()
        try:
            if name in KNOWN:
                data, md = globals()[f"section_{name}"](out, mode)
            else:
                data, md = section_other(out, mode, name)
            entry = {"status": "ok", "report": data}
            mds[name] = md
        except Exception as exc:  # noqa: BLE001 - one failing benchmark must not stop the suite
            entry = {"status": "failed", "error": f"{type(exc).__name__}: {exc}",
                     "traceback": traceback.format_exc()}
            _log(f"   FAILED: {type(exc).__name__}: {exc}")
        entry["duration_s"] = time.perf_counter() - t0
        report["sections"][Path(name).stem if name not in KNOWN else name] = entry
        _log(f"   {name}: {entry['status']} in {entry['duration_s']:.0f} s")
        # Write after every section so that an interrupted run still leaves a report.
        report["total_s"] = time.perf_counter() - t_all
        _write(out, report, mds)
    report["total_s"] = time.perf_counter() - t_all
    _write(out, report, mds)
    _log(f"wrote {out / 'benchmarks.md'} and {out / 'benchmarks.json'} in {report['total_s']:.0f} s")
    return 0 if all(s["status"] == "ok" for s in report["sections"].values()) else 1


def _write(out: Path, report: dict, mds: dict) -> None:
    (out / "benchmarks.json").write_text(json.dumps(json_safe(report), indent=1, default=str) + "\n")
    (out / "benchmarks.md").write_text(render(report, {Path(k).stem: v for k, v in mds.items()}))


if __name__ == "__main__":
    raise SystemExit(main())
