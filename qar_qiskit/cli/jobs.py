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
from qar_qiskit.config import MAX_SHOTS, MAX_TIMEOUT_S
from qar_qiskit.errors import InputError


def _store(store: Optional[Path]):
    from qar_qiskit.backends.jobs import JobStore

    return JobStore(store)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=1, sort_keys=True, default=str))


def prepare_tick_for_submit(tick: dict, config_path: Optional[Path]):
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

    return QAR.from_config(config_path).prepare_tick(tick)


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
        shots: int = typer.Option(1024, "--shots", min=1, max=MAX_SHOTS),
        optimization_level: Optional[int] = typer.Option(None, "--optimization-level", min=0, max=3),
        mode: str = typer.Option("job", "--mode", help="job | batch | session"),
        store: Optional[Path] = typer.Option(None, "--store", help="Job store (default $QAR_JOB_STORE or ~/.qar/jobs.json)."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Submit one tick to IBM Quantum and record the job id."""
        from qar_qiskit.backends.jobs import submit_tick

        config_path = (ctx.obj or {}).get("config_path")
        tick_circuit, values, context = prepare_tick_for_submit(read_tick_file(tick), config_path)
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
            typer.echo(f"{record['job_id']}  {record.get('backend', '?')}  {record['status']}  "
                       f"submitted {record.get('submitted_at', '?')}")

    @app.command("result")
    def result_cmd(
        job_id: str = typer.Argument(..., help="Job id printed by qar submit."),
        store: Optional[Path] = typer.Option(None, "--store"),
        wait: float = typer.Option(0, "--wait", min=0, max=MAX_TIMEOUT_S, help="Seconds to wait for an unfinished job (0: do not wait)."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Print a finished job's per-register counts."""
        from qar_qiskit.backends.jobs import job_result

        job_store = _store(store)
        results = job_result(job_id, store=job_store, wait_s=wait)
        decisions = read_job_decisions(job_store.get(job_id), results)
        if as_json:
            _echo_json({"job_id": job_id, "results": [r.to_dict() for r in results], "decisions": decisions})
            return
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
