"""Backend specs, profiles and the executor factory.

Specs: ``exact``, ``aer``, ``aer-noisy:<FakeName>`` (e.g. ``aer-noisy:FakeTorino``: the
twirled-noise estimator), ``aer-noisy-exact:<FakeName>`` (the exact noisy simulation),
``ibm:<backend name>``. Profiles are YAML files (packaged in ``qar_qiskit/profiles/*.yaml``) with ``name``
(the spec), ``shots``, ``seed``, ``optimization_level``, ``aer`` (Aer backend options) and
backend-specific keys (``mitigation``, ``mode``, ``twirling``, ``dynamical_decoupling``,
``instance``, and for IBM ``layout_trials``, ``fractional_gates``, ``max_execution_time``,
``job_tags``). ``ibm:least-busy`` picks the operational device with the shortest queue. A
profile never holds a token.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qar_qiskit.backends.base import ExactBackend, Executor
from qar_qiskit.config import MAX_SEED, MAX_SHOTS, MAX_TIMEOUT_S
from qar_qiskit.errors import BackendError, ConfigError, QARError
from qar_qiskit.resources import PROFILE_DIR, resolve
from qar_qiskit.settings import RunSettings

__all__ = ["make_executor", "make_executor_from_profile", "build_executor", "load_profile", "BackendProfile",
           "list_backends", "VALID_SPECS", "profile_dirs"]

VALID_SPECS = ("exact", "aer", "aer-noisy:<FakeName>", "aer-noisy-exact:<FakeName>", "ibm:<backend name>",
               "ibm:least-busy")
NOISY_KINDS = ("aer-noisy", "aer-noisy-exact")


class BackendProfile(BaseModel):
    """A backend profile file (``qar_qiskit/profiles/*.yaml``)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    shots: int = Field(1024, ge=1, le=MAX_SHOTS)  # bounds of config.py's backend section
    seed: int | None = Field(None, ge=0, le=MAX_SEED)
    optimization_level: int | None = Field(None, ge=0, le=3)  # None: the executor's default
    transpile_seed: int | None = Field(None, ge=0, le=MAX_SEED)  # None: settings.DEFAULT_TRANSPILE_SEED
    aer: dict[str, Any] = Field(default_factory=dict)
    method: str = "auto"
    engine: str = "direct"
    mitigation: str = "m3"
    cal_shots: int = Field(4000, ge=100, le=MAX_SHOTS)
    samples: int | None = Field(None, ge=1, le=100_000)  # aer-noisy: error configurations per group and tick
    mode: str = "job"
    instance: str | None = None
    twirling: dict[str, Any] = Field(default_factory=dict)
    dynamical_decoupling: dict[str, Any] = Field(default_factory=dict)
    timeout_s: float | None = Field(None, gt=0, le=MAX_TIMEOUT_S)
    layout_trials: int | None = Field(None, ge=1, le=64)
    fractional_gates: bool | Literal["auto"] = "auto"
    max_execution_time: int | None = Field(None, ge=1, le=10800)
    job_tags: list[str] = Field(default_factory=list)

    def settings(self) -> dict[str, Any]:
        """Keyword settings for :func:`make_executor` (only the ones the spec's kind uses)."""
        common = {"shots": self.shots, "seed": self.seed, "optimization_level": self.optimization_level,
                  "transpile_seed": self.transpile_seed, "mitigation": self.mitigation}
        return {**_for_kind(self.name, common), **self.options()}

    def options(self) -> dict[str, Any]:
        """The backend-specific options of the spec's kind (not the :class:`RunSettings` fields)."""
        kind = self.name.split(":", 1)[0]
        if kind == "aer":
            return {"aer_options": self.aer, "method": self.method, "engine": self.engine}
        if kind in NOISY_KINDS:
            return {"aer_options": self.aer, "method": self.method, "cal_shots": self.cal_shots,
                    "samples": self.samples}
        if kind == "ibm":
            return {"mode": self.mode, "instance": self.instance, "twirling": self.twirling,
                    "dynamical_decoupling": self.dynamical_decoupling, "timeout_s": self.timeout_s,
                    "layout_trials": self.layout_trials, "fractional_gates": self.fractional_gates,
                    "max_execution_time": self.max_execution_time, "job_tags": self.job_tags}
        return {}


def _for_kind(spec: str, values: dict[str, Any]) -> dict[str, Any]:
    """The run settings an executor of ``spec``'s kind takes: none for ``exact``; shots, seed and
    optimization level for all others; ``transpile_seed`` for noisy and IBM (Aer's layout is
    trivial); ``mitigation`` for noisy only."""
    kind = spec.split(":", 1)[0]
    if kind == "exact":
        return {}
    keep = {"shots", "seed", "optimization_level"}
    keep |= {"transpile_seed"} if kind in (*NOISY_KINDS, "ibm") else set()
    keep |= {"mitigation"} if kind in NOISY_KINDS else set()
    return {k: v for k, v in values.items() if k in keep}


def executor_settings(settings: RunSettings) -> dict[str, Any]:
    """:func:`make_executor` keywords of a :class:`RunSettings` (only those its kind takes)."""
    return _for_kind(settings.backend, settings.model_dump())


def build_executor(settings: RunSettings, profile: BackendProfile | None = None, **extra: Any) -> Executor:
    """The executor of a run: ``settings`` (shots, seeds, level, mitigation) over the profile's
    backend-specific options (Aer options, IBM mode, ...); ``extra`` (``service=``, ``cache=``) last."""
    options = profile.options() if profile is not None else {}
    return make_executor(settings.backend, **{**options, **executor_settings(settings), **extra})


def profile_dirs() -> list[Path]:
    """Where profile names are looked up: ``$QAR_BACKEND_PROFILES``, then the packaged ``qar_qiskit/profiles/``."""
    dirs = []
    if os.environ.get("QAR_BACKEND_PROFILES"):
        dirs.append(Path(os.environ["QAR_BACKEND_PROFILES"]))
    dirs.append(PROFILE_DIR)
    return dirs


def load_profile(path_or_name: str | os.PathLike) -> BackendProfile:
    """Load a profile from a path, or by name (``aer``, ``aer-noisy-torino``) from :func:`profile_dirs`."""
    path = resolve(path_or_name, profile_dirs(), "backend profile")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a profile must be a mapping")
    if any("token" in str(k).lower() for k in data):
        raise ConfigError(f"{path}: tokens are not read from profiles; set $QISKIT_IBM_TOKEN or save an account")
    try:
        return BackendProfile(**data)
    except ValidationError as exc:
        raise QARError.from_validation(exc) from None


def validate_spec(spec: str) -> str:
    """``spec`` stripped if it has a valid form, else :class:`BackendError` listing the choices."""
    spec = (spec or "").strip()
    kind, _, arg = spec.partition(":")
    if spec in ("exact", "aer") or (kind in (*NOISY_KINDS, "ibm") and arg):
        return spec
    raise BackendError(f"unknown backend {spec!r}; valid choices: {', '.join(VALID_SPECS)}")


def make_executor(spec: str, **settings: Any) -> Executor:
    """An executor for ``spec``; unknown specs raise :class:`BackendError` listing valid choices.

    ``settings`` go to the executor's constructor (``shots``, ``seed``, ``optimization_level``,
    ``aer_options``, ``mitigation``, ``mode``, ``service``, ``cache``...), except ``cache_size``
    (the config's ``performance.cache_size``), which sizes a new transpile cache unless ``cache``
    is given. ``None`` values are dropped.
    """
    settings = {k: v for k, v in settings.items() if v is not None}
    if "cache_size" in settings:  # performance.cache_size: entries of the executor's transpile cache
        from qar_qiskit.backends.cache import TranspileCache

        size = settings.pop("cache_size")
        settings.setdefault("cache", TranspileCache(size))
    spec = (spec or "").strip()
    kind, _, arg = spec.partition(":")
    if spec == "exact":
        return ExactBackend()
    if spec == "aer":
        from qar_qiskit.backends.aer import AerExecutor

        return AerExecutor(**_only(settings, AerExecutor))
    if kind in NOISY_KINDS and arg:
        from qar_qiskit.backends.noisy import NoisyAerExecutor

        return NoisyAerExecutor(arg, exact=kind == "aer-noisy-exact",
                                **_only({k: v for k, v in settings.items() if k != "exact"}, NoisyAerExecutor))
    if kind == "ibm" and arg:
        from qar_qiskit.backends.ibm import IBMExecutor

        return IBMExecutor(arg, **settings)
    raise BackendError(f"unknown backend {spec!r}; valid choices: {', '.join(VALID_SPECS)}")


def make_executor_from_profile(profile: BackendProfile | str, **overrides: Any) -> Executor:
    if not isinstance(profile, BackendProfile):
        profile = load_profile(profile)
    return make_executor(profile.name, **{**profile.settings(), **overrides})


def _only(settings: dict, cls) -> dict:
    import inspect

    accepted = set(inspect.signature(cls.__init__).parameters) - {"self"}
    unknown = set(settings) - accepted - {"service", "service_factory", "channel", "instance", "mode",
                                          "twirling", "dynamical_decoupling", "timeout_s", "layout_trials",
                                          "fractional_gates", "max_execution_time", "job_tags", "min_num_qubits"}
    if unknown:
        raise ConfigError(f"unknown backend setting(s) for {cls.__name__}: {', '.join(sorted(unknown))}")
    return {k: v for k, v in settings.items() if k in accepted}


def list_backends(*, include_ibm: bool | None = None, service=None) -> list[dict[str, Any]]:
    """Rows for ``qar backends``: name, qubits, dynamic-circuit support, noisy.

    Fake devices are described from their class (cheap: no noise model is built). IBM backends
    are listed only when credentials exist; listing failures become one row with an ``error``.
    """
    from qar_qiskit.backends.aer import AER_MAX_QUBITS
    from qar_qiskit.backends.noisy import FAKE_DEVICES, fake_device

    rows: list[dict[str, Any]] = [
        {"name": "exact", "qubits": 0, "dynamic": False, "noisy": False},
        {"name": "aer", "qubits": AER_MAX_QUBITS, "dynamic": True, "noisy": False},
    ]
    for fake in FAKE_DEVICES:
        try:
            dev = fake_device(fake)
        except BackendError:
            continue
        for kind in NOISY_KINDS:
            rows.append({"name": f"{kind}:{fake}", "qubits": dev.num_qubits,
                         "dynamic": "if_else" in dev.target.operation_names, "noisy": True})
    from qar_qiskit.backends.ibm import get_service, has_ibm_credentials, redact

    if include_ibm is None:
        include_ibm = service is not None or has_ibm_credentials()
    if include_ibm:
        try:
            svc = get_service(service)
            for b in svc.backends():
                rows.append({"name": f"ibm:{b.name}", "qubits": int(b.num_qubits),
                             "dynamic": "if_else" in b.target.operation_names, "noisy": True})
        except QARError as exc:
            rows.append({"name": "ibm:*", "qubits": 0, "dynamic": False, "noisy": True, "error": str(exc)})
        except Exception as exc:
            rows.append({"name": "ibm:*", "qubits": 0, "dynamic": False, "noisy": True,
                         "error": f"{type(exc).__name__}: {redact(exc)}"})
    return rows
