"""The seeds' behaviour, checked on the exact twin (no sampling noise)."""

import numpy as np
import pytest

from qar_qiskit.errors import InputError
from qar_qiskit.system.qar import QAR
from qar_qiskit.tick import MarketTick
from tests.system.conftest import CRISIS, STABLE, VOLATILE


def test_volatile_tick_gives_smaller_order_than_stable(uptrend_returns):
    qar = QAR(backend="exact")
    stable = qar.decide(MarketTick(**STABLE), returns_history=uptrend_returns)
    volatile = qar.decide(MarketTick(**VOLATILE), returns_history=uptrend_returns)
    assert stable.regime.dominant == "stable" and volatile.regime.dominant == "volatile"
    assert stable.orders[0].size > 0, stable
    assert volatile.orders[0].size < stable.orders[0].size
    assert all(o.size <= qar.config.risk_management.max_position_size for o in stable.orders)


def test_crisis_shifts_toward_hedge_and_conservative(uptrend_returns):
    qar = QAR(backend="exact")
    stable = np.array(qar.decide(MarketTick(**STABLE), returns_history=uptrend_returns).distribution["exact"])
    crisis_d = qar.decide(MarketTick(**CRISIS), returns_history=uptrend_returns)
    crisis = np.array(crisis_d.distribution["exact"])
    idx = np.arange(32)
    hedge_or_hold = (idx % 4 == 3) | (idx % 4 == 1)
    conservative = idx // 16 == 0
    assert crisis_d.regime.dominant == "crisis"
    assert crisis[idx % 4 == 3].sum() > stable[idx % 4 == 3].sum()
    assert crisis[hedge_or_hold].sum() > stable[hedge_or_hold].sum()
    assert crisis[conservative].sum() > stable[conservative].sum()
    assert "crisis_mode" in crisis_d.risk_flags
    assert abs(crisis_d.position) <= 0.25 + 1e-12


def test_decision_distribution_is_the_twin(uptrend_returns):
    qar = QAR(backend="exact")
    d = qar.decide(MarketTick(**STABLE), returns_history=uptrend_returns)
    exact = np.array(d.distribution["exact"])
    assert abs(exact.sum() - 1) < 1e-12 and np.all(exact >= 0)
    assert d.confidence == pytest.approx(exact.max())
    assert (d.action, d.size, d.risk) == (d.exact_action, d.exact_size, d.exact_risk)


def test_unknown_and_repeated_outcomes_are_errors():
    qar = QAR(backend="exact")
    d = qar.decide(MarketTick(**STABLE))
    with pytest.raises(InputError, match="unknown decision"):
        qar.record_outcome("nope", pnl=0.01, market_return=0.01)
    qar.record_outcome(d.decision_id, pnl=0.0, market_return=0.01)
    with pytest.raises(InputError, match="already recorded"):
        qar.record_outcome(d.decision_id, pnl=0.0, market_return=0.01)
    d2 = qar.decide(MarketTick(**STABLE))
    for bad in (float("nan"), float("inf"), "0.1", True):
        with pytest.raises(InputError):
            qar.record_outcome(d2.decision_id, pnl=bad, market_return=0.01)
    before = qar.memory.weights.copy()
    with pytest.raises(InputError):
        qar.record_outcome(d2.decision_id, pnl=0.01, market_return=float("nan"))
    np.testing.assert_array_equal(qar.memory.weights, before)  # rejected input changes nothing
    qar.record_outcome(d2.decision_id, pnl=0.0, market_return=0.01)


def test_bad_tick_is_rejected_without_state_change():
    qar = QAR(backend="exact")
    with pytest.raises(InputError, match="price"):
        qar.decide({"price": -1.0, "volatility": 0.1})
    assert qar.tick_index == 0 and qar.last_price is None


def test_daily_loss_limit_blocks_the_day_and_cools_off_the_next():
    from datetime import datetime

    from qar_qiskit.decision.positions import RiskManager

    qar = QAR(backend="exact")
    rm = RiskManager(qar.config.risk_management)
    limit = qar.config.risk_management.max_daily_loss
    assert rm.assess(0.1, "2020-01-02").scale == 1.0
    rm.record("2020-01-02", -limit)
    assert rm.assess(0.1, "2020-01-02").flags == ("daily_loss_limit",)
    assert rm.assess(0.1, "2020-01-03").flags == ("daily_loss_cooloff",)
    assert rm.assess(0.1, "2020-01-03").scale == 0.0
    rm.record("2020-01-03", 0.0)
    assert rm.assess(0.1, "2020-01-06").scale == 1.0
    # Through the pipeline: a loss at the limit zeroes the next day's orders.
    d = qar.decide(MarketTick(**STABLE, timestamp=datetime(2020, 1, 2)))
    qar.record_outcome(d.decision_id, pnl=-limit, market_return=-0.05)
    nxt = qar.decide(MarketTick(**STABLE, timestamp=datetime(2020, 1, 3)))
    assert nxt.position == 0.0 and "daily_loss_cooloff" in nxt.risk_flags
