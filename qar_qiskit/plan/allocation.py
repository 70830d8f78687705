"""Allocation plans: how many qubits each component gets for one tick.

A plan fixes the *structure* of the tick circuit (docs/design.md §2): the composed circuit depends on
the plan only, so a plan is transpiled once per backend and every tick just binds numbers.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

from qar_qiskit.labels import EXPERTS

#: Components in register order on the shared QuantumRegister (the default expert set's plan;
#: a plan's own order is ``plan.sizes()``: market, memory, each expert with qubits, decision, buffer).
COMPONENTS: tuple[str, ...] = ("market", "memory", "lmsr", "prospect", "hedge", "decision", "buffer")


def memory_width(n_experts: int) -> int:
    """``ceil(log2 n)`` memory qubits (at least 1) selecting one of ``n >= 2`` experts."""
    if n_experts < 2:
        raise ValueError(f"experts: need at least 2 experts, got {n_experts}")
    return (n_experts - 1).bit_length()


#: Built-in experts -> the plan field holding their register size ("" for none).
BUILTIN_REGISTERS: dict[str, str] = {"lmsr": "lmsr", "prospect": "prospect", "hedge": "hedge", "abstain": ""}


class AllocationPlan(BaseModel):
    """Qubits per component for one regime (hashable, so it can key the transpile cache).

    Attributes:
        regime: the dominant regime the plan was made for.
        market: market-regime register (4 qubits: codes 0000, 0011, 0101, 1111).
        memory: learning-memory selector over the experts (``ceil(log2 n)`` qubits, 2 for 4).
        lmsr: LMSR price register (2**lmsr return bins).
        prospect: prospect register *including* its value ancilla (prospect - 1 outcome qubits).
        hedge: Hedge register (2**hedge hedge ratios).
        decision: decision register [action(2) size(2) risk(1)] (5 qubits).
        buffer: entanglement-buffer qubits (correlation witnesses, 2..4).
        experts: the expert names in memory order (default the four built-ins); ``lmsr``,
            ``prospect`` and ``hedge`` count only for the built-ins in it.
        plugin_qubits: ``(name, qubits)`` of every other expert in ``experts``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    regime: str = "stable"
    market: int = Field(4, ge=4, le=4)
    memory: int = Field(2, ge=1, le=8)
    lmsr: int = Field(4, ge=1)
    prospect: int = Field(4, ge=2)
    hedge: int = Field(3, ge=1)
    decision: int = Field(5, ge=5, le=5)
    buffer: int = Field(2, ge=0)
    experts: tuple[str, ...] = EXPERTS
    plugin_qubits: tuple[tuple[str, int], ...] = ()

    @model_validator(mode="after")
    def _buffer_fits_pattern(self) -> AllocationPlan:
        needed = {"stable": 1, "trending": 1, "volatile": 2, "crisis": 1}.get(self.regime)
        if needed is None:
            raise ValueError(f"regime: unknown regime {self.regime!r}")
        if self.buffer < needed:
            raise ValueError(f"buffer: regime {self.regime!r} needs at least {needed} buffer qubits")
        names = self.experts
        if len(names) < 2 or len(set(names)) != len(names):
            raise ValueError(f"experts: need at least 2 distinct names, got {list(names)}")
        width = memory_width(len(names))
        if self.memory != width:
            raise ValueError(f"memory: {len(names)} experts need a {width}-qubit memory, got {self.memory}")
        plugins = dict(self.plugin_qubits)
        wanted = [n for n in names if n not in BUILTIN_REGISTERS]
        if sorted(plugins) != sorted(wanted) or any(q < 0 for q in plugins.values()):
            raise ValueError(f"plugin_qubits: need a size >= 0 for exactly the plug-in experts {wanted}, "
                             f"got {dict(plugins)}")
        return self

    @model_serializer(mode="wrap")
    def _compact(self, handler):
        """The default expert set's plan dumps as before the expert fields existed (job stores, tags)."""
        data = handler(self)
        if self.experts == EXPERTS:
            data.pop("experts", None)
            data.pop("plugin_qubits", None)
        return data

    def expert_sizes(self) -> dict[str, int]:
        """Expert name -> register qubits (0 for an expert without a register), in memory order."""
        plugins = dict(self.plugin_qubits)
        return {n: int(getattr(self, BUILTIN_REGISTERS[n])) if BUILTIN_REGISTERS.get(n) else plugins.get(n, 0)
                for n in self.experts}

    @property
    def total(self) -> int:
        """Number of qubits the plan uses on the shared register."""
        return sum(self.sizes().values())

    def sizes(self) -> dict[str, int]:
        """Component name -> qubit count, in register order (experts without qubits left out)."""
        experts = {n: q for n, q in self.expert_sizes().items() if q > 0}
        return {"market": self.market, "memory": self.memory, **experts, "decision": self.decision,
                "buffer": self.buffer}

    def offsets(self) -> dict[str, int]:
        """Component name -> index of its first qubit on the shared register."""
        out, start = {}, 0
        for name, n in self.sizes().items():
            out[name] = start
            start += n
        return out

    def key(self) -> tuple:
        """A hashable identity for caches (the regime matters: it selects the pattern)."""
        if self.experts == EXPERTS:
            return (self.regime, *self.sizes().values())
        return (self.regime, *self.sizes().items(), ("experts", self.experts))
