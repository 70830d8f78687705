"""The IBM job store and the job status helpers.

The store (default ``~/.qar/jobs.json``; ``$QAR_JOB_STORE`` or an argument overrides it) holds
one record per job: id, backend spec, plan (``plan.model_dump()``), parameter values, shots,
register names, submit time (UTC ISO-8601), status and, once known, results. Writes are atomic
(temp file in the same folder + fsync + ``os.replace``) under an advisory file lock, so a crash
never leaves a half-written store and two processes do not lose each other's records. No token
is ever written: records contain only what is listed above.

Beside it, the helpers that read a runtime job's state: its id, its status name and whether that
is final (:data:`FINAL_OK`, :data:`FINAL_BAD`), its result within a timeout, its QPU usage, a
job found again on IBM Quantum by id or tag, and the store record of such a job. Submission and
the cross-process status/result calls are :mod:`qar_qiskit.backends.jobs`.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from qar_qiskit.backends.ibm_service import redact
from qar_qiskit.errors import BackendError, JobError, StateError

__all__ = ["JobStore", "default_store_path", "JOB_STORE_ENV", "STORE_VERSION", "FINAL_OK", "FINAL_BAD",
           "job_id_of", "job_status_name", "wait_for_result", "job_usage", "find_remote_job", "remote_record",
           "result_layout", "now_utc"]

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


def now_utc() -> str:
    """The current UTC time, ISO-8601 to the second (the store's time stamps)."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def job_usage(job) -> float | None:
    """``job.usage()``: QPU seconds billed (0 for local testing mode), None when unavailable."""
    try:
        return float(job.usage())
    except Exception:  # noqa: BLE001 - usage is informative; a failing query must not fail a result
        return None


def job_id_of(job) -> str:
    jid = job.job_id
    return str(jid() if callable(jid) else jid)


def job_status_name(job) -> str:
    """The job's status as an upper-case string (``DONE``, ``ERROR``, ``CANCELLED``, ...)."""
    status = job.status()
    name = getattr(status, "name", status)
    return str(name).upper()


FINAL_OK = {"DONE", "COMPLETED"}
FINAL_BAD = {"ERROR", "CANCELLED", "CANCELED", "FAILED"}


def wait_for_result(job, timeout_s: float | None):
    """``job.result()`` with failures and timeouts turned into one-line :class:`JobError`."""
    jid = job_id_of(job)
    try:
        if timeout_s is None:
            return job.result()
        try:
            return job.result(timeout=timeout_s)
        except TypeError:  # a job object without a timeout argument
            return job.result()
    except (BackendError, JobError):
        raise
    except Exception as exc:
        name = type(exc).__name__
        if "Timeout" in name or isinstance(exc, TimeoutError):
            raise JobError(f"job {jid} did not finish within {timeout_s} s") from None
        try:
            status = job_status_name(job)
        except Exception:
            status = "ERROR"
        if status in ("CANCELLED", "CANCELED"):
            raise JobError(f"job {jid} was cancelled") from None
        raise JobError(f"job {jid} failed: {name}: {redact(exc)}") from None


def find_remote_job(service, *, job_id: str | None = None, tag: str | None = None):
    """A job fetched from IBM Quantum by id, else the newest job carrying ``tag``.

    ``service.jobs(job_tags=[tag])`` is how a job is found again without the local job store
    (every qar job carries ``qar`` and its plan tag, plus any ``--tag`` given at submit).
    """
    if job_id:
        try:
            return service.job(job_id)
        except Exception as exc:
            raise JobError(f"job {job_id} is not in the job store and cannot be fetched from IBM Quantum: "
                           f"{type(exc).__name__}: {redact(exc)}") from None
    if not tag:
        raise JobError("give a job id or --tag")
    try:
        jobs = service.jobs(job_tags=[tag], limit=1, descending=True)
    except Exception as exc:
        raise JobError(f"jobs tagged {tag!r} cannot be listed: {type(exc).__name__}: {redact(exc)}") from None
    if not jobs:
        raise JobError(f"no IBM Quantum job carries the tag {tag!r}")
    return jobs[0]


def remote_record(job) -> dict[str, Any]:
    """A job-store record for a job known only to IBM Quantum (registers and rows come with its result)."""
    from qar_qiskit.backends.ibm_options import plan_from_tags

    tags = list(getattr(job, "tags", None) or [])
    backend = None
    try:
        b = job.backend()
        backend = f"ibm:{getattr(b, 'name', b)}"
    except Exception:  # noqa: BLE001 - the backend name is informative only
        pass
    created = None
    try:
        created = job.creation_date.isoformat()
    except Exception:  # noqa: BLE001
        pass
    return {"job_id": job_id_of(job), "backend": backend or "ibm:unknown", "plan": plan_from_tags(tags), "tags": tags,
            "parameter_values": None, "shots": None, "registers": None, "rows": None, "submitted_at": created,
            "status": "QUEUED", "local": False, "sampler": "client-side", "recovered_from": "ibm"}


def result_layout(result: Any) -> tuple[list[str], int, int]:
    """``(register names, rows, shots)`` of a SamplerV2 ``PrimitiveResult`` (one PUB)."""
    try:
        data = result[0].data
        names = list(data.keys())
        rows = int(np.prod(data.shape)) if data.shape else 1
        shots = int(data[names[0]].num_shots)
    except Exception:
        raise BackendError(f"malformed sampler result: {type(result).__name__}") from None
    return names, rows, shots
