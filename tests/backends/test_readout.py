"""Classical readout errors (qar_qiskit.backends.readout) and the noisy executor's shot-branching path."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.circuit import ClassicalRegister, QuantumCircuit, QuantumRegister
from scipy.stats import chi2_contingency

from qar_qiskit.backends import make_executor
from qar_qiskit.backends.readout import ClassicalReadout, post_readout_map, terminal_measurements
from qar_qiskit.errors import BackendError
from qar_qiskit.plan.allocation import AllocationPlan
from tests.backends.conftest import SmallTick, small_circuit

# -- terminal measurements ----------------------------------------------------------------------

def test_terminal_measurements_map_clbits_to_qubits():
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure(1, 0)
    qc.barrier()
    qc.measure(0, 2)
    assert terminal_measurements(qc) == {0: 1, 2: 0}


@pytest.mark.parametrize("case", ["gate_after", "clbit_twice", "qubit_twice", "if_test"])
def test_non_terminal_measurements_are_refused(case):
    qc = QuantumCircuit(2, 2)
    qc.measure(0, 0)
    if case == "gate_after":
        qc.x(0)
    elif case == "clbit_twice":
        qc.measure(1, 0)
    elif case == "qubit_twice":
        qc.measure(0, 1)
    else:
        with qc.if_test((qc.clbits[0], 1)):
            qc.x(1)
    assert terminal_measurements(qc) is None


# -- applying readout errors ----------------------------------------------------------------

def test_flip_rates_match_the_assignment_matrix():
    """Asymmetric errors on clbits 0 and 2 (qubits 1 and 0); clbit 1 is not measured: untouched."""
    assignment = np.array([[[0.97, 0.03], [0.10, 0.90]], [[0.80, 0.20], [0.05, 0.95]]])
    ro = ClassicalReadout(assignment, {0: 1, 2: 0})
    n = 40000
    values = np.array([0b000, 0b111], dtype=np.int64)  # all zeros, all ones
    out, weights = ro.apply(values, np.array([n, n]), np.random.default_rng(3))
    assert len(out) == 2 * n and (weights == 1).all()
    zeros, ones = out[:n], out[n:]
    assert ((zeros >> 1) & 1).sum() == 0 and ((ones >> 1) & 1).sum() == n  # clbit 1 never flips

    def rate(bits, p):
        got = bits.mean()
        assert abs(got - p) < 5 * np.sqrt(p * (1 - p) / n), (got, p)

    rate((zeros >> 0) & 1, 0.20)        # clbit 0 <- qubit 1: P(1|0)
    rate(1 - ((ones >> 0) & 1), 0.05)   # P(0|1)
    rate((zeros >> 2) & 1, 0.03)        # clbit 2 <- qubit 0
    rate(1 - ((ones >> 2) & 1), 0.10)


def test_bad_assignment_is_refused():
    with pytest.raises(BackendError, match="summing to 1"):
        ClassicalReadout(np.array([[[0.9, 0.2], [0.0, 1.0]]]), {0: 0})
    with pytest.raises(BackendError, match="shape"):
        ClassicalReadout(np.eye(2), {0: 0})


# -- the noisy executor's statevector path ------------------------------------------------------

def _ones_heavy_tick():
    """Five qubits mostly in |1> (readout errors on |1> matter) with two entangling gates."""
    qc = small_circuit()
    return SmallTick(qc, tuple(qc.parameters), AllocationPlan(regime="stable"))


def test_shot_branching_with_classical_readout_matches_density_matrix():
    """Same circuit, same device noise: statevector trajectories with shot branching and classical
    readout vs Aer's density-matrix simulation with its own readout errors (exact state, sampled).
    A chi-square homogeneity test on each register's outcomes; p > 1e-3. The check has power:
    run by hand on shot branching with Aer's own readout errors (qiskit-aer 0.18.2, which loses
    them on |1>) it gave p = 2e-48 and 8e-63; statevector without branching gave 0.96 and 0.99."""
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel

    tick = _ones_heavy_tick()
    values = np.full((1, 5), np.pi * 0.9)
    ex = make_executor("aer-noisy-exact:FakeTorino", seed=21, mitigation="none", method="statevector")
    shots = 20000
    res = ex.run(tick, values, shots=shots)[0]
    assert res.metadata["readout"] == "classical" and res.metadata["shot_branching"] is True
    prepared = ex.prepared(tick)[0]
    entry = ex.active_set(prepared.active)
    compact = prepared.compact
    bound = compact.assign_parameters(dict(zip(compact.parameters, prepared.bind_matrix(values)[0])))
    dm = AerSimulator(method="density_matrix", noise_model=NoiseModel.from_backend(entry.sub))
    ref = dm.run(bound, shots=shots, seed_simulator=5).result().get_counts()

    ref_market, ref_decision = {}, {}
    for key, n in ref.items():
        dec, mkt = key.split()
        ref_market[mkt] = ref_market.get(mkt, 0) + n
        ref_decision[dec] = ref_decision.get(dec, 0) + n
    for ours, theirs in zip((res.counts["market"], res.counts["decision"]), (ref_market, ref_decision)):
        keys = sorted(set(ours) | set(theirs))
        table = np.array([[ours.get(k, 0) for k in keys], [theirs.get(k, 0) for k in keys]])
        table = table[:, table.sum(axis=0) >= 10]
        p = chi2_contingency(table)[1]
        assert p > 1e-3, (p, ours, theirs)
    # the readout errors are really there: the ideal outcome is not the only one
    assert max(res.counts["decision"].values()) < 0.99 * shots


def test_statevector_path_is_reproducible_and_seed_sensitive():
    tick = _ones_heavy_tick()
    values = np.full((2, 5), 1.0)
    runs = [make_executor("aer-noisy-exact:FakeTorino", seed=4, mitigation="none", method="statevector")
            .run(tick, values, shots=500) for _ in range(2)]
    assert [r.counts for r in runs[0]] == [r.counts for r in runs[1]]
    other = make_executor("aer-noisy-exact:FakeTorino", seed=5, mitigation="none", method="statevector")
    assert [r.counts for r in other.run(tick, values, shots=500)] != [r.counts for r in runs[0]]


def test_reused_measured_qubit_keeps_post_sampling_readout():
    """A measured qubit reused afterwards: the readout error changes only the recorded bit (the
    qubit collapses to what it was found in), so with no control flow reading the bit the flips
    are still applied after sampling, on the shot-branching simulator. The exact agreement with
    a density matrix is in tests/backends/test_twirl_noisy.py."""
    q = QuantumRegister(2, "q")
    a, b = ClassicalRegister(1, "market"), ClassicalRegister(1, "decision")
    qc = QuantumCircuit(q, a, b)
    qc.x(0)
    qc.measure(0, a[0])
    qc.cx(0, 1)
    qc.measure(1, b[0])
    tick = SmallTick(qc, (), AllocationPlan(regime="stable"))
    ex = make_executor("aer-noisy-exact:FakeTorino", seed=2, mitigation="none", method="statevector")
    res = ex.run(tick, None, shots=2000)[0]
    assert res.metadata["readout"] == "classical" and res.metadata["shot_branching"] is True
    assert res.counts["market"].get("1", 0) > 1800 and res.counts["decision"].get("1", 0) > 1800


@pytest.mark.parametrize("case, expected", [("reused", {0: 0, 1: 1}), ("clbit_twice", None), ("if_test", None)])
def test_post_readout_rule(case, expected):
    """Post-sampling readout: no control flow reads a bit and each clbit is written once;
    measured qubits may be used again."""
    qc = QuantumCircuit(2, 2)
    qc.measure(0, 0)
    qc.x(0)
    if case == "reused":
        qc.measure(1, 1)
    elif case == "clbit_twice":
        qc.measure(1, 0)
    else:
        with qc.if_test((qc.clbits[0], 1)):
            qc.x(1)
    assert post_readout_map(qc) == expected
