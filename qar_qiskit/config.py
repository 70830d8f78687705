"""Configuration: pydantic v2 models for ``config.yaml`` and its loader.

The package carries the defaults (``qar_qiskit/config.yaml``, identical to the repository's
top-level ``config.yaml``), so ``QAR()`` and the CLI work without a file. A config file is an
*overlay*: it gives only the keys it changes, and :func:`load_config` deep-merges it onto the
packaged defaults before validation (:func:`overlay`: mappings merge key by key, recursively;
lists and scalars replace). A file holding only ``risk_management: {max_position_size: 0.1}`` is a
complete config. Unknown keys, wrong types and out-of-range values are errors that name the field,
e.g. ``resource_allocation.dynamic_ranges.algorithm_pool: min 16 is above max 15``; an unknown key
gets the closest valid key at its level (``backend.shotz: unknown key; did you mean backend.shots?``,
:func:`difflib.get_close_matches`), and a qubit budget too small for the minimums names
``quantum_resources.total_qubits`` and the smallest total that would work.

Every size- or count-like setting has an upper bound (the ``MAX_*`` constants of :mod:`qar_qiskit.limits`,
each with its reason), so that no setting, saved state (whose embedded config goes through
:func:`parse_config`) or CLI override can make the process allocate more than a machine of this
project's class holds: e.g. ``quantum_resources.total_qubits: Input should be less than or
equal to 64``. Float settings whose extreme values overflow or silently empty the model are
bounded to the range where the formulas stay finite and informative (issue #17).

Every key is read by the code (docs/config.md says which module reads each one; a test checks
it). Keys that older files carry but nothing reads any more are listed in :data:`REMOVED_KEYS`:
such a file is refused with an error naming the key and saying what to do, e.g.
``learning.update_frequency: this setting was removed (...); delete it from the file``.
"""

from __future__ import annotations

import difflib
import functools
import typing
from pathlib import Path
from typing import Annotated, Any, Optional

import yaml
from pydantic import BaseModel, Field, StringConstraints, ValidationError, field_validator, model_validator

from qar_qiskit.config_removed import REMOVED_KEYS, refuse_removed_keys, without_removed_keys  # noqa: F401
from qar_qiskit.config_resources import (  # noqa: F401 - re-exported: the sections and building blocks
    FIXED_REGISTER_QUBITS,
    MIN_BUFFER_QUBITS,
    Algorithms,
    Count,
    DynamicRanges,
    HedgeConfig,
    Interval,
    LMSRConfig,
    Prob,
    ProspectConfig,
    QuantumResources,
    QubitRange,
    ResourceAllocation,
    SparePriority,
    _Model,
)
from qar_qiskit.errors import ConfigError, QARError
from qar_qiskit.labels import REGIMES
from qar_qiskit.limits import (  # re-exported: other modules import the bounds from here
    MAX_CACHE_SIZE,
    MAX_REGISTER_QUBITS,
    MAX_SEED,
    MAX_SHOTS,
    MAX_TIMEOUT_S,
)
from qar_qiskit.limits import MAX_HEDGE_QUBITS as MAX_HEDGE_QUBITS  # these six: re-exported only (X as X)
from qar_qiskit.limits import MAX_HISTORY as MAX_HISTORY
from qar_qiskit.limits import MAX_LMSR_QUBITS as MAX_LMSR_QUBITS
from qar_qiskit.limits import MAX_LOOKBACK as MAX_LOOKBACK
from qar_qiskit.limits import MAX_PROSPECT_QUBITS as MAX_PROSPECT_QUBITS
from qar_qiskit.limits import MAX_TOTAL_QUBITS as MAX_TOTAL_QUBITS
from qar_qiskit.resources import CONFIG_DIR, resolve


class LearningConfig(_Model):
    learning_rate: float = Field(0.1, gt=0, le=10)
    memory_depth: Count = 100
    history_size: Count = 1000
    interference_strength: Prob = 0.8
    # size score min(1, edge_gain * |2p - 1|): outside [1e-6, 1e6] it is always 0 or always 1
    edge_gain: float = Field(4.0, ge=1e-6, le=1e6)
    # reward = clip(position * return / reward_scale, -1, 1): below 1e-9 the quotient overflows
    reward_scale: float = Field(0.005, ge=1e-9, le=1e3)
    tracker_history: Count = 200

    @model_validator(mode="after")
    def _depths(self) -> LearningConfig:
        if self.memory_depth > self.history_size:
            raise ValueError(f"memory_depth {self.memory_depth} is above history_size {self.history_size}")
        return self


class RegimeConfig(_Model):
    """One market regime: its feature ranges and its feedback parameters (docs/design.md §5)."""

    volatility: Interval
    trend_clarity: Interval
    volume_normalized: Interval
    feedback_memory: Count
    coherence_preservation: Prob
    pattern_amplification: Prob = 0.8
    defensive_bias: Prob = 0.0
    risk_suppression: Prob = 0.0

    def ranges(self) -> dict[str, tuple[float, float]]:
        return {
            "volatility": self.volatility.as_tuple(),
            "trend_clarity": self.trend_clarity.as_tuple(),
            "volume_normalized": self.volume_normalized.as_tuple(),
        }


class MarketRegimes(_Model):
    stable: RegimeConfig
    trending: RegimeConfig
    volatile: RegimeConfig
    crisis: RegimeConfig

    def ranges(self) -> dict[str, dict[str, tuple[float, float]]]:
        return {name: getattr(self, name).ranges() for name in REGIMES}

    def get(self, name: str) -> RegimeConfig:
        return getattr(self, name)


class RiskConfig(_Model):
    max_position_size: float = Field(0.05, gt=0, le=1)
    max_daily_loss: float = Field(0.02, gt=0, le=1)
    # a volatility; above 1e3 (100,000% a year) crisis mode never starts: allowed
    crisis_threshold: float = Field(0.7, gt=0)
    # orders scale by min(1, target / realised volatility): below 1e-6 every order is 0
    target_volatility: float = Field(0.15, ge=1e-6, le=1e3)


class PerformanceConfig(_Model):
    cache_size: int = Field(1000, gt=0, le=MAX_CACHE_SIZE)
    persistence_interval: float = Field(300, ge=0)  # seconds; 1e308 means never: allowed
    classical_fallback: bool = True
    error_mitigation: bool = True
    backend_retries: int = Field(2, ge=0, le=10)
    retry_backoff_s: float = Field(0.2, ge=0, le=60)
    # below 10 ms no backend call can finish; threading's timeouts overflow near 1e10 s
    backend_timeout_s: float = Field(600, ge=0.01, le=MAX_TIMEOUT_S)
    postselect_market: bool = False
    #: keep only shots where the decision register agrees with the memory (action_lo = mem1,
    #: abstain never sets action_hi): symmetry verification of the decision block (issue #13)
    postselect_consistency: bool = False


class BackendConfig(_Model):
    name: str = "aer"
    shots: int = Field(1024, ge=1, le=MAX_SHOTS)
    seed: int = Field(1234, ge=0, le=MAX_SEED)
    #: None: the backend's own measured default (aer 1, aer-noisy 3, ibm 2; see backends/*.py)
    optimization_level: Optional[int] = Field(None, ge=0, le=3)

    @field_validator("name")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        kind = value.split(":", 1)[0]
        if kind not in {"exact", "aer", "aer-noisy", "aer-noisy-exact", "ibm"}:
            raise ValueError(f"unknown backend {value!r}; use exact, aer, aer-noisy:<FakeDevice>, "
                             "aer-noisy-exact:<FakeDevice> or ibm:<name>")
        if kind in {"aer-noisy", "aer-noisy-exact", "ibm"} and not value.partition(":")[2]:
            raise ValueError(f"backend {value!r} needs a device name after ':'")
        return value


class QARConfig(_Model):
    """The whole configuration file."""

    quantum_resources: QuantumResources = QuantumResources()
    resource_allocation: ResourceAllocation = ResourceAllocation()
    algorithms: Algorithms = Algorithms()
    learning: LearningConfig = LearningConfig()
    market_regimes: MarketRegimes
    risk_management: RiskConfig = RiskConfig()
    performance: PerformanceConfig = PerformanceConfig()
    backend: BackendConfig = BackendConfig()
    #: The experts, in memory order: built-in names or names of experts registered in this
    #: process (``QAR(experts=[...])``, ``qar_qiskit.experts.register_expert``).
    experts: tuple[str, ...] = ("lmsr", "prospect", "hedge", "abstain")
    #: Python modules imported before the experts are resolved; each registers its experts when
    #: imported (``register_expert``), so that another process (``QAR.load``, a Dask sweep worker,
    #: ``qar decide --config``) rebuilds a plug-in set from the config alone. This imports code:
    #: load configs and states you trust, as with any Python plug-in.
    expert_modules: tuple[Annotated[str, StringConstraints(pattern=r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")], ...] = ()

    @field_validator("experts")
    @classmethod
    def _distinct_experts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(value) < 2 or len(set(value)) != len(value) or not all(n.isidentifier() for n in value):
            raise ValueError(f"need at least 2 distinct expert names (identifiers), got {list(value)}")
        return value

    @model_validator(mode="after")
    def _plan_fits_budget(self) -> QARConfig:
        total = self.quantum_resources.total_qubits
        r = self.resource_allocation.dynamic_ranges
        a = self.algorithms
        fixed = sum(FIXED_REGISTER_QUBITS.values()) + max(MIN_BUFFER_QUBITS, r.entanglement_buffer.min)
        algo_min = a.lmsr.min_qubits + a.prospect.min_qubits + a.hedge.min_qubits
        if algo_min > r.algorithm_pool.max:
            raise ValueError(
                f"algorithms: the per-algorithm minimums need {algo_min} qubits, above "
                f"resource_allocation.dynamic_ranges.algorithm_pool max {r.algorithm_pool.max}"
            )
        algo_max = a.lmsr.max_qubits + a.prospect.max_qubits + a.hedge.max_qubits
        if algo_max < r.algorithm_pool.min:
            raise ValueError(
                f"algorithms: the per-algorithm maximums give {algo_max} qubits, below "
                f"resource_allocation.dynamic_ranges.algorithm_pool min {r.algorithm_pool.min}"
            )
        # the planner's rule (plan/planner.py): the algorithms share min(budget left by the fixed
        # registers, algorithm_pool max), each starting at its minimum
        pool = min(r.algorithm_pool.max, total - fixed)
        if pool < r.algorithm_pool.min or algo_min > pool:
            raise ValueError(budget_message(total, fixed, r.algorithm_pool.min, r.algorithm_pool.max, algo_min))
        for name in ("lmsr", "prospect", "hedge"):
            others = algo_min - getattr(a, name).min_qubits
            width = min(getattr(a, name).max_qubits, pool - others)
            if width > MAX_REGISTER_QUBITS:
                raise ValueError(
                    f"algorithms.{name}.max_qubits: a plan can give {name} {width} qubits ({pool} for the "
                    f"algorithms minus the others' minimums {others}); at most {MAX_REGISTER_QUBITS} per "
                    f"expert register (the circuit's size grows as 2^n)"
                )
        return self


def smallest_total_qubits(fixed: int, pool_min: int, need: int) -> int:
    """The smallest ``quantum_resources.total_qubits`` whose plans fit.

    The planner gives the algorithms ``pool = min(total - fixed, algorithm_pool max)`` and needs
    ``pool >= algorithm_pool min`` and ``pool >= need`` (the experts' minimum registers), so with
    ``need <= algorithm_pool max`` the smallest total is ``fixed + max(pool_min, need)``.

    Args:
        fixed: qubits of the fixed registers (market, memory, decision) and the buffer.
        pool_min: ``resource_allocation.dynamic_ranges.algorithm_pool`` min.
        need: the sum of the experts' minimum registers.
    """
    return fixed + max(pool_min, need)


def budget_message(total: int, fixed: int, pool_min: int, pool_max: int, need: int,
                   who: str = "the per-algorithm minimums") -> str:
    """The error for a budget too small for the minimums: names ``quantum_resources.total_qubits``,
    why it is too small, and the smallest total that works (:func:`smallest_total_qubits`).

    Example: ``quantum_resources.total_qubits: 22 cannot hold the smallest plan the config allows
    (23 qubits): only 9 qubits are left for the algorithm pool after the fixed registers and buffer
    (13), below its min 10; set quantum_resources.total_qubits to at least 23``.
    """
    pool = min(pool_max, total - fixed)
    if pool < pool_min:
        reason = (f"only {pool} qubits are left for the algorithm pool after the fixed registers and buffer "
                  f"({fixed}), below its min {pool_min}")
    else:
        reason = (f"{who} need {need} qubits, above the {pool} it leaves for the algorithm pool after the "
                  f"fixed registers and buffer ({fixed})")
    smallest = smallest_total_qubits(fixed, pool_min, need)
    return (f"quantum_resources.total_qubits: {total} cannot hold the smallest plan the config allows "
            f"({smallest} qubits): {reason}; set quantum_resources.total_qubits to at least {smallest}")


#: libyaml's safe loader when PyYAML has it (its wheels do): 8.5 vs 74 ms for config.yaml
#: (measured 2026-12-03), the same documents; the pure-Python loader otherwise.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def default_config_path() -> Path:
    """Path of the packaged default ``config.yaml``."""
    return Path(__file__).resolve().parent / "config.yaml"


def parse_config(data: dict, source: str = "<config>", *, drop_removed: bool = False) -> QARConfig:
    """Validate a complete config mapping; errors name the offending field and the source.

    ``data`` must hold every required section (``market_regimes``): a config file is an overlay,
    so :func:`load_config` first merges it onto the packaged defaults (:func:`overlay`).

    Args:
        data: the mapping (a parsed YAML file merged onto the defaults, or a config embedded in a
            saved state).
        source: named in errors (a file name).
        drop_removed: drop the keys of :data:`REMOVED_KEYS` instead of refusing them. For the
            configs embedded in saved states: the program wrote them, the keys never changed what
            it did (so dropping them loses nothing), and a state file cannot be edited (its
            checksum would fail), so refusing would strand the state.

    Raises:
        ConfigError: not a mapping; a key of :data:`REMOVED_KEYS` (the message names it, says why
            it went and to delete it) unless ``drop_removed``; unknown keys (with the closest valid
            key at that level: ``backend.shotz: unknown key; did you mean backend.shots?``), wrong
            types or out-of-range values.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping, got {type(data).__name__}")
    if drop_removed:
        data = without_removed_keys(data)
    refuse_removed_keys(data, source)
    try:
        return QARConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {QARError.from_validation(_WithSuggestions(exc))}") from None


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The config section model at ``loc`` (a pydantic error location), or None (not a section)."""
    model: type[BaseModel] | None = QARConfig
    for key in loc:
        field = model.model_fields.get(key) if model is not None else None
        if field is None:
            return None
        model = next((t for t in (field.annotation, *typing.get_args(field.annotation))
                      if isinstance(t, type) and issubclass(t, BaseModel)), None)
    return model


def did_you_mean(loc: tuple) -> str | None:
    """The valid key closest to the unknown key at ``loc`` (dotted path), by
    :func:`difflib.get_close_matches` over the keys of its section; None when none is close."""
    *parents, key = (str(part) for part in loc)
    model = _model_at(tuple(parents))
    if model is None:
        return None
    close = difflib.get_close_matches(key, list(model.model_fields), n=1, cutoff=0.6)
    return ".".join([*parents, close[0]]) if close else None


class _WithSuggestions:
    """A pydantic ``ValidationError``'s errors, an unknown key's message replaced by one that names
    the closest valid key (``unknown key; did you mean backend.shots?``)."""

    def __init__(self, exc: ValidationError) -> None:
        self._exc = exc

    def errors(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for raw in self._exc.errors():
            err: dict[str, Any] = dict(raw)
            if err.get("type") == "extra_forbidden":
                near = did_you_mean(tuple(err.get("loc", ())))
                err = {**err, "msg": "unknown key" + (f"; did you mean {near}?" if near else "")}
            out.append(err)
        return out


def overlay(base: dict, changes: dict) -> dict:
    """``changes`` deep-merged onto ``base`` (neither is changed): mappings merge key by key,
    recursively; a list or a scalar in ``changes`` replaces the value in ``base``.

    Example:
        >>> overlay({"backend": {"name": "aer", "shots": 1024}}, {"backend": {"shots": 256}})
        {'backend': {'name': 'aer', 'shots': 256}}
    """
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = overlay(out[key], value)
        else:
            out[key] = value
    return out


def leaf_keys(data: dict, prefix: str = "") -> list[str]:
    """The dotted keys of the leaves (lists and scalars) of a nested mapping, in file order.

    Example:
        >>> leaf_keys({"backend": {"shots": 256}, "experts": ["lmsr", "hedge"]})
        ['backend.shots', 'experts']
    """
    out = []
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        out.extend(leaf_keys(value, dotted + ".") if isinstance(value, dict) and value else [dotted])
    return out


def value_at(data: dict, dotted: str):
    """The value at a dotted key of a nested mapping (None where a part is missing)."""
    node: Any = data
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def read_config_file(path: str | Path | None = None) -> tuple[Path, dict]:
    """A config file's own mapping (the overlay, not merged), and its resolved path.

    Args:
        path: as for :func:`load_config`; ``None``: the packaged ``config.yaml``.

    Raises:
        ConfigError: missing or unreadable file (the message lists the packaged configs), invalid
            YAML, or a top level that is not a mapping; the message names the file.
    """
    src = resolve(path, [CONFIG_DIR], "config") if path is not None else default_config_path()
    try:
        text = src.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {src}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {src}: {exc}") from None
    try:
        data = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise ConfigError(f"{src}:{where} invalid YAML ({problem})") from None
    except RecursionError:
        raise ConfigError(f"{src}: invalid YAML (nested too deeply)") from None
    except (ValueError, OverflowError) as exc:
        # PyYAML's constructors raise these for e.g. an integer literal over Python's digit
        # limit or a timestamp such as 2020-13-45.
        raise ConfigError(f"{src}: invalid YAML value ({' '.join(str(exc).split())})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{src}: the top level must be a mapping, got {type(data).__name__}")
    return src, data


def _defaults_mapping() -> dict:
    """The packaged defaults as a mapping (parsed once per file version: the merge never changes it)."""
    path = default_config_path()
    return _parsed_defaults(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=2)
def _parsed_defaults(path: str, mtime_ns: int) -> dict:
    return read_config_file(path)[1]


def load_config(path: str | Path | None = None, overrides: dict | None = None) -> QARConfig:
    """Load a YAML config, merged onto the packaged defaults, and validate it.

    A config file is an overlay: it gives only the keys it changes (:func:`overlay`: mappings
    merge recursively, lists and scalars replace). For example this file is a complete config::

        risk_management:
          max_position_size: 0.1
        backend: {name: exact}

    Args:
        path: a YAML file, or the name of a packaged example config (``noisy-small``:
            ``qar_qiskit/configs/noisy-small.yaml``); ``None`` for the packaged ``config.yaml``.
        overrides: a nested mapping merged over the file's values (e.g. ``{"backend": {"shots": 100}}``).

    Returns:
        The validated, complete config (what states and reports record).

    Raises:
        ConfigError: missing or unreadable file (the message lists the packaged configs), invalid
            YAML, a removed key, unknown keys (with the closest valid key), wrong types or
            out-of-range values; the message names the file and the field.
    """
    src, data = read_config_file(path)
    refuse_removed_keys(data, str(src))  # the file's own keys (the defaults have none)
    if path is not None:
        data = overlay(_defaults_mapping(), data)
    if overrides:
        data = overlay(data, overrides)
    return parse_config(data, str(src))
