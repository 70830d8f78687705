"""Every numeric setting at extreme values, through every entry point that reads settings (issue #17).

One to three settings of the packaged config (every numeric leaf, tests/config_fields.py) are
set to extreme values (integers up to ±1e20 and ±2^63, floats ±1e308, ±5e-324, NaN and
infinities, the bounds and their neighbours) and the config reaches the code through:

* ``config.yaml``: ``qar --config FILE decide --tick T --backend exact`` (in process), and for a
  config that loads, a second decision and an outcome through the Python API;
* a saved state whose embedded config was edited and re-checksummed: ``QAR.load``;
* the CLI options that override settings (``--shots``, ``--seed``) with values up to ±1e20.

Each run ends in a decision or a clear error (one ``error:`` line, a :class:`QARError` naming the
file), never a traceback and never memory exhaustion: the module runs under the address-space cap
of tests/conftest.py, so an allocation sized by a setting fails the example with a MemoryError.
The backend is ``exact`` (the twins allocate what the settings size; the circuits' widths are
bounded by the register-width rule, measured on Aer in config.py).
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import event
from hypothesis import strategies as st

from qar_qiskit.config import parse_config
from qar_qiskit.errors import ConfigError, QARError, StateError
from qar_qiskit.system.persistence import _checksum
from qar_qiskit.system.qar import QAR
from qar_qiskit.tick import MarketTick
from tests.config_fields import DEFAULTS, FIELDS
from tests.properties import MEMORY_CAP_BYTES, assert_names, cli_outcome_ok, run_cli, variants
from tests.system.test_persistence_properties import saved_state

INT_EXTREMES = [0, 1, -1, 10**9, 2**31, 2**63 - 1, 2**63, -2**63, 10**20, -10**20, 2**64]
FLOAT_EXTREMES = [1e308, -1e308, 5e-324, -5e-324, 0.0, -0.0, 1.7976931348623157e308, 2.2250738585072014e-308,
                  math.inf, -math.inf, math.nan, 1e20, -1e20]


@st.composite
def extreme_value(draw, field):
    near = []
    for bound in (field.low, field.high):
        if bound is not None:
            near += [bound, bound + 1, bound - 1] if field.kind is int else [
                bound, math.nextafter(bound, math.inf), math.nextafter(bound, -math.inf)]
    return draw(st.one_of(
        st.sampled_from(INT_EXTREMES), st.sampled_from(FLOAT_EXTREMES),
        st.integers(-10**20, 10**20), st.floats(), st.sampled_from(near or [0])))


@st.composite
def extreme_configs(draw) -> tuple[dict, list]:
    """The defaults with one to three numeric settings at extreme values (and what was set)."""
    fields = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3, unique_by=lambda f: f.path))
    data, changed = DEFAULTS, []
    for field in fields:
        value = draw(extreme_value(field))
        data = field.set(data, value)
        changed.append((field.dotted, value))
    data["backend"] = {**data["backend"], "name": "exact"}
    return data, changed


TICKS = [MarketTick(price=100.0 + i, volatility=0.05 + 0.3 * i, trend_clarity=0.9 - 0.3 * i) for i in range(3)]
RETURNS = [0.01, -0.02, 0.004, 0.0, -0.007] * 12


def _decide_and_learn(qar: QAR) -> None:
    """Decisions on a return history, outcomes recorded: the paths the settings size."""
    for i, tick in enumerate(TICKS[:2]):
        d = qar.decide(tick, returns_history=RETURNS if i == 0 else None)
        assert d.action in ("sell", "hold", "buy", "hedge")
        qar.record_outcome(d.decision_id, pnl=0.0004 * (-1) ** i, market_return=0.003 * (-1) ** i)


def _yaml_text(data: dict) -> str:
    return yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True)


def check_config_file(drawn):
    data, changed = drawn
    event(f"{len(changed)} setting(s)")
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text(_yaml_text(data), encoding="utf-8")
        tick = Path(tmp) / "tick.json"
        tick.write_text(json.dumps({"price": 100.0, "volatility": 0.2, "trend_clarity": 0.6}))
        code, out, err = run_cli(["--config", str(config), "decide", "--tick", str(tick), "--backend", "exact",
                                  "--json"], {"QAR_JOB_STORE": str(Path(tmp) / "jobs.json")})
        if cli_outcome_ok(code, out, err):
            event("decided")
            assert json.loads(out)["action"] in ("sell", "hold", "buy", "hedge")
            _decide_and_learn(QAR.from_config(config))  # the same file through the Python API
        else:
            event("refused")
            assert str(config) in err, err


test_config_file, test_config_file_slow = variants(check_config_file, extreme_configs(), slow_examples=2_000)


def check_saved_state(drawn):
    data, changed = drawn
    try:
        # a state embeds the dumped config, so only what JSON can hold: NaN/inf stay out
        json.dumps(data, allow_nan=False)
    except ValueError:
        data = DEFAULTS
    _, doc = saved_state()
    payload = {**doc["payload"], "config": data}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "state.json"
        path.write_text(json.dumps({**doc, "payload": payload, "checksum": _checksum(payload)}))
        try:
            qar = QAR.load(path)
        except StateError as exc:
            event("refused")
            assert_names(exc, str(path), "config")
            return
        event("loaded")
        _decide_and_learn(qar)
        again = QAR.load(qar.save(Path(tmp) / "again.json"))
        assert again.config == qar.config


test_saved_state, test_saved_state_slow = variants(check_saved_state, extreme_configs(), slow_examples=2_000)


def check_cli_overrides(option, value):
    """``qar decide`` decides or refuses naming the option; ``qar backtest`` refuses the same values
    (run only for refused values: a valid one would run a whole backtest, which test_backtest covers)."""
    with tempfile.TemporaryDirectory() as tmp:
        tick = Path(tmp) / "tick.json"
        tick.write_text(json.dumps({"price": 100.0, "volatility": 0.2}))
        env = {"QAR_JOB_STORE": str(Path(tmp) / "jobs.json")}
        code, out, err = run_cli(["decide", "--tick", str(tick), "--backend", "exact", option, str(value)], env)
        if cli_outcome_ok(code, out, err):
            event("decided")
            return
        event("refused")
        assert option in err, err
        code, out, err = run_cli(["backtest", "--data", "sp500", "--start", "2018-12-01", "--end", "2018-12-28",
                                  "--backend", "exact", "--no-progress", "--out", str(Path(tmp) / "report"),
                                  option, str(value)], env)
        assert not cli_outcome_ok(code, out, err) and option in err, err


test_cli_overrides, test_cli_overrides_slow = variants(
    check_cli_overrides, st.sampled_from(["--shots", "--seed"]),
    st.one_of(st.sampled_from(INT_EXTREMES), st.integers(-10**20, 10**20), st.sampled_from(FLOAT_EXTREMES)),
    slow_examples=2_000)


def test_the_address_space_cap_is_in_force():
    """This module runs under the cap: reserving more than it is a MemoryError, not a dead runner."""
    with pytest.raises(MemoryError):
        np.empty(MEMORY_CAP_BYTES + (1 << 30), dtype=np.uint8)


@pytest.mark.parametrize("path, value", [
    (("quantum_resources", "total_qubits"), 10**9), (("quantum_resources", "total_qubits"), 10**20),
    (("algorithms", "hedge", "lookback"), 10**20), (("learning", "history_size"), 10**20),
    (("learning", "tracker_history"), 10**20),
])
def test_issue_17_cases_are_refused_naming_the_field(path, value, tmp_path):
    """The reported cases (MemoryError / OverflowError tracebacks, 22 GB) are one-line errors now."""
    field = next(f for f in FIELDS if f.path == path)
    with pytest.raises(ConfigError) as info:
        parse_config(field.set(DEFAULTS, value), "c.yaml")
    assert_names(info.value, "c.yaml", field.dotted, "less than or equal to")
    assert isinstance(info.value, QARError)
