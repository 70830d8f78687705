"""Property-based tests of the config loader (``parse_config`` / ``load_config``).

Valid configs (the defaults with any in-range values) are accepted with their values, from a
mapping and from a YAML file; a bad value, an unknown key or a missing section is a
:class:`ConfigError` that names the source and the field; any file content or override is
either a valid config or a :class:`ConfigError` naming the file, never another exception.
"""

from __future__ import annotations

import copy
import math
import re
import tempfile
from pathlib import Path

import yaml
from hypothesis import assume
from hypothesis import strategies as st

from qar_qiskit.config import MAX_HISTORY, QARConfig, default_config_path, load_config, parse_config
from qar_qiskit.errors import ConfigError
from tests.config_fields import FIELDS, in_range
from tests.properties import assert_names, json_values, raises_named, variants

DEFAULTS: dict = yaml.safe_load(default_config_path().read_text())
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml: ~10x faster than pure Python
SECTIONS = tuple(DEFAULTS)


def _leaves(node, path=()):
    """``(path, value)`` of every leaf; a ``[min, max]`` pair is one leaf."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    else:
        yield path, node


LEAVES = dict(_leaves(DEFAULTS))
NUMERIC_LEAVES = tuple(p for p, v in LEAVES.items() if isinstance(v, (int, float)) and not isinstance(v, bool))
TEXT_LEAVES = tuple(p for p, v in LEAVES.items() if isinstance(v, str))
BOOL_LEAVES = tuple(p for p, v in LEAVES.items() if isinstance(v, bool))
PAIR_LEAVES = tuple(p for p, v in LEAVES.items() if isinstance(v, list))


def _dict_paths(node, path=()):
    if isinstance(node, dict):
        yield path
        for key, value in node.items():
            yield from _dict_paths(value, (*path, key))


DICT_PATHS = tuple(_dict_paths(DEFAULTS))


def _set(data: dict, path: tuple, value) -> dict:
    out = copy.deepcopy(data)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


def _nest(path: tuple, value) -> dict:
    """``{path[0]: {path[1]: ... value}}``."""
    for key in reversed(path):
        value = {key: value}
    return value


def _get(obj, path: tuple):
    for key in path:
        obj = obj[key] if isinstance(obj, dict) else getattr(obj, key)
    return obj


def _dotted(path) -> str:
    return ".".join(str(p) for p in path)


def _via_file(data, suffix=".yaml"):
    """``load_config`` of ``data`` written as YAML (or raw bytes/text) to a fresh file."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"config{suffix}"
        if isinstance(data, bytes):
            path.write_bytes(data)
        elif isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_text(yaml.dump(data, Dumper=DUMPER), encoding="utf-8")
        try:
            return load_config(path), str(path)
        except ConfigError as exc:
            return exc, str(path)


# -- valid configs ------------------------------------------------------------------------------

def _pos(hi=1e6):
    return st.floats(min_value=0, max_value=hi, exclude_min=True, allow_nan=False)


def _unit(lo=0.0, lo_open=True):
    return st.floats(min_value=lo, max_value=1.0, exclude_min=lo_open, allow_nan=False)


def _interval():
    return st.tuples(st.floats(-10, 10, allow_nan=False), st.floats(1e-6, 10, allow_nan=False)).map(
        lambda t: [t[0], t[0] + t[1]]).filter(lambda p: p[0] < p[1])


@st.composite
def valid_configs(draw) -> tuple[dict, dict]:
    """The defaults with a random subset of fields set to random in-range values."""
    # every bounded numeric setting anywhere in its declared range (tests/config_fields.py);
    # the qubit sizes and ranges stay at their defaults (their cross-field rules are tested apart)
    changes = {f.path: in_range(f) for f in FIELDS if f.high is not None and f.low is not None
               and "qubits" not in f.dotted and f.path[0] != "resource_allocation"
               and f.path[-1] not in ("memory_depth", "history_size")}
    changes.update({
        ("quantum_resources", "total_qubits"): st.integers(23, 64),  # 23: the ranges' smallest plan
        ("risk_management", "crisis_threshold"): _pos(),
        ("backend", "name"): st.sampled_from(["exact", "aer", "aer-noisy:FakeTorino", "ibm:ibm_fez"]),
        ("performance", "persistence_interval"): st.floats(0, 1e9),
        ("performance", "classical_fallback"): st.booleans(),
        ("performance", "error_mitigation"): st.booleans(),
    })
    for regime in ("stable", "trending", "volatile", "crisis"):
        for feature in ("volatility", "trend_clarity", "volume_normalized"):
            changes[("market_regimes", regime, feature)] = _interval()
    picked = draw(st.lists(st.sampled_from(sorted(changes)), unique=True, max_size=12))
    data, applied = DEFAULTS, {}
    for path in picked:
        value = draw(changes[path])
        data = _set(data, path, value)
        applied[path] = value
    history = draw(st.integers(1, MAX_HISTORY))
    depth = draw(st.integers(1, history))
    data = _set(_set(data, ("learning", "history_size"), history), ("learning", "memory_depth"), depth)
    applied[("learning", "history_size")], applied[("learning", "memory_depth")] = history, depth
    return data, applied


def _check_applied(cfg: QARConfig, applied: dict) -> None:
    for path, value in applied.items():
        got = _get(cfg, path)
        if isinstance(value, list):
            got = [got.low, got.high]
        assert got == value, (path, got, value)


def check_valid_config_is_accepted(drawn):
    data, applied = drawn
    _check_applied(parse_config(data, "gen"), applied)
    cfg, where = _via_file(data)
    assert isinstance(cfg, QARConfig), cfg
    _check_applied(cfg, applied)


test_valid_config_is_accepted, test_valid_config_is_accepted_slow = variants(
    check_valid_config_is_accepted, valid_configs())


# -- certainly-bad values name the field --------------------------------------------------------

def _not_a_number(text: str) -> bool:
    try:
        return not math.isfinite(float(text))
    except ValueError:
        return True


@st.composite
def bad_leaf(draw):
    kind = draw(st.sampled_from(["numeric", "text", "bool", "pair"]))
    containers = st.one_of(st.lists(st.integers(), min_size=1, max_size=3).filter(lambda v: len(v) != 2),
                           st.dictionaries(st.text(min_size=1, max_size=3), st.integers(), min_size=1, max_size=2))
    if kind == "numeric":
        path = draw(st.sampled_from(NUMERIC_LEAVES))
        value = draw(st.one_of(st.text(max_size=8).filter(_not_a_number), containers, st.none(),
                               st.sampled_from([math.nan, math.inf, -math.inf])))
    elif kind == "text":
        path = draw(st.sampled_from(TEXT_LEAVES))
        value = draw(st.one_of(st.integers(), st.floats(), containers, st.none()))
    elif kind == "bool":
        path = draw(st.sampled_from(BOOL_LEAVES))
        value = draw(st.one_of(st.text(max_size=8).filter(
            lambda t: t.strip().lower() not in {"0", "1", "true", "false", "yes", "no", "on", "off",
                                                "t", "f", "y", "n"}),
            st.integers().filter(lambda i: i not in (0, 1)), containers, st.none()))
    else:
        path = draw(st.sampled_from(PAIR_LEAVES))
        value = draw(st.one_of(st.lists(st.floats(0, 10), max_size=4).filter(lambda v: len(v) != 2),
                               st.tuples(st.floats(0, 10), st.floats(0, 10)).map(sorted).map(
                                   lambda p: [p[1], p[0]]).filter(lambda p: p[0] > p[1]),
                               st.text(max_size=5), st.none()))
    return path, value


def check_bad_value_names_the_field(bad):
    path, value = bad
    data = _set(DEFAULTS, path, value)
    raises_named(lambda: parse_config(data, "src.yaml"), "src.yaml: ", _dotted(path), kind=ConfigError)
    exc, where = _via_file(data)
    assert_names(exc, where, _dotted(path), kind=ConfigError)


test_bad_value_names_the_field, test_bad_value_names_the_field_slow = variants(
    check_bad_value_names_the_field, bad_leaf())


def check_unknown_key_is_named(parent, key, value):
    assume(not (isinstance(_get(DEFAULTS, parent), dict) and key in _get(DEFAULTS, parent)))
    data = _set(DEFAULTS, (*parent, key), value)
    msg = raises_named(lambda: parse_config(data, "src"), _dotted((*parent, key)), kind=ConfigError)
    assert f"{_dotted((*parent, key))}: unknown key" in msg
    # a suggestion, when there is one, is a valid key of the same section
    suggested = re.search(r"unknown key; did you mean ([^?]+)\?", msg)
    if suggested:
        from qar_qiskit.config import QARConfig
        from tests.test_config_keys import _fields

        *section, _ = suggested.group(1).split(".")
        assert tuple(section) == tuple(map(str, parent))
        assert suggested.group(1) in {dotted for dotted, _ in _fields(QARConfig)}


test_unknown_key_is_named, test_unknown_key_is_named_slow = variants(
    check_unknown_key_is_named, st.sampled_from(DICT_PATHS), st.text(min_size=1, max_size=10), json_values)


def check_missing_key_is_named(path):
    data = copy.deepcopy(DEFAULTS)
    node = data
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    try:
        cfg = parse_config(data, "src")
    except ConfigError as exc:
        assert_names(exc, "src: ", _dotted(path))
        assert "Field required" in str(exc)
    else:  # a field with a default: the model's default applies
        parent = _get(cfg, path[:-1]) if len(path) > 1 else cfg
        field = type(parent).model_fields[path[-1]]
        assert _get(cfg, path) == field.get_default(call_default_factory=True)


test_missing_key_is_named, test_missing_key_is_named_slow = variants(
    check_missing_key_is_named, st.sampled_from(tuple(p for p in DICT_PATHS if p) + tuple(LEAVES)))


# -- anything else: a config or a ConfigError naming the file -----------------------------------

def check_any_value_anywhere(path, value):
    data = _set(DEFAULTS, path, value)
    try:
        parse_config(data, "src")
    except ConfigError as exc:
        assert_names(exc, "src: ")
        assert any(_dotted(path[:i]) in str(exc) for i in range(1, len(path) + 1)), (path, str(exc))


test_any_value_anywhere, test_any_value_anywhere_slow = variants(
    check_any_value_anywhere, st.sampled_from(tuple(LEAVES) + tuple(p for p in DICT_PATHS if p)),
    st.one_of(json_values, st.floats(), st.integers(min_value=-10**40, max_value=10**40)))


yaml_text = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.sampled_from(list("abc:-[]{}&*!|>'\"%@`#, \n\t0123456789.")), max_size=200),
    json_values.map(lambda v: yaml.safe_dump(v)),
    st.sampled_from(["[" * 5000, "a: " + "1" * 5000, "2020-13-45", "x: 2020-02-30", "\x00", "- 1\n- 2\n",
                     "a: &a [*a]", "!!python/object:os.system {}", "%YAML 9.9\n---\n", "\ufeff", "a: !!binary 7"]),
)


def check_any_file_is_a_config_or_named(content, overrides):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.yaml"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        try:
            load_config(path, overrides=overrides)
        except ConfigError as exc:
            assert_names(exc, str(path))


test_any_file_is_a_config_or_named, test_any_file_is_a_config_or_named_slow = variants(
    check_any_file_is_a_config_or_named, st.one_of(yaml_text, st.binary(max_size=200)),
    st.one_of(st.none(), st.dictionaries(st.text(max_size=8), json_values, max_size=3)))


def check_overrides_on_defaults(overrides):
    try:
        load_config(None, overrides=overrides)
    except ConfigError as exc:
        assert_names(exc, str(default_config_path()))


test_overrides_on_defaults, test_overrides_on_defaults_slow = variants(
    check_overrides_on_defaults,
    st.one_of(st.dictionaries(st.sampled_from(SECTIONS + ("bogus",)), json_values, max_size=3),
              st.builds(_nest, st.sampled_from(tuple(LEAVES)), json_values)))
