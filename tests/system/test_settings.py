"""RunSettings: resolved once (config < profile < flags), executors built from it, stored with
the state and written into the backtest report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qar_qiskit.backends.registry import build_executor, load_profile
from qar_qiskit.config import load_config
from qar_qiskit.errors import ConfigError, QARError, StateError
from qar_qiskit.settings import DEFAULT_TRANSPILE_SEED, RunSettings, resolve_settings
from qar_qiskit.system.persistence import _checksum
from qar_qiskit.system.qar import QAR

from .conftest import STABLE
from .conftest import tick as _tick


def tick(**kw):
    return _tick(**{**STABLE, **kw})


@pytest.fixture
def profile_file(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: aer-noisy:FakeTorino\nshots: 77\nseed: 5\ntranspile_seed: 3\n"
                    "mitigation: none\noptimization_level: 1\n")
    return path


def test_config_values_become_the_settings():
    cfg = load_config(overrides={"backend": {"name": "aer", "shots": 300, "seed": 9, "optimization_level": 2},
                                 "performance": {"error_mitigation": False, "postselect_market": True}})
    s = resolve_settings(cfg)
    assert s == RunSettings(backend="aer", shots=300, seed=9, transpile_seed=DEFAULT_TRANSPILE_SEED,
                            optimization_level=2, mitigation="none", postselect_market=True,
                            postselect_consistency=False)
    assert resolve_settings(load_config()).mitigation == "m3"  # error_mitigation defaults to true


def test_profile_over_config_and_flags_over_profile(profile_file):
    cfg = load_config()
    prof = load_profile(profile_file)
    s = resolve_settings(cfg, profile=prof)
    assert (s.backend, s.shots, s.seed, s.transpile_seed, s.mitigation, s.optimization_level) == \
        ("aer-noisy:FakeTorino", 77, 5, 3, "none", 1)
    s = resolve_settings(cfg, profile=prof, shots=12, seed=4, optimization_level=3)
    assert (s.shots, s.seed, s.optimization_level, s.transpile_seed) == (12, 4, 3, 3)
    with pytest.raises(QARError, match="disagree"):
        resolve_settings(cfg, profile=prof, backend="aer")


def test_bad_values_name_the_field():
    with pytest.raises(ConfigError, match="shots"):
        resolve_settings(load_config(), shots=0)
    with pytest.raises(ConfigError, match="backend"):
        RunSettings.from_dict({"backend": "quantum-cloud", "shots": 1, "seed": 1})
    with pytest.raises(ConfigError, match="mitigation"):
        RunSettings.from_dict({"backend": "aer", "shots": 1, "seed": 1, "mitigation": "magic"})
    s = RunSettings(backend="aer", shots=1, seed=1)
    with pytest.raises(Exception):
        s.shots = 2  # frozen


def test_qar_resolves_once_and_builds_its_executor_from_the_settings(profile_file):
    cfg = load_config()
    qar = QAR(cfg, shots=333, seed=8)
    assert qar.config is cfg and cfg.backend.shots == 1024  # the config is not rewritten
    assert (qar.settings.shots, qar.settings.seed) == (333, 8)
    assert qar.executor.default_shots == 333 and qar.executor.seed == 8
    noisy = QAR(cfg, profile=profile_file, shots=50)
    ex = noisy.executor
    assert (ex.default_shots, ex.seed, ex.transpile_seed, ex.mitigation, ex.optimization_level) == (50, 5, 3, "none", 1)


def test_ibm_executor_takes_the_settings_transpile_seed():
    from tests.backends.fake_service import FakeService

    s = RunSettings(backend="ibm:fake_torino", shots=10, seed=1234, transpile_seed=11)
    ex = build_executor(s, service=FakeService(), layout_trials=1)
    assert ex.transpile_seed == 11 and ex.seed == 1234  # no longer the base seed
    assert build_executor(s.model_copy(update={"transpile_seed": 99}), service=FakeService(),
                          layout_trials=1).transpile_seed == 99


def test_settings_are_saved_and_flags_override_them(tmp_path):
    qar = QAR(backend="exact", shots=321, seed=17)
    d = qar.decide(tick(), returns_history=np.zeros(5))
    qar.record_outcome(d.decision_id, 0.0, market_return=0.01)
    path = qar.save(tmp_path / "s.json")
    assert json.loads(path.read_text())["payload"]["settings"] == qar.settings.to_dict()
    assert QAR.load(path).settings == qar.settings
    assert QAR.load(path, shots=5).settings == qar.settings.model_copy(update={"shots": 5})


def _rewrite(path, edit):
    doc = json.loads(path.read_text())
    edit(doc["payload"])
    doc["checksum"] = _checksum(doc["payload"])
    path.write_text(json.dumps(doc))


def test_old_state_without_settings_loads_from_its_config(tmp_path):
    qar = QAR(load_config(overrides={"backend": {"name": "exact", "shots": 99, "seed": 3}}))
    path = qar.save(tmp_path / "s.json")
    _rewrite(path, lambda p: (p.pop("settings"), p.update(pool={"allocations": 0})))
    loaded = QAR.load(path)
    assert (loaded.settings.backend, loaded.settings.shots, loaded.settings.seed) == ("exact", 99, 3)


def test_damaged_settings_are_refused_naming_the_field(tmp_path):
    path = QAR(backend="exact").save(tmp_path / "s.json")
    _rewrite(path, lambda p: p["settings"].update(shots=-4))
    with pytest.raises(StateError, match="settings.*shots"):
        QAR.load(path)


def test_backtest_report_records_the_settings(tmp_path):
    from qar_qiskit.backtest.runner import run_backtest
    from tests.backtest.conftest import synthetic_prices

    qar = QAR(backend="exact", seed=21)
    res = run_backtest(synthetic_prices(90), qar=qar, progress=False, baselines=False, out_dir=tmp_path)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["run"]["settings"] == qar.settings.to_dict() and metrics["run"]["seed"] == 21
    # the report lists only the settings that applied: exact samples nothing (no shots, seed or mitigation)
    assert "Run settings: backend `exact` (the exact backend samples nothing" in (tmp_path / "report.md").read_text()
    assert res.metrics["run"]["settings"]["transpile_seed"] == DEFAULT_TRANSPILE_SEED
