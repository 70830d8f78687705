"""Per-regime allocation plans inside the configured ranges (seeds: dynamic resource allocation).

The fixed registers take what their encodings need (market 4, memory 2, decision 5:
``config.FIXED_REGISTER_QUBITS``; the buffer max(2, ``entanglement_buffer`` min)); the algorithm pool gets the rest \
of the budget, clamped to
``algorithm_pool`` [min, max]. Each algorithm starts at its own minimum and the spare qubits go
one at a time in a regime-specific priority order: stable markets favour the LMSR price
resolution, crisis favours the Hedge register, volatile favours prospect valuation, trending
shares between LMSR and Hedge (seeds: "priority: high_in_crisis" for hedge, "high" for LMSR).
Plug-in experts (``qar_qiskit.experts``) take their range from ``Expert.qubit_range`` and one
turn per round after the built-ins; an expert without a register (abstain) takes none. The
memory register has ``ceil(log2 n)`` qubits for ``n`` experts.

Every expert register, in every expert set, is capped at its own max and at
:data:`~qar_qiskit.limits.MAX_REGISTER_QUBITS` (9): before, only the config's check of the
built-in set held the cap, so ``QAR(experts=["hedge", "abstain"])`` planned a 13-qubit Hedge
register (the whole pool), and an aer decision with a 12-qubit LMSR ran > 600 s. Pool qubits
that no expert can take stay unused, as when every expert is at its max.
"""

from __future__ import annotations

from functools import lru_cache

from qar_qiskit.config import FIXED_REGISTER_QUBITS, MIN_BUFFER_QUBITS, REGIMES, QARConfig, smallest_total_qubits
from qar_qiskit.errors import ConfigError
from qar_qiskit.limits import MAX_REGISTER_QUBITS
from qar_qiskit.plan.allocation import BUILTIN_REGISTERS, AllocationPlan


def plan_for_regime(config: QARConfig, regime: str, experts=None) -> AllocationPlan:
    """The allocation plan for ``regime`` under ``config``'s budget and ranges.

    Args:
        config: the config.
        regime: the dominant regime.
        experts: an ``ExpertSet`` (or names/instances); None: the config's ``experts``.

    Raises:
        ConfigError: unknown regime, or ranges that leave no valid plan.
    """
    from qar_qiskit.experts.registry import config_experts

    if regime not in REGIMES:
        raise ConfigError(f"regime: unknown regime {regime!r}; expected one of {', '.join(REGIMES)}")
    return _plan(config, regime, config_experts(config, experts))


def all_plans(config: QARConfig, experts=None) -> dict[str, AllocationPlan]:
    """Plans for the four regimes."""
    return {r: plan_for_regime(config, r, experts) for r in REGIMES}


_BUILTIN = tuple(n for n, field in BUILTIN_REGISTERS.items() if field)


def _capped_range(expert, config) -> tuple[int, int]:
    """``(min, max)`` register qubits of ``expert``: its range (built-ins: ``algorithms.<name>``),
    the max capped at :data:`~qar_qiskit.limits.MAX_REGISTER_QUBITS` for every expert set.

    Raises:
        ConfigError: naming the setting, when its minimum is above the cap.
    """
    lo, hi = expert.qubit_range(config)
    if lo > MAX_REGISTER_QUBITS:
        raise ConfigError(
            f"{expert.range_setting()}.min_qubits: {expert.name} needs at least {lo} qubits, above the "
            f"{MAX_REGISTER_QUBITS} a plan gives one expert register (the circuit's size grows as 2^n)")
    return lo, min(hi, MAX_REGISTER_QUBITS)


@lru_cache(maxsize=64)
def _plan(config: QARConfig, regime: str, experts) -> AllocationPlan:
    ranges = config.resource_allocation.dynamic_ranges
    total = config.quantum_resources.total_qubits
    fixed = {**FIXED_REGISTER_QUBITS, "memory": experts.memory_qubits,
             "buffer": max(MIN_BUFFER_QUBITS, ranges.entanglement_buffer.min)}
    budget = total - sum(fixed.values())
    pool = min(budget, ranges.algorithm_pool.max)
    limits = {e.name: _capped_range(e, config) for e in experts.with_register}
    sizes = {name: lo for name, (lo, _) in limits.items()}
    need = sum(sizes.values())
    each = ", ".join(f"{n} {q}" for n, q in sizes.items())
    smallest = smallest_total_qubits(sum(fixed.values()), ranges.algorithm_pool.min, need)
    if need > ranges.algorithm_pool.max:
        raise ConfigError(f"experts: their minimum registers ({each}) need {need} qubits, above "
                          f"resource_allocation.dynamic_ranges.algorithm_pool max {ranges.algorithm_pool.max}; "
                          f"raise it to at least {need} and quantum_resources.total_qubits to at least {smallest}")
    if pool < ranges.algorithm_pool.min:
        raise ConfigError(f"resource_allocation.dynamic_ranges.algorithm_pool: only {pool} qubits left for the "
                          f"algorithms, below the minimum {ranges.algorithm_pool.min}; set "
                          f"quantum_resources.total_qubits to at least {smallest}")
    if need > pool:
        raise ConfigError(f"experts: their minimum registers ({each}) need {need} qubits, above the {pool} the "
                          f"algorithm pool has (the smaller of resource_allocation.dynamic_ranges.algorithm_pool "
                          f"max {ranges.algorithm_pool.max} and quantum_resources.total_qubits {total} less "
                          f"{sum(fixed.values())} for the fixed registers); set quantum_resources.total_qubits "
                          f"to at least {smallest}")
    spare = pool - need
    # resource_allocation.priority: the regime's order for the spare qubits (cycled); experts it
    # does not name come after it, in set order
    named = getattr(config.resource_allocation.priority, regime)
    order = [n for n in named if n in sizes] + [n for n in sizes if n not in named]
    step = 0
    while spare > 0 and order:
        grown = False
        for _ in range(len(order)):
            name = order[step % len(order)]
            step += 1
            if sizes[name] < limits[name][1]:
                sizes[name] += 1
                spare -= 1
                grown = True
                break
        if not grown:
            break  # every algorithm is at its maximum
    builtin = {n: sizes[n] for n in _BUILTIN if n in sizes}
    plugins = tuple((e.name, sizes.get(e.name, 0)) for e in experts if e.name not in BUILTIN_REGISTERS)
    return AllocationPlan(regime=regime, **fixed, **builtin, experts=experts.names, plugin_qubits=plugins)
