"""``expert_modules``: another process rebuilds a plug-in expert set from the config alone.

A saved state names its experts; a fresh Python process that loads it only knows the built-ins
unless the config names the module that registers the plug-in. Both cases run in a real
subprocess (a fresh interpreter, as ``QAR.load`` in a Dask worker or a later session would).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qar_qiskit import QAR
from qar_qiskit.config import load_config
from qar_qiskit.errors import ConfigError
from qar_qiskit.labels import EXPERTS
from qar_qiskit.tick import MarketTick

ROOT = Path(__file__).resolve().parents[2]
MODULE = """from qar_qiskit.experts import register_expert
from tests.experts.plugins import ReversionExpert

register_expert(ReversionExpert())
"""
LOAD = """import json, sys
from qar_qiskit import QAR
from qar_qiskit.tick import MarketTick
qar = QAR.load(sys.argv[1])
d = qar.decide(MarketTick(price=101.0, volatility=0.2, trend_clarity=0.6))
print(json.dumps({"experts": list(qar.experts.names), "memory": qar.plan("stable").memory,
                  "positions": sorted(d.expert_positions)}))
"""


def _load_in_fresh_process(state: Path, tmp_path: Path):
    env_path = f"{tmp_path}:{ROOT}"
    return subprocess.run([sys.executable, "-c", LOAD, str(state)], capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"}, cwd=tmp_path)


def _saved(tmp_path: Path, modules: list[str]) -> Path:
    (tmp_path / "my_experts.py").write_text(MODULE)
    sys.path.insert(0, str(tmp_path))
    try:
        cfg = load_config(overrides={"experts": [*EXPERTS, "reversion"], "expert_modules": modules,
                                     "backend": {"name": "exact"}})
        qar = QAR(cfg) if modules else QAR(cfg.model_copy(update={"experts": EXPERTS}),
                                           experts=[*EXPERTS, _reversion()])
    finally:
        sys.path.remove(str(tmp_path))
    returns = np.random.default_rng(3).normal(0.0, 0.01, 60)
    qar.decide(MarketTick(price=100.0, volatility=0.2, trend_clarity=0.6), returns_history=returns)
    return qar.save(tmp_path / "state.json")


def _reversion():
    from tests.experts.plugins import ReversionExpert

    return ReversionExpert()


def test_a_fresh_process_rebuilds_the_plugin_set_from_expert_modules(tmp_path):
    state = _saved(tmp_path, ["my_experts"])
    proc = _load_in_fresh_process(state, tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["experts"] == [*EXPERTS, "reversion"]
    assert out["memory"] == 3  # ceil(log2 5)
    assert out["positions"] == sorted([*EXPERTS, "reversion"])


def test_without_expert_modules_a_fresh_process_names_the_unknown_expert(tmp_path):
    state = _saved(tmp_path, [])
    proc = _load_in_fresh_process(state, tmp_path)
    assert proc.returncode != 0
    assert "unknown expert 'reversion'" in proc.stderr


def test_an_unimportable_module_is_a_config_error_naming_it():
    cfg = load_config(overrides={"expert_modules": ["no_such_module_qar_test"], "backend": {"name": "exact"}})
    with pytest.raises(ConfigError, match=r"expert_modules: cannot import 'no_such_module_qar_test'"):
        QAR(cfg)
    with pytest.raises(ConfigError, match="expert_modules"):
        load_config(overrides={"expert_modules": ["not a module"]})
