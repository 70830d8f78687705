"""IBM jobs across processes: submit / status / result over the job store.

The store and the job status helpers are :mod:`qar_qiskit.backends.jobstore` (``JobStore`` is
re-exported here).

Local testing-mode jobs (a fake device behind the service) run inside the submitting process
and cannot be fetched by id later, so :func:`submit_tick` waits for them and stores their counts;
real IBM jobs are stored with status ``QUEUED`` and fetched with ``service.job(id)`` by
:func:`job_status` / :func:`job_result` from any later process. A job missing from the store
(another machine, a lost store) is fetched by id, or found by tag with
``service.jobs(job_tags=[tag])``; its plan comes back from its ``qar-plan:`` tag and its
registers, rows and shots from its result. Records keep the job's tags, ``max_execution_time``
and, once finished, its QPU usage (``job.usage()``, seconds) as ``usage_s``.
:func:`dry_run_tick` compiles and validates a submission without sending it.

Integration point for the pipeline: :func:`submit_tick` takes a TickCircuit and its ``(B, P)``
parameter values (what ``QAR.prepare_tick(tick)`` returns) and a backend spec ``ibm:<name>``.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import numpy as np

from qar_qiskit.backends.base import ExecutionResult
from qar_qiskit.backends.counts import counts_from_job_result
from qar_qiskit.backends.ibm_service import get_service, has_ibm_credentials, redact
from qar_qiskit.backends.jobstore import (
    FINAL_BAD,
    FINAL_OK,
    JOB_STORE_ENV,
    JobStore,
    default_store_path,
    find_remote_job,
    job_status_name,
    job_usage,
    now_utc,
    remote_record,
    result_layout,
    wait_for_result,
)
from qar_qiskit.errors import BackendError, JobError, StateError

__all__ = ["JobStore", "default_store_path", "submit_tick", "dry_run_tick", "job_status", "job_result", "JOB_STORE_ENV"]


def _plan_dump(tick_circuit: Any) -> Any:
    plan = getattr(tick_circuit, "plan", None)
    if plan is None:
        return None
    return plan.model_dump() if hasattr(plan, "model_dump") else str(plan)


def submit_tick(
    tick_circuit: Any,
    parameter_values: Any,
    backend: str,
    *,
    shots: int | None = None,
    store: JobStore | str | os.PathLike | None = None,
    executor=None,
    context: dict[str, Any] | None = None,
    **settings: Any,
) -> dict[str, Any]:
    """Submit a tick's circuit and values to ``backend`` (``ibm:<name>``); return the job record.

    This is the pipeline's integration point: ``QAR.prepare_tick(tick)`` gives
    ``(tick_circuit, parameter_values, context)``; pass them here. ``settings`` go to
    :func:`~qar_qiskit.backends.registry.make_executor` (``service=`` for tests).
    """
    store = store if isinstance(store, JobStore) else JobStore(store)
    ex = _ibm_executor(tick_circuit, backend, executor, settings)
    values = np.atleast_2d(np.asarray(parameter_values, dtype=float))
    job, info = ex.submit(tick_circuit, values, shots=shots)
    job_id = str(job.job_id())
    record: dict[str, Any] = {
        "job_id": job_id,
        "backend": ex.name,
        "plan": _plan_dump(tick_circuit),
        "parameter_values": values.tolist(),
        "shots": info["shots"],
        "registers": info["registers"],
        "rows": info["rows"],
        "submitted_at": now_utc(),
        "status": "QUEUED",
        "local": bool(info["local"]),
        "sampler": info["sampler"],
        "mode": ex.mode,
        "context": context or {},
        "tags": info["tags"],
        "max_execution_time": info["max_execution_time"],
        "fractional_gates": info["fractional_gates"],
    }
    if info["local"]:
        # Local testing mode: the job lives in this process only; wait and keep its counts.
        try:
            results = ex.results_from_job(job, info)
            record.update(status="DONE", results=[r.to_dict() for r in results], finished_at=now_utc(),
                          usage_s=job_usage(job))
        except JobError as exc:
            record.update(status="ERROR", error=str(exc), finished_at=now_utc())
    store.add(record)
    return record


def _ibm_executor(tick_circuit: Any, backend: str, executor, settings: dict[str, Any], *, dry_run: bool = False):
    """The IBM executor for ``backend`` (``ibm:least-busy`` asks for the circuit's qubit count).

    For a dry run ``aer-noisy:<FakeDevice>`` is accepted too: it is compiled as ``ibm:<FakeDevice>``
    on the offline service (same target, same pass manager as the noisy executor's), no account needed.
    """
    from qar_qiskit.backends.ibm import LEAST_BUSY, IBMExecutor
    from qar_qiskit.backends.registry import make_executor, validate_spec

    backend = validate_spec(backend)
    if dry_run and backend.startswith("aer-noisy:"):
        backend = "ibm:" + backend.partition(":")[2]
    if not backend.startswith("ibm:"):
        raise BackendError(f"submit needs an IBM backend (ibm:<name>), got {backend!r}; run other backends directly")
    if executor is None and backend == f"ibm:{LEAST_BUSY}":
        circuit = getattr(tick_circuit, "circuit", tick_circuit)
        settings = {"min_num_qubits": int(circuit.num_qubits), **settings}
    ex = executor or make_executor(backend, **settings)
    if not isinstance(ex, IBMExecutor):  # pragma: no cover - guarded above
        raise BackendError(f"{backend!r} is not an IBM backend")
    return ex


def dry_run_tick(tick_circuit: Any, parameter_values: Any, backend: str, *, shots: int | None = None,
                 executor=None, **settings: Any) -> dict[str, Any]:
    """What :func:`submit_tick` would send, validated and reported (:meth:`IBMExecutor.dry_run`); nothing is sent or
    stored.

    ``backend`` is ``ibm:<name>``; a fake device (``ibm:fake_fez``, ``aer-noisy:FakeFez``) needs
    no IBM account (:func:`~qar_qiskit.backends.ibm_service.service_for_backend`).
    """
    ex = _ibm_executor(tick_circuit, backend, executor, settings, dry_run=True)
    try:
        values = np.atleast_2d(np.asarray(parameter_values, dtype=float))
        return {**ex.dry_run(tick_circuit, values, shots=shots), "plan": _plan_dump(tick_circuit)}
    finally:
        ex.close()


def _service_for(record: dict[str, Any], service=None, **settings):
    return get_service(service, settings.get("service_factory"))


def _remote_job(record: dict[str, Any], service=None, **settings):
    if record.get("local"):
        raise JobError(f"job {record['job_id']} ran in local testing mode and has no stored result")
    svc = _service_for(record, service, **settings)
    try:
        return svc.job(record["job_id"])
    except Exception as exc:
        raise JobError(f"job {record['job_id']} cannot be fetched from IBM Quantum: "
                       f"{type(exc).__name__}: {redact(exc)}") from None


def _record(store: JobStore, job_id: str | None, tag: str | None, service=None, **settings) -> dict[str, Any]:
    """The store's record of ``job_id``; else the job found on IBM Quantum by id or by ``tag``,
    added to the store (so the next call is local)."""

    if job_id:
        try:
            return store.get(job_id)
        except JobError as unknown:
            message = str(unknown)
        if service is None and settings.get("service_factory") is None and not has_ibm_credentials():
            raise JobError(f"{message}; no IBM Quantum credentials to look it up there")
        try:
            job = find_remote_job(_service_for({}, service, **settings), job_id=job_id)
        except (JobError, BackendError) as exc:
            raise JobError(f"{message}; {exc}") from None
    else:
        job = find_remote_job(_service_for({}, service, **settings), tag=tag)
        job_id = str(job.job_id())
        with contextlib.suppress(JobError):
            return store.get(job_id)
    record = remote_record(job)
    store.add(record)
    return record


def job_status(job_id: str | None, *, store: JobStore | str | None = None, service=None, tag: str | None = None,
               **settings: Any) -> dict[str, Any]:
    """The job's record with a fresh ``status`` (asks the service unless the status is final).

    A job missing from the store is fetched from IBM Quantum by id, or found by ``tag``.
    """
    store = store if isinstance(store, JobStore) else JobStore(store)
    record = _record(store, job_id, tag, service, **settings)
    job_id = record["job_id"]
    if record["status"] in FINAL_OK | FINAL_BAD:
        return record
    job = _remote_job(record, service, **settings)
    try:
        status = job_status_name(job)
    except Exception as exc:
        raise JobError(f"job {job_id}: status query failed: {type(exc).__name__}: {redact(exc)}") from None
    if status != record["status"]:
        record = store.update(job_id, status=status, checked_at=now_utc())
    return record


def job_result(
    job_id: str | None,
    *,
    store: JobStore | str | None = None,
    service=None,
    wait_s: float | None = 0,
    tag: str | None = None,
    **settings: Any,
) -> list[ExecutionResult]:
    """Results of a finished job; :class:`JobError` when unknown, failed, cancelled or unfinished.

    ``wait_s``: ``0`` does not wait for an unfinished job, ``None`` waits indefinitely, a number
    waits that many seconds (then :class:`JobError`). A job missing from the store is fetched
    from IBM Quantum by id, or the newest job carrying ``tag`` (``service.jobs(job_tags=[tag])``);
    its registers, rows and shots then come from the result and its plan from its plan tag.
    The job's QPU usage (``job.usage()``, seconds) is kept in the record as ``usage_s``.
    """
    store = store if isinstance(store, JobStore) else JobStore(store)
    record = _record(store, job_id, tag, service, **settings)
    job_id = record["job_id"]
    if record.get("results"):
        try:
            return [ExecutionResult.from_dict(r) for r in record["results"]]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateError(f"job store {store.path} is damaged: record {job_id!r} results unreadable "
                             f"({type(exc).__name__}: {exc})") from None
    if record["status"] in FINAL_BAD:
        raise JobError(f"job {job_id} {'was cancelled' if 'CANCEL' in record['status'] else 'failed'}"
                       + (f": {record['error']}" if record.get("error") else ""))
    job = _remote_job(record, service, **settings)
    status = job_status_name(job)
    if status in ("CANCELLED", "CANCELED"):
        store.update(job_id, status=status)
        raise JobError(f"job {job_id} was cancelled")
    if status in FINAL_BAD:
        message = ""
        with contextlib.suppress(Exception):
            message = redact(job.error_message() or "")
        store.update(job_id, status=status, error=message)
        raise JobError(f"job {job_id} failed" + (f": {message}" if message else ""))
    if status not in FINAL_OK and wait_s == 0:
        store.update(job_id, status=status)
        raise JobError(f"job {job_id} is {status}, not finished; try again later or pass --wait SECONDS")
    result = wait_for_result(job, wait_s)
    if not record.get("registers"):  # recovered from IBM Quantum: the layout comes with the result
        registers, n_rows, shots = result_layout(result)
        record = store.update(job_id, registers=registers, rows=n_rows, shots=shots)
    rows = counts_from_job_result(result, record["registers"], int(record["rows"]))
    results = ExecutionResult.rows(rows, shots=int(record["shots"]), backend=record["backend"], job_id=job_id,
                                   metadata={"sampler": record.get("sampler")})
    store.update(job_id, status="DONE", results=[r.to_dict() for r in results], finished_at=now_utc(),
                 usage_s=job_usage(job))
    return results
