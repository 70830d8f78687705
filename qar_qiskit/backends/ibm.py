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

Compilation: :mod:`qar_qiskit.backends.compile` (level 3, best of 16 seeded layouts by the decision cone's ESP;
fractional gates on Heron devices unless gate twirling is on; on hardware, ``measure_2`` for
non-terminal measurements where the target offers it at no higher error). Job options -- the top-level
``max_execution_time`` on every job, ``environment.job_tags`` (``qar`` + the plan's tag), DD and
twirling -- are in :mod:`qar_qiskit.backends.ibm_options`; :meth:`IBMExecutor.dry_run` reports a
job (ISA circuit, two-qubit gates, ESP, estimated QPU time) without sending it.

Credentials (:mod:`qar_qiskit.backends.ibm_service`): the token comes only from the environment
variable ``QISKIT_IBM_TOKEN`` or from a saved account; never from a config file, never logged.
Every error raised here passes through :func:`redact`, and failures are re-raised ``from None``
so no chained exception can carry the token either.

The service is injectable (``service=`` or ``service_factory=``, or the environment variable
``QAR_IBM_SERVICE_FACTORY="module:callable"`` for a new process); tests pass a fake service whose
``backend(name)`` returns a fake device, which makes the sampler run in local testing mode.
"""

from __future__ import annotations

import logging
import time
import warnings
from typing import Any

from qar_qiskit.backends.base import ExecutionResult, PostSelect
from qar_qiskit.backends.circuit_info import is_dynamic
from qar_qiskit.backends.compile import (
    DEFAULT_LAYOUT_TRIALS,
    DEFAULT_OPTIMIZATION_LEVEL,
    check_hardware_options,
    device_pass_manager,
    estimate_quantum_seconds,
    isa_summary,
    register_esps,
)
from qar_qiskit.backends.counts import counts_from_job_result
from qar_qiskit.backends.executor import CachingExecutor, RunRequest, Sampled
from qar_qiskit.backends.ibm_options import QAR_TAG, default_twirling, hardware_options, plan_tag
from qar_qiskit.backends.ibm_service import (
    CHANNEL,
    SERVICE_FACTORY_ENV,
    TOKEN_ENV,
    get_service,
    has_ibm_credentials,
    redact,
    service_for_backend,
)
from qar_qiskit.backends.jobstore import job_id_of, wait_for_result
from qar_qiskit.errors import BackendError, ConfigError, JobError

__all__ = [
    "IBMExecutor",
    "get_service",
    "has_ibm_credentials",
    "redact",
    "counts_from_job_result",
    "TOKEN_ENV",
    "SERVICE_FACTORY_ENV",
    "LEAST_BUSY",
]

log = logging.getLogger(__name__)

#: ``ibm:least-busy``: the operational device with the shortest queue (``service.least_busy``).
LEAST_BUSY = "least-busy"


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


class IBMExecutor(CachingExecutor):
    """``ibm:<name>``: ISA circuits from :mod:`qar_qiskit.backends.compile`, SamplerV2 PUBs.

    Args:
        backend_name: IBM backend name (``ibm_torino``), ``least-busy`` (the operational,
            non-simulator device with the shortest queue and at least ``min_num_qubits``
            qubits), or a fake device name when the injected service resolves it.
        service / service_factory: injectable runtime service (see module docstring).
        mode: ``"job"`` (default; open-plan accounts cannot open sessions), ``"batch"`` (a
            :class:`qiskit_ibm_runtime.Batch` shared by this executor's jobs) or ``"session"``.
        twirling: passed to ``SamplerOptions.twirling`` (e.g. ``{"enable_gates": True}``).
        dynamical_decoupling: passed to ``SamplerOptions.dynamical_decoupling``.
        fractional_gates: ``"auto"`` (default: load the device with ``use_fractional_gates=True``
            when it has them and gate twirling is off), ``True`` (required) or ``False``.
        transpile_seed: ``seed_transpiler`` of the layout trials (``RunSettings.transpile_seed``;
            None: the base ``seed``, or 11 without one).
        layout_trials / optimization_level: see :mod:`qar_qiskit.backends.compile` (measured
            defaults 8 and 3).
        max_execution_time: QPU seconds after which IBM cancels a job (1..10800; default 300),
            set on every job; a job estimated to need more is refused before it is sent.
        job_tags: extra tags for every job (``qar`` and the plan tag are always added).
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
        transpile_seed: int | None = None,
        optimization_level: int = DEFAULT_OPTIMIZATION_LEVEL,
        layout_trials: int = DEFAULT_LAYOUT_TRIALS,
        fractional_gates: bool | str = "auto",
        max_execution_time: int | None = None,
        job_tags: list[str] | None = None,
        min_num_qubits: int | None = None,
        timeout_s: float | None = None,
        cache=None,
        **_ignored: Any,
    ):
        super().__init__(cache=cache, optimization_level=optimization_level, default_shots=shots, seed=seed)
        if mode not in ("job", "batch", "session"):
            raise ConfigError(f"mode: must be 'job', 'batch' or 'session', got {mode!r}")
        if "token" in _ignored:
            raise ConfigError(f"token: not accepted here; set ${TOKEN_ENV} or save an account")
        if not 1 <= int(layout_trials) <= 64:
            raise ConfigError(f"layout_trials: must be 1..64, got {layout_trials}")
        self.hardware = hardware_options(max_execution_time=max_execution_time, job_tags=job_tags,
                                         fractional_gates=fractional_gates, twirling=twirling,
                                         dynamical_decoupling=dynamical_decoupling)
        self.mode = mode
        self.twirling = dict(self.hardware.twirling)
        self.dynamical_decoupling = dict(self.hardware.dynamical_decoupling)
        self.sampler_options = dict(sampler_options or {})
        self.layout_trials = int(layout_trials)
        # the settings' transpile seed; without one, the base seed as before (11 when neither)
        self.transpile_seed = int(transpile_seed if transpile_seed is not None else 11 if seed is None else seed)
        self.timeout_s = timeout_s
        self.service = service_for_backend(backend_name, service, service_factory, channel=channel, instance=instance)
        self.backend = self._fetch_backend(backend_name, min_num_qubits)
        self.backend_name = self.backend.name if backend_name == LEAST_BUSY else backend_name
        self.name = f"ibm:{self.backend_name}"
        self.fractional = "rzz" in getattr(self.backend.target, "operation_names", ())
        self.twirling = default_twirling(self.hardware.twirling, self.fractional)
        self.local = _is_local_backend(self.backend)
        self._sampler_cls, self.sampler_kind = _sampler_class()
        self._mode_obj = None

    def _least_busy(self, min_num_qubits: int | None) -> str:
        try:
            return self.service.least_busy(operational=True, simulator=False, min_num_qubits=min_num_qubits).name
        except Exception as exc:
            need = f" with at least {min_num_qubits} qubits" if min_num_qubits else ""
            raise BackendError(f"ibm:{LEAST_BUSY}: no operational IBM device{need} "
                               f"({type(exc).__name__}: {redact(exc)})") from None

    def _fetch_backend(self, name: str, min_num_qubits: int | None = None):
        if name == LEAST_BUSY:
            name = self._least_busy(min_num_qubits)
        if self.hardware.wants_fractional:
            try:
                return self.service.backend(name, use_fractional_gates=True)
            except Exception as exc:
                if self.hardware.fractional_gates is True:
                    raise BackendError(f"fractional_gates: IBM backend {name!r} cannot be loaded with fractional "
                                       f"gates ({type(exc).__name__}: {redact(exc)})") from None
                log.debug("%s: no fractional gates (%s); loading without", name, type(exc).__name__)
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
        # measure_2 only on hardware: local testing mode (Aer) does not simulate it
        return device_pass_manager(self.backend, optimization_level=optimization_level,
                                   seed_transpiler=self.transpile_seed,
                                   layout_trials=self.layout_trials, mid_circuit_measure=not self.local)

    # -- sampler -----------------------------------------------------------------------------
    def job_tags(self, tick_circuit: Any = None) -> list[str]:
        """Tags for a job: ``qar``, the plan's tag (:func:`plan_tag`) and the configured ones."""
        tags = [QAR_TAG, plan_tag(getattr(tick_circuit, "plan", None)), *self.hardware.job_tags]
        return list(dict.fromkeys(t for t in tags if t))

    def options_dict(self, shots: int, seed: int | None, tags: list[str] | None = None) -> dict[str, Any]:
        """Client-side ``SamplerOptions`` as a dict: shots, ``max_execution_time``, tags, DD, twirling."""
        opts: dict[str, Any] = {**self.sampler_options, "default_shots": int(shots),
                                "max_execution_time": int(self.hardware.max_execution_time)}
        env = dict(opts.get("environment") or {})
        env["job_tags"] = list(dict.fromkeys([*(env.get("job_tags") or []), *(tags or [QAR_TAG])]))
        opts["environment"] = env
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
                raise BackendError(f"{self.name}: cannot open a {self.mode}: "
                                   f"{type(exc).__name__}: {redact(exc)}") from None
        return self._mode_obj

    def sampler(self, shots: int, seed: int | None = None, tags: list[str] | None = None):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return self._sampler_cls(mode=self._execution_mode(), options=self.options_dict(shots, seed, tags))

    def rep_delay_s(self) -> float | None:
        """Delay between shots: the ``execution.rep_delay`` option, else the device default."""
        chosen = (self.sampler_options.get("execution") or {}).get("rep_delay")
        if chosen is not None:
            return float(chosen)
        for source in (self.backend, getattr(self.backend, "configuration", lambda: None)()):
            value = getattr(source, "default_rep_delay", None)
            if isinstance(value, (int, float)):
                return float(value)
        return None

    def _pub(self, request: RunRequest) -> tuple:
        """The SamplerV2 PUB ``(isa, values, shots)`` of ``request``, after the hardware-option checks."""
        isa = request.prepared.isa
        check_hardware_options(fractional_gates=self.fractional, twirling=self.twirling,
                               dynamical_decoupling=self.dynamical_decoupling, dynamic=is_dynamic(isa))
        return (isa, request.bound, request.shots) if isa.num_parameters else (isa, None, request.shots)

    def dry_run(self, circuit, parameter_values=None, shots=None, seed=None) -> dict[str, Any]:
        """Compile, bind and validate a job as :meth:`submit` would, and report it; nothing is sent.

        The PUB and options go through qiskit-ibm-runtime's own client-side preparation
        (``executor_sampler.prepare``: PUB coercion, option checks, DD insertion), the step
        ``Sampler.run`` takes before it submits. Reported: the ISA circuit's active qubits,
        two-qubit gates, depth, ESP and duration (:func:`~qar_qiskit.backends.compile.isa_summary`),
        every measured register's cone (qubits, two-qubit gates, depth, ESP:
        :func:`~qar_qiskit.backends.compile.register_esps`) under ``registers``, the ISA circuit
        itself under ``isa_circuit`` (what :meth:`submit` would send),
        the estimated QPU time (:func:`~qar_qiskit.backends.compile.estimate_quantum_seconds`),
        the job's ``max_execution_time``, tags and options.
        """
        request = self.request(circuit, parameter_values, shots, seed)
        pub, isa, bound, shots = self._pub(request), request.prepared.isa, request.bound, request.shots
        tags = self.job_tags(circuit)
        options = self.options_dict(shots, request.seed, tags)
        try:
            from qiskit_ibm_runtime.executor_sampler.prepare import prepare
            from qiskit_ibm_runtime.options_models import SamplerOptions

            prepare([pub], SamplerOptions(**options), shots, backend=self.backend)
        except ImportError:  # pragma: no cover - qiskit-ibm-runtime < 0.50
            pass
        except Exception as exc:
            raise BackendError(f"{self.name}: the job would be rejected: {type(exc).__name__}: {redact(exc)}") from None
        summary = isa_summary(isa, self.backend.target)
        cones = register_esps(isa, self.backend.target)
        cones.pop("*")
        estimate = estimate_quantum_seconds(isa, self.backend.target, shots, int(bound.shape[0]), self.rep_delay_s())
        return {"backend": self.name, "rows": int(bound.shape[0]), "shots": shots, "tags": tags,
                "max_execution_time": options["max_execution_time"], "fractional_gates": self.fractional,
                "layout_trials": self.layout_trials, "optimization_level": self.optimization_level,
                "isa": summary, "registers": cones, "estimate": estimate, "isa_circuit": isa,
                "options": options, "prepare_s": request.prepare_s,
                "within_max_execution_time": (None if estimate["quantum_seconds"] is None
                                              else estimate["quantum_seconds"] <= options["max_execution_time"])}

    def submit(self, circuit, parameter_values=None, shots=None, seed=None):
        """Submit one PUB for all rows; returns ``(job, info)`` without waiting.

        Refused (:class:`~qar_qiskit.errors.ConfigError`) when the estimated QPU time exceeds
        ``max_execution_time``: IBM would cancel the job part-way and bill what it used.
        """
        return self._submit(self.request(circuit, parameter_values, shots, seed))

    def _submit(self, request: RunRequest):
        pub, isa, bound, shots, seed = (self._pub(request), request.prepared.isa, request.bound, request.shots,
                                        request.seed)
        tags = self.job_tags(request.tick_circuit)
        if not self.local:
            need = estimate_quantum_seconds(isa, self.backend.target, shots, int(bound.shape[0]), self.rep_delay_s())
            if (need["quantum_seconds"] or 0.0) > self.hardware.max_execution_time:
                raise ConfigError(f"max_execution_time: the job needs about {need['quantum_seconds']:.0f} s of QPU "
                                  f"time, more than {self.hardware.max_execution_time} s; raise it or use fewer shots")
        try:
            job = self.sampler(shots, seed, tags).run([pub])
        except (BackendError, JobError):
            raise
        except Exception as exc:
            raise BackendError(f"{self.name}: submission failed: {type(exc).__name__}: {redact(exc)}") from None
        info = {
            "rows": int(bound.shape[0]),
            "registers": [r.name for r in isa.cregs],
            "shots": shots,
            "prepare_s": request.prepare_s,
            "seed": seed,
            "local": self.local,
            "sampler": self.sampler_kind,
            "tags": tags,
            "max_execution_time": int(self.hardware.max_execution_time),
            "fractional_gates": self.fractional,
        }
        return job, info

    def results_from_job(self, job, info: dict, timeout_s: float | None = None,
                         postselect: PostSelect | None = None) -> list[ExecutionResult]:
        """The results of a job :meth:`submit` sent (waits up to ``timeout_s``, else the executor's)."""
        return self._collect(job, info, timeout_s, postselect).results(
            shots=info["shots"], backend=self.name, prepare_s=info["prepare_s"], run_s=0.0, postselect=postselect)

    def _collect(self, job, info: dict, timeout_s: float | None, postselect: PostSelect | None) -> Sampled:
        t0 = time.perf_counter()
        result = wait_for_result(job, timeout_s if timeout_s is not None else self.timeout_s)
        wait_s = time.perf_counter() - t0
        rows = counts_from_job_result(result, info["registers"], info["rows"], postselect)
        meta = {"sampler": info["sampler"], "local": info["local"], "seed": info["seed"], "mode": self.mode}
        return Sampled(rows, meta, timing={"run_s": wait_s}, job_id=job_id_of(job))

    def _sample(self, request: RunRequest, postselect: PostSelect | None) -> Sampled:
        job, info = self._submit(request)
        return self._collect(job, info, None, postselect)

    def close(self) -> None:
        if self._mode_obj is not None:
            try:
                self._mode_obj.close()
            except Exception:  # closing a finished batch must not fail a tick
                log.debug("closing %s failed", self.mode)
            self._mode_obj = None


