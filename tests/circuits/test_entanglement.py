"""Entangled resource states against their textbook state vectors and stabilizers."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from qiskit import transpile
from qiskit.circuit import Parameter
from qiskit.quantum_info import Pauli, Statevector, partial_trace
from qiskit_aer import AerSimulator

from qar_qiskit.circuits.entanglement import bell_pair, cluster, ghz, weak_bell
from qar_qiskit.errors import InputError

ATOL = 1e-9
S = 1 / math.sqrt(2)


def ket(n: int, amplitudes: dict[str, complex]) -> np.ndarray:
    """Textbook ket: keys list qubit 0 FIRST (``"01"`` = q0=0, q1=1); returns Qiskit order."""
    v = np.zeros(2**n, dtype=complex)
    for bits, amp in amplitudes.items():
        v[sum(int(b) << i for i, b in enumerate(bits))] = amp
    return v


def sample(qc, shots=2000, seed=11):
    qc = qc.copy()
    qc.measure_all()
    sim = AerSimulator(seed_simulator=seed)
    return sim.run(transpile(qc, sim), shots=shots).result().get_counts()


@pytest.mark.parametrize(
    "kind, amps",
    [
        ("phi+", {"00": S, "11": S}),
        ("phi-", {"00": S, "11": -S}),
        ("psi+", {"01": S, "10": S}),
        ("psi-", {"01": S, "10": -S}),
    ],
)
def test_bell_states_are_textbook(kind, amps):
    sv = Statevector(bell_pair(kind))
    assert np.allclose(sv.data, ket(2, amps), atol=ATOL, rtol=0)


def test_bell_unknown_kind():
    with pytest.raises(InputError, match="psi-"):
        bell_pair("omega")


@pytest.mark.parametrize("n", [2, 3, 4, 6])
def test_ghz_is_textbook(n):
    sv = Statevector(ghz(n))
    assert np.allclose(sv.data, ket(n, {"0" * n: S, "1" * n: S}), atol=ATOL, rtol=0)


@pytest.mark.parametrize("bad", [0, 1, 2.0, "3", True])
def test_ghz_rejects_bad_n(bad):
    with pytest.raises(InputError):
        ghz(bad)


def test_sampled_bell_and_ghz_only_all_equal():
    shots = 2000
    # Half/half within 5 sigma of a fair coin: sigma = sqrt(shots / 4).
    bound = 5 * math.sqrt(shots / 4)
    for qc, n in ((bell_pair("phi+"), 2), (ghz(3), 3), (ghz(5), 5)):
        counts = sample(qc, shots)
        assert set(counts) <= {"0" * n, "1" * n}, counts
        assert abs(counts.get("0" * n, 0) - shots / 2) <= bound
    counts = sample(bell_pair("psi-"), shots)
    assert set(counts) <= {"01", "10"}
    assert abs(counts.get("01", 0) - shots / 2) <= bound


def _cluster_textbook(n: int) -> np.ndarray:
    """(1/√2^n) Σ_x (-1)^{Σ_i x_i x_{i+1}} |x>."""
    amps = {}
    for bits in itertools.product("01", repeat=n):
        x = [int(b) for b in bits]
        sign = (-1) ** sum(x[i] * x[i + 1] for i in range(n - 1))
        amps["".join(bits)] = sign / math.sqrt(2**n)
    return ket(n, amps)


@pytest.mark.parametrize("n", [2, 3, 5])
def test_cluster_state_and_stabilizers(n):
    sv = Statevector(cluster(n))
    assert np.allclose(sv.data, _cluster_textbook(n), atol=ATOL, rtol=0)
    for i in range(n):
        label = ["I"] * n  # label[q] for qubit q; Pauli wants qubit 0 last
        label[i] = "X"
        if i > 0:
            label[i - 1] = "Z"
        if i < n - 1:
            label[i + 1] = "Z"
        pauli = Pauli("".join(reversed(label)))
        assert abs(sv.expectation_value(pauli) - 1.0) <= ATOL, (i, pauli)
    # And not merely a +1 eigenstate of X_i alone (it is entangled): <X_0> = 0.
    x0 = Pauli("I" * (n - 1) + "X")
    assert abs(sv.expectation_value(x0)) <= ATOL


def _h2(p: float) -> float:
    return 0.0 if p in (0.0, 1.0) else -(p * math.log2(p) + (1 - p) * math.log2(1 - p))


@pytest.mark.parametrize("theta", [0.0, 0.3, 1.0, math.pi / 2, 2.2, math.pi])
def test_weak_bell_state_entropy_concurrence(theta):
    sv = Statevector(weak_bell(theta))
    c, s = math.cos(theta / 2), math.sin(theta / 2)
    assert np.allclose(sv.data, ket(2, {"00": c, "11": s}), atol=ATOL, rtol=0)
    rho_a = partial_trace(sv, [1])
    evals = np.clip(np.linalg.eigvalsh(rho_a.data), 0, 1)
    entropy = -sum(float(e * math.log2(e)) for e in evals if e > 1e-15)
    assert entropy == pytest.approx(_h2(c**2), abs=ATOL)
    a, b, cc, d = sv.data
    assert 2 * abs(a * d - b * cc) == pytest.approx(abs(math.sin(theta)), abs=ATOL)


def test_weak_bell_is_parameterized():
    t = Parameter("t")
    qc = weak_bell(t)
    assert qc.parameters == {t}
    sv = Statevector(qc.assign_parameters({t: math.pi / 2}))
    assert np.allclose(sv.data, Statevector(bell_pair("phi+")).data, atol=ATOL)
