"""Per-regime allocation plans inside the configured ranges (seeds: dynamic resource allocation).

The fixed registers take what their encodings need (market 4, memory 2, decision 5:
``config.FIXED_REGISTER_QUBITS``; the buffer max(2, ``entanglement_buffer`` min)); the algorithm pool gets the rest of the budget, clamped to
``algorithm_pool`` [min, max]. Each algorithm starts at its own minimum and the spare qubits go
one at a time in a regime-specific priority order: stable markets favour the LMSR price
resolution, crisis favours the Hedge register, volatile favours prospect valuation, trending
shares between LMSR and Hedge (seeds: "priority: high_in_crisis" for hedge, "high" for LMSR).
"""

from __future__ import annotations

from functools import lru_cache

from qar_qiskit.config import FIXED_REGISTER_QUBITS, MIN_BUFFER_QUBITS, REGIMES, QARConfig
from qar_qiskit.errors import ConfigError
from qar_qiskit.plan.allocation import AllocationPlan

#: Order in which spare algorithm qubits are handed out, per regime (cycled).
PRIORITY: dict[str, tuple[str, ...]] = {
    "stable": ("lmsr", "lmsr", "prospect", "hedge"),
    "trending": ("lmsr", "hedge", "prospect"),
    "volatile": ("prospect", "hedge", "lmsr"),
    "crisis": ("hedge", "hedge", "prospect", "lmsr"),
}


def plan_for_regime(config: QARConfig, regime: str) -> AllocationPlan:
    """The allocation plan for ``regime`` under ``config``'s budget and ranges.

    Raises:
        ConfigError: unknown regime, or ranges that leave no valid plan.
    """
    if regime not in REGIMES:
        raise ConfigError(f"regime: unknown regime {regime!r}; expected one of {', '.join(REGIMES)}")
    return _plan(config, regime)


def all_plans(config: QARConfig) -> dict[str, AllocationPlan]:
    """Plans for the four regimes."""
    return {r: plan_for_regime(config, r) for r in REGIMES}


@lru_cache(maxsize=64)
def _plan(config: QARConfig, regime: str) -> AllocationPlan:
    ranges = config.resource_allocation.dynamic_ranges
    algos = config.algorithms
    total = config.quantum_resources.total_qubits
    fixed = {**FIXED_REGISTER_QUBITS, "buffer": max(MIN_BUFFER_QUBITS, ranges.entanglement_buffer.min)}
    budget = total - sum(fixed.values())
    pool = min(budget, ranges.algorithm_pool.max)
    if pool < ranges.algorithm_pool.min:
        raise ConfigError(
            f"resource_allocation.dynamic_ranges.algorithm_pool: only {pool} qubits left for the "
            f"algorithms, below the minimum {ranges.algorithm_pool.min}"
        )
    sizes = {name: getattr(algos, name).min_qubits for name in ("lmsr", "prospect", "hedge")}
    spare = pool - sum(sizes.values())
    order = PRIORITY[regime]
    step = 0
    while spare > 0:
        grown = False
        for _ in range(len(order)):
            name = order[step % len(order)]
            step += 1
            if sizes[name] < getattr(algos, name).max_qubits:
                sizes[name] += 1
                spare -= 1
                grown = True
                break
        if not grown:
            break  # every algorithm is at its maximum
    return AllocationPlan(regime=regime, **fixed, **sizes)
