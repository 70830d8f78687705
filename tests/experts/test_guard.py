"""An exception inside a plug-in's method is one error naming the expert and the method: in the
API (``ExpertError``, not retried, no fallback to the twin) and on the command line (one line;
``qar --debug`` prints the traceback)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from qar_qiskit import QAR
from qar_qiskit.config import default_config_path
from qar_qiskit.errors import ExpertError, QARError
from tests.experts.plugins import FailingExpert
from tests.properties import assert_cli_error, run_cli

RETURNS = np.random.default_rng(4).normal(0.0, 0.01, 40)
TICK = {"price": 100.0, "volatility": 0.15, "trend_clarity": 0.8, "volume_normalized": 1.0}


@pytest.mark.parametrize("method,backend", [
    ("inputs", "exact"), ("circuit", "exact"), ("parameter_values", "exact"), ("twin", "exact"),
    ("size_risk", "exact"), ("report", "exact"), ("read", "aer"),
])
def test_an_exception_in_a_plugin_method_names_the_expert_and_the_method(method, backend):
    expert = FailingExpert(name=f"failing_{method}", fail_in=method)
    with pytest.raises(ExpertError) as err:
        QAR(backend=backend, shots=64, experts=[expert, "abstain"]).decide(TICK, returns_history=RETURNS)
    assert str(err.value) == f"expert 'failing_{method}' failed in {method}: ZeroDivisionError: division by zero"
    assert (err.value.expert, err.value.method) == (expert.name, method)
    assert isinstance(err.value.__cause__, ZeroDivisionError)
    assert not isinstance(err.value, QARError)  # a plug-in's bug is not retried nor replaced by the twin


def _config(tmp_path):
    path = tmp_path / "failing.yaml"
    data = yaml.safe_load(default_config_path().read_text())
    data.update(experts=["lmsr", "abstain", "failing_pv"],
                expert_modules=["tests.experts.failing_module"])
    data["backend"]["name"] = "exact"
    path.write_text(yaml.safe_dump(data))
    tick = tmp_path / "tick.json"
    tick.write_text('{"price": 100.0, "volatility": 0.15, "trend_clarity": 0.8}')
    return path, tick


def test_cli_prints_one_line_naming_the_expert_and_method(tmp_path):
    config, tick = _config(tmp_path)
    code, out, err = run_cli(["--config", str(config), "decide", "--tick", str(tick)])
    assert code == 2
    assert assert_cli_error(code, out, err) == ("error: expert 'failing_pv' failed in parameter_values: "
                                                "ZeroDivisionError: division by zero")


def test_cli_debug_prints_the_traceback(tmp_path):
    config, tick = _config(tmp_path)
    code, out, err = run_cli(["--debug", "--config", str(config), "decide", "--tick", str(tick)])
    assert code == 2
    assert err.startswith("Traceback (most recent call last):")
    assert "1 / 0" in err and "ZeroDivisionError: division by zero" in err  # the plug-in's own line
    assert err.rstrip().endswith("qar_qiskit.errors.ExpertError: expert 'failing_pv' failed in parameter_values: "
                                 "ZeroDivisionError: division by zero")


def test_debug_does_not_change_success_or_usage_errors(tmp_path):
    _, tick = _config(tmp_path)
    code, out, err = run_cli(["--debug", "decide", "--tick", str(tick), "--backend", "exact"])
    assert code == 0 and out.startswith("decision") and not err
    code, out, err = run_cli(["--debug", "decide", "--no-such-option"])
    assert_cli_error(code, out, err, "No such option")
