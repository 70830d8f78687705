"""The pipeline on Aer: sampled vs exact, reproducibility, save/load, cache, faults, threads."""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pytest

from qar_qiskit.backends import make_executor
from qar_qiskit.config import load_config
from qar_qiskit.errors import BackendError
from qar_qiskit.system.qar import QAR
from qar_qiskit.tick import MarketTick

# Volatility cycles through the four regimes' ranges so several plans are used.
VOLS = (0.12, 0.3, 0.5, 0.9, 0.15, 0.35)


def _prices(n: int, seed: int = 5) -> list[float]:
    rng = np.random.default_rng(seed)
    return list(100 * np.exp(np.cumsum(rng.normal(0.0004, 0.012, n))))


def _run(qar: QAR, prices, start: int = 0, stop: int | None = None) -> list[tuple]:
    """Decide days ``start..stop-1`` of ``prices``; each outcome is the next day's return."""
    out = []
    for k in range(start, len(prices) - 1 if stop is None else stop):
        p = prices[k]
        d = qar.decide(MarketTick(price=p, volatility=VOLS[k % len(VOLS)], trend_clarity=0.8 - 0.1 * (k % 5)))
        r = float(np.log(prices[k + 1] / p))
        qar.record_outcome(d.decision_id, pnl=d.position * 0.05 * r, market_return=r)
        out.append((d.decision_id, d.action, d.size, d.risk, d.confidence, tuple(d.distribution["sampled"] or ())))
    return out


@pytest.fixture(scope="module")
def aer_runs():
    """Two full runs with the same seed, one with another seed, and a run saved half-way."""
    prices = _prices(13)
    full = _run(QAR(backend="aer", seed=21, shots=512), prices)
    again = _run(QAR(backend="aer", seed=21, shots=512), prices)
    other = _run(QAR(backend="aer", seed=22, shots=512), prices)
    return prices, full, again, other


def test_same_seed_same_decisions_on_aer(aer_runs):
    _, full, again, other = aer_runs
    assert full == again
    assert [r[5] for r in full] != [r[5] for r in other]  # the seed does reach the sampler


def test_save_load_on_aer_continues_identically(aer_runs, tmp_path):
    prices, full, _, _ = aer_runs
    first = QAR(backend="aer", seed=21, shots=512)
    head = _run(first, prices, stop=6)
    path = first.save(tmp_path / "state.json")
    resumed = QAR.load(path)
    assert resumed.backend_name == "aer"
    assert head + _run(resumed, prices, start=6) == full


def test_sampled_decision_equals_exact_when_resolvable():
    """Whenever the exact top-two margin exceeds 3 standard errors at the shots used, the
    sampled decision is the exact model's most probable one (docs/design.md §3); over 30 ticks across
    regimes a miss has probability < 30 * 0.0014."""
    qar = QAR(backend="aer", seed=3, shots=4096)
    prices = _prices(31, seed=8)
    resolvable = 0
    for i, p in enumerate(prices[:-1]):
        d = qar.decide(MarketTick(price=p, volatility=VOLS[i % len(VOLS)], trend_clarity=0.9 - 0.15 * (i % 4)))
        if d.exact_margin_resolvable:
            resolvable += 1
            assert (d.action, d.size, d.risk) == (d.exact_action, d.exact_size, d.exact_risk), d.decision_id
        r = float(np.log(prices[i + 1] / p))
        qar.record_outcome(d.decision_id, pnl=d.position * 0.05 * r, market_return=r)
    assert resolvable >= 10


def test_second_tick_with_the_same_plan_does_not_transpile(uptrend_returns):
    qar = QAR(backend="aer", shots=128)
    tick = MarketTick(price=100.0, volatility=0.12, trend_clarity=0.85)
    d1 = qar.decide(tick, returns_history=uptrend_returns)
    d2 = qar.decide(tick, returns_history=uptrend_returns)
    stats = qar.executor.cache_stats()
    assert stats["misses"] == 1 and stats["hits"] >= 1
    assert qar.executor.transpile_count == 1
    assert d1.circuit == d2.circuit and d1.circuit.num_qubits == 25
    assert d2.circuit.two_qubit_gates > 0 and d2.timing["execute_s"] < d1.timing["execute_s"]


class FlakyExecutor:
    """Wraps a real executor; fails the first ``failures`` calls in the given ``mode``."""

    def __init__(self, inner, failures: int, mode: str):
        self.inner, self.failures, self.mode, self.calls = inner, failures, mode, 0
        self.name, self.is_exact = inner.name, False

    def run(self, *args, **kwargs):
        self.calls += 1
        if self.calls <= self.failures:
            if self.mode == "raise":
                raise RuntimeError("device offline")
            if self.mode == "timeout":
                time.sleep(1.0)
            if self.mode == "malformed":
                results = self.inner.run(*args, **kwargs)
                results[0].counts["decision"] = {"10": 5}  # a 2-bit string for a 5-bit register
                return results
        return self.inner.run(*args, **kwargs)

    def circuit_metrics(self, tick_circuit):
        return self.inner.circuit_metrics(tick_circuit)


def _qar_with(executor, retries=2):
    config = load_config(overrides={"performance": {"backend_retries": retries, "retry_backoff_s": 0.01,
                                                    "backend_timeout_s": 0.5}})
    return QAR(config, shots=256, executor=executor)


@pytest.mark.parametrize("mode", ["raise", "timeout", "malformed"])
def test_backend_faults_retry_then_succeed(mode, uptrend_returns):
    flaky = FlakyExecutor(make_executor("aer", seed=1), failures=2, mode=mode)
    qar = _qar_with(flaky, retries=2)
    d = qar.decide(MarketTick(price=100.0, volatility=0.12, trend_clarity=0.85), returns_history=uptrend_returns)
    assert flaky.calls == 3 and d.backend == "aer" and d.fallback_reason is None


@pytest.mark.parametrize("mode", ["raise", "timeout", "malformed"])
def test_backend_faults_fall_back_to_the_twin_with_state_intact(mode, uptrend_returns, caplog):
    flaky = FlakyExecutor(make_executor("aer", seed=1), failures=10, mode=mode)
    qar = _qar_with(flaky, retries=2)
    tick = MarketTick(price=100.0, volatility=0.12, trend_clarity=0.85)
    reference = QAR(backend="exact")
    ok = reference.decide(tick, returns_history=uptrend_returns)
    weights = qar.memory.weights.copy()
    with caplog.at_level(logging.WARNING, logger="qar_qiskit"):
        d = qar.decide(tick, returns_history=uptrend_returns)
    assert flaky.calls == 3  # bounded: 1 + 2 retries
    assert d.backend == "classical-fallback" and d.fallback_reason
    expected = {"raise": "device offline", "timeout": "timed out", "malformed": "does not fit"}[mode]
    assert expected in d.fallback_reason
    assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1 and len(caplog.records) == 1
    assert (d.action, d.size, d.risk) == (ok.action, ok.size, ok.risk)
    assert d.distribution["sampled"] is None
    np.testing.assert_array_equal(qar.memory.weights, weights)
    # learning goes on after the fallback, and the decision is in the history once
    qar.record_outcome(d.decision_id, pnl=0.001, market_return=0.01)
    assert [h["decision_id"] for h in qar.decision_history] == [d.decision_id]
    assert qar.health()["monitor"]["failures"] == 1


def test_fallback_off_raises():
    config = load_config(overrides={"performance": {"classical_fallback": False, "backend_retries": 0}})
    qar = QAR(config, executor=FlakyExecutor(make_executor("aer"), failures=5, mode="raise"))
    with pytest.raises(BackendError, match="device offline"):
        qar.decide(MarketTick(price=100.0, volatility=0.12, trend_clarity=0.85))
    assert qar.tick_index == 0 and not qar.decision_history


def test_decide_and_record_outcome_from_threads():
    """Several threads share one QAR on Aer: every decision gets a unique id, every outcome is
    applied exactly once, and the transpile cache builds each plan once."""
    qar = QAR(backend="aer", shots=64)
    ids: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(k: int):
        try:
            for j in range(3):
                d = qar.decide(MarketTick(price=100 + k + j, volatility=VOLS[(k + j) % 4], trend_clarity=0.7))
                qar.record_outcome(d.decision_id, pnl=0.0001, market_return=0.002)
                with lock:
                    ids.append(d.decision_id)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(ids) == len(set(ids)) == 12 == qar.tick_index
    assert sum(len(t.rewards) for t in qar.trackers.values()) == 4 * 12
    assert len(qar.feedback_history) == 12 and not qar.learner.pending
    stats = qar.executor.cache_stats()
    assert stats["misses"] == stats["size"] <= 4


class SpyExecutor:
    """Wraps a real executor; records the keyword arguments and can report dropped shots."""

    def __init__(self, inner, dropped: int = 0):
        self.inner, self.dropped, self.kwargs = inner, dropped, []
        self.name, self.is_exact = inner.name, False

    def run(self, *args, **kwargs):
        self.kwargs.append(kwargs)
        results = self.inner.run(*args, **kwargs)
        if self.dropped:
            results[0].metadata["kept_shots"] = results[0].shots - self.dropped
        return results

    def circuit_metrics(self, tick_circuit):
        return self.inner.circuit_metrics(tick_circuit)


def test_postselect_market_reaches_the_executor_and_reports_the_invalid_rate(uptrend_returns):
    tick = MarketTick(price=100.0, volatility=0.12, trend_clarity=0.85)
    decisions = {}
    for on in (False, True):
        spy = SpyExecutor(make_executor("aer", seed=1))
        config = load_config(overrides={"performance": {"postselect_market": on}})
        decisions[on] = QAR(config, shots=512, executor=spy).decide(tick, returns_history=uptrend_returns)
        assert ("postselect" in spy.kwargs[0]) is on
    assert spy.kwargs[0]["postselect"] == {"market": (0, 3, 5, 15)}
    # noiseless: every market code is valid, so the selection keeps every shot and changes nothing
    assert decisions[True].distribution == decisions[False].distribution
    assert decisions[True].regime.invalid_code_rate == 0.0
    spy = SpyExecutor(make_executor("aer", seed=1), dropped=64)
    config = load_config(overrides={"performance": {"postselect_market": True}})
    d = QAR(config, shots=512, executor=spy).decide(tick, returns_history=uptrend_returns)
    assert d.regime.invalid_code_rate == pytest.approx(64 / 512)


def test_postselect_consistency_reaches_the_executor_and_reports_the_rejected_share(uptrend_returns):
    from qar_qiskit.circuits.decision import CONSISTENCY_KEY, consistent_codes

    tick = MarketTick(price=100.0, volatility=0.12, trend_clarity=0.85)
    spy = SpyExecutor(make_executor("aer", seed=1))
    config = load_config(overrides={"performance": {"postselect_consistency": True}})
    on = QAR(config, shots=512, executor=spy).decide(tick, returns_history=uptrend_returns)
    assert spy.kwargs[0]["postselect"] == {CONSISTENCY_KEY: consistent_codes()}
    off = QAR(load_config(), shots=512, executor=SpyExecutor(make_executor("aer", seed=1))).decide(
        tick, returns_history=uptrend_returns)
    # noiseless: the symmetry holds on every shot, nothing is dropped and nothing changes
    assert on.postselect_rejected_rate == 0.0 and off.postselect_rejected_rate is None
    assert on.distribution == off.distribution
    spy = SpyExecutor(make_executor("aer", seed=1), dropped=32)
    d = QAR(config, shots=512, executor=spy).decide(tick, returns_history=uptrend_returns)
    assert d.postselect_rejected_rate == pytest.approx(32 / 512)
