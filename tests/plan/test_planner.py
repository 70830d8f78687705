import pytest

from qar_qiskit.config import REGIMES, QuantumResources, load_config
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
        # fixed-width registers: market codes 4 bits, memory selects 1 of 4 experts, decision 2+2+1
        assert (plan.market, plan.memory, plan.decision) == (4, 2, 5)
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
    # 22 qubits - market 4 - memory 2 - decision 5 - buffer 2 = 9 for a pool whose minimum is 10:
    # the config check refuses it, naming the budget and the smallest plan (13 + 10 = 23 qubits) ...
    with pytest.raises(ConfigError, match=r"total_qubits: 22 cannot hold the smallest plan .*\(23 qubits\)"):
        load_config(overrides={"quantum_resources": {"total_qubits": 22}})
    # ... and the planner refuses it too when a config skipped validation (model_copy does)
    cfg = load_config()
    small = cfg.model_copy(update={"quantum_resources": QuantumResources.model_construct(total_qubits=22)})
    with pytest.raises(ConfigError, match="algorithm_pool: only 9 qubits"):
        plan_for_regime(small, "stable")


def test_unknown_regime():
    with pytest.raises(ConfigError, match="unknown regime"):
        plan_for_regime(load_config(), "euphoric")
    assert set(REGIMES) == {"stable", "trending", "volatile", "crisis"}


def test_spare_qubits_follow_the_configs_priority_order():
    # default order (volatile: prospect, hedge, lmsr) vs one that names lmsr alone: the pool is
    # 25 - market 4 - memory 2 - decision 5 - buffer 2 = 12 qubits, each expert starts at its
    # minimum (lmsr 3, prospect 4, hedge 3) and the 2 spare qubits go one at a time in the order
    default = plan_for_regime(load_config(), "volatile")
    assert (default.lmsr, default.prospect, default.hedge) == (3, 4 + 1, 3 + 1)
    cfg = load_config(overrides={"resource_allocation": {"priority": {"volatile": ["lmsr"]}}})
    plan = plan_for_regime(cfg, "volatile")
    # the cycle is lmsr, then the experts not named in set order (prospect, hedge): one spare
    # qubit each to lmsr and prospect
    assert (plan.lmsr, plan.prospect, plan.hedge) == (3 + 1, 4 + 1, 3)
    assert plan.total == default.total


def test_priority_is_validated_and_the_seed_words_are_refused_by_name(tmp_path):
    with pytest.raises(ConfigError, match="priority"):
        load_config(overrides={"resource_allocation": {"priority": {"stable": []}}})
    with pytest.raises(ConfigError, match="priority"):
        load_config(overrides={"resource_allocation": {"priority": {"stable": ["not a name"]}}})
    old = tmp_path / "old.yaml"
    old.write_text("algorithms:\n  hedge:\n    priority: high_in_crisis\n")
    with pytest.raises(ConfigError, match=r"algorithms\.hedge\.priority: this setting was removed"):
        load_config(old)


def test_minimums_above_the_pool_the_budget_leaves_are_refused_at_load():
    # 25 - (4 + 2 + 5 + 2) = 12 qubits for the algorithms; minimums 6 + 4 + 3 = 13 cannot fit
    # (the planner used to build a 26-qubit plan for a 25-qubit budget here)
    with pytest.raises(ConfigError, match=r"minimums need 13 qubits, above the 12"):
        load_config(overrides={"algorithms": {"lmsr": {"min_qubits": 6}}})


# -- every expert register is capped, in every expert set ---------------------------------------

def test_every_expert_register_is_capped_in_any_set():
    """Before, only the config's check of the built-in set held the cap: hedge alone with abstain
    got 13 qubits (the whole pool), lmsr alone 12."""
    from qar_qiskit.experts import register_expert
    from qar_qiskit.limits import MAX_REGISTER_QUBITS
    from tests.experts.plugins import ReversionExpert

    cfg = load_config()
    wide = register_expert(ReversionExpert(name="wide12", min_qubits=1, max_qubits=12))
    for names, expert in ((["hedge", "abstain"], "hedge"), (["lmsr", "abstain"], "lmsr"),
                          ([wide, "abstain"], "wide12")):
        for regime in REGIMES:
            assert plan_for_regime(cfg, regime, names).expert_sizes()[expert] == MAX_REGISTER_QUBITS == 9


def test_a_minimum_above_the_cap_is_refused_naming_the_setting():
    from qar_qiskit.experts import register_expert
    from tests.experts.plugins import ReversionExpert

    big = register_expert(ReversionExpert(name="wide10", min_qubits=10, max_qubits=10))
    with pytest.raises(ConfigError, match=r"^wide10\.min_qubits: wide10 needs at least 10 qubits, above the 9 a plan "
                                          r"gives one expert register"):
        plan_for_regime(load_config(), "stable", [big, "abstain"])
