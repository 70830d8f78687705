"""Property-based tests of the market tick (``MarketTick`` and ``MarketTick.parse``).

Valid ticks are accepted with their values; every bad value, missing field, unknown key or
non-mapping is an :class:`InputError` that names the field, from both entry points.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

from hypothesis import strategies as st

from qar_qiskit.errors import InputError
from qar_qiskit.tick import MarketTick
from tests.properties import assert_names, json_values, raises_named, variants

#: field -> (lower bound, lower bound exclusive, upper bound, optional)
NUMERIC = {
    "price": (0.0, True, None, False),
    "volatility": (0.0, False, 20.0, False),
    "volume": (0.0, False, None, True),
    "volume_normalized": (0.0, False, 1000.0, True),
    "trend": (None, False, None, True),
    "trend_clarity": (0.0, False, 1.0, True),
    "bid_ask_spread": (0.0, False, None, True),
    "vix": (0.0, False, None, True),
}
REQUIRED = ("price", "volatility")
FIELDS = (*NUMERIC, "timestamp")


def _number(lo, lo_open, hi):
    floats = st.floats(min_value=lo, max_value=hi, exclude_min=lo_open and lo is not None,
                       allow_nan=False, allow_infinity=False)
    ints = st.integers(min_value=(1 if lo_open else 0) if lo is not None else -10**6,
                       max_value=int(hi) if hi is not None else 10**9)
    # numeric strings are accepted too (JSON/YAML ticks written by hand)
    return st.one_of(floats, ints, floats.map(repr))


timestamps = st.one_of(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1),
                 timezones=st.just(timezone.utc)),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)).map(datetime.isoformat),
)


@st.composite
def valid_ticks(draw) -> dict:
    data = {}
    for name, (lo, lo_open, hi, optional) in NUMERIC.items():
        if optional and not draw(st.booleans()):
            continue
        data[name] = draw(_number(lo, lo_open, hi))
    if draw(st.booleans()):
        data["timestamp"] = draw(timestamps)
    for name, (*_, optional) in NUMERIC.items():
        if optional and name not in ("volume_normalized", "trend_clarity") and draw(st.booleans()):
            data[name] = None  # an explicit null is an absent optional value
    return data


def _in_range(name: str, value) -> bool:
    lo, lo_open, hi, optional = NUMERIC[name]
    if value is None:
        return optional and name not in ("volume_normalized", "trend_clarity")
    if not isinstance(value, float) or not math.isfinite(value):
        return False
    if lo is not None and (value < lo or (lo_open and value == lo)):
        return False
    return hi is None or value <= hi


def _both_entry_points(data):
    """The parse entry point, and the constructor where ``data`` can be keyword arguments."""
    yield lambda: MarketTick.parse(data)
    if isinstance(data, dict) and all(isinstance(k, str) for k in data):
        yield lambda: MarketTick(**data)


# -- valid ticks ---------------------------------------------------------------------------------

def check_valid_tick_is_accepted(data):
    for make in _both_entry_points(data):
        tick = make()
        for name in NUMERIC:
            got = getattr(tick, name)
            if data.get(name) is None:
                assert got == MarketTick.model_fields[name].default
            else:
                assert got == float(data[name]), name
            assert _in_range(name, got) or got == MarketTick.model_fields[name].default
        if data.get("timestamp") is not None:
            ts = data["timestamp"]
            assert tick.timestamp == (datetime.fromisoformat(ts) if isinstance(ts, str) else ts)


test_valid_tick_is_accepted, test_valid_tick_is_accepted_slow = variants(
    check_valid_tick_is_accepted, valid_ticks())


# -- one field set to any value: accepted within its range, or an InputError naming it -----------

def check_any_value_is_validated_or_named(base, name, value):
    data = {**base, name: value}
    for make in _both_entry_points(data):
        try:
            tick = make()
        except InputError as exc:
            msg = assert_names(exc, f"{name}:")
            assert msg.startswith("tick: ") and not msg.startswith("tick: tick:"), msg
            continue
        if name in NUMERIC:
            assert _in_range(name, getattr(tick, name)) or (
                value is None and getattr(tick, name) == MarketTick.model_fields[name].default), (name, value)


test_any_value_is_validated_or_named, test_any_value_is_validated_or_named_slow = variants(
    check_any_value_is_validated_or_named, valid_ticks(), st.sampled_from(FIELDS),
    st.one_of(json_values, st.binary(max_size=6), st.floats(), st.datetimes(), st.complex_numbers(),
              st.tuples(st.floats()), st.sets(st.integers(), max_size=2)))


# -- values that are certainly bad ---------------------------------------------------------------

def _not_a_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return True
    return False


@st.composite
def bad_field(draw):
    name = draw(st.sampled_from(tuple(NUMERIC)))
    lo, lo_open, hi, optional = NUMERIC[name]
    choices = [st.just(math.nan), st.just(math.inf), st.just(-math.inf), st.booleans(),
               st.text(max_size=10).filter(_not_a_number), st.lists(st.floats(), max_size=2),
               st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
               st.sampled_from(["nan", "inf", "-Infinity"]), st.integers(min_value=10**400, max_value=10**401)]
    if lo is not None:
        choices.append(st.floats(max_value=lo, exclude_max=not lo_open, allow_nan=False, allow_infinity=False))
        choices.append(st.integers(max_value=int(lo) - (0 if lo_open else 1)))
    if hi is not None:
        choices.append(st.floats(min_value=hi, exclude_min=True, allow_nan=False, allow_infinity=False))
    if not optional or name in ("volume_normalized", "trend_clarity"):
        choices.append(st.none())
    return name, draw(st.one_of(choices))


def check_bad_value_is_rejected(base, bad):
    name, value = bad
    for make in _both_entry_points({**base, name: value}):
        msg = raises_named(make, f"{name}:", kind=InputError)
        assert msg.startswith("tick: ") and not msg.startswith("tick: tick:"), msg


test_bad_value_is_rejected, test_bad_value_is_rejected_slow = variants(
    check_bad_value_is_rejected, valid_ticks(), bad_field())


def check_missing_required_field_is_named(base, name):
    data = {k: v for k, v in base.items() if k != name}
    for make in _both_entry_points(data):
        msg = raises_named(make, name, kind=InputError)
        assert "Field required" in msg


test_missing_required_field_is_named, test_missing_required_field_is_named_slow = variants(
    check_missing_required_field_is_named, valid_ticks(), st.sampled_from(REQUIRED))


def check_unknown_key_is_named(base, key, value):
    data = {**base, key: value}
    msg = raises_named(lambda: MarketTick.parse(data), str(key), kind=InputError)
    assert "Extra inputs are not permitted" in msg or "field names must be strings" in msg
    if isinstance(key, str):
        raises_named(lambda: MarketTick(**data), key, kind=InputError)


test_unknown_key_is_named, test_unknown_key_is_named_slow = variants(
    check_unknown_key_is_named, valid_ticks(),
    st.one_of(st.text(max_size=12), st.integers(), st.none(), st.floats(allow_nan=False),
              st.tuples(st.integers())).filter(lambda k: k not in FIELDS),
    json_values)


def check_non_mapping_is_rejected(data):
    raises_named(lambda: MarketTick.parse(data), "tick", "mapping", kind=InputError)


test_non_mapping_is_rejected, test_non_mapping_is_rejected_slow = variants(
    check_non_mapping_is_rejected,
    st.one_of(json_values, st.binary(max_size=4), st.tuples(st.integers()), st.builds(object)).filter(
        lambda v: not isinstance(v, dict)))
