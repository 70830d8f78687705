"""The decision-model twin: hand-computable cases and an independent brute-force sum."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from qar_qiskit.circuits.inputs import TickInputs
from qar_qiskit.classical.decision import (
    ACTIONS,
    EXPERTS,
    RISKS,
    SIZES,
    component_marginals,
    decision_distribution,
    decode_decision,
    encode_decision,
    expert_outputs,
    size_risk_angles,
)
from qar_qiskit.classical.lmsr import bin_centers
from qar_qiskit.errors import InputError
from qar_qiskit.plan.allocation import AllocationPlan


def _inputs(**over) -> TickInputs:
    rng = np.random.default_rng(over.pop("seed", 0))
    base = dict(
        regime_probabilities=rng.dirichlet(np.ones(4)),
        regime_phases=np.zeros(4),
        memory_weights=rng.dirichlet(np.ones(4), size=4),
        lmsr_probabilities=rng.dirichlet(np.ones(16)),
        prospect_outcomes=bin_centers(3, 0.05),
        prospect_probabilities=rng.dirichlet(np.ones(8)),
        hedge_weights=rng.dirichlet(np.ones(8)),
        size_risk_angles=rng.uniform(0, np.pi, (4, 3)),
        feedback_angles=rng.uniform(-1, 1, (4, 3)),
    )
    base.update(over)
    return TickInputs(**base)


def test_names_and_decode():
    assert ACTIONS == ("sell", "hold", "buy", "hedge")
    assert SIZES == ("small", "medium", "large", "max")
    assert RISKS == ("conservative", "aggressive")
    assert EXPERTS == ("lmsr", "prospect", "hedge", "abstain")
    assert decode_decision(2 + 4 * 3 + 16) == ("buy", "max", "aggressive")
    assert decode_decision(1) == ("hold", "small", "conservative")
    assert all(encode_decision(*decode_decision(d)) == d for d in range(32))
    with pytest.raises(InputError):
        decode_decision(32)


def test_abstain_with_zero_angles_is_hold_small_conservative():
    inp = _inputs(memory_weights=np.tile([0, 0, 0, 1.0], (4, 1)), size_risk_angles=np.zeros((4, 3)),
                  feedback_angles=np.zeros((4, 3)))
    p = decision_distribution(inp)
    assert p[1] == pytest.approx(1.0)


def test_pi_angles_give_max_aggressive():
    inp = _inputs(memory_weights=np.tile([0, 0, 0, 1.0], (4, 1)), size_risk_angles=np.full((4, 3), np.pi),
                  feedback_angles=np.zeros((4, 3)))
    assert decision_distribution(inp)[1 + 4 * 3 + 16] == pytest.approx(1.0)


def test_lmsr_expert_buys_with_p_up():
    lm = np.zeros(16)
    lm[[2, 12]] = [0.3, 0.7]  # bins 8..15 are up bins
    inp = _inputs(memory_weights=np.tile([1.0, 0, 0, 0], (4, 1)), lmsr_probabilities=lm)
    p = decision_distribution(inp).reshape(8, 4).sum(axis=0)  # action marginal
    assert np.allclose(p, [0.3, 0.0, 0.7, 0.0])
    assert expert_outputs(inp)["p_up"] == pytest.approx(0.7)


def test_hedge_expert_and_expected_ratio():
    w = np.zeros(8)
    w[[1, 6]] = [0.25, 0.75]  # ratios 1/7 and 6/7
    inp = _inputs(memory_weights=np.tile([0, 0, 1.0, 0], (4, 1)), hedge_weights=w)
    out = expert_outputs(inp)
    assert out["p_hedge"] == pytest.approx(0.75)
    assert out["expected_hedge_ratio"] == pytest.approx(0.25 / 7 + 0.75 * 6 / 7)
    p = decision_distribution(inp).reshape(8, 4).sum(axis=0)
    assert np.allclose(p, [0.0, 0.25, 0.0, 0.75])


def test_prospect_symmetric_bet_is_negative_by_loss_aversion():
    # +-1% with probability 1/2: v(0.01) = 0.01^0.88, v(-0.01) = -2.25 * 0.01^0.88; w+ = w- at 1/2? no:
    # pi+ = w(0.5; 0.61), pi- = w(0.5; 0.69) (Tversky & Kahneman 1992)
    def w(p, c):
        return p**c / (p**c + (1 - p) ** c) ** (1 / c)

    x = np.array([-0.01, 0.01])
    inp = _inputs(prospect_outcomes=x, prospect_probabilities=[0.5, 0.5])
    out = expert_outputs(inp)
    vp, vm = 0.01**0.88, -2.25 * 0.01**0.88
    big_v = w(0.5, 0.61) * vp + w(0.5, 0.69) * vm
    assert out["cpt_value"] == pytest.approx(big_v, rel=1e-12)
    pi_sum = w(0.5, 0.61) + w(0.5, 0.69)
    assert out["u"] == pytest.approx(0.5 + big_v / (2 * abs(vm) * pi_sum), rel=1e-12)
    assert out["u"] < 0.5


def test_size_risk_rule():
    w = np.zeros(4)
    w[3] = 1.0  # E[h] = 1
    beta = size_risk_angles(0.6, 0.45, w, edge_gain=4.0)
    p = np.sin(beta / 2) ** 2
    assert np.allclose(p[0], [0.8, 0.8, 0.8])          # s = min(1, 4*0.2)
    assert np.allclose(p[1], [0.4, 0.4, 0.45])         # s = 4*0.1, k = u
    assert np.allclose(p[2], [1.0, 1.0, 0.0])          # E[h] = 1
    assert np.allclose(p[3], 0.0)
    assert np.allclose(np.sin(size_risk_angles(0.9, 0.5, w)[0] / 2) ** 2, 1.0)  # capped at 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_decision_distribution_equals_brute_force(seed):
    inp = _inputs(seed=seed)
    out = expert_outputs(inp)
    p_a = {0: {0: 1 - out["p_up"], 2: out["p_up"]}, 1: {0: 1 - out["u"], 2: out["u"]},
           2: {1: 1 - out["p_hedge"], 3: out["p_hedge"]}, 3: {1: 1.0}}
    expected = np.zeros(32)
    for r, a in itertools.product(range(4), range(4)):
        for action, pa in p_a[a].items():
            for bits in itertools.product((0, 1), repeat=3):
                prob = inp.regime_probabilities[r] * inp.memory_weights[r, a] * pa
                for j, b in enumerate(bits):
                    q = np.sin((inp.size_risk_angles[a, j] + inp.feedback_angles[r, j]) / 2) ** 2
                    prob *= q if b else 1 - q
                expected[action + 4 * (bits[0] + 2 * bits[1]) + 16 * bits[2]] += prob
    assert np.allclose(decision_distribution(inp), expected, atol=1e-14)


@pytest.mark.parametrize("regime", ["stable", "trending", "volatile", "crisis"])
def test_component_marginals(regime):
    plan = AllocationPlan(regime=regime, lmsr=4, prospect=4, hedge=3, buffer=3)
    inp = _inputs(seed=4)
    m = component_marginals(inp, plan)
    sizes = {"market": 16, "memory": 4, "lmsr": 16, "prospect": 16, "hedge": 8, "decision": 32, "buffer": 8}
    for name, n in sizes.items():
        assert m[name].shape == (n,) and m[name].sum() == pytest.approx(1.0) and np.all(m[name] >= -1e-15)
    assert np.allclose(m["market"][[0, 3, 5, 15]], inp.regime_probabilities)
    out = expert_outputs(inp)
    assert m["prospect"][8:].sum() == pytest.approx(out["u"])
    L, A, H = out["p_up"], out["u"], out["p_hedge"]
    xor = lambda p, q: p * (1 - q) + (1 - p) * q  # noqa: E731
    if regime == "stable":
        assert m["buffer"][1] == pytest.approx(xor(L, A)) and m["buffer"][[2, 3, 4, 5, 6, 7]].sum() == 0
    elif regime == "trending":
        assert m["buffer"][1] == pytest.approx(xor(L, H))
    elif regime == "volatile":
        assert m["buffer"][[1, 3]].sum() == pytest.approx(xor(L, A))
        assert m["buffer"][[2, 3]].sum() == pytest.approx(xor(A, H))
    else:
        p_risk = m["decision"][16:].sum()
        assert m["buffer"][7] == pytest.approx(p_risk) and m["buffer"][0] == pytest.approx(1 - p_risk)
    with pytest.raises(InputError, match="hedge_weights"):
        component_marginals(inp, plan.model_copy(update={"hedge": 4}))


@pytest.mark.parametrize(
    "field,value",
    [
        ("regime_probabilities", [0.5, 0.5, 0.5, 0.5]),
        ("regime_probabilities", [1.0, 0.0, 0.0]),
        ("memory_weights", np.full((4, 4), 0.3)),
        ("lmsr_probabilities", np.full(3, 1 / 3)),
        ("hedge_weights", [np.nan, 1.0]),
        ("size_risk_angles", np.zeros((3, 4))),
        ("feedback_angles", np.full((4, 3), np.inf)),
        ("prospect_outcomes", bin_centers(2, 0.05)),
    ],
)
def test_tick_inputs_validation_names_the_field(field, value):
    with pytest.raises(InputError, match=field):
        _inputs(**{field: value})


def test_tick_inputs_are_read_only():
    inp = _inputs()
    with pytest.raises(ValueError):
        inp.memory_weights[0, 0] = 1.0
    assert (inp.n_lmsr, inp.n_prospect, inp.n_hedge) == (4, 4, 3)
