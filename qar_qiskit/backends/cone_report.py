"""Light-cone statistics of every plan of a config on a device (``qar circuits stats``, the benchmark).

Above the executors: it builds the executor a spec names (its pass manager, seed and layout
trials) and reads the cones of the ISA circuit that executor would run, through
:mod:`qar_qiskit.backends.lightcone` (which stays below the executors).
"""

from __future__ import annotations

from qar_qiskit.backends.lightcone import circuit_stats
from qar_qiskit.backends.registry import make_executor
from qar_qiskit.circuits.composer import compose_tick_circuit
from qar_qiskit.errors import BackendError
from qar_qiskit.plan.planner import all_plans, plan_for_regime

__all__ = ["plan_stats", "stats_table"]



def plan_stats(config, backend: str, *, regime: str | None = None, optimization_level: int = 3,
               method: str = "causal") -> list[dict]:
    """Cone statistics of every regime's plan (or one regime's) transpiled for ``backend``.

    Args:
        config: a :class:`~qar_qiskit.config.QARConfig`.
        backend: an executor spec with a device target (``aer-noisy:FakeFez``, ``ibm:ibm_fez``);
            the ISA circuit is the one that executor would run (its pass manager and seed).
        regime: one regime, or ``None`` for all four.
        optimization_level: the preset pass manager's level.
        method: ``"causal"`` or ``"commutation"`` (see :func:`~qar_qiskit.backends.lightcone.register_cone`).

    Returns:
        One JSON-ready row per plan: backend, regime, plan sizes, ``registers`` (name ->
        :meth:`ConeStats.as_dict`) and ``circuit`` (the whole circuit's).

    Raises:
        BackendError: a backend without a device target (``aer``, ``exact``).
        ConfigError: an unknown regime.
    """
    executor = make_executor(backend, optimization_level=optimization_level)
    target = None if executor.is_exact else executor.device_target()
    if target is None:
        raise BackendError(f"backend: {backend!r} has no device target to take error rates from; "
                           "use aer-noisy:<FakeDevice> or ibm:<name>")
    plans = {regime: plan_for_regime(config, regime)} if regime else all_plans(config)
    rows = []
    for name, plan in plans.items():
        isa = executor.transpile_uncached(compose_tick_circuit(plan), optimization_level)
        stats = circuit_stats(isa, target, method=method)
        whole = stats.pop("*")
        rows.append({"backend": executor.name, "regime": name, "optimization_level": optimization_level,
                     "cone": method, "plan": plan.sizes(), "plan_qubits": plan.total,
                     "registers": {k: v.as_dict() for k, v in stats.items()}, "circuit": whole.as_dict()})
    return rows


def stats_table(rows: list[dict]) -> str:
    """The rows of :func:`plan_stats` as a readable text table."""
    lines = []
    for row in rows:
        sizes = ", ".join(f"{k} {v}" for k, v in row["plan"].items() if v)
        lines.append(f"{row['backend']}  plan {row['regime']} ({row['plan_qubits']} qubits: {sizes}), "
                     f"optimization level {row['optimization_level']}, {row['cone']} light cones")
        lines.append(f"  {'register':<10}{'qubits':>7}{'2q gates':>10}{'depth':>7}{'ESP':>8}")
        for name, s in [*row["registers"].items(), ("circuit", row["circuit"])]:
            lines.append(f"  {name:<10}{s['qubits']:>7}{s['two_qubit_gates']:>10}{s['depth']:>7}{s['esp']:>8.3f}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
