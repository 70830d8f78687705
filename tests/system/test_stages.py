"""The QAR's stages: prepare (shared by decide and prepare_tick), the resilient executor,
the pure assembly and the learner's state."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from qar_qiskit.backends.resilient import ResilientExecutor
from qar_qiskit.config import load_config
from qar_qiskit.decision.positions import RiskManager
from qar_qiskit.errors import BackendError, ExpertError
from qar_qiskit.labels import ACTIONS, RISKS, SIZES
from qar_qiskit.system.assemble import TickContext, assemble_decision
from qar_qiskit.system.execute import Execution
from qar_qiskit.system.learner import Learner, PendingOutcome
from qar_qiskit.system.qar import QAR

from .conftest import STABLE
from .conftest import tick as _tick


def tick(**kw):
    return _tick(**{**STABLE, **kw})


class _Result:
    counts = {"x": {"0": 1}}


class Scripted:
    """Runs a script of behaviours: 'ok', 'raise' (RuntimeError), 'sleep'."""

    name = "scripted"

    def __init__(self, *script):
        self.script, self.calls = list(script), 0

    def run(self, circuit, values, **kwargs):
        what = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        if what == "raise":
            raise RuntimeError("device offline")
        if what == "sleep":
            time.sleep(0.5)
        return [_Result()]


def test_retries_until_success_and_reads_in_the_attempt():
    ex = Scripted("raise", "raise", "ok")
    att = ResilientExecutor(ex, timeout_s=5, retries=2, backoff_s=0.0).run("c", [[0]], lambda r: r.counts)
    assert att.ok and att.value == {"x": {"0": 1}} and ex.calls == 3 and att.execute_s >= 0


def test_fallback_reason_and_no_fallback_raises():
    ex = Scripted("raise")
    att = ResilientExecutor(ex, timeout_s=5, retries=1, backoff_s=0.0).run("c", [[0]], lambda r: r)
    assert not att.ok and att.result is None and ex.calls == 2
    assert att.failure == "scripted: backend call failed: RuntimeError: device offline (after 2 attempt(s))"
    with pytest.raises(BackendError, match="device offline"):
        ResilientExecutor(Scripted("raise"), timeout_s=5, fallback=False).run("c", [[0]], lambda r: r)


def test_an_expert_error_in_the_read_is_neither_retried_nor_a_fallback():
    """A plug-in's bug (ExpertError) is not a backend failure: one attempt, then raised."""
    ex = Scripted("ok")

    def read(result):
        raise ExpertError("guard", "read", ZeroDivisionError("division by zero"))

    with pytest.raises(ExpertError, match=r"^expert 'guard' failed in read: ZeroDivisionError: division by zero$"):
        ResilientExecutor(ex, timeout_s=5, retries=2, backoff_s=0.0).run("c", [[0]], read)
    assert ex.calls == 1


def test_timeout_and_unreadable_results_are_failed_attempts():
    att = ResilientExecutor(Scripted("sleep"), timeout_s=0.05).run("c", [[0]], lambda r: r)
    assert "timed out after 0.05 s" in att.failure

    def bad_read(result):
        raise BackendError("counts do not fit")

    ex = Scripted("ok")
    att = ResilientExecutor(ex, timeout_s=5, retries=2).run("c", [[0]], bad_read)
    assert ex.calls == 3 and "counts do not fit (after 3 attempt(s))" in att.failure


def test_decide_and_prepare_tick_share_the_prepare_stage(uptrend_returns):
    qar = QAR(backend="exact")
    _, values, context = qar.prepare_tick(tick(), returns_history=uptrend_returns)
    prepared = qar.prepare(tick(), returns_history=uptrend_returns)
    d = qar.decide(tick(), returns_history=uptrend_returns)
    assert context["exact_decision_distribution"] == d.distribution["exact"] == prepared.exact.tolist()
    assert np.array_equal(values[0], prepared.tick_circuit().parameter_values(prepared.inputs))
    # the exact decision is the argmax of P(d) with d = A + 4 S + 16 K
    k = int(np.argmax(prepared.exact))
    assert (d.action, d.size, d.risk) == (ACTIONS[k % 4], SIZES[(k // 4) % 4], RISKS[k // 16])


def test_assembly_is_pure(uptrend_returns):
    qar = QAR(backend="exact")
    prepared = qar.prepare(tick(), returns_history=uptrend_returns)
    risk = RiskManager(qar.config.risk_management)
    risk.record("2020-01-01", -0.5)  # yesterday's loss: today's exposure is cooled off
    before = risk.to_dict()
    ctx = TickContext(index=3, seed=5, shots=100, assessment=risk.assess(0.15, "2020-01-02"), risk=risk)
    sampled = np.zeros(32)
    sampled[7] = 1.0  # the sampled decision differs from the exact argmax
    execution = Execution(backend="aer", sampled=sampled)
    a = assemble_decision(prepared, execution, ctx, {"x": 1.0})
    b = assemble_decision(prepared, execution, ctx, {"x": 1.0})
    assert a == b and risk.to_dict() == before
    assert a.decision_id == "5-3" and a.shots == 100 and (a.action, a.size, a.risk) == (ACTIONS[3], SIZES[1], RISKS[0])
    assert a.position == 0.0 and "daily_loss_cooloff" in a.risk_flags


def test_learner_state_round_trips_and_keeps_learning_the_same(uptrend_returns):
    cfg = load_config()
    qar = QAR(cfg, backend="exact")
    ids = [qar.decide(tick(price=100 + i), returns_history=uptrend_returns).decision_id for i in range(4)]
    for i in ids[:3]:
        qar.record_outcome(i, 0.001, market_return=0.02)
    data = qar.learner.to_dict()
    copy = Learner.from_dict(cfg, data, qar.experts)
    assert copy.to_dict() == data and isinstance(copy.pending[ids[3]], PendingOutcome)
    assert copy.learn(ids[3], -0.001, -0.01) == qar.learner.learn(ids[3], -0.001, -0.01)
    np.testing.assert_array_equal(copy.memory.weights, qar.learner.memory.weights)
    assert copy.risk.to_dict() == qar.learner.risk.to_dict()


def test_one_qar_shared_by_threads_settles_each_outcome_once(uptrend_returns):
    qar = QAR(backend="exact")
    ids = [qar.decide(tick(price=100 + i), returns_history=uptrend_returns).decision_id for i in range(6)]
    errors = []

    def settle(i):
        try:
            qar.record_outcome(i, 0.0, market_return=0.01)
        except Exception as exc:  # the second settle of an id must fail
            errors.append(exc)

    threads = [threading.Thread(target=settle, args=(i,)) for i in ids + ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 6 and len(qar.learner.settled) == 6 and not qar.learner.pending
