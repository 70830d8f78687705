"""``register_counts`` (Aer hex counts -> per-register counts) against Qiskit's own marginalisation."""

from __future__ import annotations

import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.result import marginal_distribution
from qiskit_aer import AerSimulator

from qar_qiskit.backends.counts import register_counts


def _reference(result, circuit):
    """Qiskit's ``get_counts`` (all bits) marginalised per register with ``marginal_distribution``."""
    joint = {k.replace(" ", ""): v for k, v in result.get_counts(0).items()}
    return {reg.name: dict(marginal_distribution(joint, [circuit.find_bit(b).index for b in reg]))
            for reg in circuit.cregs}


def _random_circuit(n_qubits: int, registers: list[int], interleave: bool) -> QuantumCircuit:
    q = QuantumRegister(n_qubits, "q")
    regs = [ClassicalRegister(size, f"r{i}") for i, size in enumerate(registers)]
    qc = QuantumCircuit(q, *regs)
    for i in range(n_qubits):
        qc.ry(0.3 + 0.4 * i, i)
    for i in range(n_qubits - 1):
        qc.cx(i, i + 1)
    clbits = [bit for reg in regs for bit in reg]
    if interleave:  # register bits measured out of order, some qubits measured twice
        clbits = clbits[::-1]
    for k, bit in enumerate(clbits):
        qc.measure(k % n_qubits, bit)
    return qc


@pytest.mark.parametrize("n_qubits,registers,interleave", [
    (5, [5], False), (6, [2, 3, 1], False), (6, [3, 4, 2], True), (4, [30, 30, 10], True)])
def test_matches_qiskit_marginals(n_qubits, registers, interleave):
    qc = _random_circuit(n_qubits, registers, interleave)
    result = AerSimulator().run(qc, shots=2000, seed_simulator=7).result()
    got = register_counts(result, 0, qc)
    assert got == _reference(result, qc)
    assert all(sum(c.values()) == 2000 for c in got.values())
    assert all(len(k) == reg.size for reg in qc.cregs for k in got[reg.name])


def test_missing_counts_is_a_backend_error():
    from qar_qiskit.errors import BackendError

    class NoCounts:
        def data(self, index):
            return {}

    with pytest.raises(BackendError, match="no counts"):
        register_counts(NoCounts(), 0, QuantumCircuit(1, 1))
