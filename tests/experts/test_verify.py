"""The resolve-time check of every fragment against its twin, and ``qar check``'s lines for it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import yaml
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter

from qar_qiskit.config import default_config_path, load_config
from qar_qiskit.errors import InputError
from qar_qiskit.experts import resolve_experts, verify
from qar_qiskit.system.checks import expert_checks
from tests.experts.plugins import MeanReversionExpert, WrongTwinExpert
from tests.properties import run_cli


@dataclass(frozen=True)
class ReadLateExpert(MeanReversionExpert):
    """Uses its read qubit (1) as a control before the RY that sets it."""

    name: str = "readlate"

    def circuit(self, n_qubits):
        qc = QuantumCircuit(2, name=self.name)
        qc.cry(Parameter("phi_0"), 1, 0)
        qc.ry(Parameter("theta_buy"), 1)
        return qc


@dataclass(frozen=True)
class BadReadProbability(MeanReversionExpert):
    """Its p_read is not the read qubit's marginal of its own twin."""

    name: str = "badread"

    def p_read(self, data):
        return 0.5


def test_the_points_are_fixed_and_seeded():
    assert list(verify.POINTS) == ["flat", "up-trend", "down-trend", f"random(seed={verify.SEED})"]
    again = np.random.default_rng(verify.SEED).normal(0.0005, 0.015, 60)
    assert np.array_equal(verify.POINTS[f"random(seed={verify.SEED})"], again)


def test_read_qubit_used_before_it_is_set_is_refused():
    with pytest.raises(InputError, match=r"expert 'readlate': its 2-qubit fragment uses the read qubit 1 \(by cry, "
                                         r"instruction 0\) before it sets it \(by ry, instruction 1\)"):
        verify.verify_expert(ReadLateExpert(), 2, None)


def test_p_read_must_match_the_fragment():
    with pytest.raises(InputError, match=r"expert 'badread' \(2 qubits, input point 'up-trend'\): p_read 0.5 "
                                         r"differs from P\(read qubit 1 = 1\)"):
        verify.verify_expert(BadReadProbability(), 2, None)  # flat: p_buy is 0.5, so it holds there


def test_a_pass_is_cached_per_expert_and_width(monkeypatch):
    cfg = load_config()
    experts = resolve_experts([MeanReversionExpert(), "abstain"], cfg)  # checked once
    calls = []
    monkeypatch.setattr(MeanReversionExpert, "twin", lambda self, data: calls.append(data) or np.ones(4) / 4)
    assert resolve_experts(experts, cfg) is experts
    verify.verify_expert(MeanReversionExpert(), 2, cfg)
    assert calls == []  # the warm path never runs the twin again


def test_widths_are_those_of_the_four_plans():
    cfg = load_config()
    assert verify.planned_widths(resolve_experts(None), cfg) == {"lmsr": (3, 4, 5), "prospect": (4, 5),
                                                                  "hedge": (3, 4, 5)}


def test_expert_checks_pass_and_fail_per_expert():
    cfg = load_config().model_copy(update={"experts": ("lmsr", "abstain", "wrongtwin", "meanrev")})
    resolve_experts([WrongTwinExpert(), MeanReversionExpert()])  # registered, not checked (no config)
    lines = {name: (ok, detail) for name, ok, detail in expert_checks(cfg)}
    assert lines["expert lmsr"][0] and lines["expert meanrev"][0]
    assert lines["expert meanrev"][1] == "fragment = twin to 1e-09 at 4 input points for 2 qubits"
    assert lines["expert wrongtwin"] == (False, "expert 'wrongtwin' (2 qubits, input point 'flat'): the fragment "
                                                "does not prepare its twin: circuit [0.5, 0, 0.45, 0.05] vs twin "
                                                "[0.5, 0, 0.05, 0.45]")
    assert "expert abstain" not in lines  # no register, nothing to check


def test_qar_check_prints_pass_and_fail_per_expert(tmp_path):
    data = yaml.safe_load(default_config_path().read_text())
    data.update(experts=["lmsr", "abstain", "failing_pv"], expert_modules=["tests.experts.failing_module"])
    data["backend"]["name"] = "exact"
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data))
    code, out, err = run_cli(["--config", str(path), "check"])
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("PASS  config")
    assert lines[1] == "PASS  expert lmsr            fragment = twin to 1e-09 at 4 input points for 9 qubits"
    assert lines[2] == ("FAIL  expert failing_pv      expert 'failing_pv' failed in parameter_values: "
                        "ZeroDivisionError: division by zero")
    assert lines[3].startswith("FAIL  QAR") and "failing_pv" in lines[3]
