"""Fixtures for the backtest tests: a tiny deterministic stand-in for QAR and small data."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from qar_qiskit.data.loader import PriceData

ACTIONS = ("sell", "hold", "buy", "hedge")


class FakeQAR:
    """Implements the interface the runner uses (decide / record_outcome / expert_positions).

    Rule: buy (position 0.5) when the tick's trend > 0, sell (-0.5) when < -0.5, else hold;
    every 7th tick the "sampled" action differs from the exact one (to exercise agreement).
    Records every call so tests can check what the runner passed.
    """

    backend_name = "fake"
    config = None  # no config: no independent baselines, learning P&L unscaled
    settings = None  # no resolved settings: the report records the runner's flags

    def __init__(self) -> None:
        self.ticks = []
        self.histories = []
        self.outcomes = []
        self.pending = set()
        self.n = 0

    def decide(self, tick, returns_history=None):
        self.ticks.append(tick)
        self.histories.append(np.array(returns_history, copy=True))
        if tick.trend > 0:
            exact_action, exact_pos = "buy", 0.5
        elif tick.trend < -0.5:
            exact_action, exact_pos = "sell", -0.5
        else:
            exact_action, exact_pos = "hold", 0.0
        action, pos = exact_action, exact_pos
        if self.n % 7 == 3:
            action, pos = "hedge", 0.25
        regime = "volatile" if tick.volatility > 0.25 else ("trending" if tick.trend_clarity > 0.6
                                                             else "stable")
        probs = {"stable": 0.1, "trending": 0.1, "volatile": 0.1, "crisis": 0.1}
        probs[regime] = 0.7
        did = f"fake-{self.n}"
        self.pending.add(did)
        self.n += 1
        return SimpleNamespace(
            decision_id=did, action=action, size="medium", risk="conservative",
            confidence=0.6, position=pos,
            regime=SimpleNamespace(dominant=regime, probabilities=probs),
            exact_action=exact_action, exact_position=exact_pos,
            exact_size="small" if self.n % 5 == 0 else "medium", exact_risk="conservative",
            exact_margin_resolvable=(self.n % 2 == 0), backend="fake",
            timing={"total_s": 1e-4},
            expert_positions={"lmsr": 1.0 if tick.trend > 0 else -1.0, "prospect": 0.3,
                              "hedge": 0.5},
        )

    def record_outcome(self, decision_id, pnl, market_return=None):
        assert decision_id in self.pending, decision_id
        self.pending.remove(decision_id)
        self.outcomes.append((decision_id, pnl, market_return))
        return {}


@pytest.fixture
def fake_qar():
    return FakeQAR()


def synthetic_prices(n: int = 160, seed: int = 7, volume: bool = True) -> PriceData:
    """A geometric random walk with regime-like changes in drift and volatility."""
    rng = np.random.default_rng(seed)
    sig = np.where(np.arange(n) % 80 < 40, 0.01, 0.025)
    mu = np.where(np.arange(n) % 60 < 30, 0.001, -0.001)
    close = 100.0 * np.exp(np.cumsum(mu + sig * rng.standard_normal(n)))
    dates = np.busday_offset(np.datetime64("2020-01-01"), np.arange(n), roll="forward")
    vol = rng.uniform(1e6, 2e6, n) if volume else None
    return PriceData(dates=dates.astype("datetime64[D]"), close=close, volume=vol,
                     source="synthetic")


@pytest.fixture
def synth():
    return synthetic_prices()
