"""Quantum teleportation of one qubit (Bennett et al. 1993), dynamic and deferred variants.

Three qubits: ``source`` (the state to move), ``bell_a`` and ``bell_b`` (a shared Bell pair).
A Bell measurement of (source, bell_a) gives two classical bits ``m_z`` (from source) and
``m_x`` (from bell_a); the receiver applies ``X^{m_x}`` then ``Z^{m_z}`` to ``bell_b``, which
then holds the source state exactly.

Teleportation needs the two classical bits. Before the corrections, ``bell_b`` is in
``X^{m_x} Z^{m_z}``-rotated copies of the input, one per outcome, each outcome with
probability 1/4 whatever the input; averaged over the outcomes (i.e. without knowing the
bits) its state is ``I/2``, maximally mixed, and carries no information about the input.
So nothing travels faster than the classical bits, and the source state is destroyed on the
sender's side (no cloning).

* :func:`teleport_dynamic` measures mid-circuit and corrects with ``if_test`` blocks
  (a dynamic circuit: IBM backends with ``if_else`` support, Aer).
* :func:`teleport_deferred` replaces measure + classically controlled gates by quantum
  controlled gates from the measured qubits (principle of deferred measurement, Nielsen &
  Chuang §4.4): no mid-circuit measurement, for backends without ``if_else``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

from qar_qiskit.errors import InputError

#: Qubit indices of the three roles in the circuits returned here.
SOURCE, BELL_A, BELL_B = 0, 1, 2


def random_state_angles(rng: np.random.Generator) -> tuple[float, float, float]:
    """Angles ``(θ, φ, λ)`` of a Haar-random single-qubit pure state ``U(θ, φ, λ)|0>``.

    ``U(θ, φ, λ)|0> = cos(θ/2)|0> + e^{iφ} sin(θ/2)|1>``; Haar measure on the Bloch sphere
    means ``cos θ`` uniform on [-1, 1] and ``φ`` uniform on [0, 2π). ``λ`` only changes the
    global phase of this state; it is drawn uniformly too so that the full U gate is exercised.
    """
    theta = float(np.arccos(1.0 - 2.0 * rng.random()))
    phi = float(2.0 * np.pi * rng.random())
    lam = float(2.0 * np.pi * rng.random())
    return theta, phi, lam


def prepare_state(theta: float, phi: float, lam: float = 0.0) -> QuantumCircuit:
    """One qubit prepared as ``U(θ, φ, λ)|0> = cos(θ/2)|0> + e^{iφ} sin(θ/2)|1>``."""
    qc = QuantumCircuit(1, name="prepare")
    qc.u(theta, phi, lam, 0)
    return qc


def state_vector(theta: float, phi: float) -> np.ndarray:
    """The textbook amplitudes ``[cos(θ/2), e^{iφ} sin(θ/2)]`` of :func:`prepare_state`."""
    return np.array([np.cos(theta / 2.0), np.exp(1j * phi) * np.sin(theta / 2.0)])


def _base(angles: Optional[Sequence[float]], name: str, with_bits: bool) -> QuantumCircuit:
    regs = [QuantumRegister(1, name) for name in ("source", "bell_a", "bell_b")]
    if with_bits:
        regs.append(ClassicalRegister(2, "bell_meas"))
    qc = QuantumCircuit(*regs, name=name)
    if angles is not None:
        if len(angles) != 3:
            raise InputError(f"teleport angles: need (theta, phi, lam), got {angles!r}")
        qc.u(*(float(a) for a in angles), SOURCE)
    # Shared Bell pair phi+ between the sender (bell_a) and the receiver (bell_b).
    qc.h(BELL_A)
    qc.cx(BELL_A, BELL_B)
    # Bell-basis rotation of (source, bell_a).
    qc.cx(SOURCE, BELL_A)
    qc.h(SOURCE)
    return qc


def teleport_dynamic(
    angles: Optional[Sequence[float]] = None, corrections: bool = True
) -> QuantumCircuit:
    """Teleport ``source`` to ``bell_b`` with a mid-circuit Bell measurement and feed-forward.

    Circuit: Bell pair on (bell_a, bell_b); ``CX(source, bell_a)``, ``H(source)``; measure
    source -> ``bell_meas[0]`` (= m_z) and bell_a -> ``bell_meas[1]`` (= m_x); then
    ``if m_x: X(bell_b)`` and ``if m_z: Z(bell_b)`` as ``if_test`` blocks.

    Args:
        angles: optional ``(θ, φ, λ)``: prepend ``U(θ, φ, λ)`` on source; None leaves source
            for the caller to prepare (compose a circuit in front).
        corrections: False omits the two ``if_test`` blocks (to show that without the bits the
            received qubit is maximally mixed on average).

    Returns:
        A 3-qubit, 2-clbit circuit; ``bell_b`` (qubit 2) holds the input state at the end.
    """
    qc = _base(angles, "teleport_dynamic", with_bits=True)
    m_z, m_x = qc.clbits[0], qc.clbits[1]
    qc.measure(SOURCE, m_z)
    qc.measure(BELL_A, m_x)
    if corrections:
        with qc.if_test((m_x, 1)):
            qc.x(BELL_B)
        with qc.if_test((m_z, 1)):
            qc.z(BELL_B)
    return qc


def teleport_deferred(angles: Optional[Sequence[float]] = None) -> QuantumCircuit:
    """Teleportation with deferred measurement: ``CX(bell_a, bell_b)``, ``CZ(source, bell_b)``.

    Same as :func:`teleport_dynamic` with the measurements moved to the end (or dropped) and
    the classically controlled corrections replaced by quantum-controlled ones. No mid-circuit
    measurement and no classical bits: runs on any backend. After the controlled corrections
    the three-qubit state is the product ``|+>_source |+>_bell_a |ψ>_bell_b``, whatever ψ.
    (Here the "classical bits" are still used, as quantum controls: the deferred form moves
    the same two bits of information through the two controlled gates.)

    Args:
        angles: optional ``(θ, φ, λ)`` as in :func:`teleport_dynamic`.
    """
    qc = _base(angles, "teleport_deferred", with_bits=False)
    qc.cx(BELL_A, BELL_B)
    qc.cz(SOURCE, BELL_B)
    return qc
