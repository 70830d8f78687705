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


# -- the tick schema: one source for the table, --help and the defaulted-field report ------------


def test_tick_fields_table_has_one_row_per_field_with_every_column():
    from qar_qiskit.tick import tick_fields_table

    lines = tick_fields_table().splitlines()
    assert lines[0] == "| field | type | unit | default | allowed range | meaning |"
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    assert [r[0] for r in rows] == list(MarketTick.model_fields)
    assert all(len(r) == 6 and r[2] and r[5] for r in rows)  # a unit and a meaning for every field
    by_name = {r[0]: r for r in rows}
    assert by_name["price"][3] == by_name["volatility"][3] == "required"
    assert by_name["trend_clarity"][3] == str(MarketTick(price=1.0, volatility=0.1).trend_clarity)


def _bounds(text):
    """(low, low inclusive, high, high inclusive) of a range cell such as '[0, 20]' or '> 0'."""
    if text.startswith(("[", "(")):
        lo, hi = text[1:-1].split(",")
        return float(lo), text[0] == "[", float(hi), text[-1] == "]"
    if text.startswith((">", "<")):
        op, value = text.split()
        if op.startswith(">"):
            return float(value), op == ">=", None, False
        return None, False, float(value), op == "<="
    return None, False, None, False


def test_the_allowed_ranges_in_the_table_are_what_the_model_enforces():
    from qar_qiskit.tick import tick_fields

    base = {"price": 100.0, "volatility": 0.2}
    checked = 0
    for row in tick_fields():
        lo, lo_in, hi, hi_in = _bounds(row["range"])
        for edge, inside in ((lo, lo_in), (hi, hi_in)):
            if edge is None:
                continue
            checked += 1
            step = 1e-9 * max(1.0, abs(edge))
            outside = edge - step if edge == lo else edge + step
            with pytest.raises(InputError, match=row["field"]):
                MarketTick.parse({**base, row["field"]: outside})
            if inside:
                MarketTick.parse({**base, row["field"]: edge})
            else:
                with pytest.raises(InputError, match=row["field"]):
                    MarketTick.parse({**base, row["field"]: edge})
    assert checked >= 8


def test_defaulted_fields_name_what_the_tick_left_out():
    assert MarketTick.parse({"price": 1.0, "volatility": 0.1}).defaulted_fields() == ["volume_normalized",
                                                                                       "trend_clarity"]
    assert MarketTick.parse({"price": 1.0, "volatility": 0.1, "trend_clarity": 0.5}).defaulted_fields() == [
        "volume_normalized"]  # given, even at its default value: not defaulted
    full = {"price": 1.0, "volatility": 0.1, "trend_clarity": 0.5, "volume_normalized": 1.0}
    assert MarketTick.parse(full).defaulted_fields() == []
    assert MarketTick(**full).defaulted_fields() == []
