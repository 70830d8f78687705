"""CLI commands: backends, submit, status, result (registered on the root app by :func:`register`).

Expected failures (unknown backend or job, authentication, failed/cancelled job, timeout) raise
:class:`~qar_qiskit.errors.BackendError` / :class:`~qar_qiskit.errors.JobError`; the CLI root
prints them as one line and exits non-zero. Nothing here ever prints a token.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from qar_qiskit.cli.system import read_tick_file
from qar_qiskit.config import MAX_SEED, MAX_SHOTS, MAX_TIMEOUT_S
from qar_qiskit.errors import InputError, QARError


def _store(store: Optional[Path]):
    from qar_qiskit.backends.jobs import JobStore

    return JobStore(store)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=1, sort_keys=True, default=str))


def prepare_tick_for_submit(tick: dict, config):
    """``(tick_circuit, parameter_values, context)`` for ``qar submit``.

    A market tick (price, volatility, ...) goes through the pipeline: regime analysis, plan,
    parameter values (:meth:`QAR.prepare_tick`). A file with ``plan`` and ``parameter_values``
    keys submits the composed circuit of that plan with those values as they are.
    """
    from qar_qiskit.circuits.composer import compose_tick_circuit

    if "plan" in tick:
        from qar_qiskit.plan.allocation import AllocationPlan

        if "parameter_values" not in tick:
            raise InputError("tick file: 'parameter_values' is required next to 'plan'")
        if not isinstance(tick["plan"], dict):
            raise InputError("tick file: 'plan' must be a mapping of component sizes")
        try:
            plan = AllocationPlan(**tick["plan"])
        except (TypeError, ValueError) as exc:
            raise InputError(f"tick file: invalid 'plan': {exc}") from None
        return compose_tick_circuit(plan), tick["parameter_values"], {"source": "plan"}
    from qar_qiskit.system.qar import QAR

    return QAR(config).prepare_tick(tick)


def read_job_decisions(record: dict, results) -> list[dict | None] | None:
    """Each row's decision from a finished job's counts, when the record holds a tick plan.

    The composed tick circuit's registers are read with :func:`~qar_qiskit.circuits.reader.read_counts`;
    for a market tick the exact twin's most probable decision (saved at submit time) is shown
    next to the sampled one.
    """
    from qar_qiskit.circuits.reader import read_counts
    from qar_qiskit.classical.decision import decode_decision
    from qar_qiskit.errors import QARError
    from qar_qiskit.plan.allocation import AllocationPlan

    plan_data = record.get("plan")
    if not isinstance(plan_data, dict):
        return None
    try:
        plan = AllocationPlan(**plan_data)
    except (TypeError, ValueError):
        return None
    exact = (record.get("context") or {}).get("exact_decision_distribution")
    out: list[dict | None] = []
    for r in results:
        try:
            readout = read_counts(plan, r.counts)
        except QARError:
            out.append(None)
            continue
        d = readout.decision_index
        action, size, risk = decode_decision(d)
        row = {"action": action, "size": size, "risk": risk, "confidence": float(readout.decision[d]),
               "invalid_regime_rate": readout.invalid_regime_rate}
        if exact:
            e = decode_decision(max(range(len(exact)), key=exact.__getitem__))
            row["exact"] = dict(zip(("action", "size", "risk"), e))
        out.append(row)
    return out


def _job_or_tag(job_id: Optional[str], tag: Optional[str]) -> Optional[str]:
    if not job_id and not tag:
        raise InputError("job id: give a job id or --tag TAG")
    if job_id and tag:
        raise InputError("job id: give a job id or --tag TAG, not both")
    return job_id


def hardware_flags(fractional: str, dd: Optional[str], twirl: Optional[str]) -> dict[str, Any]:
    """Executor settings from ``--fractional-gates``, ``--dd`` and ``--twirl`` (:class:`InputError` naming the flag)."""
    choices = {"auto": "auto", "on": True, "off": False}
    if fractional not in choices:
        raise InputError(f"--fractional-gates: must be auto, on or off, got {fractional!r}")
    out: dict[str, Any] = {"fractional_gates": choices[fractional]}
    if dd is not None:
        out["dynamical_decoupling"] = {"enable": True, "sequence_type": dd}
    if twirl is not None:
        kinds = {"gates": ("enable_gates",), "measure": ("enable_measure",), "all": ("enable_gates", "enable_measure")}
        if twirl not in kinds:
            raise InputError(f"--twirl: must be gates, measure or all, got {twirl!r}")
        out["twirling"] = {k: True for k in kinds[twirl]}
    return out


def format_dry_run(report: dict[str, Any]) -> str:
    """The text of ``qar submit --dry-run``."""
    isa, est = report["isa"], report["estimate"]
    if est["quantum_seconds"] is None:
        qpu = "unknown: the target has no gate durations (a simulator)"
    else:
        qpu = (f"~{est['quantum_seconds']:.2f} s = {est['executions']} executions x "
               f"({1e6 * est['circuit_duration_s']:.1f} us + rep_delay {1e6 * est['rep_delay_s']:.0f} us); "
               "IBM's per-job overhead not included")
    lines = [
        f"dry run on {report['backend']}: nothing was sent",
        f"  ISA circuit  {isa['active_qubits']} active qubits, {isa['two_qubit_gates']} two-qubit gates, "
        f"depth {isa['depth']}, ESP {isa['esp']:.4f}",
        "  gates        " + ", ".join(f"{k} {v}" for k, v in sorted(isa["ops"].items())),
        "  cone ESP     " + ", ".join(f"{name} {c['esp']:.3f} ({c['two_qubit_gates']} 2q)"
                                      for name, c in report.get("registers", {}).items()),
        f"  compile      level {report['optimization_level']}, {report['layout_trials']} layout trials, "
        f"fractional gates {'on' if report['fractional_gates'] else 'off'}",
        f"  QPU time     {qpu}",
        f"  max_execution_time {report['max_execution_time']} s"
        + ("  (EXCEEDED: the job would be refused)" if report["within_max_execution_time"] is False else ""),
        f"  tags         {', '.join(report['tags'])}",
    ]
    if report.get("isa_file"):
        lines.append(f"  ISA circuit  written to {report['isa_file']}")
    return "\n".join(lines)


def _echo_profiles() -> None:
    """The backend profiles ``--profile NAME`` finds: name, backend spec, the profile's description."""
    from qar_qiskit.backends.registry import load_profile, profile_dirs
    from qar_qiskit.resources import packaged_names

    typer.echo("\nprofiles (--profile NAME):")
    for name in packaged_names(profile_dirs()):
        try:
            prof = load_profile(name)
        except QARError as exc:
            typer.echo(f"  {name:<26} ({exc})")
            continue
        typer.echo(f"  {name:<26} {prof.name:<24} {prof.description}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to app."""

    @app.command("backends")
    def backends_cmd(
        as_json: bool = typer.Option(False, "--json", help="Print JSON rows."),
    ) -> None:
        """List available backends: name, qubits, dynamic-circuit support, noise."""
        from qar_qiskit.backends.registry import list_backends

        rows = list_backends()
        if as_json:
            _echo_json(rows)
            return
        typer.echo(f"{'name':<28} {'qubits':>6}  {'dynamic':<7}  noisy")
        for r in rows:
            line = (f"{r['name']:<28} {r['qubits']:>6}  {'yes' if r['dynamic'] else 'no':<7}  "
                    f"{'yes' if r['noisy'] else 'no'}")
            if r.get("error"):
                line += f"  ({r['error']})"
            typer.echo(line)
        _echo_profiles()

    @app.command("submit")
    def submit_cmd(
        ctx: typer.Context,
        tick: Path = typer.Option(..., "--tick", help="Tick file (JSON/YAML).", dir_okay=False),
        backend: str = typer.Option(..., "--backend", help="ibm:<backend name> or ibm:least-busy"),
        shots: Optional[int] = typer.Option(None, "--shots", min=1, max=MAX_SHOTS,
                                            help="Shots (default: the config's backend.shots)."),
        seed: Optional[int] = typer.Option(None, "--seed", min=0, max=MAX_SEED,
                                           help="Base seed (default from config)."),
        optimization_level: Optional[int] = typer.Option(None, "--optimization-level", min=0, max=3),
        layout_trials: Optional[int] = typer.Option(None, "--layout-trials", min=1, max=64,
                                                    help="Seeded transpilations, best ESP kept (default 8)."),
        fractional: str = typer.Option("auto", "--fractional-gates", help="auto | on | off (Heron rzz/rx)."),
        dd: Optional[str] = typer.Option(None, "--dd", help="Dynamical decoupling sequence: XX | XpXm | XY4."),
        twirl: Optional[str] = typer.Option(None, "--twirl", help="Pauli twirling: gates | measure | all."),
        max_execution_time: Optional[int] = typer.Option(None, "--max-execution-time", min=1, max=10800,
                                                         help="QPU seconds before IBM cancels the job (default 300)."),
        tags: list[str] = typer.Option([], "--tag",
                                       help="Extra job tag (repeatable); find the job with qar result --tag."),
        mode: str = typer.Option("job", "--mode", help="job | batch | session"),
        dry_run: bool = typer.Option(False, "--dry-run", help="Compile, validate and report; send nothing."),
        store: Optional[Path] = typer.Option(None, "--store",
                                             help="Job store (default $QAR_JOB_STORE or ~/.qar/jobs.json)."),
        isa_out: Optional[Path] = typer.Option(None, "--isa-out", file_okay=False,
                                               help="With --dry-run: write the ISA circuit (QPY) into this folder."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Submit one tick to IBM Quantum and record the job id (or --dry-run: report, send nothing).

        --dry-run needs no IBM account for a fake device: --backend ibm:fake_fez (any device of
        qiskit_ibm_runtime.fake_provider) or aer-noisy:FakeFez. A real device needs
        $QISKIT_IBM_TOKEN or a saved account.
        """
        from qar_qiskit.backends.jobs import dry_run_tick, submit_tick
        from qar_qiskit.backends.registry import executor_settings, validate_spec
        from qar_qiskit.config import load_config
        from qar_qiskit.settings import resolve_settings

        config = load_config((ctx.obj or {}).get("config_path"))
        # the run settings, resolved once: config < flags (shots, seed, optimization level)
        run = resolve_settings(config, backend=validate_spec(backend), shots=shots, seed=seed,
                               optimization_level=optimization_level)
        tick_circuit, values, context = prepare_tick_for_submit(read_tick_file(tick), config)
        settings = {**executor_settings(run), "mode": mode, "layout_trials": layout_trials,
                    "max_execution_time": max_execution_time, "job_tags": list(tags) or None,
                    **hardware_flags(fractional, dd, twirl)}
        settings.pop("shots")
        if isa_out is not None and not dry_run:
            raise InputError("--isa-out: only with --dry-run")
        if dry_run:
            report = dry_run_tick(tick_circuit, values, run.backend, shots=run.shots, **settings)
            isa = report.pop("isa_circuit", None)
            if isa_out is not None and isa is not None:
                from qar_qiskit.backends.cone_report import save_isa

                regime = getattr(getattr(tick_circuit, "plan", None), "regime", None) or "circuit"
                report["isa_file"] = str(save_isa(isa, isa_out, f"{report['backend']}-{regime}"))
            _echo_json(report) if as_json else typer.echo(format_dry_run(report))
            return
        record = submit_tick(tick_circuit, values, run.backend, shots=run.shots, store=_store(store),
                             context={**context, "settings": run.to_dict()}, **settings)
        if as_json:
            _echo_json({k: v for k, v in record.items() if k != "results"})
        else:
            typer.echo(f"{record['job_id']}  {record['backend']}  {record['status']}")

    @app.command("status")
    def status_cmd(
        job_id: Optional[str] = typer.Argument(None, help="Job id printed by qar submit."),
        tag: Optional[str] = typer.Option(None, "--tag", help="Find the newest IBM job carrying this tag."),
        store: Optional[Path] = typer.Option(None, "--store"),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Show a submitted job's status (a job missing from the store is looked up on IBM Quantum)."""
        from qar_qiskit.backends.jobs import job_status

        record = job_status(_job_or_tag(job_id, tag), store=_store(store), tag=tag)
        if as_json:
            _echo_json({k: record.get(k) for k in ("job_id", "backend", "status", "submitted_at", "shots", "rows")})
        else:
            typer.echo(f"{record['job_id']}  {record.get('backend', '?')}  {record['status']}  "
                       f"submitted {record.get('submitted_at', '?')}")

    @app.command("result")
    def result_cmd(
        job_id: Optional[str] = typer.Argument(None, help="Job id printed by qar submit."),
        tag: Optional[str] = typer.Option(None, "--tag", help="Use the newest IBM job carrying this tag."),
        store: Optional[Path] = typer.Option(None, "--store"),
        wait: float = typer.Option(0, "--wait", min=0, max=MAX_TIMEOUT_S,
                                   help="Seconds to wait for an unfinished job (0: do not wait)."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Print a finished job's per-register counts, decision and QPU usage.

        A job missing from the local store is fetched from IBM Quantum by id, or found by --tag.
        """
        from qar_qiskit.backends.jobs import job_result

        job_store = _store(store)
        results = job_result(_job_or_tag(job_id, tag), store=job_store, wait_s=wait, tag=tag)
        job_id = results[0].job_id if results else job_id
        record = job_store.get(job_id)
        decisions = read_job_decisions(record, results)
        if as_json:
            _echo_json({"job_id": job_id, "results": [r.to_dict() for r in results], "decisions": decisions,
                        "usage_s": record.get("usage_s"), "tags": record.get("tags")})
            return
        if record.get("usage_s") is not None:
            typer.echo(f"job {job_id}: QPU usage {record['usage_s']:g} s")
        for i, r in enumerate(results):
            typer.echo(f"row {i}: {r.shots} shots on {r.backend}")
            if decisions and decisions[i]:
                d = decisions[i]
                line = f"  decision  {d['action']} {d['size']} {d['risk']}  (frequency {d['confidence']:.3f})"
                if d.get("exact"):
                    e = d["exact"]
                    line += f"; exact twin {e['action']} {e['size']} {e['risk']}"
                typer.echo(line)
            for reg, counts in r.counts.items():
                top = sorted(counts.items(), key=lambda kv: -kv[1])[:4]
                typer.echo(f"  {reg:<9} " + "  ".join(f"{k}:{v}" for k, v in top))
