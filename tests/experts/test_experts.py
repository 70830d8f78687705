"""The expert contract: built-ins and plug-ins against their twins, sets of 2..5 experts composed
and compared with the decision twin to 1e-9, planner, persistence and baselines over the set."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from qiskit.quantum_info import Statevector

from qar_qiskit.circuits.composer import compose_tick_circuit
from qar_qiskit.circuits.decision import consistent_codes
from qar_qiskit.circuits.inputs import TickInputs
from qar_qiskit.circuits.stages import split_at_read
from qar_qiskit.classical.decision import component_marginals, decision_distribution
from qar_qiskit.classical.lmsr import bin_centers, lmsr_prices
from qar_qiskit.config import load_config
from qar_qiskit.errors import ConfigError, InputError, StateError
from qar_qiskit.experts import (
    BUILTINS,
    AbstainExpert,
    Expert,
    HedgeExpert,
    LMSRExpert,
    ProspectExpert,
    register_expert,
    resolve_experts,
)
from qar_qiskit.experts.parameters import fragment_values
from qar_qiskit.plan.allocation import AllocationPlan
from qar_qiskit.plan.planner import plan_for_regime
from tests.experts.plugins import GuardExpert, ReversionExpert

REVERSION, GUARD = register_expert(ReversionExpert()), register_expert(GuardExpert())
ACTIONS = ("sell", "hold", "buy", "hedge")


def _data(expert, n, rng):
    """Random valid data for an expert with an n-qubit register."""
    if isinstance(expert, LMSRExpert):
        return lmsr_prices(rng.normal(0, 2, 1 << n), 1.0)
    if isinstance(expert, ProspectExpert):
        return bin_centers(n - 1, 0.05), lmsr_prices(rng.normal(0, 2, 1 << (n - 1)), 1.0), None
    if isinstance(expert, HedgeExpert):
        return rng.dirichlet(np.ones(1 << n))
    return expert.inputs(rng.normal(0.0, 0.02, 30), n, None)


def _inputs(rng, plan, experts) -> TickInputs:
    widths = plan.expert_sizes()
    fields: dict = {"expert_data": {}}
    for e in experts.with_register:
        for k, v in e.fields(_data(e, widths[e.name], rng)).items():
            fields["expert_data"].update(v) if k == "expert_data" else fields.__setitem__(k, v)
    return TickInputs(regime_probabilities=rng.dirichlet(np.ones(4)), regime_phases=rng.uniform(-1, 1, 4),
                      memory_weights=rng.dirichlet(np.ones(experts.n), size=4),
                      size_risk_angles=rng.uniform(0, np.pi, (experts.n, 3)),
                      feedback_angles=rng.uniform(-1, 1, (4, 3)), experts=experts, **fields)


def _plan(experts, regime, sizes) -> AllocationPlan:
    builtin = {k: v for k, v in sizes.items() if k in ("lmsr", "prospect", "hedge")}
    plugins = tuple((e.name, sizes.get(e.name, 0)) for e in experts if e.name not in
                    ("lmsr", "prospect", "hedge", "abstain"))
    return AllocationPlan(regime=regime, memory=experts.memory_qubits, buffer=2, experts=experts.names,
                          plugin_qubits=plugins, **builtin)


# -- the contract ----------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,field", [
    ({"name": "decision"}, "name"), ({"name": "9x"}, "name"), ({"side": "short"}, "side"),
    ({"prior": (1, 1, 0, 1)}, "prior"), ({"min_qubits": 0, "max_qubits": 2}, "min_qubits"),
    ({"min_qubits": 3, "max_qubits": 2}, "min_qubits"),
])
def test_bad_expert_fields_are_refused_naming_them(kwargs, field):
    with pytest.raises(InputError, match=field):
        ReversionExpert(**kwargs)


def test_contract_is_abstract_and_names_are_unique():
    with pytest.raises(TypeError):
        Expert("x")  # abstract methods
    with pytest.raises(InputError, match="taken"):
        register_expert(ReversionExpert(lookback=3))
    assert register_expert(ReversionExpert()) is not None  # an equal expert: fine
    with pytest.raises(InputError, match="unknown expert 'nobody'"):
        resolve_experts(["lmsr", "nobody"])
    with pytest.raises(InputError, match="distinct"):
        resolve_experts(["lmsr", "lmsr"])


@pytest.mark.parametrize("expert,n", [(LMSRExpert(), 1), (LMSRExpert(), 3), (ProspectExpert(), 2),
                                      (ProspectExpert(), 4), (HedgeExpert(), 2), (HedgeExpert(), 3),
                                      (REVERSION, 1), (REVERSION, 3), (GUARD, 1)])
def test_fragment_equals_twin_and_read_qubit_set_by_first_gate(expert, n):
    rng = np.random.default_rng(n)
    data = _data(expert, n, rng)
    qc = expert.circuit(n)
    sv = Statevector(qc.assign_parameters(dict(zip(qc.parameters, fragment_values(expert, data, qc.parameters)))))
    twin = expert.twin(data)
    assert np.allclose(sv.probabilities(), twin, atol=1e-9)
    read = expert.read_qubit(n)
    assert expert.p_read(data) == pytest.approx(sv.probabilities([read])[1], abs=1e-9)
    head, tail = split_at_read(qc, [read])
    assert len(head.data) == 1  # the decision's light cone holds one gate of the fragment
    out = expert.read(sv.probabilities())
    assert out["p_read"] == pytest.approx(expert.p_read(data), abs=1e-9)


# -- composed sets against the decision twin ----------------------------------------------------

SETS = {
    "five": (("lmsr", "prospect", "hedge", "abstain", "reversion"), {"lmsr": 1, "prospect": 2, "hedge": 1,
                                                                       "reversion": 2}),
    "permuted_builtins": (("hedge", "lmsr", "prospect", "abstain"), {"lmsr": 1, "prospect": 2, "hedge": 1}),
    "three": (("lmsr", "guard", "reversion"), {"lmsr": 2, "guard": 1, "reversion": 1}),
    "two": (("reversion", "abstain"), {"reversion": 2}),
}


@pytest.mark.parametrize("key,regime", [(k, r) for k, r in zip(SETS, ("stable", "volatile", "trending", "crisis"))])
def test_composed_set_equals_twin(key, regime):
    names, sizes = SETS[key]
    experts = resolve_experts(names)
    plan = _plan(experts, regime, sizes)
    assert plan.memory == max(1, int(np.ceil(np.log2(len(names)))))
    rng = np.random.default_rng(len(names))
    inputs = _inputs(rng, plan, experts)
    tick = compose_tick_circuit(plan)
    assert plan.total <= 20
    sv = Statevector(tick.bind(inputs, measured=False))
    twin = component_marginals(inputs, plan)
    for name in plan.sizes():
        assert np.allclose(sv.probabilities(list(tick.qubits[name])), twin[name], atol=1e-9), name
    # every (memory, decision) outcome with mass is one the consistency post-selection keeps
    joint = sv.probabilities([*tick.qubits["memory"], *tick.qubits["decision"]])
    allowed = np.zeros(joint.size, dtype=bool)
    allowed[list(consistent_codes(experts))] = True
    assert joint[~allowed].sum() < 1e-12


@pytest.mark.parametrize("key", list(SETS))
def test_decision_twin_equals_brute_force(key):
    """P(d) summed by hand from the rule: side picks (action_lo), read bit picks buy/sell or hedge/hold."""
    experts = resolve_experts(SETS[key][0])
    plan = _plan(experts, "stable", SETS[key][1])
    inputs = _inputs(np.random.default_rng(3), plan, experts)
    expected = np.zeros(32)
    for r, (a, e) in itertools.product(range(4), enumerate(experts)):
        p = e.p_read(e.data(inputs)) if e.has_register else 0.0
        lo = 0 if e.side == "trade" else 1
        for hi, pa in ((0, 1 - p), (1, p)):
            for bits in itertools.product((0, 1), repeat=3):
                prob = inputs.regime_probabilities[r] * inputs.memory_weights[r, a] * pa
                for j, b in enumerate(bits):
                    q = np.sin((inputs.size_risk_angles[a, j] + inputs.feedback_angles[r, j]) / 2) ** 2
                    prob *= q if b else 1 - q
                expected[lo + 2 * hi + 4 * (bits[0] + 2 * bits[1]) + 16 * bits[2]] += prob
    assert np.allclose(decision_distribution(inputs), expected, atol=1e-14)


def test_consistent_codes_of_the_builtins():
    # action_lo = mem1 and abstain (memory |11>) never sets action_hi: 56 of 128 joint codes
    rule = {m + 4 * d for m in range(4) for d in range(32) if (d & 1) == (m >> 1) and not (m == 3 and d & 2)}
    assert set(consistent_codes()) == rule and len(rule) == 56


def test_tick_inputs_name_the_expert():
    experts = resolve_experts(SETS["five"][0])
    plan = _plan(experts, "stable", SETS["five"][1])
    good = _inputs(np.random.default_rng(0), plan, experts)
    fields = {f: getattr(good, f) for f in ("regime_probabilities", "regime_phases", "memory_weights",
                                             "size_risk_angles", "feedback_angles", "lmsr_probabilities",
                                             "prospect_outcomes", "prospect_probabilities", "hedge_weights")}
    with pytest.raises(InputError, match="reversion"):
        TickInputs(**fields, experts=experts)
    with pytest.raises(InputError, match="nobody"):
        TickInputs(**fields, experts=experts, expert_data={"reversion": np.ones(4) / 4, "nobody": 1})
    wrong = TickInputs(**fields, experts=experts, expert_data={"reversion": np.ones(8) / 8})
    with pytest.raises(InputError, match="reversion"):
        wrong.check_plan(plan)
    with pytest.raises(InputError, match="memory_weights"):
        TickInputs(**{**fields, "memory_weights": np.ones((4, 4)) / 4}, experts=experts,
                   expert_data={"reversion": np.ones(4) / 4})


# -- planner, QAR, persistence, baselines --------------------------------------------------------

def test_planner_over_sets():
    cfg = load_config()
    for names, memory in ((("lmsr", "abstain"), 1), (("lmsr", "prospect", "hedge"), 2),
                          (("lmsr", "prospect", "hedge", "abstain", "reversion"), 3)):
        for regime in ("stable", "crisis"):
            plan = plan_for_regime(cfg, regime, names)
            assert plan.memory == memory and plan.experts == names
            assert plan.total <= cfg.quantum_resources.total_qubits
            widths = plan.expert_sizes()
            for e in resolve_experts(names).with_register:
                lo, hi = e.qubit_range(cfg)
                assert lo <= widths[e.name] <= hi
    # the default set's plans are the ones the planner made before the expert contract
    assert {r: (p.lmsr, p.prospect, p.hedge) for r in ("stable", "trending", "volatile", "crisis")
            for p in [plan_for_regime(cfg, r)]} == {"stable": (5, 4, 3), "trending": (4, 4, 4),
                                                    "volatile": (3, 5, 4), "crisis": (3, 4, 5)}
    big = register_expert(ReversionExpert(name="wide", min_qubits=3, max_qubits=3))
    with pytest.raises(ConfigError, match="experts"):
        plan_for_regime(cfg, "stable", ["lmsr", "prospect", "hedge", "abstain", big])


def _run(qar, n=6):
    rng = np.random.default_rng(5)
    returns = list(rng.normal(0.0005, 0.01, 40))
    for i in range(n):
        d = qar.decide({"price": 100.0 + i, "volatility": 0.15, "trend_clarity": 0.5, "volume_normalized": 1.0},
                       returns_history=returns[: 30 + i])
        qar.record_outcome(d.decision_id, pnl=0.001 * d.position, market_return=returns[30 + i])
    return d


def test_qar_with_five_experts_learns_and_saves(tmp_path):
    from qar_qiskit import QAR

    five = SETS["five"][0]
    qar = QAR(backend="exact", seed=3, experts=[*five[:4], REVERSION])
    d = _run(qar)
    assert qar.memory.weights.shape == (4, 5) and qar.memory.updates == 6
    assert set(d.expert_positions) == set(five) and qar.synergy.co_success.shape == (4, 4)
    best = int(np.argmax(d.distribution["exact"]))  # the exact backend decides the twin's mode
    assert (d.action, d.size, d.risk) == (ACTIONS[best & 3], ("small", "medium", "large", "max")[(best >> 2) & 3],
                                          ("conservative", "aggressive")[best >> 4])
    path = qar.save(tmp_path / "five.json")
    assert json.loads(path.read_text())["payload"]["experts"] == list(five)
    again = QAR.load(path)  # the config names the set; reversion is registered in this process
    assert again.experts.names == five and np.array_equal(again.memory.weights, qar.memory.weights)
    with pytest.raises(StateError, match=r"saved with experts \['lmsr', 'prospect', 'hedge', 'abstain', 'reversion'\]"):
        QAR.load(path, experts=["lmsr", "prospect", "hedge", "abstain"])
    default = QAR(backend="exact", seed=3)
    _run(default, 2)
    old = default.save(tmp_path / "old.json")
    with pytest.raises(StateError, match="this QAR has"):
        QAR.load(old, experts=[*five[:4], REVERSION])


def test_state_from_before_experts_were_recorded_loads_as_builtins(tmp_path):
    from qar_qiskit import QAR
    from qar_qiskit.system.persistence import _checksum

    qar = QAR(backend="exact", seed=3)
    _run(qar, 2)
    path = qar.save(tmp_path / "s.json")
    doc = json.loads(path.read_text())
    del doc["payload"]["experts"]
    doc["checksum"] = _checksum(doc["payload"])
    path.write_text(json.dumps(doc))
    assert QAR.load(path).experts.names == ("lmsr", "prospect", "hedge", "abstain")
    with pytest.raises(StateError, match="saved with experts"):
        QAR.load(path, experts=["lmsr", "abstain"])


def test_expert_alone_baselines_follow_the_set():
    from qar_qiskit.backtest.baselines import independent_baselines

    cfg = load_config().model_copy(update={"experts": ("lmsr", "guard", "abstain")})
    out = independent_baselines(cfg, 1, lambda q: (q.experts.names, q.memory.weights))
    assert set(out) == {"exact_twin", "expert_lmsr", "expert_guard", "expert_abstain"}
    names, w = out["expert_guard"]
    assert names == ("lmsr", "guard", "abstain") and np.array_equal(w, np.tile([0.0, 1.0, 0.0], (4, 1)))


def test_builtins_are_the_default_set():
    assert resolve_experts(None).experts == BUILTINS
    assert isinstance(BUILTINS[3], AbstainExpert) and not BUILTINS[3].has_register
