"""Möttönen uniformly controlled RY and amplitude encoding, checked against exact linear algebra."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit import ParameterVector
from qiskit.circuit.library import StatePreparation
from qiskit.quantum_info import Operator, Statevector

from qar_qiskit.circuits.encoding import (
    amplitude_angles,
    amplitude_prep,
    controlled_amplitude_angles,
    controlled_amplitude_prep,
    ucry,
)
from qar_qiskit.errors import InputError


def _ry(theta: float) -> np.ndarray:
    c, s = np.cos(theta / 2), np.sin(theta / 2)
    return np.array([[c, -s], [s, c]])


def _multiplexor_matrix(angles, k: int) -> np.ndarray:
    """Exact operator on [controls 0..k-1, target k]: block RY(angles[j]) for control state j."""
    dim = 1 << (k + 1)
    u = np.zeros((dim, dim))
    for j, a in enumerate(angles):
        r = _ry(a)
        for t_out in range(2):
            for t_in in range(2):
                u[j + (t_out << k), j + (t_in << k)] = r[t_out, t_in]
    return u


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_ucry_equals_block_diagonal_ry(k):
    rng = np.random.default_rng(10 + k)
    angles = rng.uniform(-np.pi, np.pi, 1 << k)
    qc = ucry(list(angles), list(range(k)), k)
    assert np.allclose(Operator(qc).data, _multiplexor_matrix(angles, k), atol=1e-12)
    assert qc.count_ops().get("cx", 0) == (1 << k if k else 0)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_ucry_is_parameterized_by_per_state_angles(k):
    rng = np.random.default_rng(20 + k)
    alpha = ParameterVector("alpha", 1 << k)
    qc = ucry(list(alpha), list(range(k)), k)
    assert set(qc.parameters) == set(alpha)
    values = rng.uniform(-np.pi, np.pi, 1 << k)
    bound = qc.assign_parameters(dict(zip(alpha, values)))
    assert np.allclose(Operator(bound).data, _multiplexor_matrix(values, k), atol=1e-12)


def test_ucry_controls_in_any_order():
    # controls (2, 0): control state j has bit 0 on qubit 2 and bit 1 on qubit 0
    angles = [0.1, 0.7, -1.3, 2.2]
    qc = ucry(angles, [2, 0], 1)
    for j, a in enumerate(angles):
        prep = QuantumCircuit(3)
        if j & 1:
            prep.x(2)
        if j & 2:
            prep.x(0)
        sv = Statevector(prep.compose(qc)).probabilities_dict(qargs=[1])
        assert sv.get("1", 0.0) == pytest.approx(np.sin(a / 2) ** 2, abs=1e-12)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_amplitude_prep_prepares_sqrt_p(n):
    rng = np.random.default_rng(n)
    p = rng.dirichlet(np.ones(1 << n))
    p[rng.integers(0, p.size)] = 0.0  # a zero amplitude too
    p /= p.sum()
    qc, params = amplitude_prep(n, "x")
    assert len(params) == (1 << n) - 1 == qc.num_parameters
    sv = Statevector(qc.assign_parameters(amplitude_angles(p))).data
    assert np.allclose(sv, np.sqrt(p), atol=1e-10)


def test_amplitude_prep_basis_states():
    for n in (2, 3):
        for i in range(1 << n):
            p = np.zeros(1 << n)
            p[i] = 1.0
            qc, _ = amplitude_prep(n, "x")
            sv = Statevector(qc.assign_parameters(amplitude_angles(p))).data
            assert abs(sv[i]) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("n,c", [(1, 1), (2, 2), (3, 1), (1, 3)])
def test_controlled_amplitude_prep(n, c):
    rng = np.random.default_rng(100 + 10 * n + c)
    cond = rng.dirichlet(np.ones(1 << n), size=1 << c)
    qc, params = controlled_amplitude_prep(n, c, "m")
    assert len(params) == ((1 << n) - 1) << c
    circ = QuantumCircuit(n + c)
    circ.h(range(n, n + c))
    circ.compose(qc, inplace=True)
    sv = Statevector(circ.assign_parameters(controlled_amplitude_angles(cond))).data
    expected = np.array([np.sqrt(cond[i >> n, i & ((1 << n) - 1)] / (1 << c)) for i in range(1 << (n + c))])
    assert np.allclose(sv, expected, atol=1e-10)


def _cx_count(circuit: QuantumCircuit) -> int:
    return transpile(circuit, basis_gates=["cx", "u"], optimization_level=1).count_ops().get("cx", 0)


# measured: ours 4, 11, 26, 57 CNOTs; StatePreparation 4, 11, 26, 57 (n = 3..6)
@pytest.mark.parametrize("n", [3, 4, 5, 6])
def test_two_qubit_count_vs_state_preparation(n):
    rng = np.random.default_rng(300 + n)
    p = rng.dirichlet(np.ones(1 << n))
    qc, _ = amplitude_prep(n, "x")
    ours = _cx_count(qc.assign_parameters(amplitude_angles(p)))
    ref = QuantumCircuit(n)
    ref.append(StatePreparation(np.sqrt(p)), range(n))
    theirs = _cx_count(ref)
    assert ours == (1 << n) - n - 1
    assert ours <= 1.2 * theirs, (n, ours, theirs)


def test_structure_does_not_depend_on_values():
    qc, _ = amplitude_prep(4, "x")
    rng = np.random.default_rng(5)
    a = qc.assign_parameters(amplitude_angles(rng.dirichlet(np.ones(16))))
    b = qc.assign_parameters(amplitude_angles(rng.dirichlet(np.ones(16))))
    assert [(i.operation.name, i.qubits) for i in a.data] == [(i.operation.name, i.qubits) for i in b.data]
    assert [i.operation.params for i in a.data] != [i.operation.params for i in b.data]


@pytest.mark.parametrize(
    "bad,field",
    [([0.5, 0.6], "probabilities"), ([0.5, 0.25, 0.25], "probabilities"), ([1.5, -0.5], "probabilities"),
     ([np.nan, 1.0], "probabilities")],
)
def test_amplitude_angles_rejects_bad_input(bad, field):
    with pytest.raises(InputError, match=field):
        amplitude_angles(bad)


def test_ucry_rejects_wrong_angle_count():
    with pytest.raises(InputError, match="angles"):
        ucry([0.1, 0.2, 0.3], [0, 1], 2)
