"""Hedge register (``m`` qubits).

Prepares ``sum_k sqrt(w_k) |k>`` over hedge ratios ``h_k = k / (2**m - 1)``, where ``w`` are
Freund–Schapire Hedge weights ``w ∝ exp(-eta * cumulative loss)`` (Freund & Schapire 1997,
"A decision-theoretic generalization of on-line learning"), by a Möttönen RY cascade. The
top qubit is 1 exactly for ``h_k >= 1/2``: ``P(top = 1) = p_hedge``.
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit

from qar_qiskit.circuits.encoding import amplitude_angles, amplitude_prep
from qar_qiskit.errors import InputError

__all__ = ["hedge_circuit", "hedge_parameter_values"]


def hedge_circuit(m: int) -> QuantumCircuit:
    """The Hedge fragment on ``m`` qubits, parameters ``hedge[0..2**m-2]``."""
    qc, _ = amplitude_prep(m, "hedge")
    qc.name = "hedge"
    return qc


def hedge_parameter_values(hedge_weights) -> np.ndarray:
    """Parameter values of :func:`hedge_circuit` for Hedge weights ``w`` (length ``2**m``)."""
    w = np.asarray(hedge_weights, dtype=float)
    if w.ndim != 1:
        raise InputError(f"hedge_weights: need a 1-D vector, got shape {w.shape}")
    return amplitude_angles(w)
