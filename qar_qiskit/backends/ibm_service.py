"""IBM Runtime service access, credentials and job results (shared by :mod:`.ibm` and :mod:`.jobs`).

Credentials: the token comes only from the environment variable ``QISKIT_IBM_TOKEN`` or from a
saved account (``QiskitRuntimeService.save_account``); never from a config file, never logged.
Every error raised here passes through :func:`redact`, and authentication failures are
re-raised outside the ``except`` block so no chained exception can carry the token either.
"""

from __future__ import annotations

import importlib
import os
from typing import Any, Callable

import numpy as np

from qar_qiskit.backends.base import PostSelect, counts_from_codes, counts_from_pub_result, shot_codes
from qar_qiskit.errors import BackendError, JobError

__all__ = ["redact", "get_service", "has_ibm_credentials", "default_service_factory", "counts_from_job_result",
           "wait_for_result", "job_status_name", "job_id_of", "FINAL_OK", "FINAL_BAD", "TOKEN_ENV",
           "SERVICE_FACTORY_ENV", "CHANNEL", "find_remote_job", "remote_record", "result_layout"]

TOKEN_ENV = "QISKIT_IBM_TOKEN"
SERVICE_FACTORY_ENV = "QAR_IBM_SERVICE_FACTORY"
CHANNEL = "ibm_quantum_platform"


def redact(text: Any, *secrets: str | None) -> str:
    """``text`` with the IBM token (env var) and any given secrets replaced by ``***``."""
    out = str(text)
    for secret in (os.environ.get(TOKEN_ENV), *secrets):
        if secret and len(secret) >= 4:
            out = out.replace(secret, "***")
    return out


def _load_factory(path: str) -> Callable[..., Any]:
    module, _, attr = path.partition(":")
    try:
        return getattr(importlib.import_module(module), attr or "make_service")
    except (ImportError, AttributeError) as exc:
        raise BackendError(f"{SERVICE_FACTORY_ENV}={path!r} cannot be loaded: {type(exc).__name__}") from None


def default_service_factory(channel: str = CHANNEL, instance: str | None = None):
    """``QiskitRuntimeService`` from ``QISKIT_IBM_TOKEN`` or the saved account."""
    from qiskit_ibm_runtime import QiskitRuntimeService

    kwargs: dict[str, Any] = {"channel": channel}
    if instance:
        kwargs["instance"] = instance
    token = os.environ.get(TOKEN_ENV)
    if token:
        kwargs["token"] = token
    return QiskitRuntimeService(**kwargs)


def get_service(service=None, service_factory=None, *, channel: str = CHANNEL, instance: str | None = None):
    """Resolve the runtime service: explicit object, factory, env factory, or the real one.

    Authentication problems become a :class:`BackendError` whose text never holds the token.
    """
    if service is not None:
        return service
    if service_factory is None and os.environ.get(SERVICE_FACTORY_ENV):
        service_factory = _load_factory(os.environ[SERVICE_FACTORY_ENV])
    factory = service_factory or default_service_factory
    failure = None
    try:
        return factory(channel=channel, instance=instance)
    except BackendError:
        raise
    except Exception as exc:
        failure = f"{type(exc).__name__}: {redact(exc)}"
    # Raised outside the ``except`` block so the original exception (whose text or traceback
    # locals may hold the token) is neither ``__cause__`` nor ``__context__`` of ours.
    source = f"${TOKEN_ENV}" if os.environ.get(TOKEN_ENV) else "the saved account"
    raise BackendError(
        f"IBM Quantum authentication failed (channel {channel!r}, credentials from {source}): {failure}"
    )


def has_ibm_credentials() -> bool:
    """True when ``QISKIT_IBM_TOKEN`` is set or a saved account exists (nothing is printed)."""
    if os.environ.get(TOKEN_ENV) or os.environ.get(SERVICE_FACTORY_ENV):
        return True
    try:
        from qiskit_ibm_runtime import QiskitRuntimeService

        return bool(QiskitRuntimeService.saved_accounts())
    except Exception:
        return False


def counts_from_job_result(result: Any, register_names: list[str], rows: int,
                           postselect: PostSelect | None = None) -> list[dict[str, dict[str, int]]]:
    """Per-row, per-register counts from a sampler job's result.

    Accepts a ``PrimitiveResult`` of SamplerV2 pub results (the normal case) or an executor
    ``QuantumProgramResult`` whose items map register names to boolean arrays
    ``(..., shots, bits)``, little-endian bits. Both are per shot, so ``postselect`` is exact.
    """
    try:
        first = result[0]
    except Exception:
        raise BackendError(f"malformed sampler result: {type(result).__name__}") from None
    if hasattr(first, "data") and not isinstance(getattr(first, "data"), (list, tuple)):
        return [counts_from_pub_result(first, register_names, i, postselect) for i in range(rows)]
    data = getattr(first, "result", None) or getattr(first, "data", None) or first
    arrays = {}
    for name in register_names:
        arr = np.asarray(data[name], dtype=bool)
        arrays[name] = arr.reshape((-1,) + arr.shape[-2:])
    out = []
    for i in range(rows):
        codes = {name: shot_codes(arr[i if arr.shape[0] > 1 else 0]) for name, arr in arrays.items()}
        sizes = {name: arr.shape[-1] for name, arr in arrays.items()}
        weights = np.ones(len(next(iter(codes.values()))) if codes else 0, dtype=np.int64)
        out.append(counts_from_codes(codes, sizes, weights, postselect))
    return out


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
