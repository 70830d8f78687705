"""Parameterized amplitude encoding with uniformly controlled RY rotations.

A *uniformly controlled* rotation (a multiplexor) applies ``RY(alpha_j)`` to a target qubit
when its ``k`` control qubits hold the basis state ``|j>``. Möttönen et al. decompose it into
``2**k`` single-qubit rotations interleaved with ``2**k`` CNOTs in Gray-code order:

    RY(theta_0) CX(c_{b_0}) RY(theta_1) CX(c_{b_1}) ... RY(theta_{N-1}) CX(c_{b_{N-1}}),

where ``b_i`` is the bit in which the Gray codes ``g(i)`` and ``g(i+1 mod N)`` differ. A CNOT
whose control is 1 flips the sign of every later RY (``X RY(t) X = RY(-t)``), so for control
state ``j``

    alpha_j = sum_i (-1)^{popcount(j & g(i))} theta_i    and so
    theta_i = 2^{-k} sum_j (-1)^{popcount(j & g(i))} alpha_j

(a Walsh-Hadamard transform, rows in Gray order). Here the ``theta_i`` are built as
``ParameterExpression`` linear combinations of the *per-state* angles ``alpha_j``: the
circuit is parameterized by the per-state angles themselves and every tick only binds them.

An ``n``-qubit real, non-negative state ``sum_i sqrt(p_i) |i>`` is prepared by a cascade: the
top qubit gets ``RY(alpha)`` with ``sin^2(alpha/2) = P(top = 1)``, then each lower qubit gets
an RY uniformly controlled by all qubits above it, with
``sin^2(alpha_j / 2) = P(bit = 1 | higher bits = j)``. Each multiplexor of the cascade leaves
out its final CNOT (from the top control onto the target): that CNOT only flips the target
when the top control is 1, which the angles absorb (``alpha_j -> pi - alpha_j`` for those
``j``), because every later gate uses the target only as a control. Cost: ``2**n - n - 1``
CNOTs (the same as Qiskit's ``StatePreparation`` after transpilation; ``2**n - 2`` with the
full multiplexors).

Reference:
    M. Möttönen, J. J. Vartiainen, V. Bergholm, M. M. Salomaa, "Quantum circuits for
    general multiqubit gates", Phys. Rev. Lett. 93, 130502 (2004); and "Transformation of
    quantum states using uniformly controlled rotations", Quant. Inf. Comp. 5, 467 (2005).

Conventions: little-endian (qubit 0 is the least significant bit of a register index), as
Qiskit. ``controls[t]`` is bit ``t`` of the control-state index ``j``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterExpression, ParameterVector

from qar_qiskit.errors import InputError

__all__ = [
    "gray_code",
    "multiplexor_angles",
    "ucry",
    "append_ucry",
    "amplitude_prep",
    "amplitude_angles",
    "controlled_amplitude_prep",
    "controlled_amplitude_angles",
    "n_amplitude_parameters",
]


def gray_code(i: int) -> int:
    """Binary-reflected Gray code ``g(i) = i XOR (i >> 1)``."""
    return i ^ (i >> 1)


def _walsh_gray_matrix(k: int) -> np.ndarray:
    """``M[i, j] = 2^{-k} (-1)^{popcount(j & g(i))}`` so that ``theta = M @ alpha``."""
    n = 1 << k
    m = np.empty((n, n))
    for i in range(n):
        g = gray_code(i)
        for j in range(n):
            m[i, j] = -1.0 if bin(j & g).count("1") % 2 else 1.0
    return m / n


def multiplexor_angles(angles: Sequence) -> list:
    """Gray-ordered multiplexor angles ``theta`` from the per-control-state angles ``alpha``.

    Args:
        angles: ``2**k`` per-state angles (floats, ``Parameter`` s or ``ParameterExpression`` s).

    Returns:
        The ``2**k`` angles ``theta_i = 2^{-k} sum_j (-1)^{popcount(j & g(i))} alpha_j``: floats
        when every input is a number, otherwise ``ParameterExpression`` linear combinations.
    """
    n = len(angles)
    k = n.bit_length() - 1
    if n < 1 or (1 << k) != n:
        raise InputError(f"angles: need 2**k entries, got {n}")
    m = _walsh_gray_matrix(k)
    symbolic = any(isinstance(a, ParameterExpression) for a in angles)
    if not symbolic:
        return list(m @ np.asarray(angles, dtype=float))
    out = []
    for i in range(n):
        expr = 0.0
        for j in range(n):
            expr = expr + float(m[i, j]) * angles[j]
        out.append(expr)
    return out


def append_ucry(
    circuit: QuantumCircuit, angles: Sequence, controls: Sequence, target, drop_last_cnot: bool = False
) -> QuantumCircuit:
    """Append a uniformly controlled RY (Möttönen, Gray-code order) onto ``circuit``.

    For control state ``|j>`` (``controls[t]`` = bit ``t`` of ``j``) the target is rotated by
    ``RY(angles[j])``. ``k = len(controls)`` controls cost ``2**k`` CNOTs and ``2**k`` RYs;
    ``k = 0`` is a single RY.

    With ``drop_last_cnot=True`` the final CNOT (from the most significant control,
    ``controls[-1]``) is left out: the gate is then ``X^{j_top} RY(angles[j])`` for control
    state ``j``, i.e. the multiplexor up to a CNOT (``2**k - 1`` CNOTs). State preparation
    compensates in the angles (``alpha -> pi - alpha`` where ``j_top = 1``), see
    :func:`amplitude_angles`.

    Args:
        circuit: circuit to append to (modified in place).
        angles: ``2**k`` per-state angles (floats or parameters/expressions).
        controls: control qubits (indices or ``Qubit`` s), least significant first.
        target: target qubit.
        drop_last_cnot: leave out the final CNOT (see above).

    Returns:
        ``circuit`` (for chaining).
    """
    controls = list(controls)
    k = len(controls)
    if len(angles) != (1 << k):
        raise InputError(f"angles: {k} controls need {1 << k} angles, got {len(angles)}")
    if k == 0:
        circuit.ry(angles[0], target)
        return circuit
    thetas = multiplexor_angles(angles)
    n = 1 << k
    for i in range(n):
        circuit.ry(thetas[i], target)
        if drop_last_cnot and i == n - 1:
            break
        changed = gray_code(i) ^ gray_code((i + 1) % n)
        circuit.cx(controls[changed.bit_length() - 1], target)
    return circuit


def ucry(angles: Sequence, controls: Sequence[int], target: int, num_qubits: int | None = None) -> QuantumCircuit:
    """A uniformly controlled RY as its own circuit (see :func:`append_ucry`).

    Args:
        angles: ``2**k`` per-control-state angles.
        controls: control qubit indices (least significant first).
        target: target qubit index.
        num_qubits: circuit width (default ``max(controls + [target]) + 1``).

    Returns:
        A ``QuantumCircuit`` with ``2**k`` CNOTs (a single RY for ``k = 0``).
    """
    width = num_qubits if num_qubits is not None else max([*controls, target]) + 1
    qc = QuantumCircuit(width, name="ucry")
    return append_ucry(qc, angles, controls, target)


def n_amplitude_parameters(n: int, n_controls: int = 0) -> int:
    """Number of per-state angles of an ``n``-qubit cascade with ``n_controls`` external controls."""
    return ((1 << n) - 1) << n_controls


def controlled_amplitude_prep(n: int, n_controls: int, name: str) -> tuple[QuantumCircuit, ParameterVector]:
    """Prepare one real non-negative ``n``-qubit state per control state.

    Qubits ``0..n-1`` are the target register, ``n..n+n_controls-1`` the controls. For control
    state ``|c>`` it maps ``|0>`` to ``sum_i sqrt(P(i | c)) |i>`` by an RY cascade: level ``l``
    (``l = 0..n-1``) targets qubit ``n-1-l``, uniformly controlled by the ``l`` register qubits
    above it and all the external controls. Parameter order: level by level; within level
    ``l`` by the combined control index ``j = (bits above the target) + 2**l * c``.
    CNOTs: ``sum_l 2**(l + n_controls)`` (``2**n - 2`` without external controls).

    Args:
        n: target-register qubits (>= 1).
        n_controls: external control qubits (>= 0).
        name: ``ParameterVector`` name.

    Returns:
        ``(circuit, parameters)``; bind with :func:`controlled_amplitude_angles`.
    """
    if n < 1 or n_controls < 0:
        raise InputError(f"n: need n >= 1 and n_controls >= 0, got {n}, {n_controls}")
    params = ParameterVector(name, n_amplitude_parameters(n, n_controls))
    qc = QuantumCircuit(n + n_controls, name=name)
    ext = list(range(n, n + n_controls))
    pos = 0
    for level in range(n):
        target = n - 1 - level
        controls = list(range(target + 1, n)) + ext
        count = 1 << len(controls)
        append_ucry(qc, list(params[pos:pos + count]), controls, target, drop_last_cnot=True)
        pos += count
    return qc, params


def amplitude_prep(n: int, name: str) -> tuple[QuantumCircuit, ParameterVector]:
    """Prepare ``sum_i sqrt(p_i) |i>`` on ``n`` qubits (Möttönen RY cascade, top qubit first).

    Args:
        n: qubits (>= 1).
        name: ``ParameterVector`` name (``2**n - 1`` per-state angles).

    Returns:
        ``(circuit, parameters)``; bind with :func:`amplitude_angles`. ``2**n - n - 1`` CNOTs.
    """
    return controlled_amplitude_prep(n, 0, name)


def _cascade_angles(probs: np.ndarray) -> np.ndarray:
    """Per-state angles for a batch of probability vectors, shape ``(2**c, 2**n)``."""
    n_ctrl_states, size = probs.shape
    n = size.bit_length() - 1
    out = []
    for level in range(n):
        target = n - 1 - level
        # mass of each (control state, prefix above target, target bit)
        grouped = probs.reshape(n_ctrl_states, 1 << level, 2, 1 << target).sum(axis=3)
        m0, m1 = grouped[..., 0], grouped[..., 1]
        angles = 2.0 * np.arctan2(np.sqrt(m1), np.sqrt(m0))  # (c, prefix) ; 0 where no mass
        angles = angles.reshape(-1)  # index j = prefix + 2**level * c
        n_ctrl = level + (n_ctrl_states.bit_length() - 1)
        if n_ctrl > 0:
            # the multiplexor dropped its last CNOT: it applies X when the top control is 1
            top = (np.arange(angles.size) >> (n_ctrl - 1)) & 1
            angles = np.where(top == 1, np.pi - angles, angles)
        out.append(angles)
    return np.concatenate(out)


def _check_probs(p: np.ndarray, field: str, atol: float = 1e-8) -> np.ndarray:
    if not np.all(np.isfinite(p)):
        raise InputError(f"{field}: contains non-finite values")
    if np.any(p < -atol):
        raise InputError(f"{field}: contains negative probabilities")
    p = np.clip(p, 0.0, None)
    sums = p.sum(axis=-1)
    if np.any(np.abs(sums - 1.0) > 1e-6):
        raise InputError(f"{field}: probabilities must sum to 1 (got {np.atleast_1d(sums).tolist()})")
    return p / sums[..., None] if p.ndim > 1 else p / sums


def amplitude_angles(probabilities) -> np.ndarray:
    """Per-state RY angles that make :func:`amplitude_prep` prepare ``sum_i sqrt(p_i)|i>``.

    ``alpha = 2 * arctan2(sqrt(P(bit=1, prefix)), sqrt(P(bit=0, prefix)))``, i.e.
    ``sin^2(alpha/2) = P(bit = 1 | prefix)`` (angle 0 for a prefix with no mass), replaced by
    ``pi - alpha`` where the prefix's most significant control bit is 1 (the multiplexor's
    dropped final CNOT flips the target there).

    Args:
        probabilities: ``2**n`` probabilities (little-endian index), summing to 1.

    Returns:
        ``2**n - 1`` angles in the circuit's parameter order (top qubit first).
    """
    p = np.asarray(probabilities, dtype=float)
    n = p.size.bit_length() - 1
    if p.ndim != 1 or p.size < 2 or (1 << n) != p.size:
        raise InputError(f"probabilities: need a 1-D vector of length 2**n (n >= 1), got shape {p.shape}")
    p = _check_probs(p, "probabilities")
    return _cascade_angles(p[None, :])


def controlled_amplitude_angles(conditional_probabilities) -> np.ndarray:
    """Angles for :func:`controlled_amplitude_prep`: row ``c`` is the state for control state ``c``.

    Args:
        conditional_probabilities: ``(2**n_controls, 2**n)`` row-stochastic matrix.

    Returns:
        ``(2**n - 1) * 2**n_controls`` angles in the circuit's parameter order.
    """
    p = np.asarray(conditional_probabilities, dtype=float)
    if p.ndim != 2:
        raise InputError(f"conditional_probabilities: need a 2-D matrix, got shape {p.shape}")
    rows, size = p.shape
    n = size.bit_length() - 1
    if size < 2 or (1 << n) != size or rows < 1 or (rows & (rows - 1)):
        raise InputError(f"conditional_probabilities: need shape (2**c, 2**n), got {p.shape}")
    p = _check_probs(p, "conditional_probabilities")
    return _cascade_angles(p)
