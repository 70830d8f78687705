"""Prospect register: CPT decision weights (``k`` qubits) and a value ancilla (1 qubit).

Outcomes are the ``2**k`` bin centres ``x_i`` with probabilities ``p_i`` (LMSR prices on that
grid). ``pi_i`` are the rank-dependent CPT decision weights of the prospect for a long
position and ``v`` the CPT value function (Tversky & Kahneman 1992, "Advances in prospect
theory"). The register holds ``sum_i sqrt(pi_i / sum(pi)) |i>`` (Möttönen RY cascade,
Möttönen et al. 2004); the ancilla gets ``RY(theta_i)`` uniformly controlled by the register
with

    sin^2(theta_i / 2) = g_i = (1 + v(x_i) / L) / 2,   L = max_i |v(x_i)|,

so ``P(anc = 1) = u = 1/2 + V / (2 L sum(pi))`` with ``V = sum_i pi_i v(x_i)`` the CPT value:
``u > 1/2`` exactly when the long position has positive CPT value.

Qubit layout of the fragment: ``[x_0 .. x_{k-1}, anc]`` (``n_p = k + 1`` qubits).
Parameters: ``prospect_a[0..2**k-2]`` (register cascade), ``prospect_g[0..2**k-1]`` (ancilla).
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector

from qar_qiskit.circuits.encoding import amplitude_angles, amplitude_prep, append_ucry
from qar_qiskit.classical.prospect import cpt_decision_weights, value_function
from qar_qiskit.errors import InputError

__all__ = ["prospect_circuit", "prospect_encoding", "prospect_parameter_values"]


def prospect_circuit(n_p: int) -> QuantumCircuit:
    """The prospect fragment on ``n_p = k + 1`` qubits (``k >= 1`` outcome qubits + ancilla).

    Cost: ``2**k - k - 1`` CNOTs for the register and ``2**k`` for the ancilla multiplexor.
    """
    if n_p < 2:
        raise InputError(f"prospect: need at least 2 qubits (register + ancilla), got {n_p}")
    k = n_p - 1
    qc = QuantumCircuit(n_p, name="prospect")
    prep, _ = amplitude_prep(k, "prospect_a")
    qc.compose(prep, qubits=list(range(k)), inplace=True)
    g = ParameterVector("prospect_g", 1 << k)
    append_ucry(qc, list(g), list(range(k)), k)
    return qc


def prospect_encoding(outcomes, probabilities, params=None) -> tuple[np.ndarray, np.ndarray]:
    """Register distribution ``pi / sum(pi)`` and ancilla probabilities ``g_i``.

    Args:
        outcomes: the ``2**k`` outcomes ``x_i``.
        probabilities: their probabilities ``p_i``.
        params: ``CPTParams`` (``None`` for Tversky & Kahneman's estimates).

    Returns:
        ``(pi / sum(pi), g)`` with ``g_i = (1 + v(x_i) / L) / 2`` (``1/2`` when ``L = 0``).
    """
    x = np.asarray(outcomes, dtype=float)
    pi = np.asarray(cpt_decision_weights(x, probabilities, params), dtype=float)
    total = float(pi.sum())
    if not total > 0.0:
        raise InputError("prospect_outcomes: CPT decision weights are all zero (every outcome is 0)")
    v = np.asarray(value_function(x, params), dtype=float)
    big_l = float(np.max(np.abs(v)))
    g = np.full_like(v, 0.5) if big_l == 0.0 else np.clip((1.0 + v / big_l) / 2.0, 0.0, 1.0)
    return pi / total, g


def prospect_parameter_values(outcomes, probabilities, params=None) -> np.ndarray:
    """Parameter values of :func:`prospect_circuit` (length ``2**k - 1 + 2**k``).

    Register angles from :func:`~qar_qiskit.circuits.encoding.amplitude_angles` of
    ``pi / sum(pi)``; ancilla angles ``theta_i = 2 arcsin(sqrt(g_i))``.
    """
    x = np.asarray(outcomes, dtype=float)
    n = x.size
    if x.ndim != 1 or n < 2 or (n & (n - 1)):
        raise InputError(f"prospect_outcomes: need 2**k outcomes (k >= 1), got shape {x.shape}")
    weights, g = prospect_encoding(x, probabilities, params)
    return np.concatenate([amplitude_angles(weights), 2.0 * np.arcsin(np.sqrt(g))])
