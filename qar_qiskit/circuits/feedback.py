"""Regime feedback: rotations of the size and risk qubits uniformly controlled by (m1, m2).

For each decision bit ``j`` in (size_lo, size_hi, risk) the feedback applies ``RY(delta[r, j])``
in regime ``r``: a uniformly controlled RY (Möttönen et al. 2004, 4 CNOTs) with controls
(m1, m2) and per-state angles ``delta[r, j]`` for ``r = m1 + 2 m2`` (stable 00, trending m1,
volatile m2, crisis both; m0 and m3 are functions of m1, m2 on every regime code). It is a
product of RY and CNOT gates, hence unitary by construction, not "normalised" afterwards.
On an invalid market code (noise) it applies the delta of the regime with the same (m1, m2).

Earlier form, kept for the record: single-control CRYs on m1, m2 and m3 (18 CNOTs); it read
m3, whose Toffoli from (m1, m2) then sat in the decision's light cone. Now 12 CNOTs and the
decision depends on the market register through m1, m2 only.

Qubit layout: ``[size_lo, size_hi, risk, m1, m2]``. Parameters ``delta[3 r + j]``.
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector

from qar_qiskit.circuits.encoding import append_ucry

from qar_qiskit.errors import InputError

__all__ = ["feedback_circuit", "feedback_parameter_values"]


def feedback_circuit() -> QuantumCircuit:
    """The feedback fragment (5 qubits, see module doc), parameters ``delta[0..11]``; 12 CNOTs."""
    qc = QuantumCircuit(5, name="feedback")
    delta = ParameterVector("delta", 12)
    for j in range(3):
        append_ucry(qc, [delta[3 * r + j] for r in range(4)], [3, 4], j)
    return qc


def feedback_parameter_values(feedback_angles) -> np.ndarray:
    """Parameter values of :func:`feedback_circuit`: ``delta`` of shape (4, 3), row-major."""
    delta = np.asarray(feedback_angles, dtype=float)
    if delta.shape != (4, 3) or not np.all(np.isfinite(delta)):
        raise InputError(f"feedback_angles: need a finite (4, 3) array, got shape {delta.shape}")
    return delta.reshape(-1).copy()
