"""Learning on a seeded synthetic regime-switching market where a different expert is right in
each regime: the mixture's reward improves and per-regime regret stays within Hedge's bound."""

import math

import numpy as np

from qar_qiskit.learning.memory import EXPERTS, LearningMemory
from qar_qiskit.system.qar import QAR
from qar_qiskit.tick import MarketTick

REGIME_TICKS = {
    "stable": dict(volatility=0.1, trend_clarity=0.85, volume_normalized=1.0),
    "volatile": dict(volatility=0.55, trend_clarity=0.25, volume_normalized=1.6),
    "crisis": dict(volatility=0.85, trend_clarity=0.1, volume_normalized=3.0),
}
RIGHT = {"stable": "lmsr", "volatile": "prospect", "crisis": "hedge"}


def test_memory_update_is_multiplicative_weights():
    mem = LearningMemory(learning_rate=0.5, prior=np.ones((4, 4)))
    p = np.array([0.7, 0.1, 0.1, 0.1])
    rho = np.array([1.0, -1.0, 0.5, 0.0])
    mem.update(rho, p)
    for r in range(4):
        expect = np.exp(0.5 * p[r] * rho)
        np.testing.assert_allclose(mem.weights[r], expect / expect.sum(), atol=1e-12)
        np.testing.assert_allclose(mem.amplitudes[r] ** 2, mem.weights[r], atol=1e-12)


def test_memory_learns_a_regime_switching_market():
    """Rewards are drawn per regime with a different best expert; the mixture's mean reward
    over the last 20% of rounds beats the first 20%, and regret is within Hedge's bound."""
    rng = np.random.default_rng(11)
    mem = LearningMemory(learning_rate=0.1)
    best = {0: 0, 1: 2, 2: 1, 3: 2}
    T, rewards = 2000, []
    for t in range(T):
        r = (t // 50) % 4
        p = np.full(4, 0.02)
        p[r] = 0.94
        rho = np.clip(rng.normal(-0.1, 0.5, 4), -1, 1)
        rho[best[r]] = np.clip(rng.normal(0.4, 0.5), -1, 1)
        rewards.append(float(p @ (mem.weights @ rho)))
        mem.update(rho, p)
    k = T // 5
    assert np.mean(rewards[-k:]) > np.mean(rewards[:k]) + 0.05
    bound = math.log(4) / mem.learning_rate + mem.learning_rate * T * 4 / 8
    assert np.all(mem.regret() <= bound)
    assert [int(mem.weights[r].argmax()) for r in range(4)] == [best[r] for r in range(4)]


def test_system_learns_and_regret_within_hedge_bound():
    rng = np.random.default_rng(2024)
    qar = QAR(backend="exact", seed=5)
    T = 300
    mixture_rewards = []
    regimes = list(REGIME_TICKS)
    price = 100.0
    for t in range(T):
        regime = regimes[(t // 25) % 3]
        returns = rng.normal(0.001, 0.01, 80)
        d = qar.decide(MarketTick(price=price, **REGIME_TICKS[regime]), returns_history=returns)
        right = d.expert_positions[RIGHT[regime]]
        # The market moves the way the right expert leans (a coin flip when it has no view).
        direction = np.sign(right) if abs(right) > 1e-9 else rng.choice([-1.0, 1.0])
        market_return = float(direction * abs(rng.normal(0.01, 0.003)))
        w_before = qar.memory.weights
        rewards = qar.record_outcome(d.decision_id, pnl=d.position * 0.05 * market_return,
                                     market_return=market_return)
        p = np.array([d.regime.exact_probabilities[r] for r in ("stable", "trending", "volatile", "crisis")])
        rho = np.array([rewards[a] for a in EXPERTS])
        mixture_rewards.append(float(p @ (w_before @ rho)))
        price *= math.exp(market_return)
    # Hedge bound for gains in [-1, 1] (range 2): regret <= ln N / eta + eta * T * 2**2 / 8.
    eta = qar.memory.learning_rate
    bound = math.log(4) / eta + eta * T * 4 / 8
    regret = qar.memory.regret()
    assert np.all(regret <= bound), (regret, bound)
    # And the right expert ends up the heaviest in the regimes that were visited.
    w = qar.memory.weights
    assert w[0].argmax() == EXPERTS.index("lmsr")
    assert w[3].argmax() == EXPERTS.index("hedge")
