"""Executor interface, factory, cache, Aer and noisy Aer."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from qiskit.circuit import ClassicalRegister, QuantumCircuit, QuantumRegister

from qar_qiskit.backends import TranspileCache, load_profile, make_executor, make_executor_from_profile
from qar_qiskit.backends.aer import AerExecutor
from qar_qiskit.backends.noisy import tensored_readout_inversion
from qar_qiskit.circuits.composer import compose_tick_circuit
from qar_qiskit.errors import BackendError, ConfigError, InputError
from qar_qiskit.plan.allocation import AllocationPlan
from tests.backends.conftest import SmallTick, small_circuit


def expected_row1():
    # ry(pi) on every qubit then a CX ladder: q0=1, q1=0, q2=1, q3=0, q4=1
    return {"market": "01", "decision": "101"}


# -- factory -----------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", ["nope", "aer-noisy", "ibm:", "aer:x", ""])
def test_unknown_spec_lists_valid_choices(spec):
    with pytest.raises(BackendError) as err:
        make_executor(spec)
    msg = str(err.value)
    assert "valid choices" in msg and "aer-noisy:<FakeName>" in msg and "ibm:<backend name>" in msg


def test_unknown_fake_device_lists_choices():
    with pytest.raises(BackendError, match="FakeNowhere.*FakeTorino.*FakeFez"):
        make_executor("aer-noisy:FakeNowhere")


def test_exact_placeholder():
    ex = make_executor("exact")
    assert ex.name == "exact" and ex.is_exact
    with pytest.raises(BackendError, match="exact"):
        ex.run(None)


def test_profiles_load_and_build():
    for name in ("aer", "aer-noisy-torino", "ibm"):
        prof = load_profile(name)
        assert prof.shots >= 1
    assert load_profile("ibm").name.startswith("ibm:")
    ex = make_executor_from_profile("aer")
    assert isinstance(ex, AerExecutor) and ex.aer_options["max_parallel_threads"] == 1


def test_profile_rejects_token_and_unknown_keys(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("name: ibm:x\ntoken: abc\n")
    with pytest.raises(ConfigError, match="token"):
        load_profile(p)
    p.write_text("name: aer\nshots: 0\n")
    with pytest.raises(ConfigError, match="shots"):
        load_profile(p)
    with pytest.raises(ConfigError, match="not found"):
        load_profile("no-such-profile")


# -- cache -------------------------------------------------------------------------------------

def test_second_prepare_does_not_transpile(small_tick):
    ex = AerExecutor()
    calls = []
    real = ex._pass_manager

    def counting(level, *args):
        pm = real(level, *args)
        run = pm.run

        def wrapped(circuit, *a, **k):
            calls.append(level)
            return run(circuit, *a, **k)

        pm.run = wrapped
        return pm

    ex._pass_manager = counting
    isa1 = ex.prepare(small_tick)
    isa2 = ex.prepare(small_tick)
    assert isa1 is isa2 and len(calls) == 1
    assert ex.cache.misses == 1 and ex.cache.hits == 1 and ex.cache.hit_rate == 0.5
    ex.prepare(small_tick, optimization_level=0)  # another level is another key
    assert len(calls) == 2 and ex.cache.misses == 2


def test_cache_lru_and_threads():
    cache = TranspileCache(maxsize=2)
    built = []

    def factory(k):
        def f():
            built.append(k)
            return k
        return f

    barrier = threading.Barrier(8)

    def worker():
        barrier.wait()
        cache.get_or_create("a", factory("a"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert built == ["a"] and cache.misses == 1 and cache.hits == 7
    cache.get_or_create("b", factory("b"))
    cache.get_or_create("c", factory("c"))  # evicts "a"
    assert "a" not in cache and len(cache) == 2 and cache.evictions == 1


# -- aer ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["direct", "sampler"])
def test_aer_counts_per_register(small_tick, basis_values, engine):
    ex = make_executor("aer", seed=3, engine=engine)
    vals = basis_values[:, ::-1]  # columns follow small_tick.parameters (reversed)
    res = ex.run(small_tick, vals, shots=256)
    assert len(res) == 2
    for r in res:
        assert r.backend == "aer" and r.shots == 256
        assert set(r.counts) == {"market", "decision"}
        assert all(sum(c.values()) == 256 for c in r.counts.values())
    assert res[0].counts == {"market": {"00": 256}, "decision": {"000": 256}}
    exp = expected_row1()
    assert res[1].counts == {k: {v: 256} for k, v in exp.items()}


def test_aer_same_seed_same_counts_and_both_engines_agree():
    tc = compose_tick_circuit(AllocationPlan(lmsr=1, prospect=2, hedge=1, buffer=1))
    vals = np.random.default_rng(0).uniform(0, np.pi, (3, len(tc.parameters)))
    a = make_executor("aer", seed=9).run(tc, vals, shots=300)
    b = make_executor("aer", seed=9, engine="sampler").run(tc, vals, shots=300)
    assert [r.counts for r in a] == [r.counts for r in b]
    assert a[0].metadata["method"] == "statevector"


def test_aer_full_tick_uses_mps():
    tc = compose_tick_circuit(AllocationPlan())
    assert tc.circuit.num_qubits == AllocationPlan().total == 24
    ex = make_executor("aer", seed=1)
    res = ex.run(tc, np.zeros((1, len(tc.parameters))), shots=100)
    assert res[0].metadata["method"] == "matrix_product_state"
    assert {k: sum(v.values()) for k, v in res[0].counts.items()} == {r.name: 100 for r in tc.circuit.cregs}


def test_aer_bad_values(small_tick):
    ex = make_executor("aer")
    with pytest.raises(InputError, match="columns"):
        ex.run(small_tick, np.zeros((1, 3)))
    with pytest.raises(InputError, match="NaN"):
        ex.run(small_tick, np.full((1, 5), np.nan))


# -- noisy -------------------------------------------------------------------------------------

def test_noisy_fake_device_with_mitigation(small_tick, basis_values):
    ex = make_executor("aer-noisy:FakeTorino", seed=5)
    assert ex.noisy and ex.num_qubits == 133 and ex.supports_dynamic
    sim_before = None
    res = ex.run(small_tick, basis_values[:, ::-1], shots=2000)
    entry = ex.active_set(tuple(res[0].metadata["active_qubits"]))
    sim_before = entry.simulator
    res2 = ex.run(small_tick, basis_values[:, ::-1], shots=2000)
    assert ex.active_set(tuple(res2[0].metadata["active_qubits"])).simulator is sim_before  # built once
    assert ex.cache.misses == 1 and ex.cache.hits >= 1
    for r in res:
        assert all(sum(c.values()) == 2000 for c in r.counts.values())
        assert r.mitigated is not None and r.metadata["mitigation"] == "m3"
        for quasi in r.mitigated.values():
            assert abs(sum(quasi.values()) - 1) < 1e-6
    # mitigation moves probability back onto the ideal outcome
    exp = expected_row1()
    for reg, bits in exp.items():
        raw = res[1].counts[reg].get(bits, 0) / 2000
        assert res[1].mitigated[reg].get(bits, 0) >= raw - 0.005
        assert raw > 0.8


def test_noisy_mitigation_is_reproducible_with_a_seed(small_tick, basis_values):
    """Same seed -> same counts and the same mthree calibration (so the same quasi-probabilities)."""
    runs = [make_executor("aer-noisy:FakeTorino", seed=9).run(small_tick, basis_values[1:], shots=300)[0]
            for _ in range(2)]
    assert runs[0].counts == runs[1].counts
    assert runs[0].mitigated == runs[1].mitigated and runs[0].metadata["mitigation"] == "m3"


def test_faulty_qubits_fall_back_to_tensored(small_tick, basis_values, monkeypatch):
    import mthree

    class Faulty(mthree.M3Mitigation):
        def cals_from_system(self, *args, **kwargs):
            super().cals_from_system(*args, **kwargs)
            self.faulty_qubits = [1]

    monkeypatch.setattr(mthree, "M3Mitigation", Faulty)
    res = make_executor("aer-noisy:FakeTorino", seed=3).run(small_tick, basis_values[:1], shots=300)[0]
    assert res.metadata["mitigation"] == "tensored"
    assert "faulty qubits [1]" in res.metadata["mitigation_note"]
    assert res.mitigated["market"].get("00", 0) > 0.9


def test_noisy_readout_errors_apply_to_ones():
    """Prepared |1>: each qubit must read 0 at least at its readout error rate p (gate and T1
    errors only add to it). Aer's shot branching with its own readout errors read 0 at ~0.03% instead of
    p ~ 1% (Aer 0.18.2); the executor now applies readout errors to the sampled outcomes on that path."""
    from qiskit.circuit import ParameterVector

    q = QuantumRegister(4, "q")
    reg = ClassicalRegister(4, "market")
    qc = QuantumCircuit(q, reg)
    theta = ParameterVector("t", 4)
    for i in range(4):
        qc.ry(theta[i], i)
    qc.measure(q, reg)
    tick = SmallTick(qc, tuple(theta), AllocationPlan(regime="stable"))
    # statevector trajectories (auto would pick density_matrix for 4 active qubits)
    ex = make_executor("aer-noisy-exact:FakeTorino", seed=8, mitigation="none", method="statevector")
    shots = 20000
    res = ex.run(tick, np.full((1, 4), np.pi), shots=shots)[0]
    prepared = ex.prepared(tick)[0]
    entry = ex.active_set(tuple(res.metadata["active_qubits"]))
    for bit, compact_qubit in enumerate(prepared.registers["market"]):
        p = entry.readout_errors[compact_qubit]
        zeros = sum(n for key, n in res.counts["market"].items() if key[::-1][bit] == "0")
        sigma = np.sqrt(shots * p * (1 - p))
        assert p > 0.001 and zeros >= shots * p - 5 * sigma, (bit, zeros, shots * p)


def test_tensored_inversion_recovers_distribution():
    rng = np.random.default_rng(1)
    p = [0.05, 0.1]
    true = {"01": 1.0}
    counts = {}
    for _ in range(20000):
        bits = [int(c) for c in reversed("01")]  # bit 0 first
        noisy = [b ^ (rng.random() < p[j]) for j, b in enumerate(bits)]
        key = "".join(str(int(b)) for b in reversed(noisy))
        counts[key] = counts.get(key, 0) + 1
    quasi = tensored_readout_inversion(counts, p)
    assert abs(quasi["01"] - true["01"]) < 0.02
    assert abs(sum(quasi.values()) - 1) < 1e-9


def test_noisy_tensored_fallback(small_tick, basis_values):
    ex = make_executor("aer-noisy:FakeFez", seed=2, mitigation="tensored")
    res = ex.run(small_tick, basis_values[:1], shots=500)
    assert res[0].metadata["mitigation"] == "tensored"
    assert res[0].mitigated["market"].get("00", 0) > 0.9


def test_real_tick_circuit_on_aer_when_composer_exists():
    composer = pytest.importorskip("qar_qiskit.circuits.composer")
    plan = AllocationPlan()
    tc = composer.compose_tick_circuit(plan)
    ex = make_executor("aer", seed=4)
    vals = np.random.default_rng(2).uniform(0, 1, (2, len(tc.parameters)))
    res = ex.run(tc, vals, shots=200)
    res2 = ex.run(tc, vals, shots=200)
    assert ex.cache.misses == 1 and ex.cache.hits == 1 and ex.transpile_count == 1
    assert [r.counts for r in res] == [r.counts for r in res2]
    names = [r.name for r in tc.circuit.cregs]
    assert set(names) == {"market", "memory", "lmsr", "prospect", "hedge", "decision", "buffer"}
    for r in res:
        assert {k: sum(v.values()) for k, v in r.counts.items()} == {n: 200 for n in names}


def test_noisy_warns_before_mps_trajectories_of_a_wide_circuit(caplog):
    """A register whose light cone needs more qubits than statevector trajectories handle (a
    26-qubit CX chain measured into one register): preparing it says so, with the way out (the
    small-plan config); a circuit whose cones fit does not warn."""
    import logging

    n = 26
    wide = QuantumCircuit(QuantumRegister(n, "q"), ClassicalRegister(n, "market"))
    wide.h(0)
    for i in range(n - 1):
        wide.cx(i, i + 1)
    wide.measure(range(n), range(n))
    ex = make_executor("aer-noisy:FakeTorino", seed=1, mitigation="none", optimization_level=1)
    with caplog.at_level(logging.WARNING, logger="qar_qiskit.backends.noisy"):
        prepared = ex.prepared(wide)[0]
    (group,) = prepared.groups[()]
    assert len(group.physical) >= n and group.entry.method == "matrix_product_state"
    assert any("--config noisy-small" in r.getMessage() and "MPS" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="qar_qiskit.backends.noisy"):
        small = ex.prepared(small_circuit())[0]
    assert not caplog.records and small.isa is not prepared.isa
