"""Prospect register: CPT decision weights (``k`` qubits) and a value ancilla (1 qubit).

Outcomes are the ``2**k`` bin centres ``x_i`` with probabilities ``p_i`` (LMSR prices on that
grid). ``pi_i`` are the rank-dependent CPT decision weights of the prospect for a long
position and ``v`` the CPT value function (Tversky & Kahneman 1992, "Advances in prospect
theory"). The fragment prepares the joint state

    sum_i sqrt(pi_i / sum(pi)) |i> (sqrt(1 - g_i) |0> + sqrt(g_i) |1>)_anc,
    g_i = (1 + v(x_i) / L) / 2,   L = max_i |v(x_i)|,

so the register's marginal is ``pi / sum(pi)`` and
``P(anc = 1) = u = 1/2 + V / (2 L sum(pi))`` with ``V = sum_i pi_i v(x_i)`` the CPT value:
``u > 1/2`` exactly when the long position has positive CPT value.

Order of preparation (Bayes' rule on the same non-negative amplitudes): the ancilla first,
``RY(theta_u)`` with ``sin^2(theta_u / 2) = u``, then the register conditioned on it, a
Möttönen RY cascade (Möttönen et al. 2004) with the ancilla as an extra control preparing
``P(i | anc = b) = pi~_i g_i^b (1 - g_i)^(1 - b) / P(anc = b)``. The amplitudes are real and
non-negative, so the state is the one above exactly. The ancilla is set by one RY and the
cascade uses it only as a control: the decision register reads it right after that RY
(``circuits/stages.py``), so its light cone holds one gate of this fragment, not the whole
register preparation (the earlier order, register first and the ancilla uniformly
controlled by it last, put all ``2**(k+1) - k - 1`` CNOTs of the fragment in front of the read).
CNOTs: ``2**(k+1) - k - 2``.

Qubit layout of the fragment: ``[x_0 .. x_{k-1}, anc]`` (``n_p = k + 1`` qubits).
Parameters: ``prospect_u`` (ancilla), ``prospect_x[0..2**(k+1)-3]`` (conditional cascade).
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter

from qar_qiskit.circuits.encoding import controlled_amplitude_angles, controlled_amplitude_prep
from qar_qiskit.classical.prospect import cpt_decision_weights, value_function
from qar_qiskit.errors import InputError

__all__ = ["prospect_circuit", "prospect_encoding", "prospect_parameter_values"]


def prospect_circuit(n_p: int) -> QuantumCircuit:
    """The prospect fragment on ``n_p = k + 1`` qubits (``k >= 1`` outcome qubits + ancilla).

    Cost: ``2**(k+1) - k - 2`` CNOTs (the register cascade controlled by the ancilla).
    """
    if n_p < 2:
        raise InputError(f"prospect: need at least 2 qubits (register + ancilla), got {n_p}")
    k = n_p - 1
    qc = QuantumCircuit(n_p, name="prospect")
    qc.ry(Parameter("prospect_u"), k)
    prep, _ = controlled_amplitude_prep(k, 1, "prospect_x")
    qc.compose(prep, qubits=list(range(n_p)), inplace=True)
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
    """Parameter values of :func:`prospect_circuit` (length ``2**(k+1) - 1``).

    ``theta_u = 2 arcsin(sqrt(u))`` with ``u = sum_i pi~_i g_i``, then the conditional cascade
    angles (:func:`~qar_qiskit.circuits.encoding.controlled_amplitude_angles`) of
    ``P(i | anc = b)``, rows ``b = 0, 1``.
    """
    x = np.asarray(outcomes, dtype=float)
    n = x.size
    if x.ndim != 1 or n < 2 or (n & (n - 1)):
        raise InputError(f"prospect_outcomes: need 2**k outcomes (k >= 1), got shape {x.shape}")
    weights, g = prospect_encoding(x, probabilities, params)
    u = float(np.clip(np.dot(weights, g), 0.0, 1.0))
    joint = np.stack([weights * (1.0 - g), weights * g])  # (anc, i)
    mass = joint.sum(axis=1, keepdims=True)
    # a branch with no mass gets any valid distribution (it has amplitude 0)
    conditional = np.where(mass > 0.0, joint / np.where(mass > 0.0, mass, 1.0), weights[None, :])
    theta_u = 2.0 * np.arctan2(np.sqrt(u), np.sqrt(1.0 - u))
    return np.concatenate([[theta_u], controlled_amplitude_angles(conditional)])
