"""``qar submit --dry-run`` on a fake device needs no IBM account; a real device without one
gives one line saying how to set credentials or use a fake device. Every process here runs with
no token, no service factory and an empty home folder (no saved account)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qar_qiskit.backends.ibm_service import (
    NO_CREDENTIALS,
    OfflineService,
    fake_device_class,
    get_service,
    service_for_backend,
)
from qar_qiskit.errors import BackendError

ROOT = Path(__file__).resolve().parents[2]


def _qar(tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("QISKIT_IBM_TOKEN", "QAR_IBM_SERVICE_FACTORY")}
    env.update(HOME=str(tmp_path), PYTHONPATH=str(ROOT), QAR_JOB_STORE=str(tmp_path / "jobs.json"))
    code = "import sys; from qar_qiskit.cli import main; sys.argv=['qar', *sys.argv[1:]]; main()"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture()
def no_account(monkeypatch):
    monkeypatch.delenv("QISKIT_IBM_TOKEN", raising=False)
    monkeypatch.delenv("QAR_IBM_SERVICE_FACTORY", raising=False)
    monkeypatch.setattr("qar_qiskit.backends.ibm_service.has_ibm_credentials", lambda: False)


def test_fake_names_resolve_to_their_class():
    from qiskit_ibm_runtime.fake_provider import FakeFez, FakeNighthawk

    assert fake_device_class("fake_fez") is FakeFez and fake_device_class("FakeFez") is FakeFez
    assert fake_device_class("fake_nighthawk") is FakeNighthawk
    assert fake_device_class("ibm_fez") is None and fake_device_class("fake_nowhere") is None


def test_fake_device_needs_no_account_and_a_real_one_says_how(no_account):
    assert isinstance(service_for_backend("fake_fez"), OfflineService)
    with pytest.raises(BackendError) as err:
        service_for_backend("ibm_fez")
    text = str(err.value)
    assert text == NO_CREDENTIALS and "\n" not in text
    assert "QISKIT_IBM_TOKEN" in text and "save_account" in text and "fake_fez" in text
    with pytest.raises(BackendError, match="no IBM Quantum credentials"):
        get_service()
    with pytest.raises(ValueError, match="no fractional gates"):
        OfflineService().backend("fake_fez", use_fractional_gates=True)
    with pytest.raises(BackendError, match="unknown fake device"):
        OfflineService().backend("fake_nowhere")


def isa_figures(isa, target) -> tuple[int, float]:
    """Two-qubit gates and whole-circuit ESP of an ISA circuit, computed here from ``target``'s errors."""
    ops = [(i.operation.name, tuple(isa.find_bit(q).index for q in i.qubits)) for i in isa.data
           if i.operation.name not in ("barrier", "delay")]
    return (sum(1 for _, q in ops if len(q) == 2),
            math.prod(1 - (target[n][q].error or 0.0) for n, q in ops))


def _tick(tmp_path):
    from qar_qiskit.circuits.composer import compose_tick_circuit
    from qar_qiskit.plan.allocation import AllocationPlan

    tick = tmp_path / "tick.json"
    n = len(compose_tick_circuit(AllocationPlan(regime="stable")).parameters)
    tick.write_text(json.dumps({"plan": {"regime": "stable"}, "parameter_values": [[0.1] * n]}))
    return tick


def test_cli_dry_run_offline_on_a_fake_device_and_its_qpy(tmp_path):
    from qiskit_ibm_runtime.fake_provider import FakeFez

    from qar_qiskit.backends.cone_report import load_isa

    tick = _tick(tmp_path)
    out = _qar(tmp_path, "submit", "--tick", str(tick), "--backend", "ibm:fake_fez", "--dry-run", "--json",
               "--layout-trials", "1", "--isa-out", str(tmp_path / "isa"))
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["backend"] == "ibm:fake_fez" and not (tmp_path / "jobs.json").exists()
    assert {"decision", "market", "memory", "buffer"} <= set(report["registers"])
    assert report["estimate"]["quantum_seconds"] > 0
    # the QPY file holds the exact circuit described: figures recomputed here from FakeFez's target
    isa = load_isa(report["isa_file"])
    two_q, esp = isa_figures(isa, FakeFez().target)
    assert two_q == report["isa"]["two_qubit_gates"] and math.isclose(esp, report["isa"]["esp"], rel_tol=1e-9)
    from qar_qiskit.backends.compile import register_esps

    again = register_esps(isa, FakeFez().target)
    assert {k: v["esp"] for k, v in again.items() if k != "*"} == {k: v["esp"] for k, v in report["registers"].items()}
    # aer-noisy:FakeFez: the same compilation, also offline; the text report names every register's cone ESP
    text = _qar(tmp_path, "submit", "--tick", str(tick), "--backend", "aer-noisy:FakeFez", "--dry-run",
                "--layout-trials", "1")
    assert text.returncode == 0, text.stderr
    assert "nothing was sent" in text.stdout and "cone ESP" in text.stdout and "decision" in text.stdout


def test_cli_dry_run_on_a_real_device_without_account_is_one_line(tmp_path):
    out = _qar(tmp_path, "submit", "--tick", str(_tick(tmp_path)), "--backend", "ibm:ibm_fez", "--dry-run")
    assert out.returncode != 0
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert "QISKIT_IBM_TOKEN" in lines[0] and "fake_fez" in lines[0] and "Traceback" not in out.stderr
