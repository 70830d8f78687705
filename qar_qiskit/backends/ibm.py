"""IBM Quantum execution (``ibm:<backend name>``) through qiskit-ibm-runtime.

Primitive choice: **the client-side Sampler** ``qiskit_ibm_runtime.executor_sampler.Sampler``.
qiskit-ibm-runtime 0.50 deprecated the legacy top-level ``qiskit_ibm_runtime.SamplerV2``
(its constructor warns, and the top-level ``Sampler`` name will be re-pointed at the
client-side sampler); the client-side sampler turns SamplerV2 PUBs into an Executor
``QuantumProgram`` on our side, supports the same PUB shape ``(isa_circuit, parameter_values,
shots)``, job/``Batch``/``Session`` modes, and the twirling and dynamical-decoupling options we
pass through, and it runs locally when its mode is a fake backend (local testing mode, used by
our tests). Measured on FakeTorino with a 4-qubit, 3-row PUB: client-side 12-15 s per call vs
legacy 21-24 s (both dominated by building the fake device's noise simulator per call).
Caveat we guard against: results are decoded into SamplerV2 pub results (one BitArray per
classical register) only when the job's semantic role is known; :func:`counts_from_job_result`
also accepts the raw executor ``QuantumProgramResult`` (bool arrays per register).
With a qiskit-ibm-runtime older than 0.50 (no ``executor_sampler``) the legacy SamplerV2 is used.

Credentials: the token comes only from the environment variable ``QISKIT_IBM_TOKEN`` or from a
saved account (``QiskitRuntimeService.save_account``); never from a config file, never logged.
Every error raised here passes through :func:`redact`, and authentication failures are
re-raised ``from None`` so no chained exception can carry the token either.

The service is injectable (``service=`` or ``service_factory=``, or the environment variable
``QAR_IBM_SERVICE_FACTORY="module:callable"`` for a new process); tests pass a fake service whose
``backend(name)`` returns a fake device, which makes the sampler run in local testing mode.
"""

from __future__ import annotations

import importlib
import logging
import os
import time
import warnings
from typing import Any, Callable

import numpy as np
from qiskit.transpiler import generate_preset_pass_manager

from qar_qiskit.backends.base import (
    CachingExecutor,
    ExecutionResult,
    PostSelect,
    is_dynamic,
    as_value_matrix,
    counts_from_codes,
    counts_from_pub_result,
    kept_shots,
    shot_codes,
)
from qar_qiskit.errors import BackendError, ConfigError, JobError

__all__ = [
    "IBMExecutor",
    "get_service",
    "has_ibm_credentials",
    "redact",
    "counts_from_job_result",
    "TOKEN_ENV",
    "SERVICE_FACTORY_ENV",
]

log = logging.getLogger(__name__)

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


def _sampler_class():
    """The client-side Sampler (0.50+), else the legacy SamplerV2 (see module docstring)."""
    try:
        from qiskit_ibm_runtime.executor_sampler import Sampler

        return Sampler, "client-side"
    except ImportError:  # pragma: no cover - qiskit-ibm-runtime < 0.50
        from qiskit_ibm_runtime import SamplerV2

        return SamplerV2, "legacy"


def _is_local_backend(backend) -> bool:
    try:
        from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

        if isinstance(backend, FakeBackendV2):
            return True
    except ImportError:  # pragma: no cover
        pass
    try:
        from qiskit_aer import AerSimulator

        return isinstance(backend, AerSimulator)
    except ImportError:  # pragma: no cover
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


class IBMExecutor(CachingExecutor):
    """``ibm:<name>``: ISA circuits from ``generate_preset_pass_manager``, SamplerV2 PUBs.

    Args:
        backend_name: IBM backend name (``ibm_torino``) or a fake device name when the injected
            service resolves it.
        service / service_factory: injectable runtime service (see module docstring).
        mode: ``"job"`` (default; open-plan accounts cannot open sessions), ``"batch"`` (a
            :class:`qiskit_ibm_runtime.Batch` shared by this executor's jobs) or ``"session"``.
        twirling: passed to ``SamplerOptions.twirling`` (e.g. ``{"enable_gates": True}``).
        dynamical_decoupling: passed to ``SamplerOptions.dynamical_decoupling``.
        timeout_s: how long :meth:`run` waits for a job before :class:`JobError`.
    """

    def __init__(
        self,
        backend_name: str,
        *,
        service=None,
        service_factory=None,
        channel: str = CHANNEL,
        instance: str | None = None,
        mode: str = "job",
        twirling: dict | None = None,
        dynamical_decoupling: dict | None = None,
        sampler_options: dict | None = None,
        shots: int = 1024,
        seed: int | None = None,
        optimization_level: int = 2,
        timeout_s: float | None = None,
        cache=None,
        **_ignored: Any,
    ):
        super().__init__(cache=cache, optimization_level=optimization_level, default_shots=shots)
        if mode not in ("job", "batch", "session"):
            raise ConfigError(f"mode: must be 'job', 'batch' or 'session', got {mode!r}")
        if "token" in _ignored:
            raise ConfigError(f"token: not accepted here; set ${TOKEN_ENV} or save an account")
        self.backend_name = backend_name
        self.name = f"ibm:{backend_name}"
        self.mode = mode
        self.twirling = dict(twirling or {})
        self.dynamical_decoupling = dict(dynamical_decoupling or {})
        self.sampler_options = dict(sampler_options or {})
        self.seed = seed
        self.timeout_s = timeout_s
        self.service = get_service(service, service_factory, channel=channel, instance=instance)
        self.backend = self._fetch_backend(backend_name)
        self.local = _is_local_backend(self.backend)
        self._sampler_cls, self.sampler_kind = _sampler_class()
        self._mode_obj = None

    def _fetch_backend(self, name: str):
        try:
            return self.service.backend(name)
        except Exception as exc:
            try:
                choices = sorted(b.name for b in self.service.backends())
            except Exception:
                choices = []
            hint = f"; available: {', '.join(choices)}" if choices else ""
            raise BackendError(f"unknown IBM backend {name!r} ({type(exc).__name__}: {redact(exc)}){hint}") from None

    # -- properties --------------------------------------------------------------------------
    @property
    def num_qubits(self) -> int:
        return int(self.backend.num_qubits)

    @property
    def supports_dynamic(self) -> bool:
        try:
            return "if_else" in self.backend.target.operation_names
        except Exception:
            return False

    @property
    def noisy(self) -> bool:
        return True

    def _pass_manager(self, optimization_level: int):
        kwargs: dict[str, Any] = {}
        if self.seed is not None:
            kwargs["seed_transpiler"] = int(self.seed)
        return generate_preset_pass_manager(optimization_level=optimization_level, backend=self.backend, **kwargs)

    # -- sampler -----------------------------------------------------------------------------
    def options_dict(self, shots: int, seed: int | None) -> dict[str, Any]:
        opts: dict[str, Any] = {**self.sampler_options, "default_shots": int(shots)}
        if self.twirling:
            opts["twirling"] = dict(self.twirling)
        if self.dynamical_decoupling:
            opts["dynamical_decoupling"] = dict(self.dynamical_decoupling)
        if self.local and seed is not None and self.sampler_kind == "client-side":
            opts.setdefault("simulator", {})["seed_simulator"] = int(seed)
        return opts

    def _execution_mode(self):
        if self.mode == "job":
            return self.backend
        if self._mode_obj is None:
            from qiskit_ibm_runtime import Batch, Session

            cls = Batch if self.mode == "batch" else Session
            try:
                self._mode_obj = cls(backend=self.backend)
            except Exception as exc:
                raise BackendError(f"{self.name}: cannot open a {self.mode}: {type(exc).__name__}: {redact(exc)}") from None
        return self._mode_obj

    def sampler(self, shots: int, seed: int | None = None):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return self._sampler_cls(mode=self._execution_mode(), options=self.options_dict(shots, seed))

    def submit(self, circuit, parameter_values=None, shots=None, seed=None):
        """Submit one PUB for all rows; returns ``(job, info)`` without waiting."""
        prepared, prepare_s = self.prepared(circuit)
        isa = prepared.isa
        if self.dynamical_decoupling.get("enable") and is_dynamic(isa):
            raise BackendError(f"{self.name}: dynamical decoupling cannot be used with dynamic circuits")
        values = as_value_matrix(parameter_values, prepared.num_input_parameters)
        bound = prepared.bind_matrix(values)
        shots = int(shots or self.default_shots)
        seed = self.seed if seed is None else seed
        pub = (isa, bound, shots) if isa.num_parameters else (isa, None, shots)
        try:
            job = self.sampler(shots, seed).run([pub])
        except (BackendError, JobError):
            raise
        except Exception as exc:
            raise BackendError(f"{self.name}: submission failed: {type(exc).__name__}: {redact(exc)}") from None
        info = {
            "rows": int(bound.shape[0]),
            "registers": [r.name for r in isa.cregs],
            "shots": shots,
            "prepare_s": prepare_s,
            "seed": seed,
            "local": self.local,
            "sampler": self.sampler_kind,
        }
        return job, info

    def results_from_job(self, job, info: dict, timeout_s: float | None = None,
                         postselect: PostSelect | None = None) -> list[ExecutionResult]:
        t0 = time.perf_counter()
        result = wait_for_result(job, timeout_s if timeout_s is not None else self.timeout_s)
        wait_s = time.perf_counter() - t0
        rows = counts_from_job_result(result, info["registers"], info["rows"], postselect)
        job_id = _job_id(job)
        timing = {"prepare_s": info["prepare_s"], "run_s": wait_s, "per_row_s": wait_s / max(1, info["rows"])}
        meta = {"sampler": info["sampler"], "local": info["local"], "seed": info["seed"], "mode": self.mode}
        if postselect:
            meta["postselect"] = {k: sorted(int(c) for c in v) for k, v in postselect.items()}
        return [ExecutionResult(counts=c, shots=info["shots"], backend=self.name, timing=dict(timing), job_id=job_id,
                                metadata={**meta, **kept_shots(c, postselect)}) for c in rows]

    def run(self, circuit, parameter_values=None, shots=None, seed=None, postselect=None) -> list[ExecutionResult]:
        job, info = self.submit(circuit, parameter_values, shots, seed)
        return self.results_from_job(job, info, postselect=postselect)

    def close(self) -> None:
        if self._mode_obj is not None:
            try:
                self._mode_obj.close()
            except Exception:  # closing a finished batch must not fail a tick
                log.debug("closing %s failed", self.mode)
            self._mode_obj = None


def _job_id(job) -> str:
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
    jid = _job_id(job)
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
