"""One run's execution settings, resolved once.

In the style of Qiskit's ``PassManagerConfig``: a small frozen object that holds every value
the execution of a tick depends on (backend spec, shots, base seed, transpiler seed,
optimization level, readout mitigation, post-selection). It is built once by
:func:`resolve_settings` from, in increasing precedence,

1. the config (``backend.name/shots/seed/optimization_level``,
   ``performance.error_mitigation`` -> ``"m3"``/``"none"``, ``performance.postselect_*``), or
   the settings stored with a saved state instead of the config when a state is loaded;
2. a backend profile (its ``name``, ``shots``, ``mitigation``, and ``seed``,
   ``optimization_level``, ``transpile_seed`` when the profile sets them);
3. explicit flags (``--backend``, ``--shots``, ``--seed``, ``--optimization-level``).

Executors are built from it (:func:`qar_qiskit.backends.registry.build_executor`), the
decision reads its shots and seed from it, it is saved with the state and written into every
backtest report (``metrics.json`` ``run.settings`` and ``report.md``), and ``qar submit`` uses
its shots and transpiler seed.
"""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qar_qiskit.config import MAX_SEED, MAX_SHOTS, BackendConfig, QARConfig
from qar_qiskit.errors import ConfigError, QARError

__all__ = ["RunSettings", "resolve_settings", "settings_with_config_keys", "DEFAULT_TRANSPILE_SEED"]

#: ``seed_transpiler`` of every compiled circuit unless a profile sets another: layouts (and so
#: results) are reproducible and do not change with the sampling seed (a sweep over seeds
#: compares the same compiled circuit). The noisy executor fixed 11 before settings existed.
DEFAULT_TRANSPILE_SEED = 11


class RunSettings(BaseModel):
    """The resolved execution settings of a QAR run (frozen).

    Attributes:
        backend: the backend spec (``exact``, ``aer``, ``aer-noisy:<FakeDevice>``, ``ibm:<name>``).
        shots: shots per tick.
        seed: the base seed; tick ``i`` samples with a seed derived from ``(seed, i)``.
        transpile_seed: ``seed_transpiler`` for layout and routing (noisy and IBM backends).
        optimization_level: the preset pass manager's level (None: the backend's default).
        mitigation: readout mitigation of noisy backends (``m3``, ``tensored``, ``none``).
        postselect_market: keep only shots with a valid regime code.
        postselect_consistency: keep only shots whose decision register agrees with the memory.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    backend: str
    shots: int = Field(ge=1, le=MAX_SHOTS)
    seed: int = Field(ge=0, le=MAX_SEED)
    transpile_seed: int = Field(DEFAULT_TRANSPILE_SEED, ge=0, le=MAX_SEED)
    optimization_level: Optional[int] = Field(None, ge=0, le=3)
    mitigation: Literal["m3", "tensored", "none"] = "m3"
    postselect_market: bool = False
    postselect_consistency: bool = False

    @field_validator("backend")
    @classmethod
    def _spec(cls, value: str) -> str:
        return BackendConfig(name=value).name  # the config's check of the spec's form

    @property
    def kind(self) -> str:
        """The backend's kind: ``exact``, ``aer``, ``aer-noisy`` or ``ibm``."""
        return self.backend.split(":", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping (what the state file and the reports store)."""
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "settings") -> RunSettings:
        """Validate a stored mapping; :class:`ConfigError` names the field."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(f"{source}: {QARError.from_validation(exc)}") from None


def _from_config(config: QARConfig) -> dict[str, Any]:
    b, perf = config.backend, config.performance
    return {"backend": b.name, "shots": b.shots, "seed": b.seed, "optimization_level": b.optimization_level,
            "mitigation": "m3" if perf.error_mitigation else "none",
            "postselect_market": perf.postselect_market, "postselect_consistency": perf.postselect_consistency}


#: The config keys a :class:`RunSettings` field comes from (:func:`_from_config`).
SETTINGS_FROM_CONFIG: dict[str, str] = {
    "backend.name": "backend", "backend.shots": "shots", "backend.seed": "seed",
    "backend.optimization_level": "optimization_level", "performance.error_mitigation": "mitigation",
    "performance.postselect_market": "postselect_market",
    "performance.postselect_consistency": "postselect_consistency",
}


def settings_with_config_keys(stored: RunSettings, config: QARConfig, keys) -> RunSettings:
    """``stored`` with the fields that the config keys ``keys`` set taken from ``config``.

    For a state loaded with a config file (``qar --config X decide --state S``): the keys X sets
    win over the settings saved with S; the other saved settings stay.

    Args:
        stored: the settings saved with a state.
        config: the state's config with the file merged onto it.
        keys: the dotted config keys the file changed.
    """
    fresh = _from_config(config)
    update = {SETTINGS_FROM_CONFIG[k]: fresh[SETTINGS_FROM_CONFIG[k]] for k in keys if k in SETTINGS_FROM_CONFIG}
    return RunSettings.from_dict({**stored.model_dump(), **update}) if update else stored


def resolve_settings(config: QARConfig, *, profile: Any = None, backend: str | None = None,
                     shots: int | None = None, seed: int | None = None, optimization_level: int | None = None,
                     stored: RunSettings | None = None) -> RunSettings:
    """Resolve the run's settings once: config (or ``stored``) < profile < flags.

    Args:
        config: the validated config.
        profile: a loaded :class:`~qar_qiskit.backends.registry.BackendProfile` (or None).
        backend, shots, seed, optimization_level: explicit flags (None: not given).
        stored: settings saved with a state; they replace the config's values.

    Raises:
        QARError: ``backend`` and the profile's spec disagree.
        ConfigError: a resolved value is out of range (the message names the field).
    """
    values = stored.model_dump() if stored is not None else _from_config(config)
    if profile is not None:
        if backend is not None and backend != profile.name:
            raise QARError(f"backend {backend!r} and profile {profile.name!r} disagree; give one of them")
        values.update(backend=profile.name, shots=profile.shots, mitigation=profile.mitigation)
        for name in ("seed", "optimization_level", "transpile_seed"):
            if getattr(profile, name, None) is not None:
                values[name] = getattr(profile, name)
    flags = {"backend": backend, "shots": shots, "seed": seed, "optimization_level": optimization_level}
    values.update({k: v for k, v in flags.items() if v is not None})
    return RunSettings.from_dict(values)
