import pytest

from qar_qiskit.config import REGIMES, load_config
from qar_qiskit.errors import ConfigError
from qar_qiskit.plan.planner import all_plans, plan_for_regime


def test_plans_fit_budget_and_ranges():
    cfg = load_config()
    r = cfg.resource_allocation.dynamic_ranges
    for regime, plan in all_plans(cfg).items():
        assert plan.regime == regime
        assert plan.total <= cfg.quantum_resources.total_qubits
        algos = plan.lmsr + plan.prospect + plan.hedge
        assert r.algorithm_pool.min <= algos <= r.algorithm_pool.max
        assert r.qar_core.min <= plan.decision <= r.qar_core.max
        assert r.working_memory.min <= plan.market <= r.working_memory.max
        assert r.learning_state.min <= plan.memory <= r.learning_state.max
        assert r.entanglement_buffer.min <= plan.buffer <= r.entanglement_buffer.max
        for name in ("lmsr", "prospect", "hedge"):
            c = getattr(cfg.algorithms, name)
            assert c.min_qubits <= getattr(plan, name) <= c.max_qubits


def test_regime_preferences_from_the_seeds():
    plans = all_plans(load_config())
    assert plans["crisis"].hedge > plans["stable"].hedge
    assert plans["stable"].lmsr > plans["crisis"].lmsr
    assert plans["stable"].lmsr == max(p.lmsr for p in plans.values())
    assert plans["crisis"].hedge == max(p.hedge for p in plans.values())


def test_offsets_are_contiguous_and_disjoint():
    plan = plan_for_regime(load_config(), "volatile")
    offsets, sizes = plan.offsets(), plan.sizes()
    covered = [i for name in sizes for i in range(offsets[name], offsets[name] + sizes[name])]
    assert covered == list(range(plan.total))


def test_budget_too_small_for_pool():
    # The config check counts range minimums (working_memory 3 here); the planner knows the
    # market register needs 4 qubits, so it finds only 9 for a pool whose minimum is 10.
    cfg = load_config(overrides={"quantum_resources": {"total_qubits": 22},
                                 "resource_allocation": {"dynamic_ranges": {"working_memory": [3, 6]}}})
    with pytest.raises(ConfigError, match="algorithm_pool: only 9 qubits"):
        plan_for_regime(cfg, "stable")
    with pytest.raises(ConfigError, match="total_qubits"):
        load_config(overrides={"quantum_resources": {"total_qubits": 22}})


def test_unknown_regime():
    with pytest.raises(ConfigError, match="unknown regime"):
        plan_for_regime(load_config(), "euphoric")
    assert set(REGIMES) == {"stable", "trending", "volatile", "crisis"}
