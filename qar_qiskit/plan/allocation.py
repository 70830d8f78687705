"""Allocation plans: how many qubits each component gets for one tick.

A plan fixes the *structure* of the tick circuit (docs/design.md §2): the composed circuit depends on
the plan only, so a plan is transpiled once per backend and every tick just binds numbers.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Components in register order on the shared QuantumRegister.
COMPONENTS: tuple[str, ...] = ("market", "memory", "lmsr", "prospect", "hedge", "decision", "buffer")


class AllocationPlan(BaseModel):
    """Qubits per component for one regime (hashable, so it can key the transpile cache).

    Attributes:
        regime: the dominant regime the plan was made for.
        market: market-regime register (4 qubits: codes 0000, 0011, 0101, 1111).
        memory: learning-memory selector over the 4 experts (2 qubits).
        lmsr: LMSR price register (2**lmsr return bins).
        prospect: prospect register *including* its value ancilla (prospect - 1 outcome qubits).
        hedge: Hedge register (2**hedge hedge ratios).
        decision: decision register [action(2) size(2) risk(1)] (5 qubits).
        buffer: entanglement-buffer qubits (correlation witnesses, 2..4).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    regime: str = "stable"
    market: int = Field(4, ge=4, le=4)
    memory: int = Field(2, ge=2, le=2)
    lmsr: int = Field(4, ge=1)
    prospect: int = Field(4, ge=2)
    hedge: int = Field(3, ge=1)
    decision: int = Field(5, ge=5, le=5)
    buffer: int = Field(2, ge=0)

    @model_validator(mode="after")
    def _buffer_fits_pattern(self) -> "AllocationPlan":
        needed = {"stable": 1, "trending": 1, "volatile": 2, "crisis": 1}.get(self.regime)
        if needed is None:
            raise ValueError(f"regime: unknown regime {self.regime!r}")
        if self.buffer < needed:
            raise ValueError(f"buffer: regime {self.regime!r} needs at least {needed} buffer qubits")
        return self

    @property
    def total(self) -> int:
        """Number of qubits the plan uses on the shared register."""
        return sum(self.sizes().values())

    def sizes(self) -> dict[str, int]:
        """Component name -> qubit count, in register order."""
        return {name: int(getattr(self, name)) for name in COMPONENTS}

    def offsets(self) -> dict[str, int]:
        """Component name -> index of its first qubit on the shared register."""
        out, start = {}, 0
        for name, n in self.sizes().items():
            out[name] = start
            start += n
        return out

    def key(self) -> tuple:
        """A hashable identity for caches (the regime matters: it selects the pattern)."""
        return (self.regime, *self.sizes().values())
