"""Teleportation: the received qubit equals the input (fidelity 1), but only with the 2 bits."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import transpile
from qiskit.quantum_info import DensityMatrix, Operator, Statevector, partial_trace, state_fidelity
from qiskit_aer import AerSimulator

from qar_qiskit.circuits.teleport import (
    BELL_A,
    BELL_B,
    SOURCE,
    prepare_state,
    random_state_angles,
    state_vector,
    teleport_deferred,
    teleport_dynamic,
)

ATOL = 1e-9
N_STATES = 12


def input_states():
    rng = np.random.default_rng(20240611)
    return [random_state_angles(rng) for _ in range(N_STATES)]


def textbook(angles) -> Statevector:
    theta, phi, _ = angles
    return Statevector([np.cos(theta / 2), np.exp(1j * phi) * np.sin(theta / 2)])


def test_prepare_state_matches_formula():
    for angles in input_states():
        sv = Statevector(prepare_state(*angles))
        # U(θ, φ, λ)|0> is the textbook state exactly (no global phase on the |0> amplitude).
        assert np.allclose(sv.data, textbook(angles).data, atol=ATOL)
        assert np.allclose(state_vector(*angles[:2]), textbook(angles).data, atol=ATOL)


def test_dynamic_teleport_fidelity_one_on_aer():
    sim = AerSimulator(seed_simulator=7)
    circuits = []
    for angles in input_states():
        qc = teleport_dynamic(angles)
        qc.save_density_matrix(qubits=[BELL_B], label="rho_b")
        circuits.append(qc)
    # Every shot (whatever its two bits) must deliver the input: the shot average is exact.
    result = sim.run(transpile(circuits, sim), shots=64).result()
    for k, angles in enumerate(input_states()):
        rho = DensityMatrix(result.data(k)["rho_b"])
        assert state_fidelity(rho, textbook(angles)) == pytest.approx(1.0, abs=ATOL)
        assert rho.purity().real == pytest.approx(1.0, abs=ATOL)


def test_dynamic_uses_if_test_and_mid_circuit_measurement():
    qc = teleport_dynamic()
    names = [inst.operation.name for inst in qc.data]
    assert names.count("measure") == 2 and names.count("if_else") == 2
    assert qc.num_clbits == 2 and qc.num_qubits == 3


def test_deferred_teleport_fidelity_one():
    for angles in input_states():
        qc = teleport_deferred(angles)
        assert "measure" not in qc.count_ops() and qc.num_clbits == 0
        sv = Statevector(qc)
        rho_b = partial_trace(sv, [SOURCE, BELL_A])
        assert state_fidelity(rho_b, textbook(angles)) == pytest.approx(1.0, abs=ATOL)
        # The sender's qubits end in |+>|+> whatever the input: nothing about ψ stays behind.
        rho_sender = partial_trace(sv, [BELL_B])
        assert np.allclose(rho_sender.data, DensityMatrix.from_label("++").data, atol=ATOL)


def test_without_the_two_bits_the_received_qubit_is_maximally_mixed():
    """Average over the 4 Bell outcomes of bell_b's state without corrections is I/2, exactly.

    Each outcome (m_z, m_x) has probability 1/4 whatever the input, and leaves bell_b in
    X^{m_x} Z^{m_z}|ψ> (textbook); so knowing neither the bits nor ψ, the receiver holds I/2.
    """
    X = np.array([[0, 1], [1, 0]])
    Z = np.diag([1, -1])
    for angles in input_states():
        psi = textbook(angles).data
        unmeasured = teleport_dynamic(angles, corrections=False).remove_final_measurements(
            inplace=False
        )
        pre = Statevector(unmeasured)
        avg = np.zeros((2, 2), dtype=complex)
        for m_z in (0, 1):
            for m_x in (0, 1):
                # Project (source, bell_a) onto |m_z, m_x>: Qiskit index q0 + 2 q1 + 4 q2.
                idx = [m_z + 2 * m_x + 4 * b for b in (0, 1)]
                branch = pre.data[idx]
                p = float(np.vdot(branch, branch).real)
                assert p == pytest.approx(0.25, abs=ATOL)
                rho = np.outer(branch, branch.conj()) / p
                expected = np.linalg.matrix_power(X, m_x) @ np.linalg.matrix_power(Z, m_z) @ psi
                assert np.allclose(rho, np.outer(expected, expected.conj()), atol=ATOL)
                avg += p * rho
        assert np.allclose(avg, np.eye(2) / 2, atol=ATOL)
        # Same thing by partial trace: measuring the sender's qubits changes nothing at bell_b.
        assert np.allclose(partial_trace(pre, [SOURCE, BELL_A]).data, np.eye(2) / 2, atol=ATOL)


def test_aer_without_corrections_is_mixed_on_average():
    """Sampled check: without corrections the shot-averaged received state is ≈ I/2."""
    shots = 4000
    qc = teleport_dynamic((1.1, 0.4, 0.0), corrections=False)
    qc.save_density_matrix(qubits=[BELL_B], label="rho_b")
    sim = AerSimulator(seed_simulator=3)
    rho = DensityMatrix(sim.run(transpile(qc, sim), shots=shots).result().data(0)["rho_b"])
    # Entries are averages of shots' pure states: |error| <= 5 / sqrt(shots) (bounded terms).
    assert np.allclose(rho.data, np.eye(2) / 2, atol=5 / np.sqrt(shots))
    # Versus the input itself (cos²(0.55) ≈ 0.73 in |0>): far from it.
    assert state_fidelity(rho, textbook((1.1, 0.4, 0.0))) < 0.6


def test_deferred_and_dynamic_are_the_same_channel():
    """The deferred circuit's unitary maps |ψ>|00> to |+>|+>|ψ> for a basis of inputs."""
    plus = np.array([1, 1]) / np.sqrt(2)
    u = Operator(teleport_deferred()).data
    for psi in (np.array([1, 0]), np.array([0, 1]), plus, np.array([1, 1j]) / np.sqrt(2)):
        inp = np.kron(np.kron([1, 0], [1, 0]), psi)  # qubit 2 ⊗ qubit 1 ⊗ qubit 0 = source
        out = u @ inp
        assert np.allclose(out, np.kron(psi, np.kron(plus, plus)), atol=ATOL)
