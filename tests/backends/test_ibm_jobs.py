"""IBM path in local testing mode, the job store across processes, and token hygiene."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qar_qiskit.backends import make_executor
from qar_qiskit.backends.ibm import IBMExecutor, get_service, redact
from qar_qiskit.backends.jobs import JobStore, job_result, job_status, submit_tick
from qar_qiskit.errors import BackendError, JobError
from tests.backends.conftest import TOKEN
from tests.backends.fake_service import FakeService

ROOT = Path(__file__).resolve().parents[2]
FACTORY = "tests.backends.fake_service:make_service"


def run_qar(*args, env_extra=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env_extra or {})}
    code = "import sys; from qar_qiskit.cli import main; sys.argv=['qar', *sys.argv[1:]]; main()"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def torino_job(tmp_path_factory):
    """One local-mode submission on FakeTorino through the job store (the slow part: ~15 s)."""
    from qar_qiskit.plan.allocation import AllocationPlan
    from tests.backends.conftest import SmallTick, small_circuit

    qc = small_circuit()
    tick = SmallTick(qc, tuple(qc.parameters), AllocationPlan())
    store = JobStore(tmp_path_factory.mktemp("store") / "jobs.json")
    vals = np.array([[0.0] * 5, [np.pi] * 5])
    record = submit_tick(tick, vals, "ibm:fake_torino", shots=300, store=store, service=FakeService(), seed=7)
    return record, store


def test_ibm_local_mode_fake_torino_end_to_end(torino_job):
    record, store = torino_job
    assert record["status"] == "DONE" and record["local"] and record["sampler"] == "client-side"
    assert record["backend"] == "ibm:fake_torino" and record["plan"]["regime"] == "stable"
    results = job_result(record["job_id"], store=store)
    assert len(results) == 2
    for r in results:
        assert set(r.counts) == {"market", "decision"}
        assert all(sum(c.values()) == 300 for c in r.counts.values())
    assert max(results[1].counts["market"], key=results[1].counts["market"].get) == "01"


def test_ibm_local_mode_fake_fez_batch(small_tick, basis_values):
    ex = make_executor("ibm:fake_fez", service=FakeService(), mode="batch", seed=3, optimization_level=1)
    assert isinstance(ex, IBMExecutor) and ex.num_qubits == 156 and ex.supports_dynamic
    try:
        res = ex.run(small_tick, basis_values[:, ::-1], shots=200)
    finally:
        ex.close()
    assert len(res) == 2 and res[0].job_id
    for r in res:
        assert r.backend == "ibm:fake_fez"
        assert {k: sum(v.values()) for k, v in r.counts.items()} == {"market": 200, "decision": 200}
    assert max(res[0].counts["decision"], key=res[0].counts["decision"].get) == "000"
    assert ex.cache.misses == 1


def test_status_and_result_from_another_process(torino_job, tmp_path):
    record, store = torino_job
    env = {"QAR_JOB_STORE": str(store.path), "QAR_IBM_SERVICE_FACTORY": FACTORY}
    out = run_qar("status", record["job_id"], env_extra=env)
    assert out.returncode == 0, out.stderr
    assert record["job_id"] in out.stdout and "DONE" in out.stdout
    out = run_qar("result", record["job_id"], "--json", env_extra=env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert all(sum(c.values()) == 300 for row in data["results"] for c in row["counts"].values())


def test_market_tick_submit_status_result_across_processes(tmp_path):
    """``qar submit`` of a market tick (pipeline -> plan -> composed circuit) in one process,
    ``qar status`` and ``qar result`` in others; the decision register's frequencies are within
    the shot-noise bound of the exact twin saved at submit time."""
    from qar_qiskit.classical.stats import shot_noise_tvd_bound

    env = {"QAR_JOB_STORE": str(tmp_path / "jobs.json"), "QAR_IBM_SERVICE_FACTORY": FACTORY}
    tick = tmp_path / "tick.json"
    tick.write_text(json.dumps({"price": 4500, "volatility": 0.14, "trend_clarity": 0.8, "volume_normalized": 1.0}))
    shots = 2000
    out = run_qar("submit", "--tick", str(tick), "--backend", "ibm:aer_mps", "--shots", str(shots), env_extra=env)
    assert out.returncode == 0, out.stderr
    job_id = out.stdout.split()[0]
    out = run_qar("status", job_id, env_extra=env)
    assert out.returncode == 0 and "DONE" in out.stdout, out.stderr
    out = run_qar("result", job_id, "--json", env_extra=env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    record = JobStore(tmp_path / "jobs.json").get(job_id)
    assert record["plan"]["regime"] == "stable" and record["context"]["source"] == "market-tick"
    exact = np.array(record["context"]["exact_decision_distribution"])
    counts = data["results"][0]["counts"]["decision"]
    assert sum(counts.values()) == shots
    sampled = np.zeros(32)
    for bits, n in counts.items():
        sampled[int(bits, 2)] += n / shots
    tvd = 0.5 * np.abs(sampled - exact).sum()
    assert tvd < shot_noise_tvd_bound(exact, shots, confidence=0.999)
    decision = data["decisions"][0]
    assert {"action", "size", "risk", "confidence", "exact"} <= set(decision)
    out = run_qar("result", job_id, env_extra=env)
    assert out.returncode == 0 and "decision" in out.stdout and "exact twin" in out.stdout


def _remote_record(store: JobStore, job_id: str):
    store.add({"job_id": job_id, "backend": "ibm:fake_torino", "plan": None, "parameter_values": [[0.0]],
               "shots": 100, "registers": ["market", "decision"], "rows": 2,
               "submitted_at": "2026-01-01T00:00:00+00:00",
               "status": "QUEUED", "local": False, "sampler": "client-side"})


def test_remote_jobs_done_failed_cancelled_running(tmp_path, monkeypatch):
    jobs_dir = tmp_path / "jobs"
    jobs_dir.mkdir()
    store = JobStore(tmp_path / "jobs.json")
    counts = [{"market": {"00": 60, "01": 40}, "decision": {"000": 100}},
              {"market": {"11": 100}, "decision": {"101": 70, "001": 30}}]
    specs = {"j-done": {"status": "DONE", "counts": counts}, "j-err": {"status": "ERROR", "error": "boom"},
             "j-cancel": {"status": "CANCELLED"}, "j-run": {"status": "RUNNING"}}
    for jid, spec in specs.items():
        (jobs_dir / f"{jid}.json").write_text(json.dumps(spec))
        _remote_record(store, jid)
    env = {"QAR_JOB_STORE": str(store.path), "QAR_IBM_SERVICE_FACTORY": FACTORY, "FAKE_IBM_JOBS": str(jobs_dir)}
    out = run_qar("result", "j-done", "--json", env_extra=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["results"][1]["counts"]["decision"] == {"101": 70, "001": 30}
    assert store.get("j-done")["status"] == "DONE"
    # the rest in-process (same code path, faster)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(JobError, match="failed: boom"):
        job_result("j-err", store=store)
    with pytest.raises(JobError, match="cancelled"):
        job_result("j-cancel", store=store)
    assert job_status("j-run", store=store)["status"] == "RUNNING"
    with pytest.raises(JobError, match="not finished"):
        job_result("j-run", store=store)
    with pytest.raises(JobError, match="did not finish within"):
        job_result("j-run", store=store, wait_s=0.1)
    with pytest.raises(JobError, match="unknown job id 'nope'"):
        job_status("nope", store=store)


def test_cli_errors_are_one_line(tmp_path):
    env = {"QAR_JOB_STORE": str(tmp_path / "jobs.json"), "QAR_IBM_SERVICE_FACTORY": FACTORY}
    out = run_qar("status", "missing-job", env_extra=env)
    assert out.returncode != 0 and out.stderr.strip().count("\n") == 0 and "unknown job id" in out.stderr
    tick = tmp_path / "tick.json"
    tick.write_text(json.dumps({"plan": {"regime": "stable"}, "parameter_values": [[0.0] * 55]}))
    out = run_qar("submit", "--tick", str(tick), "--backend", "bogus", env_extra=env)
    assert out.returncode != 0 and "valid choices" in out.stderr and out.stderr.strip().count("\n") == 0
    out = run_qar("submit", "--tick", str(tick), "--backend", "ibm:no_such", env_extra=env)
    assert out.returncode != 0 and "unknown IBM backend 'no_such'" in out.stderr


def test_job_store_atomic_and_damaged(tmp_path):
    store = JobStore(tmp_path / "sub" / "jobs.json")
    store.add({"job_id": "a", "status": "QUEUED"})
    store.update("a", status="DONE")
    assert store.get("a")["status"] == "DONE"
    assert not [p for p in store.path.parent.iterdir() if p.suffix == ".tmp"]
    store.path.write_text("{not json")
    from qar_qiskit.errors import StateError

    with pytest.raises(StateError, match="damaged"):
        store.get("a")


# -- token hygiene -------------------------------------------------------------------------------

def test_planted_token_never_leaks(planted_token, tmp_path, monkeypatch, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("FAKE_IBM_AUTH_FAIL", "1")
    monkeypatch.setenv("QAR_IBM_SERVICE_FACTORY", FACTORY)
    with pytest.raises(BackendError) as err:
        make_executor("ibm:fake_torino")
    text = str(err.value)
    assert "authentication failed" in text and TOKEN not in text and "***" in text
    assert err.value.__cause__ is None and err.value.__context__ is None
    # through the CLI in a new process: one line, no token
    env = {"QISKIT_IBM_TOKEN": TOKEN, "FAKE_IBM_AUTH_FAIL": "1", "QAR_IBM_SERVICE_FACTORY": FACTORY,
           "QAR_JOB_STORE": str(tmp_path / "jobs.json")}
    tick = tmp_path / "tick.json"
    tick.write_text(json.dumps({"plan": {"regime": "stable"}, "parameter_values": [[0.0] * 55]}))
    out = run_qar("submit", "--tick", str(tick), "--backend", "ibm:fake_torino", env_extra=env)
    assert out.returncode != 0 and "authentication failed" in out.stderr
    assert TOKEN not in out.stdout + out.stderr
    out = run_qar("backends", env_extra=env)
    assert TOKEN not in out.stdout + out.stderr
    # default factory with a bad token: the real QiskitRuntimeService must fail offline, redacted
    monkeypatch.delenv("QAR_IBM_SERVICE_FACTORY")
    monkeypatch.setenv("QISKIT_IBM_RUNTIME_LOG_LEVEL", "DEBUG")
    with pytest.raises(BackendError) as err2:
        get_service(channel="ibm_quantum_platform")
    assert TOKEN not in str(err2.value)
    assert TOKEN not in caplog.text
    assert TOKEN not in "".join(capsys.readouterr())
    assert redact(f"x {TOKEN} y") == "x *** y"
    if (tmp_path / "jobs.json").exists():
        assert TOKEN not in (tmp_path / "jobs.json").read_text()


def test_store_file_has_no_token(torino_job, planted_token):
    record, store = torino_job
    assert TOKEN not in store.path.read_text()
