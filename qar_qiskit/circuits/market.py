"""Market-regime superposition (4 qubits m0..m3).

Prepares ``sum_r sqrt(P(r)) e^{i phi_r} |code_r>`` with the regime codes (m3 m2 m1 m0)
stable 0000, trending 0011, volatile 0101, crisis 1111 (pairwise Hamming distance >= 2, so
any single bit flip yields an invalid code). Indices ``r``: 0 stable, 1 trending,
2 volatile, 3 crisis.

Construction (docs/model.md): a Möttönen RY cascade prepares ``sum_r sqrt(P(r)) |r>`` on
(m1, m2) with ``r = m1 + 2 m2`` (3 per-state angles, Möttönen et al. 2004); the phases
``phi_r`` are a diagonal ``diag(e^{i phi_r})`` on (m1, m2) built from a parameterized global
phase ``phi_0``, ``P(phi_1 - phi_0)`` on m1, ``P(phi_2 - phi_0)`` on m2 and
``CP(phi_3 - phi_2 - phi_1 + phi_0)`` (written as RZ, RZ and RZZ: diagonal gates only);
``RCCX(m1, m2 -> m3)`` (relative-phase Toffoli; its phase ``i`` on the crisis code is taken
back by the phase gates), ``CX(m1 -> m0)``, ``CX(m2 -> m0)``, ``CX(m3 -> m0)`` complete the
codes (before the phases, which commute with them): 6 CNOTs (9 with the exact Toffoli).

The phases change no measured probability of this circuit: every later gate uses the market
qubits only as controls (the computational basis), so the phases only show in the
statevector. They are kept because the seed design asks for them.
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector

from qar_qiskit.circuits.encoding import amplitude_angles, amplitude_prep
from qar_qiskit.errors import InputError
from qar_qiskit.labels import REGIMES

__all__ = ["REGIMES", "REGIME_CODES", "M0", "M1", "M2", "M3", "market_circuit", "market_parameter_values"]

#: Regime names by index r.
#: Little-endian integer code of each regime on the market register (0000, 0011, 0101, 1111).
REGIME_CODES: tuple[int, ...] = (0b0000, 0b0011, 0b0101, 0b1111)
M0, M1, M2, M3 = 0, 1, 2, 3


def market_circuit() -> QuantumCircuit:
    """The market fragment on 4 qubits (m0..m3), parameters ``market_amp[0..2]``, ``market_phase[0..3]``.

    Returns:
        A ``QuantumCircuit`` on 4 qubits; bind with :func:`market_parameter_values`.
    """
    qc = QuantumCircuit(4, name="market")
    prep, _ = amplitude_prep(2, "market_amp")
    qc.compose(prep, qubits=[M1, M2], inplace=True)
    # m3 = m1 AND m2 by a relative-phase Toffoli (3 CNOTs, the exact one takes 6): on the four
    # inputs it meets (m3 = 0) it is exact except the phase i on crisis |m1 m2> = |11>, which the
    # phase gates below take back (the -pi/2 in lam).
    qc.rccx(M1, M2, M3)
    qc.cx(M1, M0)
    qc.cx(M2, M0)
    qc.cx(M3, M0)
    # Phases last: diag(e^{i phi_r}) on (m1, m2) commutes with the code completion above
    # (m1, m2 are its controls), and every gate of it is diagonal, so the composer can read
    # m1, m2 right after the amplitude cascade (circuits/stages.py).
    phi = ParameterVector("market_phase", 4)
    lam = phi[3] - phi[2] - phi[1] + phi[0] - np.pi / 2
    # CP(lam) = e^{i lam/4} RZ(lam/2) x RZ(lam/2) RZZ(-lam/2): diagonal gates only (a native
    # parameterized CP is mis-bound by qiskit-aer 0.18 in primitives PUBs, Qiskit/qiskit-aer#2403;
    # RZZ binds correctly, checked against assign_parameters).
    qc.global_phase = phi[0] + lam / 4
    qc.p(phi[1] - phi[0], M1)
    qc.p(phi[2] - phi[0], M2)
    qc.rz(lam / 2, M1)
    qc.rz(lam / 2, M2)
    qc.rzz(-lam / 2, M1, M2)
    return qc


def market_parameter_values(regime_probabilities, regime_phases=None) -> np.ndarray:
    """Parameter values of :func:`market_circuit` (its ``parameters`` order).

    Args:
        regime_probabilities: ``P(r)`` for stable, trending, volatile, crisis (sum 1).
        regime_phases: ``phi_r`` in radians (default zeros).

    Returns:
        7 values: the 3 cascade angles of ``sqrt(P(r))`` on (m1, m2), then ``phi_0..phi_3``.
    """
    p = np.asarray(regime_probabilities, dtype=float)
    if p.shape != (4,):
        raise InputError(f"regime_probabilities: need shape (4,), got {p.shape}")
    phases = np.zeros(4) if regime_phases is None else np.asarray(regime_phases, dtype=float)
    if phases.shape != (4,) or not np.all(np.isfinite(phases)):
        raise InputError(f"regime_phases: need 4 finite numbers, got {phases!r}")
    return np.concatenate([amplitude_angles(p), phases])
