"""Learning-memory selector (``ceil(log2 n)`` qubits for ``n`` experts) controlled on the
market regime qubits (m1, m2).

For every regime ``r`` (control state ``r = m1 + 2 m2`` on the market register, which
identifies the regime because m0 and m3 are functions of m1 and m2) it prepares
``sum_a sqrt(w[r, a]) |a>`` over the experts ``a`` (default 0 lmsr, 1 prospect, 2 hedge,
3 abstain; states ``a >= n`` get amplitude 0), with a uniformly controlled RY cascade
(Möttönen et al. 2004): for the default 2 qubits 12 per-state angles, 10 CNOTs.
``w`` is the (4, n) row-stochastic multiplicative-weights matrix (Freund & Schapire 1997), so
the joint distribution of (regime, expert) is ``P(r) w[r, a]``.

Qubit layout of the fragment: ``[mem0 .. mem_{k-1}, m1, m2]``.
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit

from qar_qiskit.circuits.encoding import controlled_amplitude_angles, controlled_amplitude_prep
from qar_qiskit.errors import InputError
from qar_qiskit.labels import EXPERTS
from qar_qiskit.plan.allocation import memory_width

__all__ = ["EXPERTS", "memory_circuit", "memory_parameter_values", "memory_width"]


def memory_circuit(width: int = 2) -> QuantumCircuit:
    """The memory fragment on ``[mem0 .. mem_{width-1}, m1, m2]`` (parameters ``memory[...]``).

    Returns:
        A ``QuantumCircuit`` on ``width + 2`` qubits; bind with :func:`memory_parameter_values`.
    """
    qc, _ = controlled_amplitude_prep(width, 2, "memory")
    qc.name = "memory"
    return qc


def memory_parameter_values(memory_weights) -> np.ndarray:
    """Parameter values of :func:`memory_circuit`.

    Args:
        memory_weights: ``(4, n)`` row-stochastic ``w[r, a]`` (``n >= 2`` experts; padded with
            zero columns to ``2**ceil(log2 n)`` memory states).

    Returns:
        The per-state angles in the circuit's parameter order (12 for ``n = 4``).
    """
    w = np.asarray(memory_weights, dtype=float)
    if w.ndim != 2 or w.shape[0] != 4 or w.shape[1] < 2:
        raise InputError(f"memory_weights: need shape (4, n) with n >= 2, got {w.shape}")
    padded = np.zeros((4, 1 << memory_width(w.shape[1])))
    padded[:, : w.shape[1]] = w
    return controlled_amplitude_angles(padded)
