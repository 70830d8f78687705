"""Learning-memory selector (2 qubits) controlled on the market regime qubits (m1, m2).

For every regime ``r`` (control state ``r = m1 + 2 m2`` on the market register, which
identifies the regime because m0 and m3 are functions of m1 and m2) it prepares
``sum_a sqrt(w[r, a]) |a>`` over experts ``a`` = 0 lmsr, 1 prospect, 2 hedge, 3 abstain, with
a uniformly controlled RY cascade (Möttönen et al. 2004): 12 per-state angles, 10 CNOTs.
``w`` is the 4x4 row-stochastic multiplicative-weights matrix (Freund & Schapire 1997), so
the joint distribution of (regime, expert) is ``P(r) w[r, a]``.

Qubit layout of the fragment: ``[mem0, mem1, m1, m2]``.
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit

from qar_qiskit.circuits.encoding import controlled_amplitude_angles, controlled_amplitude_prep
from qar_qiskit.errors import InputError
from qar_qiskit.labels import EXPERTS

__all__ = ["EXPERTS", "memory_circuit", "memory_parameter_values"]



def memory_circuit() -> QuantumCircuit:
    """The memory fragment on ``[mem0, mem1, m1, m2]`` with parameters ``memory[0..11]``.

    Returns:
        A ``QuantumCircuit`` on 4 qubits; bind with :func:`memory_parameter_values`.
    """
    qc, _ = controlled_amplitude_prep(2, 2, "memory")
    qc.name = "memory"
    return qc


def memory_parameter_values(memory_weights) -> np.ndarray:
    """Parameter values of :func:`memory_circuit`.

    Args:
        memory_weights: ``(4, 4)`` row-stochastic ``w[r, a]``.

    Returns:
        12 per-state angles in the circuit's parameter order.
    """
    w = np.asarray(memory_weights, dtype=float)
    if w.shape != (4, 4):
        raise InputError(f"memory_weights: need shape (4, 4), got {w.shape}")
    return controlled_amplitude_angles(w)
