"""Deferred measurement: the rewritten teleportation has the dynamic circuit's statistics."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector

from qar_qiskit.circuits.deferred import defer_measurements
from qar_qiskit.circuits.teleport import teleport_dynamic
from qar_qiskit.errors import BackendError


def _bell_b_probabilities(circuit: QuantumCircuit) -> np.ndarray:
    """Exact P(bell_b = 1 | basis) of a static circuit, in the Z, X and Y bases."""
    static = circuit.remove_final_measurements(inplace=False)
    out = []
    for basis in ("z", "x", "y"):
        qc = static.copy()
        if basis == "x":
            qc.h(2)
        if basis == "y":
            qc.sdg(2)
            qc.h(2)
        out.append(Statevector(qc).probabilities([2])[1])
    return np.array(out)


@pytest.mark.parametrize("angles", [(0.3, 1.1, 0.0), (2.0, -0.7, 0.4), (np.pi / 2, 0.0, 0.0)])
def test_deferred_teleport_delivers_the_state(angles):
    deferred = defer_measurements(teleport_dynamic(angles))
    assert not any(i.operation.name == "if_else" for i in deferred.data)
    assert [i.operation.name for i in deferred.data[-2:]] == ["measure", "measure"]
    theta, phi, _ = angles
    psi = np.array([np.cos(theta / 2), np.exp(1j * phi) * np.sin(theta / 2)])
    expected = []
    for basis in ("z", "x", "y"):
        v = psi
        if basis == "x":
            v = np.array([v[0] + v[1], v[0] - v[1]]) / np.sqrt(2)
        if basis == "y":
            v = np.array([v[0] - 1j * v[1], v[0] + 1j * v[1]]) / np.sqrt(2)
        expected.append(abs(v[1]) ** 2)
    np.testing.assert_allclose(_bell_b_probabilities(deferred), expected, atol=1e-9)


def test_unsupported_shapes_are_refused():
    qc = QuantumCircuit(2, 1)
    qc.measure(0, 0)
    qc.x(0)  # acts on the measured qubit afterwards: deferral would be wrong
    with pytest.raises(BackendError, match="after its measurement"):
        defer_measurements(qc)
    qc = QuantumCircuit(2, 1)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)) as else_:
        qc.x(1)
    with else_:
        qc.z(1)
    with pytest.raises(BackendError, match="else branch"):
        defer_measurements(qc)


def test_executor_without_if_else_runs_the_deferred_circuit():
    """A backend whose target has no if_else gets the deferred circuit (same counts law)."""
    from qiskit.providers.fake_provider import GenericBackendV2

    from qar_qiskit.backends.noisy import NoisyAerExecutor

    device = GenericBackendV2(5, control_flow=False, seed=3)
    ex = NoisyAerExecutor(device, mitigation="none", seed=5)
    assert not ex.supports_dynamic
    qc = teleport_dynamic((np.pi, 0.0, 0.0))  # |1> teleported: bell_b must read 1
    qc.add_register(__import__("qiskit").ClassicalRegister(1, "out"))
    qc.measure(2, qc.cregs[-1][0])
    res = ex.run(qc, None, shots=400)[0]
    ones = res.counts["out"].get("1", 0)
    assert ones > 400 * 0.9  # device noise only; without the corrections it would be ~1/2
