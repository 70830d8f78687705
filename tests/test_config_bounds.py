"""Issue #17: every size- or count-like setting has an upper bound, enforced everywhere.

Per bounded field, a value just past the bound is refused with an error that names the field
and the bound: in a config file (``qar --config FILE decide``), in the config embedded in a
saved state (re-checksummed, ``QAR.load``), and through the CLI options that override settings
(``--shots``, ``--seed``). The fields come from tests/config_fields.py (every numeric leaf of
the packaged config.yaml), so a new setting is covered without editing this file.
"""

from __future__ import annotations

import json
import math
import re

import pytest

from qar_qiskit.config import MAX_SEED, MAX_SHOTS, parse_config
from qar_qiskit.errors import ConfigError, StateError
from qar_qiskit.system.persistence import _checksum
from qar_qiskit.system.qar import QAR
from tests.config_fields import DEFAULTS, FIELDS, above
from tests.properties import assert_cli_error, assert_names, run_cli
from tests.system.test_persistence_properties import saved_state
from tests.test_config_properties import _set

BOUNDED = [f for f in FIELDS if f.high is not None]
#: Floats allowed unbounded above, each with its reason written on the field in config.py.
UNBOUNDED_FLOATS = {"risk_management.crisis_threshold", "performance.persistence_interval"}


def assert_bound_named(message: str, field, bound) -> None:
    """``message`` says ``<field>: Input should be <less|greater> than [or equal to] <bound>``."""
    match = re.search(re.escape(field.dotted) + r": Input should be (?:less|greater) than (?:or equal to )?"
                      r"([-+0-9.eE]+)", message)
    assert match, f"{field.dotted} and its bound not named in {message!r}"
    assert float(match.group(1)) == float(bound), (match.group(1), bound)


def test_every_integer_setting_has_an_upper_bound():
    ints = [f for f in FIELDS if f.kind is int]
    # the walk found the settings (24 since the three fixed-register ranges and update_frequency went)
    assert len(ints) >= 24, [f.dotted for f in ints]
    assert [f.dotted for f in ints if f.high is None] == []


def test_only_documented_or_feature_floats_are_unbounded():
    unbounded = {f.dotted for f in FIELDS if f.kind is float and f.high is None}
    features = {d for d in unbounded if d.startswith("market_regimes.") and d.rsplit(".", 1)[1] in ("low", "high")}
    assert unbounded - features == UNBOUNDED_FLOATS


@pytest.mark.parametrize("field", BOUNDED, ids=lambda f: f.dotted)
def test_bound_is_named_in_a_config_file(field, tmp_path):
    import yaml

    value = above(field)
    assert value is not None
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(field.set(DEFAULTS, value)))
    tick = tmp_path / "t.json"
    tick.write_text(json.dumps({"price": 100.0, "volatility": 0.2}))
    code, out, err = run_cli(["--config", str(config), "decide", "--tick", str(tick), "--backend", "exact"],
                             {"QAR_JOB_STORE": str(tmp_path / "jobs.json")})
    assert_bound_named(assert_cli_error(code, out, err, str(config)), field, field.high)


@pytest.mark.parametrize("field", BOUNDED, ids=lambda f: f.dotted)
def test_bound_is_named_in_a_saved_state(field, tmp_path):
    """A state whose embedded config was edited past a bound and re-checksummed is refused."""
    raw, doc = saved_state()
    payload = dict(doc["payload"])
    payload["config"] = field.set(payload["config"], above(field))
    path = tmp_path / "state.json"
    path.write_text(json.dumps({**doc, "payload": payload, "checksum": _checksum(payload)}))
    with pytest.raises(StateError) as info:
        QAR.load(path)
    assert_bound_named(assert_names(info.value, str(path)), field, field.high)


@pytest.mark.parametrize("field", [f for f in FIELDS if f.low is not None], ids=lambda f: f.dotted)
def test_lower_bound_is_named(field):
    value = field.low if field.low_open else (
        field.low - 1 if field.kind is int else math.nextafter(field.low, -math.inf))
    with pytest.raises(ConfigError) as info:
        parse_config(field.set(DEFAULTS, value), "src")
    assert_bound_named(assert_names(info.value, "src: "), field, field.low)


@pytest.mark.parametrize("field", BOUNDED, ids=lambda f: f.dotted)
def test_the_bound_itself_is_not_refused_for_its_own_sake(field):
    """At the bound the field's own check passes (a cross-field rule may still refuse the file)."""
    value = field.high if not field.high_open else None
    if value is None:
        pytest.skip("open bound")
    try:
        parse_config(field.set(DEFAULTS, value), "src")
    except ConfigError as exc:
        assert "less than" not in str(exc) and "greater than" not in str(exc), str(exc)


@pytest.mark.parametrize("command", ["decide", "backtest"])
@pytest.mark.parametrize("option, value, bound", [
    ("--shots", 1_000_001, "1000000"), ("--shots", 10**20, "1000000"),
    ("--seed", 2**63, "9223372036854775807"), ("--seed", 10**20, "9223372036854775807"),
])
def test_cli_overrides_name_the_option_and_bound(command, option, value, bound, tmp_path):
    tick = tmp_path / "t.json"
    tick.write_text(json.dumps({"price": 100.0, "volatility": 0.2}))
    args = (["decide", "--tick", str(tick)] if command == "decide"
            else ["backtest", "--data", "sp500", "--out", str(tmp_path / "o"), "--no-progress"])
    code, out, err = run_cli([*args, "--backend", "exact", option, str(value)],
                             {"QAR_JOB_STORE": str(tmp_path / "jobs.json")})
    assert_cli_error(code, out, err, option, bound)


def test_submit_shots_is_bounded(tmp_path):
    tick = tmp_path / "t.json"
    tick.write_text(json.dumps({"price": 100.0, "volatility": 0.2}))
    code, out, err = run_cli(["submit", "--tick", str(tick), "--backend", "ibm:fake", "--shots", str(10**20)],
                             {"QAR_JOB_STORE": str(tmp_path / "jobs.json")})
    assert_cli_error(code, out, err, "--shots", "1000000")


def test_qar_keyword_overrides_are_bounded():
    # the flags go into the run settings (qar_qiskit.settings), bounded like the config's backend section
    for kwargs, names in (({"shots": 10**20}, ("settings: shots", str(MAX_SHOTS))),
                          ({"seed": 2**63}, ("settings: seed", str(MAX_SEED)))):
        with pytest.raises(ConfigError) as info:
            QAR(backend="exact", **kwargs)
        assert_names(info.value, *names)


def test_expert_register_width_is_bounded_across_fields():
    """The widest register a plan can give an expert (planner's rule, computed here): max_qubits,
    capped by min(total - 13 fixed qubits, algorithm_pool max) minus the others' minimums."""
    from qar_qiskit.plan.planner import all_plans

    cfg = parse_config(DEFAULTS)
    # defaults: min(25 - 13, 15) = 12; lmsr min(12, 12 - 7) = 5, prospect min(10, 12 - 6) = 6, hedge 5
    widths = {n: max(getattr(p, n) for p in all_plans(cfg).values()) for n in ("lmsr", "prospect", "hedge")}
    assert all(widths[n] <= w for n, w in {"lmsr": 5, "prospect": 6, "hedge": 5}.items()), widths
    wide = _set(DEFAULTS, ("quantum_resources", "total_qubits"), 40)  # min(40 - 13, 15) = 15
    assert parse_config(wide).quantum_resources.total_qubits == 40  # prospect min(10, 15 - 6) = 9
    data = _set(wide, ("algorithms", "lmsr", "min_qubits"), 1)  # prospect: min(10, 15 - 1 - 3) = 10
    with pytest.raises(ConfigError) as info:
        parse_config(data, "src")
    assert_names(info.value, "src: ", "algorithms.prospect.max_qubits", "10 qubits", "at most 9")
    data = _set(_set(data, ("algorithms", "prospect", "max_qubits"), 9), ("algorithms", "hedge", "max_qubits"), 9)
    assert parse_config(data).algorithms.prospect.max_qubits == 9  # hedge was min(15, 15 - 1 - 4) = 10 too
    data = _set(wide, ("resource_allocation", "dynamic_ranges", "algorithm_pool"), [10, 20])  # lmsr 20 - 7
    with pytest.raises(ConfigError) as info:
        parse_config(data, "src")
    assert_names(info.value, "algorithms.lmsr.max_qubits", "12 qubits", "at most 9")
    # a budget of 17 leaves 17 - 13 = 4 qubits for the algorithms whatever the ranges say
    small = _set(_set(data, ("quantum_resources", "total_qubits"), 17), ("algorithms", "lmsr", "min_qubits"), 1)
    small = _set(_set(small, ("algorithms", "prospect", "min_qubits"), 2), ("algorithms", "hedge", "min_qubits"), 1)
    small = _set(small, ("resource_allocation", "dynamic_ranges", "algorithm_pool"), [4, 20])
    assert parse_config(small).quantum_resources.total_qubits == 17

