"""Tests of the CPT twin (Tversky & Kahneman 1992) against hand arithmetic."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from qar_qiskit.classical import (
    CPTParams,
    certainty_equivalent,
    cpt_decision_weights,
    cpt_value,
    cpt_weight,
    value_function,
)
from qar_qiskit.errors import InputError

GAMMA, DELTA, ALPHA, LAM = 0.61, 0.69, 0.88, 2.25


def _w_by_hand(p, c):
    """w(p) = p^c / (p^c + (1-p)^c)^(1/c), written out with exp/log only."""
    pc = math.exp(c * math.log(p))
    qc = math.exp(c * math.log(1.0 - p))
    return pc / math.exp(math.log(pc + qc) / c)


# --------------------------------------------------------------------------- parameters


def test_default_params_are_the_published_estimates():
    p = CPTParams()
    assert (p.alpha, p.beta, p.lam, p.gamma, p.delta) == (0.88, 0.88, 2.25, 0.61, 0.69)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.alpha = 0.5  # type: ignore[misc]


@pytest.mark.parametrize("field", ["alpha", "beta", "lam", "gamma", "delta"])
@pytest.mark.parametrize("bad", [0.0, -0.5, float("nan"), float("inf")])
def test_params_validation(field, bad):
    with pytest.raises(InputError, match=rf"^{field}\b"):
        CPTParams(**{field: bad})


# --------------------------------------------------------------------------- weighting function


def test_w_plus_half_closed_form():
    # w(1/2) = (1/2)^g / (2 (1/2)^g)^(1/g) = 2^(1 - g - 1/g)
    closed = 2.0 ** (1.0 - GAMMA - 1.0 / GAMMA)
    assert closed == pytest.approx(0.420639, abs=1e-6)
    assert cpt_weight(0.5, GAMMA) == pytest.approx(closed, rel=1e-14)


def test_w_plus_tenth_by_hand():
    # 0.1^0.61 = e^{0.61 ln 0.1} = 0.245471..., 0.9^0.61 = 0.937752... (40-digit decimal)
    a = math.exp(0.61 * math.log(0.1))
    c = math.exp(0.61 * math.log(0.9))
    assert a == pytest.approx(0.245471, abs=1e-6)
    assert c == pytest.approx(0.937752, abs=1e-6)
    by_hand = a / (a + c) ** (1.0 / 0.61)
    assert by_hand == pytest.approx(0.186303, abs=1e-6)
    assert cpt_weight(0.1, GAMMA) == pytest.approx(by_hand, rel=1e-13)


def test_w_minus_tenth_by_hand():
    # delta = 0.69: 0.1^0.69 = 0.204174..., 0.9^0.69 = 0.929881...; w-(0.1) = 0.170145
    a = math.exp(0.69 * math.log(0.1))
    c = math.exp(0.69 * math.log(0.9))
    assert a == pytest.approx(0.204174, abs=1e-6)
    assert c == pytest.approx(0.929881, abs=1e-6)
    by_hand = a / (a + c) ** (1.0 / 0.69)
    assert by_hand == pytest.approx(0.170145, abs=1e-6)
    assert cpt_weight(0.1, DELTA) == pytest.approx(by_hand, rel=1e-13)


def test_w_plus_hundredth():
    assert cpt_weight(0.01, GAMMA) == pytest.approx(0.05527, abs=1e-5)
    assert cpt_weight(0.01, GAMMA) == pytest.approx(_w_by_hand(0.01, GAMMA), rel=1e-13)


def test_w_vectorised_matches_hand_formula():
    ps = np.linspace(0.001, 0.999, 37)
    for c in (GAMMA, DELTA, 0.4, 1.0):
        got = cpt_weight(ps, c)
        assert isinstance(got, np.ndarray) and got.shape == ps.shape
        np.testing.assert_allclose(got, [_w_by_hand(p, c) for p in ps], rtol=1e-12)


def test_w_endpoints_exact_and_identity_at_c_one():
    for c in (GAMMA, DELTA, 0.3, 2.0):
        assert cpt_weight(0.0, c) == 0.0
        assert cpt_weight(1.0, c) == 1.0
    ps = np.linspace(0, 1, 11)
    np.testing.assert_allclose(cpt_weight(ps, 1.0), ps, atol=1e-15)


def test_w_inverse_s_shape_and_fixed_point():
    # overweights small and underweights large probabilities; crosses the diagonal once,
    # near p = 0.34 for gamma = 0.61
    assert cpt_weight(0.01, GAMMA) > 0.01
    assert cpt_weight(0.99, GAMMA) < 0.99
    assert _w_by_hand(0.33, GAMMA) > 0.33 and _w_by_hand(0.35, GAMMA) < 0.35
    assert cpt_weight(0.33, GAMMA) > 0.33 and cpt_weight(0.35, GAMMA) < 0.35
    # monotone for the published parameters
    ps = np.linspace(0, 1, 1001)
    assert np.all(np.diff(cpt_weight(ps, GAMMA)) > 0)
    assert np.all(np.diff(cpt_weight(ps, DELTA)) > 0)


# --------------------------------------------------------------------------- value function


def test_value_function_by_hand():
    assert value_function(1.0) == 1.0
    assert value_function(-1.0) == -2.25
    assert value_function(0.0) == 0.0
    assert value_function(100.0) == pytest.approx(10.0**1.76, rel=1e-13)  # 100^0.88
    assert value_function(-100.0) == pytest.approx(-2.25 * 10.0**1.76, rel=1e-13)
    out = value_function([4.0, -4.0])
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, [4.0**0.88, -2.25 * 4.0**0.88], rtol=1e-14)
    assert isinstance(value_function(2.0), float)


def test_value_function_custom_params_and_loss_aversion():
    p = CPTParams(alpha=0.5, beta=0.7, lam=3.0)
    assert value_function(9.0, p) == pytest.approx(3.0)
    assert value_function(-2.0, p) == pytest.approx(-3.0 * 2.0**0.7)
    xs = np.linspace(0.01, 5, 50)
    assert np.all(-value_function(-xs) > value_function(xs))  # losses loom larger


# --------------------------------------------------------------------------- decision weights


def test_rank_dependent_gain_weights_by_hand_in_input_order():
    # gains 10, 20, 30 with probabilities 0.2, 0.3, 0.5 given shuffled
    x = [20.0, 10.0, 30.0]
    p = [0.3, 0.2, 0.5]
    pi = cpt_decision_weights(x, p)
    w = lambda q: _w_by_hand(q, GAMMA) if 0 < q < 1 else float(q)  # noqa: E731
    np.testing.assert_allclose(
        pi, [w(0.8) - w(0.5), w(1.0) - w(0.8), w(0.5)], rtol=1e-12
    )  # 30 ranks first (decumulative), then 20, then 10
    assert pi.sum() == pytest.approx(1.0)


def test_rank_dependent_loss_weights_by_hand():
    # losses -30, -10 (prob 0.4, 0.6): most negative first on cumulative probabilities
    pi = cpt_decision_weights([-10.0, -30.0], [0.6, 0.4])
    w04 = _w_by_hand(0.4, DELTA)
    np.testing.assert_allclose(pi, [1.0 - w04, w04], rtol=1e-12)


def test_mixed_prospect_weights_use_w_plus_and_w_minus_separately():
    x = [-5.0, 0.0, 2.0, 8.0]
    p = [0.25, 0.25, 0.3, 0.2]
    pi = cpt_decision_weights(x, p)
    wp = lambda q: _w_by_hand(q, GAMMA)  # noqa: E731
    wm = lambda q: _w_by_hand(q, DELTA)  # noqa: E731
    np.testing.assert_allclose(
        pi, [wm(0.25), 0.0, wp(0.5) - wp(0.2), wp(0.2)], rtol=1e-12
    )  # zero outcome: weight 0 by convention


def test_ties_add_up_to_merged_weight():
    pi = cpt_decision_weights([5.0, 5.0, -1.0], [0.2, 0.3, 0.5])
    merged = cpt_decision_weights([5.0, -1.0], [0.5, 0.5])
    assert pi[0] + pi[1] == pytest.approx(merged[0], rel=1e-13)
    assert pi[2] == pytest.approx(merged[1], rel=1e-13)


def test_zero_probability_outcomes_get_zero_weight():
    pi = cpt_decision_weights([3.0, 1.0, -2.0, -7.0], [0.0, 1.0, 0.0, 0.0])
    np.testing.assert_allclose(pi, [0.0, 1.0, 0.0, 0.0], atol=1e-15)


# --------------------------------------------------------------------------- value / CE


@pytest.mark.parametrize("amount", [0.0, 0.01, 1.0, 37.5, -0.02, -1.0, -250.0])
def test_sure_amount_value_and_certainty_equivalent(amount):
    assert cpt_value([amount], [1.0]) == pytest.approx(value_function(amount), rel=1e-14)
    assert certainty_equivalent([amount], [1.0]) == pytest.approx(amount, rel=1e-12, abs=1e-15)


def test_two_outcome_mixed_prospect_by_hand():
    # (+100, 1/2; -100, 1/2):  V = w+(1/2) 100^0.88 - 2.25 w-(1/2) 100^0.88
    v100 = 10.0**1.76  # 100^0.88 = 57.544
    wp = 2.0 ** (1.0 - GAMMA - 1.0 / GAMMA)  # 0.42064
    wm = 2.0 ** (1.0 - DELTA - 1.0 / DELTA)  # 0.45399
    by_hand = wp * v100 - LAM * wm * v100
    assert by_hand == pytest.approx(-34.5743, abs=1e-4)
    assert cpt_value([100.0, -100.0], [0.5, 0.5]) == pytest.approx(by_hand, rel=1e-12)
    # certainty equivalent: -(-V / 2.25)^(1/0.88)
    ce = -((-by_hand / LAM) ** (1.0 / ALPHA))
    assert certainty_equivalent([100.0, -100.0], [0.5, 0.5]) == pytest.approx(ce, rel=1e-12)


def test_gain_prospect_certainty_equivalent_by_hand():
    # (+200, 0.1; 0, 0.9): CE = (w+(0.1) 200^0.88)^(1/0.88) = 200 w+(0.1)^(1/0.88)
    ce = 200.0 * _w_by_hand(0.1, GAMMA) ** (1.0 / ALPHA)
    assert certainty_equivalent([200.0, 0.0], [0.1, 0.9]) == pytest.approx(ce, rel=1e-12)
    # risk seeking for a small-probability gain: CE above the expected value 20
    assert ce > 20.0


@pytest.mark.parametrize("x", [0.001, 0.5, 1.0, 10.0, 1000.0])
def test_loss_aversion_fifty_fifty(x):
    assert cpt_value([x, -x], [0.5, 0.5]) < 0
    assert certainty_equivalent([-x, x], [0.5, 0.5]) < 0


def test_certainty_equivalent_round_trip():
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.normal(scale=5.0, size=6)
        p = rng.dirichlet(np.ones(6))
        ce = certainty_equivalent(x, p)
        assert cpt_value([ce], [1.0]) == pytest.approx(cpt_value(x, p), rel=1e-10, abs=1e-14)
        assert x.min() - 1e-12 <= ce <= x.max() + 1e-12


def test_custom_params_change_the_value():
    neutral = CPTParams(alpha=1.0, beta=1.0, lam=1.0, gamma=1.0, delta=1.0)
    x = [3.0, -1.0, 0.5]
    p = [0.2, 0.5, 0.3]
    # with all parameters 1, CPT is the expected value
    assert cpt_value(x, p, neutral) == pytest.approx(0.6 - 0.5 + 0.15, rel=1e-13)


# --------------------------------------------------------------------------- input errors


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: value_function(float("nan")), "x"),
        (lambda: value_function([1.0, float("inf")]), "x"),
        (lambda: cpt_weight(-0.1, GAMMA), "p"),
        (lambda: cpt_weight(1.1, GAMMA), "p"),
        (lambda: cpt_weight(float("nan"), GAMMA), "p"),
        (lambda: cpt_weight(0.5, 0.0), "c"),
        (lambda: cpt_weight(0.5, -1.0), "c"),
        (lambda: cpt_value([1.0, 2.0], [0.5, 0.4]), "probabilities"),
        (lambda: cpt_value([1.0, 2.0], [1.2, -0.2]), "probabilities"),
        (lambda: cpt_value([1.0, 2.0], [1.0]), "probabilities"),
        (lambda: cpt_value([1.0, float("nan")], [0.5, 0.5]), "outcomes"),
        (lambda: cpt_value([], []), "outcomes"),
        (lambda: cpt_decision_weights([1.0], [float("nan")]), "probabilities"),
        (lambda: certainty_equivalent([1.0], [1.0], params="tk"), "params"),
    ],
)
def test_invalid_inputs_raise_input_error_naming_the_argument(call, name):
    with pytest.raises(InputError, match=rf"^{name}\b"):
        call()


def test_probability_tolerance_is_1e_9():
    cpt_value([1.0, -1.0], [0.5, 0.5 + 5e-10])
    with pytest.raises(InputError, match="probabilities"):
        cpt_value([1.0, -1.0], [0.5, 0.5 + 5e-9])
