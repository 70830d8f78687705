"""The twirled-noise estimator (``aer-noisy``) against exact density matrices (dm_reference).

A small routed circuit on FakeFez (4 qubits, parameterized, one measurement whose qubit is used
again) keeps every density matrix tiny. References: the exact density matrix of the Pauli-twirled
noise model and of Aer's full device noise model, split at the reused measurement
(:mod:`qar_qiskit.backends.dm_reference`), checked first against Aer's own one-shot-at-a-time
density-matrix simulation.

Significance: every chi-square test rejects at p < 1e-3, so a correct implementation fails one
of them with probability < 0.1% per test (seeds are fixed, so the outcome is reproducible).
"""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.circuit import ClassicalRegister, Parameter, QuantumCircuit, QuantumRegister
from scipy.stats import chisquare

from qar_qiskit.backends import make_executor
from qar_qiskit.backends.device_sim import SubDevice, sub_target
from qar_qiskit.backends.dm_reference import exact_distribution
from qar_qiskit.backends.readout import ClassicalReadout, post_readout_map
from qar_qiskit.backends.twirl import PauliTable, TwirledSampler, pauli_twirl
from qar_qiskit.errors import ConfigError

ALPHA = 1e-3
SHOTS = 20000
PHYSICAL = [0, 1, 2, 3]  # a connected line on FakeFez: 0-1-2-3


@pytest.fixture(scope="module")
def device():
    from qiskit_ibm_runtime.fake_provider import FakeFez

    fake = FakeFez()
    return SubDevice(sub_target(fake.target, PHYSICAL), "fez[4q]")


def routed_circuit() -> QuantumCircuit:
    """ISA gates (rz, sx, x, cz) on a line; clbit 0 measures qubit 1 mid-circuit, then qubit 1 is
    used again; the register ``decision`` reads qubits 0, 1, 3 at the end."""
    q = QuantumRegister(4, "q")
    mid, dec = ClassicalRegister(1, "memory"), ClassicalRegister(3, "decision")
    qc = QuantumCircuit(q, mid, dec)
    th = [Parameter(f"t{i}") for i in range(4)]
    for i in range(4):
        qc.sx(i)
        qc.rz(th[i], i)
        qc.sx(i)
    for a, b in ((0, 1), (1, 2), (2, 3)):
        qc.cz(a, b)
        qc.x(b)
    qc.measure(1, mid[0])
    qc.x(1)
    qc.cz(1, 2)
    qc.x(1)
    qc.rz(th[0], 2)
    qc.cz(2, 3)
    qc.x(3)
    qc.cz(0, 1)
    qc.x(0)
    qc.measure(0, dec[0])
    qc.measure(1, dec[1])
    qc.measure(3, dec[2])
    return qc


VALUES = np.array([2.6, 3.4, 2.9, 2.2])  # near pi: sx rz(pi) sx = Z, so a peaked output that noise visibly spreads


@pytest.fixture(scope="module")
def setup(device):
    qc = routed_circuit()
    table = PauliTable.from_target(device.target)
    readout = ClassicalReadout.from_target(device.target, post_readout_map(qc))
    basis = list(device.target.operation_names)
    twirled = exact_distribution(qc, table.noise_model(basis), readout, values=VALUES)
    from qiskit_aer.noise import NoiseModel

    full = exact_distribution(qc, NoiseModel.from_backend(device, readout_error=False), readout, values=VALUES)
    return qc, table, readout, twirled, full


def _counts(sampler, m, seed, shots=SHOTS):
    values, weights = sampler.sample(VALUES[None, :], shots, m, np.random.default_rng(seed))[0]
    out = np.zeros(2 ** len(sampler.deferred.clbits))
    inv = {int(v): i for i, v in enumerate(sampler.values)}
    for v, w in zip(values, weights):
        out[inv[int(v)]] += w
    return out


def _chi2_p(counts, probs):
    """Pearson chi-square p-value; cells expecting fewer than 5 counts are pooled into one."""
    expected = probs / probs.sum() * counts.sum()
    small = expected < 5
    obs = np.append(counts[~small], counts[small].sum())
    exp = np.append(expected[~small], expected[small].sum())
    if exp[-1] == 0:
        obs, exp = obs[:-1], exp[:-1]
    return chisquare(obs, exp).pvalue


# -- the twirl itself ------------------------------------------------------------------------

def test_twirl_of_amplitude_damping_matches_the_closed_form():
    """Amplitude damping gamma twirls to p_X = p_Y = gamma/4, p_Z = (1 - sqrt(1-gamma))**2 / 4."""
    from qiskit_aer.noise import amplitude_damping_error

    g = 0.2
    p = pauli_twirl(amplitude_damping_error(g))
    s = np.sqrt(1 - g)
    np.testing.assert_allclose(p, [(1 + s) ** 2 / 4, g / 4, g / 4, (1 - s) ** 2 / 4], atol=1e-12)


def test_twirl_of_pauli_noise_is_exact():
    from qiskit_aer.noise import depolarizing_error

    p = pauli_twirl(depolarizing_error(0.06, 2))
    np.testing.assert_allclose(p, [1 - 0.06 * 15 / 16] + [0.06 / 16] * 15, atol=1e-12)


# -- the exact reference -------------------------------------------------------------------------

def test_split_density_matrix_matches_aer_shot_by_shot(device, setup):
    """dm_reference vs Aer's density-matrix method with its own readout errors, which simulates
    the reused measurement one shot at a time: chi-square, p > ALPHA."""
    from qiskit_aer import AerSimulator

    qc, _, _, _, full = setup
    sim = AerSimulator.from_backend(device, method="density_matrix")
    raw = sim.run(qc.assign_parameters(VALUES), shots=SHOTS, seed_simulator=5).result().get_counts()
    counts = np.zeros(16)
    for key, n in raw.items():
        counts[int(key.replace(" ", ""), 2)] += n
    assert _chi2_p(counts, full) > ALPHA


# -- the estimator -------------------------------------------------------------------------------

def test_estimator_matches_the_twirled_density_matrix_and_has_power(setup):
    """M = 256: estimator error << the shot noise of 20000 shots. The same test rejects an
    estimator whose error rates are doubled (its power on this circuit)."""
    qc, table, readout, twirled, _ = setup
    sampler = TwirledSampler(qc, table, readout)
    assert sampler.p0 < 0.97  # enough noise for the power check to mean something
    assert _chi2_p(_counts(sampler, 256, seed=1), twirled) > ALPHA
    doubled = TwirledSampler(qc, PauliTable({k: v for k, v in _scaled(table, 2.0).items()}), readout)
    assert _chi2_p(_counts(doubled, 256, seed=1), twirled) < ALPHA


def _scaled(table, scale):
    out = {}
    for key, probs in table.channels.items():
        p = probs * scale
        p[0] = 1 - p[1:].sum()
        out[key] = p
    return out


def test_twirl_bias_is_small_against_the_full_noise_model(setup):
    """The stated bias (non-unital relaxation, coherent parts) is below 0.02 TVD here, and the
    estimator at large M is within bias + 3 RMS errors of the full-noise density matrix."""
    qc, table, readout, twirled, full = setup
    bias = 0.5 * np.abs(twirled - full).sum()
    assert bias < 0.02
    sampler = TwirledSampler(qc, table, readout)
    est = [sampler.distributions(VALUES[None, :], 256, np.random.default_rng(s))[0] for s in range(4)]
    rms = np.sqrt(np.mean([(0.5 * np.abs(e - twirled).sum()) ** 2 for e in est]))
    assert all(0.5 * np.abs(e - full).sum() <= bias + 3 * rms + 1e-9 for e in est)


def test_estimator_error_shrinks_as_one_over_sqrt_m(setup):
    """RMS TVD to the exact twirled distribution over 24 seeds: M=8 vs M=128 ratio ~ sqrt(16) = 4.
    With 24 seeds the ratio of two RMS estimates is within [2.5, 6.5] with probability > 99.9%
    (chi-square with 24 dof per mean square)."""
    qc, table, readout, twirled, _ = setup
    sampler = TwirledSampler(qc, table, readout)

    def rms(m):
        errs = [0.5 * np.abs(sampler.distributions(VALUES[None, :], m, np.random.default_rng(100 + s))[0]
                             - twirled).sum() for s in range(24)]
        return np.sqrt(np.mean(np.square(errs)))

    ratio = rms(8) / rms(128)
    assert 2.5 <= ratio <= 6.5, ratio


# -- the executor ----------------------------------------------------------------------------------

def test_executor_default_is_the_estimator_and_is_seeded():
    ex = make_executor("aer-noisy:FakeFez", seed=3, mitigation="none", shots=512)
    assert ex.name == "aer-noisy:FakeFez" and not ex.exact
    qc = routed_circuit()
    a = ex.run(qc, VALUES[None, :])[0]
    b = ex.run(qc, VALUES[None, :])[0]
    c = ex.run(qc, VALUES[None, :], seed=4)[0]
    assert a.counts == b.counts and a.counts != c.counts
    assert {g["method"] for g in a.metadata["groups"]} == {"twirled"}
    assert a.metadata["readout"] == "classical"


def test_exact_spec_and_method_option():
    ex = make_executor("aer-noisy-exact:FakeFez", seed=3, mitigation="none")
    assert ex.exact and ex.name == "aer-noisy-exact:FakeFez"
    with pytest.raises(ConfigError, match="aer-noisy-exact"):
        make_executor("aer-noisy:FakeFez", method="statevector")
    from qar_qiskit.backends.registry import list_backends, validate_spec

    assert validate_spec("aer-noisy-exact:FakeFez") == "aer-noisy-exact:FakeFez"
    names = {r["name"] for r in list_backends(include_ibm=False)}
    assert {"aer-noisy:FakeFez", "aer-noisy-exact:FakeFez"} <= names


def test_exact_trajectories_with_post_sampling_readout_match_the_reference(setup):
    """A reused measurement no longer sends a circuit to the full simulator: the trajectories run
    with shot branching, readout errors applied afterwards, and agree with the split density
    matrix (chi-square, p > ALPHA)."""
    from qiskit_ibm_runtime.fake_provider import FakeFez

    from qar_qiskit.backends.counts import raw_outcomes
    from qar_qiskit.backends.device_sim import ActiveSet

    qc, _, _, _, full = setup
    assert post_readout_map(qc) == {0: 1, 1: 0, 2: 1, 3: 3}
    entry = ActiveSet(FakeFez(), PHYSICAL, "statevector", {}, "none", 100, 1)
    readout = entry.readout_for(qc)
    assert readout is not None
    result = entry.simulator.run(qc.assign_parameters(VALUES), shots=SHOTS, seed_simulator=7).result()
    values, _ = readout.apply(*raw_outcomes(result, 0, qc), np.random.default_rng(8))
    counts = np.bincount(values, minlength=16).astype(float)
    assert _chi2_p(counts, full) > ALPHA
