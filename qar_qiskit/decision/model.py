"""The Decision returned by ``QAR.decide`` (pydantic, JSON-serialisable)."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

Action = Literal["sell", "hold", "buy", "hedge"]
Size = Literal["small", "medium", "large", "max"]
Risk = Literal["conservative", "aggressive"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RegimeSummary(_Out):
    """The market-regime superposition as measured (or exact, on the exact backend)."""

    probabilities: dict[str, float]
    exact_probabilities: dict[str, float]
    dominant: str
    uncertainty: float = Field(description="normalised Shannon entropy of the regime probabilities")
    invalid_code_rate: float = Field(0.0, description="shots whose market register held no valid code "
                                     "(before post-selection on the market alone; else among the kept shots)")


class Order(_Out):
    """An order the risk manager allows for this decision."""

    side: Literal["buy", "sell", "none"]
    size: float = Field(ge=0, description="fraction of the portfolio")
    reason: str = ""


class ConeMetrics(_Out):
    """A register's backward light cone in the ISA circuit (``qar_qiskit.backends.lightcone``)."""

    qubits: int
    two_qubit_gates: int
    depth: int
    esp: float = Field(description="product of (1 - error) over the cone's gates and measurements")


class CircuitMetrics(_Out):
    """The ISA circuit that ran; ``active_qubits``, ``esp`` and ``decision_cone`` only where the
    backend has a device target (noisy and IBM backends)."""

    num_qubits: int
    depth: int
    two_qubit_gates: int
    num_parameters: int
    plan: dict[str, int]
    active_qubits: Optional[int] = None
    esp: Optional[float] = None
    decision_cone: Optional[ConeMetrics] = None


class MissingContext(_Out):
    """What a decision was made without (``None`` parts were not missing).

    Attributes:
        returns_history: why the experts' return history was empty or short, e.g. ``"none: the
            experts saw an empty return history (LMSR prices uniform)"``.
        defaulted_fields: the tick fields the decision reads that the tick left out, which took
            their defaults (:meth:`qar_qiskit.tick.MarketTick.defaulted_fields`).
    """

    returns_history: Optional[str] = None
    defaulted_fields: list[str] = Field(default_factory=list)


class Decision(_Out):
    """One trading decision and everything needed to audit it.

    ``position`` is the signed exposure of the strategy sleeve in [-1, 1] (1 = fully long the
    sleeve); ``orders`` size it in the portfolio under the risk limits (max_position_size).
    """

    decision_id: str
    tick_index: int
    action: Action
    size: Size
    risk: Risk
    position: float
    confidence: float
    confidence_interval: tuple[float, float]
    shots: Optional[int]
    hedge_strategy: str
    protection_level: float
    regime: RegimeSummary
    components: dict
    distribution: dict
    exact_action: Action
    exact_size: Size
    exact_risk: Risk
    exact_position: float
    exact_margin_resolvable: bool
    expert_positions: dict[str, float]
    orders: list[Order]
    risk_flags: list[str]
    backend: str
    fallback_reason: Optional[str] = None
    postselect_rejected_rate: Optional[float] = Field(
        None, description="share of shots dropped by post-selection (market codes, decision consistency)")
    circuit: Optional[CircuitMetrics] = None
    timing: dict[str, float]
    missing_context: Optional[MissingContext] = Field(
        None, description="what the decision lacked (empty or short return history, defaulted tick fields); "
                          "None when nothing")
