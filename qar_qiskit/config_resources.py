"""The config's building blocks and its qubit-budget sections: ``quantum_resources``,
``resource_allocation`` (ranges and the spare-qubit priority) and ``algorithms`` (the built-in
experts' registers and parameters). :mod:`qar_qiskit.config` assembles them into ``QARConfig``
and re-exports every name here (split from it to keep both modules small).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from qar_qiskit.limits import (
    MAX_HEDGE_QUBITS,
    MAX_HISTORY,
    MAX_LMSR_QUBITS,
    MAX_LOOKBACK,
    MAX_PROSPECT_QUBITS,
    MAX_TOTAL_QUBITS,
)

Prob = Annotated[float, Field(ge=0.0, le=1.0)]


Count = Annotated[int, Field(gt=0, le=MAX_HISTORY)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class QubitRange(_Model):
    """An inclusive [min, max] qubit range, written ``[min, max]`` in YAML."""

    min: int = Field(ge=0, le=MAX_TOTAL_QUBITS)
    max: int = Field(ge=0, le=MAX_TOTAL_QUBITS)

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, value):
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                raise ValueError("expected [min, max]")
            return {"min": value[0], "max": value[1]}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> QubitRange:
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
    def _ordered(self) -> Interval:
        if self.low >= self.high:
            raise ValueError(f"low {self.low} must be below high {self.high}")
        return self

    def as_tuple(self) -> tuple[float, float]:
        return (self.low, self.high)


class QuantumResources(_Model):
    total_qubits: int = Field(25, gt=0, le=MAX_TOTAL_QUBITS)


#: Qubits of the registers whose width the encodings fix (docs/design.md §3): the market
#: register holds one of four 4-bit regime codes, the memory register selects one of the four
#: experts, the decision register is [action(2) size(2) risk(1)]. The planner lays them out as they
#: are; no config key sizes them (the seeds' ``qar_core``, ``working_memory`` and ``learning_state``
#: ranges were removed, see :data:`REMOVED_KEYS`).
# memory: the four built-in experts (ceil(log2 n) for n experts)
FIXED_REGISTER_QUBITS: dict[str, int] = {"market": 4, "memory": 2, "decision": 5}
#: Buffer qubits the widest entanglement pattern needs (volatile: two parity witnesses).
MIN_BUFFER_QUBITS = 2


class DynamicRanges(_Model):
    """Qubit ranges (seed values) of the resource groups the planner sizes (docs/design.md §2).

    Attributes:
        algorithm_pool: qubits shared by the LMSR, prospect and Hedge registers: the planner gives
            them ``min(budget left by the other registers, max)`` and refuses a plan below ``min``.
        entanglement_buffer: correlation-witness qubits: the planner gives the buffer
            ``max(2, min)`` qubits, the smallest width the range and the patterns allow; ``max``
            must leave room for that.
    """

    algorithm_pool: QubitRange = QubitRange(min=10, max=15)
    entanglement_buffer: QubitRange = QubitRange(min=2, max=4)

    @model_validator(mode="after")
    def _structural_minimums(self) -> DynamicRanges:
        if self.entanglement_buffer.max < MIN_BUFFER_QUBITS:
            raise ValueError(f"entanglement_buffer: max {self.entanglement_buffer.max} is below the "
                             f"{MIN_BUFFER_QUBITS} qubits its register needs")
        return self


_ExpertName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class SparePriority(_Model):
    """Per regime, the order in which the planner hands the algorithm pool's spare qubits (above
    every expert's ``min_qubits``) to the experts, one qubit at a time, cycled; an expert at its
    ``max_qubits`` is skipped. Names not in the expert set are skipped; experts the list does not
    name (plug-ins) come after, in set order. A name twice gets two qubits per cycle.

    The defaults are the plans the package has always made (issue 15: the seeds' words
    high / medium / high_in_crisis did not determine an order): stable favours LMSR, trending
    spreads evenly, volatile favours the prospect register, crisis the Hedge register.
    """

    stable: tuple[_ExpertName, ...] = Field(("lmsr", "lmsr", "prospect", "hedge"), min_length=1, max_length=64)
    trending: tuple[_ExpertName, ...] = Field(("lmsr", "hedge", "prospect"), min_length=1, max_length=64)
    volatile: tuple[_ExpertName, ...] = Field(("prospect", "hedge", "lmsr"), min_length=1, max_length=64)
    crisis: tuple[_ExpertName, ...] = Field(("hedge", "hedge", "prospect", "lmsr"), min_length=1, max_length=64)


class ResourceAllocation(_Model):
    dynamic_ranges: DynamicRanges = DynamicRanges()
    priority: SparePriority = SparePriority()


class _AlgorithmBase(_Model):
    min_qubits: int = Field(gt=0, le=MAX_TOTAL_QUBITS)
    max_qubits: int = Field(gt=0, le=MAX_TOTAL_QUBITS)

    @model_validator(mode="after")
    def _ordered(self):
        if self.min_qubits > self.max_qubits:
            raise ValueError(f"min_qubits {self.min_qubits} is above max_qubits {self.max_qubits}")
        return self


class LMSRConfig(_AlgorithmBase):
    """Hanson (2003) LMSR: liquidity ``b`` and the return grid of the price register."""

    min_qubits: int = Field(3, gt=0, le=MAX_LMSR_QUBITS)
    max_qubits: int = Field(12, gt=0, le=MAX_LMSR_QUBITS)
    # prices = softmax(q / b) with q <= ~lookback: b below 1e-6 overflows q / b; above 1e6 every
    # price is uniform to 1e-3 for any history (the expert says nothing).
    liquidity: float = Field(2.0, ge=1e-6, le=1e6)
    # the grid's bin width is 2 * return_range / 2^n; below 1e-6 (a 0.0001% daily move) it underflows
    return_range: float = Field(0.05, ge=1e-6, le=1)
    recency_decay: float = Field(0.97, gt=0, le=1)


class ProspectConfig(_AlgorithmBase):
    """Tversky & Kahneman (1992) cumulative prospect theory parameters."""

    min_qubits: int = Field(4, ge=2, le=MAX_PROSPECT_QUBITS)
    max_qubits: int = Field(10, gt=0, le=MAX_PROSPECT_QUBITS)
    alpha: float = Field(0.88, gt=0, le=1)
    beta: float = Field(0.88, gt=0, le=1)
    # loss aversion: estimates lie in 1-5 (2.25 in Tversky & Kahneman 1992); beyond [1e-3, 1e3]
    # a mixed prospect's value is its gain or its loss part alone
    lam: float = Field(2.25, ge=1e-3, le=1e3)
    gamma: float = Field(0.61, gt=0.27, le=1)
    delta: float = Field(0.69, gt=0.27, le=1)


class HedgeConfig(_AlgorithmBase):
    """Freund & Schapire (1997) Hedge over hedge ratios."""

    min_qubits: int = Field(3, gt=0, le=MAX_HEDGE_QUBITS)
    max_qubits: int = Field(15, gt=0, le=MAX_HEDGE_QUBITS)
    # eta * cumulative loss (<= lookback) stays finite; below 1e-6 the weights are uniform
    eta: float = Field(0.5, ge=1e-6, le=100)
    # a daily return r costs |r| / loss_scale (clipped to 1): below 1e-6 every loss overflows
    # to 1, above 10 (a 1000% move) every loss is ~0
    loss_scale: float = Field(0.03, ge=1e-6, le=10)
    lookback: int = Field(60, gt=0, le=MAX_LOOKBACK)


class Algorithms(_Model):
    lmsr: LMSRConfig = LMSRConfig()
    prospect: ProspectConfig = ProspectConfig()
    hedge: HedgeConfig = HedgeConfig()
