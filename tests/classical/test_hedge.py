"""Tests of the Hedge twin (Freund & Schapire 1997): hand-computed rounds and regret bounds."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest

from qar_qiskit.classical import (
    HedgeResult,
    hedge_ratio_losses,
    hedge_ratios,
    hedge_weights,
    optimal_eta,
    regret_bound,
)
from qar_qiskit.errors import InputError


def test_two_experts_three_rounds_by_hand():
    losses = [[0.0, 1.0], [1.0, 0.0], [0.5, 0.25]]
    eta = 0.5
    res = hedge_weights(losses, eta)
    assert isinstance(res, HedgeResult)
    e = math.exp
    # after round 1: cumulative (0, 1)    -> w ∝ (1, e^{-0.5})
    w1 = [1.0 / (1.0 + e(-0.5)), e(-0.5) / (1.0 + e(-0.5))]
    # after round 2: cumulative (1, 1)    -> uniform
    w2 = [0.5, 0.5]
    # after round 3: cumulative (1.5, 1.25) -> w ∝ (e^{-0.75}, e^{-0.625})
    z = e(-0.75) + e(-0.625)
    w3 = [e(-0.75) / z, e(-0.625) / z]
    np.testing.assert_allclose(res.weights, [w1, w2, w3], rtol=1e-14)
    # learner loss uses the weights BEFORE each round: (1/2,1/2), w1, w2
    learner = (0.5 * 0.0 + 0.5 * 1.0) + (w1[0] * 1.0 + w1[1] * 0.0) + (0.5 * 0.5 + 0.5 * 0.25)
    assert res.learner_loss == pytest.approx(learner, rel=1e-14)
    assert res.learner_loss == pytest.approx(0.5 + 1.0 / (1.0 + e(-0.5)) + 0.375, rel=1e-14)
    assert res.best_expert_loss == pytest.approx(1.25)
    assert res.regret == pytest.approx(learner - 1.25, rel=1e-14)
    np.testing.assert_allclose(res.cumulative_losses, [1.5, 1.25])
    np.testing.assert_allclose(res.initial_weights, [0.5, 0.5])
    np.testing.assert_allclose(res.final_weights, w3, rtol=1e-14)


def test_result_is_frozen_and_arrays_read_only():
    res = hedge_weights([[0.1, 0.2]], 1.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.regret = 0.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        res.weights[0, 0] = 1.0


def test_empty_history_gives_initial_weights():
    res = hedge_weights(np.zeros((0, 4)), 0.3)
    assert res.weights.shape == (0, 4)
    np.testing.assert_allclose(res.final_weights, [0.25] * 4)
    assert res.learner_loss == 0.0 and res.regret == 0.0
    res = hedge_weights(np.zeros((0, 2)), 0.3, initial=[1.0, 3.0])
    np.testing.assert_allclose(res.final_weights, [0.25, 0.75])


def test_initial_weights_and_zero_prior():
    res = hedge_weights([[0.0, 1.0, 0.0]], 1.0, initial=[2.0, 2.0, 0.0])
    z = 1.0 + math.exp(-1.0)
    np.testing.assert_allclose(res.weights[0], [1 / z, math.exp(-1.0) / z, 0.0], rtol=1e-14)
    assert res.learner_loss == pytest.approx(0.5)


def test_eta_zero_keeps_uniform_weights():
    rng = np.random.default_rng(0)
    loss = rng.uniform(size=(10, 3))
    res = hedge_weights(loss, 0.0)
    np.testing.assert_allclose(res.weights, np.full((10, 3), 1 / 3), rtol=1e-14)
    assert res.learner_loss == pytest.approx(loss.mean(axis=1).sum(), rel=1e-13)


def test_log_space_no_underflow_for_large_eta_times_t():
    # exp(-eta * cumulative loss) = e^{-100000} underflows in linear space for both experts;
    # their ratio e^{-eta * 2000 * 0.001} = e^{-100} must still be resolved
    loss = np.zeros((2000, 2))
    loss[:, 0] = 1.0
    loss[:, 1] = 0.999
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = hedge_weights(loss, 50.0)
    assert np.all(np.isfinite(res.weights))
    np.testing.assert_allclose(res.weights.sum(axis=1), 1.0, rtol=1e-14)
    assert res.final_weights[1] == pytest.approx(1.0)
    assert res.final_weights[0] / res.final_weights[1] == pytest.approx(math.exp(-100.0), rel=1e-9)


def test_weights_rows_sum_to_one_and_favour_the_best_expert():
    rng = np.random.default_rng(1)
    loss = rng.uniform(size=(300, 5))
    loss[:, 3] *= 0.5
    res = hedge_weights(loss, optimal_eta(300, 5))
    np.testing.assert_allclose(res.weights.sum(axis=1), 1.0, rtol=1e-13)
    assert int(np.argmax(res.final_weights)) == 3
    assert res.best_expert_loss == pytest.approx(loss[:, 3].sum())


# --------------------------------------------------------------------------- eta / bound


def test_optimal_eta_and_bound_values():
    assert optimal_eta(100, 4) == pytest.approx(math.sqrt(8 * math.log(4) / 100), rel=1e-15)
    assert regret_bound(100, 4) == pytest.approx(math.sqrt(100 * math.log(4) / 2), rel=1e-15)
    assert optimal_eta(10, 1) == 0.0 and regret_bound(10, 1) == 0.0
    # eta* minimises ln N / eta + eta T / 8, and the minimum is the bound
    t, n = 250, 16
    f = lambda eta: math.log(n) / eta + eta * t / 8  # noqa: E731
    eta = optimal_eta(t, n)
    assert f(eta) == pytest.approx(regret_bound(t, n), rel=1e-14)
    assert f(eta) < f(eta * 1.01) and f(eta) < f(eta * 0.99)


def _alternating(t, n):
    loss = np.zeros((t, n))
    loss[0::2, 0] = 1.0
    loss[1::2, 1:] = 1.0
    return loss


def _punish_the_leader(t, n):
    """Loss 1 for every expert with the smallest cumulative loss so far (ties: all of them)."""
    loss = np.zeros((t, n))
    cum = np.zeros(n)
    for s in range(t):
        leaders = cum == cum.min()
        loss[s, leaders] = 1.0
        cum += loss[s]
    return loss


def _punish_the_learner(t, n, eta):
    """Adaptive adversary: loss 1 on the expert Hedge currently weights most, 0 elsewhere."""
    loss = np.zeros((t, n))
    w = np.full(n, 1.0 / n)
    for s in range(t):
        loss[s, int(np.argmax(w))] = 1.0
        w = hedge_weights(loss[: s + 1], eta).final_weights
    return loss


@pytest.mark.parametrize("t, n", [(50, 2), (200, 2), (200, 4), (500, 8)])
def test_regret_bound_on_deterministic_adversaries(t, n):
    eta = optimal_eta(t, n)
    bound = regret_bound(t, n)
    for loss in (_alternating(t, n), _punish_the_leader(t, n)):
        res = hedge_weights(loss, eta)
        assert res.regret <= bound
        assert res.learner_loss >= res.best_expert_loss - bound  # sanity: finite, consistent


@pytest.mark.parametrize("t, n", [(100, 2), (150, 4)])
def test_regret_bound_against_adaptive_adversary(t, n):
    eta = optimal_eta(t, n)
    res = hedge_weights(_punish_the_learner(t, n, eta), eta)
    assert res.regret <= regret_bound(t, n)
    assert res.regret > 0  # the adversary does hurt


@pytest.mark.parametrize("seed", range(6))
def test_regret_bound_on_random_binary_and_uniform_losses(seed):
    rng = np.random.default_rng(seed)
    for t, n in ((64, 2), (400, 4), (1000, 16)):
        eta = optimal_eta(t, n)
        bound = regret_bound(t, n)
        binary = rng.integers(0, 2, size=(t, n)).astype(float)
        uniform = rng.uniform(size=(t, n))
        for loss in (binary, uniform):
            assert hedge_weights(loss, eta).regret <= bound


# --------------------------------------------------------------------------- hedge ratios


def test_hedge_ratios():
    np.testing.assert_allclose(hedge_ratios(1), [0.0, 1.0])
    np.testing.assert_allclose(hedge_ratios(2), [0.0, 1 / 3, 2 / 3, 1.0], rtol=1e-15)
    h = hedge_ratios(3)
    assert np.all(h[4:] >= 0.5) and np.all(h[:4] < 0.5)  # top qubit <=> h >= 1/2


def test_hedge_ratio_losses_by_hand():
    r = [0.02, -0.02, 0.5, -0.5, 0.0]
    loss = hedge_ratio_losses(r, 2, 0.05)
    assert loss.shape == (5, 4)
    for t, rt in enumerate(r):
        for k, h in enumerate([0.0, 1 / 3, 2 / 3, 1.0]):
            x = max(-1.0, min(1.0, (1 - h) * rt / 0.05))
            assert loss[t, k] == pytest.approx((1 - x) / 2, abs=1e-15)
    np.testing.assert_allclose(loss[:, 3], 0.5)  # fully hedged always loses 1/2
    assert loss[0, 0] == pytest.approx(0.3) and loss[1, 0] == pytest.approx(0.7)
    assert loss[2, 0] == 0.0 and loss[3, 0] == 1.0
    assert hedge_ratio_losses([], 3, 0.05).shape == (0, 8)


def test_hedge_prefers_hedging_in_a_falling_market():
    r = np.full(60, -0.01)
    res = hedge_weights(hedge_ratio_losses(r, 2, 0.05), 1.0)
    assert int(np.argmax(res.final_weights)) == 3
    res = hedge_weights(hedge_ratio_losses(-r, 2, 0.05), 1.0)
    assert int(np.argmax(res.final_weights)) == 0


# --------------------------------------------------------------------------- input errors


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: hedge_weights([0.1, 0.2], 1.0), "losses"),
        (lambda: hedge_weights([[0.1, 1.2]], 1.0), "losses"),
        (lambda: hedge_weights([[0.1, -0.2]], 1.0), "losses"),
        (lambda: hedge_weights([[0.1, float("nan")]], 1.0), "losses"),
        (lambda: hedge_weights(np.zeros((3, 0)), 1.0), "losses"),
        (lambda: hedge_weights([[0.1, 0.2]], -1.0), "eta"),
        (lambda: hedge_weights([[0.1, 0.2]], float("inf")), "eta"),
        (lambda: hedge_weights([[0.1, 0.2]], 1.0, initial=[1.0]), "initial"),
        (lambda: hedge_weights([[0.1, 0.2]], 1.0, initial=[0.0, 0.0]), "initial"),
        (lambda: hedge_weights([[0.1, 0.2]], 1.0, initial=[-1.0, 2.0]), "initial"),
        (lambda: optimal_eta(0, 2), "T"),
        (lambda: optimal_eta(10, 0), "N"),
        (lambda: regret_bound(-1, 2), "T"),
        (lambda: hedge_ratio_losses([0.01, float("inf")], 2, 0.05), "returns"),
        (lambda: hedge_ratio_losses([0.01], 0, 0.05), "n_qubits"),
        (lambda: hedge_ratio_losses([0.01], 2, 0.0), "r_scale"),
    ],
)
def test_invalid_inputs_raise_input_error_naming_the_argument(call, name):
    with pytest.raises(InputError, match=rf"^{name}\b"):
        call()
