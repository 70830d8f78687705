import numpy as np
import pytest

from qar_qiskit.tick import MarketTick

STABLE = dict(price=100.0, volatility=0.12, trend_clarity=0.85, volume_normalized=1.0)
VOLATILE = dict(price=100.0, volatility=0.55, trend_clarity=0.3, volume_normalized=1.6)
CRISIS = dict(price=100.0, volatility=0.85, trend_clarity=0.1, volume_normalized=3.0)


@pytest.fixture
def uptrend_returns():
    rng = np.random.default_rng(7)
    return 0.004 + 0.006 * rng.standard_normal(120)


def tick(**kw) -> MarketTick:
    return MarketTick(**kw)
