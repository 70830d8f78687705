"""Configuration: pydantic v2 models for ``config.yaml`` and its loader.

The package carries the defaults (``qar_qiskit/config.yaml``, identical to the repository's
top-level ``config.yaml``), so ``QAR()`` and the CLI work without a file. Unknown keys, wrong
types and out-of-range values are errors that name the field, e.g.
``resource_allocation.dynamic_ranges.qar_core: min 9 is above max 8``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from qar_qiskit.errors import ConfigError, QARError
from qar_qiskit.labels import REGIMES


PosInt = Annotated[int, Field(gt=0)]
Prob = Annotated[float, Field(ge=0.0, le=1.0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class QubitRange(_Model):
    """An inclusive [min, max] qubit range, written ``[min, max]`` in YAML."""

    min: int = Field(ge=0)
    max: int = Field(ge=0)

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, value):
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                raise ValueError("expected [min, max]")
            return {"min": value[0], "max": value[1]}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "QubitRange":
        if self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class Interval(_Model):
    """A closed real interval ``[low, high]`` for a regime feature."""

    low: float
    high: float

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, value):
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                raise ValueError("expected [low, high]")
            return {"low": value[0], "high": value[1]}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "Interval":
        if self.low >= self.high:
            raise ValueError(f"low {self.low} must be below high {self.high}")
        return self

    def as_tuple(self) -> tuple[float, float]:
        return (self.low, self.high)


class QuantumResources(_Model):
    total_qubits: PosInt = 25


class DynamicRanges(_Model):
    """Qubit ranges per resource group (seed: enhanced_qar_config.yaml)."""

    qar_core: QubitRange = QubitRange(min=5, max=8)
    working_memory: QubitRange = QubitRange(min=4, max=6)
    algorithm_pool: QubitRange = QubitRange(min=10, max=15)
    entanglement_buffer: QubitRange = QubitRange(min=2, max=4)
    learning_state: QubitRange = QubitRange(min=2, max=3)

    @model_validator(mode="after")
    def _structural_minimums(self) -> "DynamicRanges":
        needs = {"qar_core": 5, "working_memory": 4, "learning_state": 2, "entanglement_buffer": 2}
        for name, need in needs.items():
            rng: QubitRange = getattr(self, name)
            if rng.max < need:
                raise ValueError(f"{name}: max {rng.max} is below the {need} qubits its register needs")
        return self


class ResourceAllocation(_Model):
    dynamic_ranges: DynamicRanges = DynamicRanges()


class _AlgorithmBase(_Model):
    min_qubits: PosInt
    max_qubits: PosInt
    priority: str = "medium"

    @model_validator(mode="after")
    def _ordered(self):
        if self.min_qubits > self.max_qubits:
            raise ValueError(f"min_qubits {self.min_qubits} is above max_qubits {self.max_qubits}")
        return self


class LMSRConfig(_AlgorithmBase):
    """Hanson (2003) LMSR: liquidity ``b`` and the return grid of the price register."""

    min_qubits: PosInt = 3
    max_qubits: PosInt = 12
    priority: str = "high"
    liquidity: float = Field(2.0, gt=0)
    return_range: float = Field(0.05, gt=0, le=1)
    recency_decay: float = Field(0.97, gt=0, le=1)


class ProspectConfig(_AlgorithmBase):
    """Tversky & Kahneman (1992) cumulative prospect theory parameters."""

    min_qubits: int = Field(4, ge=2)
    max_qubits: PosInt = 10
    alpha: float = Field(0.88, gt=0, le=1)
    beta: float = Field(0.88, gt=0, le=1)
    lam: float = Field(2.25, gt=0)
    gamma: float = Field(0.61, gt=0.27, le=1)
    delta: float = Field(0.69, gt=0.27, le=1)


class HedgeConfig(_AlgorithmBase):
    """Freund & Schapire (1997) Hedge over hedge ratios."""

    min_qubits: PosInt = 3
    max_qubits: PosInt = 15
    priority: str = "high_in_crisis"
    eta: float = Field(0.5, gt=0)
    loss_scale: float = Field(0.03, gt=0)
    lookback: PosInt = 60


class Algorithms(_Model):
    lmsr: LMSRConfig = LMSRConfig()
    prospect: ProspectConfig = ProspectConfig()
    hedge: HedgeConfig = HedgeConfig()


class LearningConfig(_Model):
    learning_rate: float = Field(0.1, gt=0, le=10)
    memory_depth: PosInt = 100
    history_size: PosInt = 1000
    update_frequency: PosInt = 1
    interference_strength: Prob = 0.8
    edge_gain: float = Field(4.0, gt=0)
    reward_scale: float = Field(0.005, gt=0)
    tracker_history: PosInt = 200

    @model_validator(mode="after")
    def _depths(self) -> "LearningConfig":
        if self.memory_depth > self.history_size:
            raise ValueError(f"memory_depth {self.memory_depth} is above history_size {self.history_size}")
        return self


class RegimeConfig(_Model):
    """One market regime: its feature ranges and its feedback parameters (seeds §4)."""

    volatility: Interval
    trend_clarity: Interval
    volume_normalized: Interval
    feedback_memory: PosInt
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
    crisis_threshold: float = Field(0.7, gt=0)
    target_volatility: float = Field(0.15, gt=0)


class PerformanceConfig(_Model):
    cache_size: PosInt = 1000
    persistence_interval: float = Field(300, ge=0)
    classical_fallback: bool = True
    error_mitigation: bool = True
    backend_retries: int = Field(2, ge=0, le=10)
    retry_backoff_s: float = Field(0.2, ge=0, le=60)
    backend_timeout_s: float = Field(600, gt=0)
    postselect_market: bool = False


class BackendConfig(_Model):
    name: str = "aer"
    shots: int = Field(1024, ge=1, le=1_000_000)
    seed: int = Field(1234, ge=0)
    #: None: the backend's own measured default (aer 1, aer-noisy 3, ibm 2; see backends/*.py)
    optimization_level: Optional[int] = Field(None, ge=0, le=3)

    @field_validator("name")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        kind = value.split(":", 1)[0]
        if kind not in {"exact", "aer", "aer-noisy", "ibm"}:
            raise ValueError(f"unknown backend {value!r}; use exact, aer, aer-noisy:<FakeDevice> or ibm:<name>")
        if kind in {"aer-noisy", "ibm"} and not value.partition(":")[2]:
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

    @model_validator(mode="after")
    def _plan_fits_budget(self) -> "QARConfig":
        total = self.quantum_resources.total_qubits
        r = self.resource_allocation.dynamic_ranges
        a = self.algorithms
        minimum = r.qar_core.min + r.working_memory.min + r.algorithm_pool.min + r.entanglement_buffer.min + r.learning_state.min
        if minimum > total:
            raise ValueError(
                f"quantum_resources.total_qubits: {total} cannot hold the smallest plan of "
                f"resource_allocation.dynamic_ranges ({minimum} qubits)"
            )
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
        return self


def default_config_path() -> Path:
    """Path of the packaged default ``config.yaml``."""
    return Path(__file__).resolve().parent / "config.yaml"


def parse_config(data: dict, source: str = "<config>") -> QARConfig:
    """Validate a config mapping; errors name the offending field and the source."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping, got {type(data).__name__}")
    try:
        return QARConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {QARError.from_validation(exc)}") from None


def load_config(path: str | Path | None = None, overrides: dict | None = None) -> QARConfig:
    """Load and validate a YAML config (the packaged defaults when ``path`` is None).

    Args:
        path: a YAML file; ``None`` for the packaged ``config.yaml``.
        overrides: a nested mapping merged over the file's values (e.g. ``{"backend": {"shots": 100}}``).

    Raises:
        ConfigError: missing or unreadable file, invalid YAML, unknown keys, wrong types or
            out-of-range values; the message names the file and the field.
    """
    src = Path(path) if path is not None else default_config_path()
    try:
        text = src.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {src}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {src}: {exc}") from None
    try:
        data = yaml.safe_load(text)
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
    if overrides and isinstance(data, dict):
        data = _merge(data, overrides)
    return parse_config(data, str(src))


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def finite(value: float) -> bool:
    """True for a finite float (helper for validators)."""
    return isinstance(value, (int, float)) and math.isfinite(value)
