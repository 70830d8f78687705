"""QuantumTradingSystem: bars in, the same decisions as the backtest runner, bad bars refused."""

from __future__ import annotations

import numpy as np
import pytest

from qar_qiskit.backtest.runner import run_backtest
from qar_qiskit.data.loader import PriceData, load_dataset
from qar_qiskit.errors import InputError
from qar_qiskit.system.qar import QAR
from qar_qiskit.system.trading import QuantumTradingSystem


@pytest.fixture(scope="module")
def bars() -> PriceData:
    data = load_dataset("sp500")
    n = 140
    return PriceData(dates=data.dates[:n], close=data.close[:n], volume=data.volume[:n], source="sp500-head")


def test_stream_decides_like_the_backtest(bars):
    """Bar by bar, the trading system's features, decisions and learning equal the backtest
    runner's on the same data (both settle day t's decision with day t+1's return)."""
    result = run_backtest(bars, qar=QAR(backend="exact", seed=4), progress=False)
    system = QuantumTradingSystem(QAR(backend="exact", seed=4), history=1000)
    decisions = []
    for date, close, volume in zip(bars.dates, bars.close, bars.volume):
        d = system.process_market_tick(float(close), volume=float(volume), timestamp=str(date))
        if d is not None:
            decisions.append(d)
    # the runner does not decide on the last bar (no next return to realise)
    assert len(decisions) == len(result.rows) + 1
    for d, row in zip(decisions, result.rows):
        assert d.action == row["action"] and d.size == row["size"] and d.risk == row["risk"]
        assert d.position == pytest.approx(float(row["position"]), abs=1e-12)
    assert system.settled == len(result.rows)
    health = system.health_check()
    assert health["warmed_up"] and health["open_decision"] == decisions[-1].decision_id


def test_warmup_returns_none_then_decides():
    rng = np.random.default_rng(2)
    prices = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, 30)))
    system = QuantumTradingSystem(QAR(backend="exact"), volume_window=5)
    out = [system.process_market_tick(float(p)) for p in prices]
    assert all(d is None for d in out[:20]) and all(d is not None for d in out[21:])
    assert out[-1].orders and out[-1].regime.dominant in {"stable", "trending", "volatile", "crisis"}


@pytest.mark.parametrize("bad, message", [
    ({"price": float("nan")}, "price"),
    ({"price": -5.0}, "price"),
    ({"price": "a lot"}, "price"),
    ({"price": True}, "price"),
    ({"price": 100.0, "volume": -1.0}, "volume"),
    ({"price": 100.0, "vix": float("inf")}, "vix"),
    ({"price": 100.0, "timestamp": "2000-01-01"}, "not after"),
    ({"price": 100.0, "timestamp": "yesterday"}, "timestamp"),
])
def test_bad_bars_are_refused_and_nothing_recorded(bad, message):
    system = QuantumTradingSystem(QAR(backend="exact"))
    system.process_market_tick(100.0, timestamp="2000-01-05")
    with pytest.raises(InputError, match=message):
        system.process_market_tick(**bad)
    assert system.bars == 1
