"""Pre-deployment system checks (the seeds' deployment checklist), each PASS or FAIL."""

from __future__ import annotations

import numpy as np


def expert_checks(config) -> list[tuple[str, bool, str]]:
    """``("expert <name>", passed, detail)`` per expert with a register of the config's set: its
    fragment against its twin for every width the config's plans give it
    (:func:`qar_qiskit.experts.verify.check_experts`, the check a QAR runs when it resolves the set)."""
    from qar_qiskit.experts.registry import import_expert_modules, resolve_experts
    from qar_qiskit.experts.verify import check_experts

    try:
        import_expert_modules(config)
        experts = resolve_experts(config.experts)
    except Exception as exc:  # unknown name, unimportable module: one FAIL naming it
        return [("experts", False, f"{type(exc).__name__}: {exc}")]
    return [(f"expert {name}", ok, detail) for name, ok, detail in check_experts(experts, config)]


def run_checks(config_path=None, backend: str | None = None) -> list[tuple[str, bool, str]]:
    """Run every check; never raises for a failing check (it is reported as FAIL)."""
    from qar_qiskit.classical.decision import decision_distribution
    from qar_qiskit.config import load_config
    from qar_qiskit.system.qar import QAR
    from qar_qiskit.tick import MarketTick

    results: list[tuple[str, bool, str]] = []

    def run(name, fn):
        try:
            ok, detail = fn()
        except Exception as exc:  # a check that crashes is a FAIL with its reason
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        results.append((name, bool(ok), detail))

    state: dict = {}

    def config_check():
        state["config"] = load_config(config_path)
        return True, f"total_qubits={state['config'].quantum_resources.total_qubits}"

    run("config", config_check)
    if "config" not in state:
        return results
    results.extend(expert_checks(state["config"]))
    try:
        qar = QAR(state["config"], backend=backend)
    except Exception as exc:  # a failing expert (reported above) or backend: the rest cannot run
        results.append(("QAR", False, f"{type(exc).__name__}: {exc}"))
        return results

    def pool_check():
        from qar_qiskit.plan.pool import QubitPool

        pool = QubitPool(state["config"].quantum_resources.total_qubits)
        with pool.allocate(pool.total_qubits, "check"):
            pass
        problems = pool.check()
        return not problems, "; ".join(problems) or f"{pool.total_qubits} qubits allocate and return"

    def components_check():
        tick = MarketTick(price=100.0, volatility=0.15, trend_clarity=0.8)
        analysis = qar.analyse(tick)
        plan = qar.plan(analysis.dominant)
        inputs = qar.tick_inputs(tick, plan, analysis, np.array([0.001, -0.002, 0.003]))
        dist = decision_distribution(inputs)
        ok = abs(dist.sum() - 1) < 1e-9 and np.all(dist >= 0)
        return ok, f"plan {plan.total} qubits, decision distribution sums to {dist.sum():.12f}"

    def learning_check():
        before = qar.memory.weights.copy()
        d = qar.decide(MarketTick(price=100.0, volatility=0.15, trend_clarity=0.8))
        qar.record_outcome(d.decision_id, pnl=0.0, market_return=0.01)
        after = qar.memory.weights
        ok = np.allclose(after.sum(axis=1), 1) and not np.allclose(before, after)
        return ok, "memory weights updated and normalised" if ok else "memory did not update"

    def risk_check():
        rm = qar.config.risk_management
        stable = qar.decide(MarketTick(price=100.0, volatility=0.15, trend_clarity=0.8))
        sizes = [o.size for o in stable.orders]
        ok = all(s <= rm.max_position_size + 1e-12 for s in sizes)
        return ok, f"orders {sizes} within max_position_size {rm.max_position_size}"

    def backend_check():
        d = qar.decide(MarketTick(price=101.0, volatility=0.15, trend_clarity=0.8))
        ok = d.backend == qar.backend_name
        return ok, (f"{qar.backend_name}: decision from {d.backend}"
                    + (f" ({d.fallback_reason})" if d.fallback_reason else ""))

    run("qubit pool", pool_check)
    run("algorithm components", components_check)
    run("learning system", learning_check)
    run("risk limits", risk_check)
    run("backend connectivity", backend_check)
    return results
