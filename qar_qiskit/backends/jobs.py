"""IBM jobs across processes: a JSON job store plus submit / status / result.

The store (default ``~/.qar/jobs.json``; ``$QAR_JOB_STORE`` or an argument overrides it) holds
one record per job: id, backend spec, plan (``plan.model_dump()``), parameter values, shots,
register names, submit time (UTC ISO-8601), status and, once known, results. Writes are atomic
(temp file in the same folder + fsync + ``os.replace``) under an advisory file lock, so a crash
never leaves a half-written store and two processes do not lose each other's records. No token
is ever written: records contain only what is listed above.

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
import datetime as _dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from qar_qiskit.backends.base import ExecutionResult
from qar_qiskit.errors import BackendError, JobError, StateError

__all__ = ["JobStore", "default_store_path", "submit_tick", "dry_run_tick", "job_status", "job_result", "JOB_STORE_ENV"]

JOB_STORE_ENV = "QAR_JOB_STORE"
STORE_VERSION = 1


def default_store_path() -> Path:
    env = os.environ.get(JOB_STORE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".qar" / "jobs.json"


class JobStore:
    """A JSON file of job records with atomic, locked read-modify-write."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path).expanduser() if path else default_store_path()

    # -- file handling -----------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a+") as fh:
            try:
                import fcntl

                fcntl.flock(fh, fcntl.LOCK_EX)
            except ImportError:  # pragma: no cover - non-POSIX: atomic replace only
                pass
            try:
                yield
            finally:
                try:
                    import fcntl

                    fcntl.flock(fh, fcntl.LOCK_UN)
                except ImportError:  # pragma: no cover
                    pass

    def _read(self) -> dict[str, Any]:
        """The store's content, validated; :class:`StateError` naming the file when damaged."""
        if not self.path.exists():
            return {"version": STORE_VERSION, "jobs": {}}
        where = f"job store {self.path}"
        try:
            data = json.loads(self.path.read_bytes().decode("utf-8") or "{}")
        except json.JSONDecodeError as exc:
            raise StateError(f"{where} is damaged: {exc.msg} at line {exc.lineno}") from None
        except UnicodeDecodeError:
            raise StateError(f"{where} is damaged: not UTF-8 text") from None
        except RecursionError:
            raise StateError(f"{where} is damaged: nested too deeply") from None
        if not isinstance(data, dict) or not isinstance(data.get("jobs", {}), dict):
            raise StateError(f"{where} is damaged: no 'jobs' mapping")
        version = data.get("version", 1)
        if isinstance(version, bool) or not isinstance(version, int):
            raise StateError(f"{where} is damaged: version must be an integer, got {version!r}")
        if version > STORE_VERSION:
            raise StateError(f"{where} has version {version}, newer than {STORE_VERSION}")
        data.setdefault("jobs", {})
        for job_id, record in data["jobs"].items():
            if not isinstance(record, dict):
                raise StateError(f"{where} is damaged: record {job_id!r} is not a mapping")
            if not isinstance(record.get("status"), str):
                raise StateError(f"{where} is damaged: record {job_id!r} has no text 'status'")
            results = record.get("results")
            if results is not None and not (isinstance(results, list) and all(
                    isinstance(r, dict) and isinstance(r.get("counts"), dict) for r in results)):
                raise StateError(f"{where} is damaged: record {job_id!r} has malformed 'results'")
        return data

    def _write(self, data: dict[str, Any]) -> None:
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump(data, fh, indent=1, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(OSError):  # make the rename durable
            dfd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    # -- records -----------------------------------------------------------------------------
    def add(self, record: dict[str, Any]) -> None:
        with self._locked():
            data = self._read()
            data["jobs"][record["job_id"]] = record
            self._write(data)

    def update(self, job_id: str, **fields: Any) -> dict[str, Any]:
        with self._locked():
            data = self._read()
            if job_id not in data["jobs"]:
                raise JobError(self._unknown(job_id, data))
            data["jobs"][job_id].update(fields)
            self._write(data)
            return data["jobs"][job_id]

    def get(self, job_id: str) -> dict[str, Any]:
        data = self._read()
        record = data["jobs"].get(job_id)
        if record is None:
            raise JobError(self._unknown(job_id, data))
        return record

    def all(self) -> list[dict[str, Any]]:
        return list(self._read()["jobs"].values())

    def _unknown(self, job_id: str, data: dict) -> str:
        return f"unknown job id {job_id!r} (store {self.path} holds {len(data['jobs'])} jobs)"


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


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
        "submitted_at": _now(),
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
            record.update(status="DONE", results=[r.to_dict() for r in results], finished_at=_now(),
                          usage_s=_usage(job))
        except JobError as exc:
            record.update(status="ERROR", error=str(exc), finished_at=_now())
    store.add(record)
    return record


def _ibm_executor(tick_circuit: Any, backend: str, executor, settings: dict[str, Any]):
    """The IBM executor for ``backend`` (``ibm:least-busy`` asks for the circuit's qubit count)."""
    from qar_qiskit.backends.ibm import LEAST_BUSY, IBMExecutor
    from qar_qiskit.backends.registry import make_executor, validate_spec

    backend = validate_spec(backend)
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
    """What :func:`submit_tick` would send, validated and reported (:meth:`IBMExecutor.dry_run`); nothing is sent or stored."""
    ex = _ibm_executor(tick_circuit, backend, executor, settings)
    try:
        values = np.atleast_2d(np.asarray(parameter_values, dtype=float))
        return {**ex.dry_run(tick_circuit, values, shots=shots), "plan": _plan_dump(tick_circuit)}
    finally:
        ex.close()


def _usage(job) -> float | None:
    """``job.usage()``: QPU seconds billed (0 for local testing mode), None when unavailable."""
    try:
        return float(job.usage())
    except Exception:  # noqa: BLE001 - usage is informative; a failing query must not fail a result
        return None


def _service_for(record: dict[str, Any], service=None, **settings):
    from qar_qiskit.backends.ibm_service import get_service

    return get_service(service, settings.get("service_factory"))


def _remote_job(record: dict[str, Any], service=None, **settings):
    from qar_qiskit.backends.ibm_service import redact

    if record.get("local"):
        raise JobError(f"job {record['job_id']} ran in local testing mode and has no stored result")
    svc = _service_for(record, service, **settings)
    try:
        return svc.job(record["job_id"])
    except Exception as exc:
        raise JobError(f"job {record['job_id']} cannot be fetched from IBM Quantum: {type(exc).__name__}: {redact(exc)}") from None


def _record(store: JobStore, job_id: str | None, tag: str | None, service=None, **settings) -> dict[str, Any]:
    """The store's record of ``job_id``; else the job found on IBM Quantum by id or by ``tag``,
    added to the store (so the next call is local)."""
    from qar_qiskit.backends.ibm_service import find_remote_job, has_ibm_credentials, remote_record

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
    from qar_qiskit.backends.ibm_service import FINAL_BAD, FINAL_OK, job_status_name, redact

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
        record = store.update(job_id, status=status, checked_at=_now())
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
    from qar_qiskit.backends.ibm_service import (FINAL_BAD, FINAL_OK, counts_from_job_result, job_status_name,
                                                 result_layout, wait_for_result)

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
        from qar_qiskit.backends.ibm_service import redact

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
    results = [ExecutionResult(counts=c, shots=int(record["shots"]), backend=record["backend"], job_id=job_id,
                               metadata={"sampler": record.get("sampler")}) for c in rows]
    store.update(job_id, status="DONE", results=[r.to_dict() for r in results], finished_at=_now(),
                 usage_s=_usage(job))
    return results
