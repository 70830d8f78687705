"""Tests of the LMSR twin (Hanson 2003) against independent arithmetic and invariants."""

from __future__ import annotations

import math
import warnings
from decimal import Decimal, getcontext

import numpy as np
import pytest

from qar_qiskit.classical import (
    bin_centers,
    lmsr_cost,
    lmsr_prices,
    lmsr_trade_cost,
    lmsr_worst_case_loss,
    recency_quantities,
)
from qar_qiskit.errors import InputError


def _decimal_cost(q, b, prec=80):
    """C(q) = b ln sum exp(q_i / b) in 80-digit decimal arithmetic (independent reference)."""
    getcontext().prec = prec
    bd = Decimal(b)
    total = sum(((x if isinstance(x, Decimal) else Decimal(float(x))) / bd).exp() for x in q)
    return bd * total.ln()


# --------------------------------------------------------------------------- prices / cost


def test_prices_by_hand_two_outcomes():
    # p_0 = e^{1} / (e^{1} + e^{0}) for q = (2, 0), b = 2
    p = lmsr_prices([2.0, 0.0], 2.0)
    expected0 = math.e / (math.e + 1.0)
    assert p[0] == pytest.approx(expected0, rel=1e-14)
    assert p[1] == pytest.approx(1.0 / (math.e + 1.0), rel=1e-14)


def test_prices_sum_to_one_and_are_positive():
    rng = np.random.default_rng(0)
    for _ in range(20):
        q = rng.normal(scale=10.0, size=rng.integers(1, 40))
        b = rng.uniform(0.1, 5.0)
        p = lmsr_prices(q, b)
        assert p.shape == q.shape
        assert np.all(p > 0)
        assert p.sum() == pytest.approx(1.0, abs=1e-12)


def test_prices_invariant_to_shift():
    rng = np.random.default_rng(1)
    q = rng.normal(size=8)
    for c in (-100.0, 0.5, 1e3):
        np.testing.assert_allclose(lmsr_prices(q + c, 1.5), lmsr_prices(q, 1.5), rtol=1e-10)


def test_cost_shift_identity_and_naive_formula():
    q = np.array([0.3, -1.2, 2.0, 0.0])
    b = 0.7
    naive = b * math.log(sum(math.exp(x / b) for x in q))
    assert lmsr_cost(q, b) == pytest.approx(naive, rel=1e-13)
    # C(q + c) = C(q) + c
    assert lmsr_cost(q + 5.0, b) == pytest.approx(naive + 5.0, rel=1e-13)


def test_prices_are_the_gradient_of_the_cost():
    q = np.array([0.4, -0.3, 1.1, 0.2, -2.0])
    b = 0.9
    h = 1e-6
    grad = []
    for i in range(q.size):
        e = np.zeros_like(q)
        e[i] = h
        grad.append((lmsr_cost(q + e, b) - lmsr_cost(q - e, b)) / (2 * h))
    np.testing.assert_allclose(grad, lmsr_prices(q, b), rtol=1e-7, atol=1e-9)


def test_cost_is_monotone_in_each_quantity():
    rng = np.random.default_rng(2)
    q = rng.normal(size=6)
    base = lmsr_cost(q, 1.0)
    for i in range(q.size):
        bumped = q.copy()
        bumped[i] += 0.1
        assert lmsr_cost(bumped, 1.0) > base


def test_cost_bounds_max_q_and_max_q_plus_b_ln_n():
    rng = np.random.default_rng(3)
    for _ in range(20):
        q = rng.normal(scale=3.0, size=7)
        b = rng.uniform(0.2, 3.0)
        c = lmsr_cost(q, b)
        assert q.max() <= c <= q.max() + b * math.log(q.size) + 1e-12


def test_huge_q_over_b_no_overflow():
    b = 1.0
    q = np.array([1e4, 1e4 - 1.0, 0.0, -1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = lmsr_prices(q, b)
        c = lmsr_cost(q, b)
        t = lmsr_trade_cost(q, [1.0, 0.0, 0.0, 0.0], b)
    assert np.all(np.isfinite(p)) and np.isfinite(c) and np.isfinite(t)
    assert p[0] == pytest.approx(1.0 / (1.0 + math.exp(-1.0)), rel=1e-12)
    assert c == pytest.approx(1e4 + math.log1p(math.exp(-1.0)), rel=1e-15)


# --------------------------------------------------------------------------- trade cost


def test_trade_cost_tiny_delta_at_q_over_b_5000_matches_high_precision():
    b = 2.0
    q = np.array([10000.0, 9998.0, 9980.0, 8000.0])  # q/b = 5000, 4999, 4990, 4000
    delta = np.array([3e-7, -2e-7, 5e-7, 1e-7])
    # the reference sees exactly the float q and delta the function sees (no rounding of q + d)
    exact = _decimal_cost([Decimal(float(x)) + Decimal(float(d)) for x, d in zip(q, delta)], b)
    exact -= _decimal_cost(q, b)
    got = lmsr_trade_cost(q, delta, b)
    assert abs(got - float(exact)) <= 1e-12 * abs(float(exact))
    # the naive difference loses almost every digit here
    naive = lmsr_cost(q + delta, b) - lmsr_cost(q, b)
    assert abs(naive - float(exact)) > 1e-6 * abs(float(exact))


def test_trade_cost_large_delta_matches_high_precision():
    b = 1.5
    q = np.array([3000.0, 2999.0, 10.0])
    delta = np.array([-4.0, 7.0, 3000.0])
    exact = _decimal_cost([Decimal(float(x)) + Decimal(float(d)) for x, d in zip(q, delta)], b)
    exact -= _decimal_cost(q, b)
    assert lmsr_trade_cost(q, delta, b) == pytest.approx(float(exact), rel=1e-12)


def test_trade_cost_equals_cost_difference_for_moderate_values():
    rng = np.random.default_rng(4)
    for _ in range(20):
        q = rng.normal(size=5)
        d = rng.normal(scale=rng.choice([0.01, 0.5, 5.0]), size=5)
        b = rng.uniform(0.3, 2.0)
        diff = lmsr_cost(q + d, b) - lmsr_cost(q, b)
        assert lmsr_trade_cost(q, d, b) == pytest.approx(diff, rel=1e-9, abs=1e-12)


def test_trade_cost_of_uniform_bundle_is_its_size():
    # buying c shares of every outcome pays exactly c (one share always pays 1)
    q = np.array([1.0, 4.0, -2.0])
    assert lmsr_trade_cost(q, [0.25, 0.25, 0.25], 1.0) == pytest.approx(0.25, rel=1e-14)
    assert lmsr_trade_cost(q, [30.0, 30.0, 30.0], 1.0) == pytest.approx(30.0, rel=1e-14)


# --------------------------------------------------------------------------- worst-case loss


def test_worst_case_loss_value():
    assert lmsr_worst_case_loss(8, 2.0) == pytest.approx(2.0 * math.log(8), rel=1e-15)
    assert lmsr_worst_case_loss(1, 3.0) == 0.0


def test_worst_case_loss_is_the_market_maker_loss_bound():
    n, b = 8, 1.3
    bound = lmsr_worst_case_loss(n, b)
    c0 = lmsr_cost(np.zeros(n), b)
    assert c0 == pytest.approx(b * math.log(n), rel=1e-14)
    # all trading into outcome 0, which then happens: loss = payout - collected
    for huge in (10.0, 100.0, 1e4):
        q = np.zeros(n)
        q[0] = huge
        loss = q[0] - (lmsr_cost(q, b) - c0)
        assert loss <= bound + 1e-12
    assert loss == pytest.approx(bound, rel=1e-12)
    # and it is never exceeded, for any final state and any realised outcome
    rng = np.random.default_rng(5)
    for _ in range(50):
        q = rng.exponential(scale=5.0, size=n)
        collected = lmsr_cost(q, b) - c0
        assert np.max(q) - collected <= bound + 1e-12


# --------------------------------------------------------------------------- bins / quantities


def test_bin_centers_by_hand():
    np.testing.assert_allclose(bin_centers(1, 0.1), [-0.05, 0.05], rtol=1e-15)
    np.testing.assert_allclose(bin_centers(2, 0.08), [-0.06, -0.02, 0.02, 0.06], rtol=1e-14)
    x = bin_centers(5, 0.1)
    assert x.size == 32
    # symmetric, increasing, and the upper half (top qubit 1) is exactly the positive bins
    np.testing.assert_allclose(x, -x[::-1], atol=1e-16)
    assert np.all(np.diff(x) > 0)
    assert np.all(x[16:] > 0) and np.all(x[:16] < 0)


def test_recency_quantities_by_hand():
    # 2 qubits, R = 0.04: bins [-0.04,-0.02) [-0.02,0) [0,0.02) [0.02,0.04]
    returns = [0.03, -0.01, 0.01, 0.5, -0.5, 0.025]  # oldest first; 0.5/-0.5 are clipped
    d = 0.5
    q = recency_quantities(returns, 2, 0.04, d, scale=2.0)
    expected = np.zeros(4)
    ages = [5, 4, 3, 2, 1, 0]
    bins = [3, 1, 2, 3, 0, 3]
    for a, i in zip(ages, bins):
        expected[i] += 2.0 * d**a
    np.testing.assert_allclose(q, expected, rtol=1e-15)
    assert q[3] == pytest.approx(2.0 * (0.5**5 + 0.5**2 + 1.0))


def test_recency_quantities_edges_and_empty():
    np.testing.assert_array_equal(recency_quantities([], 3, 0.1, 0.9), np.zeros(8))
    # +R goes into the top bin, -R into the bottom bin, 0 half into each central bin
    q = recency_quantities([0.1, -0.1, 0.0], 2, 0.1, 1.0)
    np.testing.assert_array_equal(q, [1.0, 0.5, 0.5, 1.0])
    # decay = 1 gives plain counts summing to T
    rng = np.random.default_rng(6)
    r = rng.normal(scale=0.02, size=500)
    q = recency_quantities(r, 4, 0.05, 1.0)
    assert q.sum() == pytest.approx(500.0)
    np.testing.assert_array_equal(q, np.round(q))


def _p_up(returns, n_qubits=3, big_r=0.05, decay=0.9, b=1.0):
    """``p_up`` = mass of the upper half of the bins (centres ``x_i > 0``, docs/model.md)."""
    p = lmsr_prices(recency_quantities(returns, n_qubits, big_r, decay), b)
    return float(p[p.size // 2:].sum())


@pytest.mark.parametrize("n_qubits", [1, 2, 3, 5])
@pytest.mark.parametrize("decay", [1.0, 0.9, 0.5])
def test_flat_history_has_no_direction(n_qubits, decay):
    # An unchanged close every day says nothing about up or down: by the mirror symmetry
    # r -> -r (which maps the history onto itself) the up and down masses are equal.
    assert _p_up(np.zeros(60), n_qubits, decay=decay) == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("with_zeros", [False, True])
def test_symmetric_history_has_no_direction(with_zeros):
    # With decay 1 the quantities depend on the multiset of returns only; a multiset equal to
    # its own mirror image (each +a matched by a -a, zeros are their own mirror) therefore has
    # mirror-symmetric quantities and p_up = 1/2.
    rng = np.random.default_rng(11)
    a = rng.uniform(0.001, 0.08, size=30)  # some beyond R = 0.05: clipped, still symmetric
    parts = [a, -a] + ([np.zeros(7)] if with_zeros else [])
    history = rng.permutation(np.concatenate(parts))
    assert _p_up(history, decay=1.0) == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("n_zeros", [0, 1, 5, 40])
def test_mirrored_history_mirrors_the_quantities(n_zeros):
    # Mirror symmetry for any decay: negating every return reverses the bins, so
    # q(-r) = q(r)[::-1] and p_up(r) + p_up(-r) = 1, with or without zero returns.
    rng = np.random.default_rng(12)
    r = rng.normal(scale=0.02, size=60)
    r[rng.choice(60, size=n_zeros, replace=False)] = 0.0
    for n_qubits in (1, 3, 4):
        q = recency_quantities(r, n_qubits, 0.05, 0.93)
        np.testing.assert_allclose(recency_quantities(-r, n_qubits, 0.05, 0.93), q[::-1], rtol=1e-14, atol=0)
        assert _p_up(r, n_qubits, decay=0.93) + _p_up(-r, n_qubits, decay=0.93) == pytest.approx(1.0, abs=1e-12)


def test_zero_return_splits_its_weight_between_the_central_bins():
    # 3 qubits, R = 0.08: w = 0.02; 0 is the edge between bin 3 [-0.02, 0) and bin 4 [0, 0.02)
    q = recency_quantities([0.0, 0.01, -0.0], 3, 0.08, 0.5)
    expected = np.zeros(8)
    expected[[3, 4]] += 0.5 * 0.5**2 + 0.5 * 1.0  # ages 2 and 0 (-0.0 is a zero too)
    expected[4] += 0.5  # 0.01, age 1
    np.testing.assert_allclose(q, expected, rtol=1e-15)


@pytest.mark.parametrize("n_qubits", [3, 5])
def test_builtin_experts_see_no_direction_in_a_flat_history(n_qubits):
    # Both built-ins that bin returns (the LMSR register and the prospect's outcome grid) use
    # recency_quantities. A flat history is its own mirror image, so the LMSR register must
    # give p_up = 1/2 and the prospect mirror-symmetric probabilities on symmetric centres.
    from qar_qiskit.config import load_config
    from qar_qiskit.experts.builtin import LMSRExpert, ProspectExpert

    config, flat = load_config(), np.zeros(60)
    p = LMSRExpert().inputs(flat, n_qubits, config)
    assert float(p[p.size // 2:].sum()) == pytest.approx(0.5, abs=1e-12)
    x, p_k, _ = ProspectExpert().inputs(flat, n_qubits + 1, config)
    np.testing.assert_allclose(x, -x[::-1], atol=1e-16)
    np.testing.assert_allclose(p_k, p_k[::-1], rtol=1e-12)


def test_recency_quantities_long_history_small_decay_is_finite():
    q = recency_quantities(np.full(100_000, 0.01), 3, 0.1, 0.5)
    assert np.all(np.isfinite(q))
    assert q.sum() == pytest.approx(2.0, rel=1e-12)  # geometric series 1 + 1/2 + ...


# --------------------------------------------------------------------------- input errors


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: lmsr_prices([1.0, float("nan")], 1.0), "q"),
        (lambda: lmsr_prices([1.0, float("inf")], 1.0), "q"),
        (lambda: lmsr_prices([], 1.0), "q"),
        (lambda: lmsr_prices([[1.0, 2.0]], 1.0), "q"),
        (lambda: lmsr_prices([1.0], 0.0), "b"),
        (lambda: lmsr_cost([1.0], -1.0), "b"),
        (lambda: lmsr_cost([1.0], float("nan")), "b"),
        (lambda: lmsr_trade_cost([1.0, 2.0], [1.0], 1.0), "delta"),
        (lambda: lmsr_trade_cost([1.0, 2.0], [1.0, float("nan")], 1.0), "delta"),
        (lambda: lmsr_worst_case_loss(0, 1.0), "n"),
        (lambda: lmsr_worst_case_loss(2.5, 1.0), "n"),
        (lambda: bin_centers(0, 0.1), "n_qubits"),
        (lambda: bin_centers(3, -0.1), "return_range"),
        (lambda: recency_quantities([0.01, float("nan")], 3, 0.1, 0.9), "returns"),
        (lambda: recency_quantities([0.01], 3, 0.1, 1.5), "decay"),
        (lambda: recency_quantities([0.01], 3, 0.1, 0.0), "decay"),
        (lambda: recency_quantities([0.01], 3, 0.1, 0.9, scale=-1.0), "scale"),
    ],
)
def test_invalid_inputs_raise_input_error_naming_the_argument(call, name):
    with pytest.raises(InputError, match=rf"^{name}\b"):
        call()
