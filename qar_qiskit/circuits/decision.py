"""Decision register (5 qubits) mapped from the experts, selected by the memory register.

Decision qubits ``[action_lo, action_hi, size_lo, size_hi, risk]``; decision index
``d = A + 4 S + 16 K`` with actions 0 sell, 1 hold, 2 buy, 3 hedge. Controlled on the
memory holding ``|a>`` (exact control states, docs/model.md):

* a = 0 lmsr: ``action_hi <- X`` controlled on (mem = 00, LMSR top = 1): buy w.p. ``p_up``,
  else sell.
* a = 1 prospect: ``action_hi <- X`` controlled on (mem = 01, prospect ancilla = 1): buy
  w.p. ``u``, else sell.
* a = 2 hedge: ``action_lo <- X``; ``action_hi <- X`` controlled on (mem = 10, hedge top = 1):
  hedge w.p. ``p_hedge``, else hold.
* a = 3 abstain: ``action_lo <- X``: hold.

``X(action_lo)`` for a in {hedge, abstain} is exactly ``CX(mem1 -> action_lo)`` (mem1 = 1 iff
a >= 2), one CNOT instead of two doubly controlled X gates. The three copies onto
``action_hi`` are 3-controlled X gates with ``ctrl_state`` (mutually exclusive controls).

Size and risk bits ``j`` get ``RY(beta[a, j])`` uniformly controlled by the memory
(Möttönen et al. 2004, 4 CNOTs each); with the regime feedback (``feedback.py``) bit ``j`` is 1
with probability ``sin^2((beta[a, j] + delta[r, j]) / 2)``.

Qubit layout: ``[action_lo, action_hi, size_lo, size_hi, risk, mem0, mem1, lmsr_top,
prospect_anc, hedge_top]`` (10 qubits). Parameters ``beta[3 a + j]``.
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector

from qar_qiskit.circuits.encoding import append_ucry
from qar_qiskit.errors import InputError

__all__ = [
    "ACTION_LO", "ACTION_HI", "SIZE_LO", "SIZE_HI", "RISK",
    "decision_circuit", "decision_parameter_values",
]

ACTION_LO, ACTION_HI, SIZE_LO, SIZE_HI, RISK = 0, 1, 2, 3, 4
_MEM0, _MEM1, _LMSR_TOP, _ANC, _HEDGE_TOP = 5, 6, 7, 8, 9


def decision_circuit() -> QuantumCircuit:
    """The decision fragment (10 qubits, see module doc), parameters ``beta[0..11]``."""
    qc = QuantumCircuit(10, name="decision")
    # expert -> action bits, exact control states (first control = least significant bit)
    qc.mcx([_MEM0, _MEM1, _LMSR_TOP], ACTION_HI, ctrl_state=0b100)    # mem=00 (lmsr), top=1
    qc.mcx([_MEM0, _MEM1, _ANC], ACTION_HI, ctrl_state=0b101)         # mem=01 (prospect), anc=1
    qc.mcx([_MEM0, _MEM1, _HEDGE_TOP], ACTION_HI, ctrl_state=0b110)   # mem=10 (hedge), top=1
    qc.cx(_MEM1, ACTION_LO)                                           # a in {hedge, abstain}
    beta = ParameterVector("beta", 12)
    for j, target in enumerate((SIZE_LO, SIZE_HI, RISK)):
        append_ucry(qc, [beta[3 * a + j] for a in range(4)], [_MEM0, _MEM1], target)
    return qc


def decision_parameter_values(size_risk_angles) -> np.ndarray:
    """Parameter values of :func:`decision_circuit`: ``beta`` of shape (4, 3), row-major."""
    beta = np.asarray(size_risk_angles, dtype=float)
    if beta.shape != (4, 3) or not np.all(np.isfinite(beta)):
        raise InputError(f"size_risk_angles: need a finite (4, 3) array, got shape {beta.shape}")
    return beta.reshape(-1).copy()
