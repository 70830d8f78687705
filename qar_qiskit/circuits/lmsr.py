"""LMSR price register (``n_l`` qubits).

Prepares ``sum_i sqrt(p_i) |i>`` with ``p = softmax(q / b)``, Hanson's logarithmic market
scoring rule prices over ``2**n_l`` return bins (Hanson 2003, "Combinatorial information
market design"), by a Möttönen RY cascade (``2**n_l - 1`` per-state angles,
``2**n_l - n_l - 1`` CNOTs). Bin ``i`` has centre ``x_i = -R + (i + 1/2) 2R / 2**n_l``; the top
qubit is 1 exactly for the up-bins, so ``P(top = 1) = p_up``.
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit

from qar_qiskit.circuits.encoding import amplitude_angles, amplitude_prep
from qar_qiskit.errors import InputError

__all__ = ["lmsr_circuit", "lmsr_parameter_values"]


def lmsr_circuit(n: int) -> QuantumCircuit:
    """The LMSR fragment on ``n`` qubits, parameters ``lmsr[0..2**n-2]``."""
    qc, _ = amplitude_prep(n, "lmsr")
    qc.name = "lmsr"
    return qc


def lmsr_parameter_values(probabilities) -> np.ndarray:
    """Parameter values of :func:`lmsr_circuit` for LMSR prices ``p`` (length ``2**n``)."""
    p = np.asarray(probabilities, dtype=float)
    if p.ndim != 1:
        raise InputError(f"lmsr_probabilities: need a 1-D vector, got shape {p.shape}")
    return amplitude_angles(p)
