import math

import pytest

from qar_qiskit.errors import InputError
from qar_qiskit.tick import MarketTick


def test_valid_tick_defaults():
    t = MarketTick.parse({"price": 100.0, "volatility": 0.15, "volume": 1e6, "bid_ask_spread": 0.01})
    assert t.volume_normalized == 1.0 and t.trend_clarity == 0.5


@pytest.mark.parametrize(
    "data, field",
    [
        ({"volatility": 0.1}, "price"),
        ({"price": math.nan, "volatility": 0.1}, "price"),
        ({"price": math.inf, "volatility": 0.1}, "price"),
        ({"price": -5.0, "volatility": 0.1}, "price"),
        ({"price": 0.0, "volatility": 0.1}, "price"),
        ({"price": "abc", "volatility": 0.1}, "price"),
        ({"price": 1.0, "volatility": -0.1}, "volatility"),
        ({"price": 1.0, "volatility": True}, "volatility"),
        ({"price": 1.0, "volatility": 0.1, "volume": -1}, "volume"),
        ({"price": 1.0, "volatility": 0.1, "trend_clarity": 1.5}, "trend_clarity"),
        ({"price": 1.0, "volatility": 0.1, "colour": "red"}, "colour"),
        ({"price": 1.0, "volatility": 0.1, "timestamp": "yesterday-ish"}, "timestamp"),
    ],
)
def test_bad_ticks_name_the_field(data, field):
    with pytest.raises(InputError) as info:
        MarketTick.parse(data)
    assert field in str(info.value)


def test_non_mapping():
    with pytest.raises(InputError, match="mapping"):
        MarketTick.parse([1, 2])
