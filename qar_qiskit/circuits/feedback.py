"""Regime feedback: rotations of the size and risk qubits uniformly controlled by (m1, m2).

For each decision bit ``j`` in (size_lo, size_hi, risk) the feedback rotates by
``RY(delta[r, j])`` in regime ``r``: a uniformly controlled RY (Möttönen et al. 2004) with
controls (m1, m2) and per-state angles for ``r = m1 + 2 m2`` (stable 00, trending m1, volatile
m2, crisis both; m0 and m3 are functions of m1, m2 on every regime code). Gates: RY and CNOT
only, so it is unitary by construction, not "normalised" afterwards. On an invalid market
code (noise) it applies the delta of the regime with the same (m1, m2).

The multiplexor leaves out its final CNOT (from m2), 3 CNOTs per bit: the gate is then
``X^{m2} RY(alpha_r)``. It is the last gate on these qubits before they are measured (the
crisis buffer only copies the risk bit through a CNOT it controls), so only ``P(bit = 1)`` in
each branch matters, and ``X RY(pi + x)|psi> `` has the probabilities of ``RY(-x)|psi>`` for any
``|psi> = RY(b)|0>``: the per-state angle ``alpha_r = delta[r, j] + pi`` for m2 = 1 (volatile,
crisis) gives ``P(bit = 1) = sin^2((b + delta[r, j]) / 2)`` exactly, as the full multiplexor.

Earlier forms, measured on the default plan: single-control CRYs on m1, m2 and m3 (18 CNOTs;
it read m3, whose Toffoli from (m1, m2) then sat in the decision's light cone), then the full
multiplexor on (m1, m2) (12 CNOTs). Now 9.

Qubit layout: ``[size_lo, size_hi, risk, m1, m2]``. Parameters ``delta[3 r + j]`` hold the
per-state angles; bind them with :func:`feedback_parameter_values`.
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector

from qar_qiskit.circuits.encoding import append_ucry
from qar_qiskit.errors import InputError

__all__ = ["feedback_circuit", "feedback_parameter_values"]


def feedback_circuit() -> QuantumCircuit:
    """The feedback fragment (5 qubits, see module doc), parameters ``delta[0..11]``; 9 CNOTs."""
    qc = QuantumCircuit(5, name="feedback")
    delta = ParameterVector("delta", 12)
    for j in range(3):
        append_ucry(qc, [delta[3 * r + j] for r in range(4)], [3, 4], j, drop_last_cnot=True)
    return qc


def feedback_parameter_values(feedback_angles) -> np.ndarray:
    """Parameter values of :func:`feedback_circuit` from ``delta`` of shape (4, 3).

    Returns ``delta[r, j]`` row-major, with ``delta + pi`` for the regimes with m2 = 1
    (volatile, crisis): the multiplexors' dropped final CNOT, see the module doc.
    """
    delta = np.asarray(feedback_angles, dtype=float)
    if delta.shape != (4, 3) or not np.all(np.isfinite(delta)):
        raise InputError(f"feedback_angles: need a finite (4, 3) array, got shape {delta.shape}")
    out = delta.copy()
    out[2:] += np.pi
    return out.reshape(-1)
