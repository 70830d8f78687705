"""Regime feedback: rotations of the size and risk qubits controlled by single regime qubits.

For each decision bit ``j`` in (size_lo, size_hi, risk) the feedback realises
``RY(delta[r, j])`` in regime ``r`` with single controls (docs/model.md): an unconditional
``RY(c0)``, ``CRY(c1)`` on m1, ``CRY(c2)`` on m2, ``CRY(c3)`` on m3, where

    c0 = delta[stable], c1 = delta[trending] - c0, c2 = delta[volatile] - c0,
    c3 = delta[crisis] - c0 - c1 - c2

(stable sets none of m1..m3, trending m1, volatile m2, crisis all three). Rotations about the
same axis add, so on a regime code the bit is rotated by exactly ``delta[r, j]``. It is a
product of (controlled) rotations, hence unitary by construction, not "normalised"
afterwards. On an invalid market code (noise) it applies some other sum of the c's.

Qubit layout: ``[size_lo, size_hi, risk, m1, m2, m3]``. Parameters ``delta[3 r + j]``.
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector

from qar_qiskit.errors import InputError

__all__ = ["feedback_circuit", "feedback_parameter_values"]


def feedback_circuit() -> QuantumCircuit:
    """The feedback fragment (6 qubits, see module doc), parameters ``delta[0..11]``; 18 CNOTs."""
    qc = QuantumCircuit(6, name="feedback")
    delta = ParameterVector("delta", 12)
    m1, m2, m3 = 3, 4, 5
    for j in range(3):
        d = [delta[3 * r + j] for r in range(4)]
        c0 = d[0]
        c1 = d[1] - d[0]
        c2 = d[2] - d[0]
        c3 = d[3] - d[1] - d[2] + d[0]  # = delta[crisis] - c0 - c1 - c2
        qc.ry(c0, j)
        for c, control in ((c1, m1), (c2, m2), (c3, m3)):
            _cry(qc, c, control, j)
    return qc


def _cry(qc: QuantumCircuit, theta, control: int, target: int) -> None:
    """``CRY(theta) = CX RY(-theta/2) CX RY(theta/2)`` (exact, 2 CNOTs).

    Written out because qiskit-aer 0.18 ignores parameterized native ``cry`` gates when the
    values are bound in a primitives PUB (Qiskit/qiskit-aer#2323).
    """
    qc.ry(theta / 2, target)
    qc.cx(control, target)
    qc.ry(-theta / 2, target)
    qc.cx(control, target)


def feedback_parameter_values(feedback_angles) -> np.ndarray:
    """Parameter values of :func:`feedback_circuit`: ``delta`` of shape (4, 3), row-major."""
    delta = np.asarray(feedback_angles, dtype=float)
    if delta.shape != (4, 3) or not np.all(np.isfinite(delta)):
        raise InputError(f"feedback_angles: need a finite (4, 3) array, got shape {delta.shape}")
    return delta.reshape(-1).copy()
