"""Reduced states and entropies against textbook values."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import DensityMatrix, Statevector

from qar_qiskit.circuits.entanglement import bell_pair, ghz
from qar_qiskit.circuits.inspect import (
    entanglement_entropy,
    mutual_information,
    reduced_state,
    von_neumann_entropy,
)
from qar_qiskit.errors import InputError

ATOL = 1e-9


def test_bell_pair_one_bit_and_maximally_mixed_half():
    sv = Statevector(bell_pair("phi+"))
    assert np.allclose(reduced_state(sv, [0]).data, np.eye(2) / 2, atol=ATOL)
    assert entanglement_entropy(sv, [0], [1]) == pytest.approx(1.0, abs=ATOL)
    assert entanglement_entropy(DensityMatrix(sv), [1], [0]) == pytest.approx(1.0, abs=ATOL)
    assert mutual_information(sv, [0], [1]) == pytest.approx(2.0, abs=ATOL)


def test_product_state_zero():
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.ry(0.7, 1)
    qc.u(0.3, 1.2, 0.4, 2)
    sv = Statevector(qc)
    for a, b in ([0], [1]), ([0], [1, 2]), ([2], [0]):
        assert entanglement_entropy(sv, a, b) == pytest.approx(0.0, abs=ATOL)
        assert mutual_information(sv, a, b) == pytest.approx(0.0, abs=ATOL)


def test_ghz3_one_vs_two_is_one_bit():
    sv = Statevector(ghz(3))
    for a in range(3):
        b = [q for q in range(3) if q != a]
        assert entanglement_entropy(sv, [a], b) == pytest.approx(1.0, abs=ATOL)


def test_mixed_joint_state_raises_and_mutual_information_is_classical_bit():
    # GHZ(3) restricted to qubits 0, 1 is (|00><00| + |11><11|)/2: mixed, no entanglement,
    # but 1 bit of classical correlation.
    sv = Statevector(ghz(3))
    with pytest.raises(InputError, match="mutual_information"):
        entanglement_entropy(sv, [0], [1])
    assert mutual_information(sv, [0], [1]) == pytest.approx(1.0, abs=ATOL)
    rho01 = reduced_state(sv, [0, 1])
    assert np.allclose(rho01.data, np.diag([0.5, 0, 0, 0.5]), atol=ATOL)


def test_weak_bell_entropy_is_binary_entropy():
    theta = 1.234
    qc = QuantumCircuit(4)  # weak pair on qubits 1 and 3, spectators 0 and 2
    qc.h(0)
    qc.ry(theta, 1)
    qc.cx(1, 3)
    p = math.cos(theta / 2) ** 2
    h2 = -(p * math.log2(p) + (1 - p) * math.log2(1 - p))
    assert entanglement_entropy(Statevector(qc), [1], [3]) == pytest.approx(h2, abs=ATOL)
    assert von_neumann_entropy(Statevector(qc), [3]) == pytest.approx(h2, abs=ATOL)


def test_reduced_state_keeps_the_given_qubit_order():
    sv = Statevector.from_label("+01")  # q0 = |1>, q1 = |0>, q2 = |+>
    one = {0: DensityMatrix.from_label("1"), 1: DensityMatrix.from_label("0"),
           2: DensityMatrix.from_label("+")}
    for keep in itertools.permutations(range(3), 2):
        expected = one[keep[1]].tensor(one[keep[0]])  # result qubit 0 = keep[0]
        assert np.allclose(reduced_state(sv, list(keep)).data, expected.data, atol=ATOL), keep
    for keep in itertools.permutations(range(3)):
        expected = one[keep[2]].tensor(one[keep[1]]).tensor(one[keep[0]])
        assert np.allclose(reduced_state(sv, list(keep)).data, expected.data, atol=ATOL), keep


@pytest.mark.parametrize("a, b", [([0], [0]), ([0, 0], [1]), ([5], [0]), ([], [1])])
def test_bad_qubits(a, b):
    with pytest.raises(InputError):
        entanglement_entropy(Statevector(bell_pair()), a, b)


def test_rejects_non_state():
    with pytest.raises(InputError):
        reduced_state(np.array([1, 0, 0, 0]), [0])
