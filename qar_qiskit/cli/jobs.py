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

from qar_qiskit.errors import InputError


def _store(store: Optional[Path]):
    from qar_qiskit.backends.jobs import JobStore

    return JobStore(store)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=1, sort_keys=True, default=str))


def _read_tick_file(path: Path) -> dict:
    import yaml

    text = path.read_text()
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: not valid JSON/YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a tick file must hold a mapping")
    return data


def prepare_tick_for_submit(tick: dict, config_path: Optional[Path]):
    """``(tick_circuit, parameter_values, context)`` for ``qar submit``.

    A tick file with ``plan`` and ``parameter_values`` keys is used directly (the composer's
    circuit for that plan, or the stand-in until it exists). Any other tick goes through the
    pipeline's ``QAR.prepare_tick(tick)`` (integration point owned by the pipeline).
    """
    if "plan" in tick:
        from qar_qiskit.backends.standin import tick_circuit_for
        from qar_qiskit.plan.allocation import AllocationPlan

        plan = AllocationPlan(**tick["plan"])
        tick_circuit = tick_circuit_for(plan)
        if "parameter_values" not in tick:
            raise InputError("tick file: 'parameter_values' is required next to 'plan'")
        return tick_circuit, tick["parameter_values"], {"source": "plan"}
    try:
        from qar_qiskit.system import QAR  # type: ignore[attr-defined]
    except ImportError:
        raise InputError(
            "tick file has no 'plan'; market ticks need the pipeline (qar_qiskit.system.QAR.prepare_tick), "
            "which is not available in this build"
        ) from None
    qar = QAR.from_config(config_path) if hasattr(QAR, "from_config") else QAR(config_path)
    return qar.prepare_tick(tick)


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
            line = f"{r['name']:<28} {r['qubits']:>6}  {'yes' if r['dynamic'] else 'no':<7}  {'yes' if r['noisy'] else 'no'}"
            if r.get("error"):
                line += f"  ({r['error']})"
            typer.echo(line)

    @app.command("submit")
    def submit_cmd(
        ctx: typer.Context,
        tick: Path = typer.Option(..., "--tick", help="Tick file (JSON/YAML).", dir_okay=False),
        backend: str = typer.Option(..., "--backend", help="ibm:<backend name>"),
        shots: int = typer.Option(1024, "--shots", min=1),
        optimization_level: Optional[int] = typer.Option(None, "--optimization-level", min=0, max=3),
        mode: str = typer.Option("job", "--mode", help="job | batch | session"),
        store: Optional[Path] = typer.Option(None, "--store", help="Job store (default $QAR_JOB_STORE or ~/.qar/jobs.json)."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Submit one tick to IBM Quantum and record the job id."""
        from qar_qiskit.backends.jobs import submit_tick

        config_path = (ctx.obj or {}).get("config_path")
        tick_circuit, values, context = prepare_tick_for_submit(_read_tick_file(tick), config_path)
        record = submit_tick(tick_circuit, values, backend, shots=shots, store=_store(store),
                             optimization_level=optimization_level, mode=mode, context=context)
        if as_json:
            _echo_json({k: v for k, v in record.items() if k != "results"})
        else:
            typer.echo(f"{record['job_id']}  {record['backend']}  {record['status']}")

    @app.command("status")
    def status_cmd(
        job_id: str = typer.Argument(..., help="Job id printed by qar submit."),
        store: Optional[Path] = typer.Option(None, "--store"),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Show a submitted job's status."""
        from qar_qiskit.backends.jobs import job_status

        record = job_status(job_id, store=_store(store))
        if as_json:
            _echo_json({k: record.get(k) for k in ("job_id", "backend", "status", "submitted_at", "shots", "rows")})
        else:
            typer.echo(f"{record['job_id']}  {record['backend']}  {record['status']}  submitted {record['submitted_at']}")

    @app.command("result")
    def result_cmd(
        job_id: str = typer.Argument(..., help="Job id printed by qar submit."),
        store: Optional[Path] = typer.Option(None, "--store"),
        wait: float = typer.Option(0, "--wait", help="Seconds to wait for an unfinished job (0: do not wait)."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Print a finished job's per-register counts."""
        from qar_qiskit.backends.jobs import job_result

        results = job_result(job_id, store=_store(store), wait_s=wait)
        if as_json:
            _echo_json({"job_id": job_id, "results": [r.to_dict() for r in results]})
            return
        for i, r in enumerate(results):
            typer.echo(f"row {i}: {r.shots} shots on {r.backend}")
            for reg, counts in r.counts.items():
                top = sorted(counts.items(), key=lambda kv: -kv[1])[:4]
                typer.echo(f"  {reg:<9} " + "  ".join(f"{k}:{v}" for k, v in top))
