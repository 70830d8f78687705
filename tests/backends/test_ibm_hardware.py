"""IBM Runtime 0.51 paths (issue #13, part 6) in local testing mode and through the fake service.

max_execution_time and job tags reaching the runtime layer, fractional gates, DD pass-through,
ibm:least-busy, ``qar submit --dry-run`` (nothing sent), ``qar result`` by id or tag without the
local job store, and ``job.usage()``.
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from qiskit import QuantumCircuit

from qar_qiskit.backends import make_executor
from qar_qiskit.backends.compile import isa_summary
from qar_qiskit.backends.ibm import IBMExecutor
from qar_qiskit.backends.ibm_options import plan_from_tags, plan_tag
from qar_qiskit.backends.jobs import JobStore, dry_run_tick, job_result, job_status, submit_tick
from qar_qiskit.errors import BackendError, ConfigError, InputError, JobError
from qar_qiskit.plan.allocation import AllocationPlan
from tests.backends.conftest import SmallTick
from tests.backends.fake_service import FakeService
from tests.backends.test_ibm_jobs import FACTORY, run_qar


@pytest.fixture
def spy_executor(monkeypatch):
    """Captures what the client-side sampler hands to the Executor (program and options)."""
    import qiskit_ibm_runtime.executor_sampler.sampler as sampler_module

    captured = []
    original = sampler_module.Executor.run

    def run(self, program, dry_run=False):
        captured.append({"program": program, "options": self.options})
        return original(self, program, dry_run=dry_run)

    monkeypatch.setattr(sampler_module.Executor, "run", run)
    return captured


def _phase_tick(theta: float) -> SmallTick:
    """q1 = |1>; H . CP(theta) . H on q0: P(q0 = 0) = cos^2(theta / 2)."""
    qc = QuantumCircuit(2)
    qc.x(1)
    qc.h(0)
    qc.cp(theta, 0, 1)
    qc.h(0)
    qc.measure_all()
    return SmallTick(qc, (), AllocationPlan(regime="stable"))


def test_every_job_carries_max_execution_time_and_tags(small_tick, basis_values, spy_executor):
    ex = make_executor("ibm:fake_torino", service=FakeService(), seed=5, layout_trials=1, job_tags=["run-42"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the deprecated environment.max_execution_time would warn
        res = ex.run(small_tick, basis_values, shots=100)
    opts = spy_executor[-1]["options"]
    assert opts.max_execution_time == 300 and opts.environment.max_execution_time is None
    assert opts.environment.job_tags == ["qar", plan_tag(small_tick.plan), "run-42"]
    assert len(res) == 2 and all(sum(c.values()) == 100 for r in res for c in r.counts.values())
    ex2 = make_executor("ibm:fake_torino", service=FakeService(), max_execution_time=60, layout_trials=1)
    assert ex2.options_dict(50, None)["max_execution_time"] == 60  # the same dict the sampler got above
    for bad, field in ((dict(max_execution_time=0), "max_execution_time"),
                       (dict(max_execution_time=20000), "max_execution_time"),
                       (dict(job_tags=["a,b"]), "job_tags"), (dict(twirling={"enable_gate": True}), "twirling")):
        with pytest.raises(ConfigError, match=field):
            make_executor("ibm:fake_torino", service=FakeService(), **bad)


def test_plan_tag_round_trip():
    plan = AllocationPlan(regime="volatile", lmsr=3, prospect=5, hedge=4)
    assert AllocationPlan(**plan_from_tags(["qar", plan_tag(plan)])) == plan
    assert plan_from_tags(["qar"]) is None and plan_from_tags(["qar-plan:stable:1,2"]) is None


def test_fractional_gates_auto_on_heron_and_physics_still_right():
    theta = 1.2
    ex = make_executor("ibm:fake_fez", service=FakeService(), seed=11, layout_trials=1)
    assert ex.fractional
    isa = ex.prepare(_phase_tick(theta))
    assert isa.count_ops().get("rzz") == 1 and "cz" not in isa.count_ops()
    cz_only = make_executor("ibm:fake_fez", service=FakeService(), fractional_gates=False, layout_trials=1)
    assert not cz_only.fractional and isa_summary(cz_only.prepare(_phase_tick(theta)),
                                                  cz_only.backend.target)["two_qubit_gates"] == 2
    shots = 4000
    counts = ex.run(_phase_tick(theta), shots=shots)[0].counts["meas"]
    p0 = sum(n for bits, n in counts.items() if bits[-1] == "0") / shots
    # cos^2(0.6) = 0.681; device noise (readout ~1-2%, gates) and 4000 shots (sd 0.007) stay within 0.05
    assert abs(p0 - math.cos(theta / 2) ** 2) < 0.05


def test_fractional_gates_refusals_and_auto_fallback():
    eagle = make_executor("ibm:fake_sherbrooke", service=FakeService(), layout_trials=1)
    assert not eagle.fractional  # auto: loaded without
    with pytest.raises(BackendError, match="fractional_gates: IBM backend 'fake_sherbrooke'"):
        make_executor("ibm:fake_sherbrooke", service=FakeService(), fractional_gates=True)
    with pytest.raises(ConfigError, match="twirling.enable_gates"):
        make_executor("ibm:fake_fez", service=FakeService(), fractional_gates=True, twirling={"enable_gates": True})
    twirled = make_executor("ibm:fake_fez", service=FakeService(), twirling={"enable_gates": True})
    assert not twirled.fractional  # auto gives way to gate twirling


def test_dynamical_decoupling_passes_through_and_refuses_dynamic(small_tick, basis_values, spy_executor):
    ex = make_executor("ibm:fake_torino", service=FakeService(), seed=2, layout_trials=1, fractional_gates=False,
                       dynamical_decoupling={"enable": True, "sequence_type": "XX"})
    res = ex.run(small_tick, basis_values, shots=100)
    program = spy_executor[-1]["program"].items[0].circuit
    isa = ex.prepare(small_tick)
    assert program.count_ops().get("x", 0) > isa.count_ops().get("x", 0) and "delay" in program.count_ops()
    assert max(res[0].counts["decision"], key=res[0].counts["decision"].get) == "000"
    dyn = QuantumCircuit(2, 2)
    dyn.h(0)
    dyn.measure(0, 0)
    with dyn.if_test((dyn.clbits[0], 1)):
        dyn.x(1)
    dyn.measure(1, 1)
    with pytest.raises(ConfigError, match="dynamical_decoupling.enable"):
        ex.dry_run(SmallTick(dyn, (), None))


def test_least_busy_picks_the_shortest_operational_queue(monkeypatch, small_tick, basis_values):
    monkeypatch.setenv("FAKE_IBM_QUEUES", json.dumps({"fake_torino": 4, "fake_fez": 9, "fake_sherbrooke": 0}))
    svc = FakeService()
    report = dry_run_tick(small_tick, basis_values, "ibm:least-busy", shots=100, service=svc, layout_trials=1)
    assert report["backend"] == "ibm:fake_sherbrooke"
    assert svc.least_busy_calls[-1] == {"min_num_qubits": 5, "operational": True, "simulator": False}
    big = make_executor("ibm:least-busy", service=svc, min_num_qubits=140, layout_trials=1)
    assert big.name == "ibm:fake_fez"  # the only fake with >= 140 qubits (156)
    with pytest.raises(BackendError, match="least-busy: no operational IBM device with at least 500 qubits"):
        make_executor("ibm:least-busy", service=svc, min_num_qubits=500)


def test_dry_run_reports_without_sending(monkeypatch, tmp_path, small_tick, basis_values):
    def refuse(*args, **kwargs):
        raise AssertionError("a dry run must not build a sampler")

    monkeypatch.setattr(IBMExecutor, "sampler", refuse)
    ex = make_executor("ibm:fake_torino", service=FakeService(), layout_trials=2, fractional_gates=False)
    report = dry_run_tick(small_tick, basis_values, "ibm:fake_torino", shots=300, executor=ex)
    isa = ex.prepare(small_tick)
    target = ex.backend.target
    index = {q: i for i, q in enumerate(isa.qubits)}
    esp = 1.0
    for ins in isa.data:
        if ins.operation.name in target.operation_names and ins.operation.name != "barrier":
            props = target[ins.operation.name].get(tuple(index[q] for q in ins.qubits))
            esp *= 1 - (props.error or 0.0)
    assert report["isa"]["esp"] == pytest.approx(esp, rel=1e-9)
    assert report["isa"]["two_qubit_gates"] == sum(1 for i in isa.data if i.operation.num_qubits == 2)
    rep = ex.backend.configuration().default_rep_delay
    assert report["estimate"]["quantum_seconds"] == pytest.approx(
        2 * 300 * (isa.estimate_duration(target, unit="s") + rep))
    assert report["within_max_execution_time"] and report["max_execution_time"] == 300
    assert report["tags"][:2] == ["qar", plan_tag(small_tick.plan)] and report["plan"]["regime"] == "stable"
    with pytest.raises(InputError, match="parameter_values: expected 5 columns"):
        dry_run_tick(small_tick, np.zeros((1, 3)), "ibm:fake_torino", executor=ex)


def test_submit_refuses_a_job_longer_than_max_execution_time(monkeypatch, small_tick, basis_values):
    monkeypatch.setattr(IBMExecutor, "sampler", lambda *a, **k: (_ for _ in ()).throw(AssertionError("sent")))
    ex = make_executor("ibm:fake_torino", service=FakeService(), max_execution_time=1, layout_trials=1)
    ex.local = False  # as for a real device: the estimate is checked before sending
    with pytest.raises(ConfigError, match="max_execution_time: the job needs about 5 s"):
        ex.submit(small_tick, basis_values, shots=10_000)  # 2 x 10000 x (~2 us + 250 us) = 5.0 s


def test_cli_dry_run_sends_nothing(tmp_path):
    from qar_qiskit.circuits.composer import compose_tick_circuit

    env = {"QAR_JOB_STORE": str(tmp_path / "jobs.json"), "QAR_IBM_SERVICE_FACTORY": FACTORY}
    tick = tmp_path / "tick.json"
    n_params = len(compose_tick_circuit(AllocationPlan(regime="stable")).parameters)
    tick.write_text(json.dumps({"plan": {"regime": "stable"}, "parameter_values": [[0.1] * n_params]}))
    out = run_qar("submit", "--tick", str(tick), "--backend", "ibm:fake_torino", "--dry-run", "--json",
                  "--layout-trials", "1", "--tag", "mine", env_extra=env)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["isa"]["two_qubit_gates"] > 0 and 0 < report["isa"]["esp"] < 1 and "mine" in report["tags"]
    assert not (tmp_path / "jobs.json").exists()
    out = run_qar("submit", "--tick", str(tick), "--backend", "ibm:fake_torino", "--dry-run", "--twirl", "bogus",
                  env_extra=env)
    assert out.returncode != 0 and "--twirl" in out.stderr


def _hardware_job(jobs_dir, job_id, tags, created, counts, usage=2.5):
    (jobs_dir / f"{job_id}.json").write_text(json.dumps(
        {"status": "DONE", "counts": counts, "tags": tags, "created": created, "usage": usage, "backend": "fake_fez"}))


def test_result_by_tag_or_id_without_the_store(tmp_path, monkeypatch):
    jobs_dir = tmp_path / "jobs"
    jobs_dir.mkdir()
    plan = AllocationPlan(regime="stable")
    counts = [{"market": {"0000": 30, "0011": 10}, "decision": {"01000": 40}}]
    _hardware_job(jobs_dir, "hw-old", ["qar", plan_tag(plan), "exp-7"], "2026-11-01", counts, usage=1.0)
    _hardware_job(jobs_dir, "hw-new", ["qar", plan_tag(plan), "exp-7"], "2026-12-01", counts, usage=2.5)
    env = {"QAR_JOB_STORE": str(tmp_path / "jobs.json"), "QAR_IBM_SERVICE_FACTORY": FACTORY,
           "FAKE_IBM_JOBS": str(jobs_dir)}
    out = run_qar("result", "--tag", "exp-7", "--json", env_extra=env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["job_id"] == "hw-new" and data["usage_s"] == 2.5
    assert data["results"][0]["counts"]["decision"] == {"01000": 40} and data["results"][0]["shots"] == 40
    record = JobStore(tmp_path / "jobs.json").get("hw-new")
    assert record["plan"] == plan.model_dump() and record["registers"] == ["market", "decision"]
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    store = JobStore(tmp_path / "jobs.json")
    assert job_status("hw-old", store=store)["status"] == "DONE"  # by id, not in the store before
    assert [r.counts for r in job_result("hw-old", store=store)] == counts
    assert store.get("hw-old")["usage_s"] == 1.0
    with pytest.raises(JobError, match="no IBM Quantum job carries the tag 'nope'"):
        job_result(None, store=store, tag="nope")
    with pytest.raises(JobError, match="unknown job id 'ghost'.*cannot be fetched"):
        job_result("ghost", store=store)
    out = run_qar("result", env_extra=env)
    assert out.returncode != 0 and "give a job id or --tag" in out.stderr


def test_local_submission_records_usage_tags_and_limits(tmp_path, small_tick, basis_values):
    store = JobStore(tmp_path / "jobs.json")
    record = submit_tick(small_tick, basis_values, "ibm:fake_torino", shots=64, store=store, service=FakeService(),
                         layout_trials=1, job_tags=["t1"])
    assert record["usage_s"] == 0.0  # local testing mode bills nothing
    assert record["tags"] == ["qar", plan_tag(small_tick.plan), "t1"] and record["max_execution_time"] == 300
    assert record["fractional_gates"] is True
