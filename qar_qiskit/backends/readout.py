"""Readout errors of a fake device, applied to sampled outcomes, and their inversion.

A device's readout error is classical: the measurement finds the qubit in ``i`` and records
``j`` with probability ``A[i, j]`` (Aer's :class:`~qiskit_aer.noise.ReadoutError`, one 2x2
assignment matrix per qubit, built from the target's ``measure`` properties by
:func:`qiskit_aer.noise.device.basic_device_readout_errors`). The error changes the *recorded*
bit only: the qubit collapses to the outcome ``i`` it was found in, whatever is recorded. So when
no control flow reads a classical bit and every clbit is written once (by one ``measure``),
recording ``j`` instead of ``i`` feeds nothing back into the circuit, and flipping each recorded
bit afterwards with ``A[i, j]`` samples exactly the distribution Aer's in-simulator readout error
gives -- whether or not the measurement is terminal (a qubit measured mid-circuit and used again
is fine: its collapse is the same). :func:`post_readout_map` checks that rule;
:class:`ClassicalReadout` applies the flips, which lets the noisy executor run the quantum part
with Aer's shot branching (its readout errors are wrong there: see
:mod:`qar_qiskit.backends.noisy`).

:func:`tensored_readout_inversion` is the documented fallback of readout *mitigation*.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from qiskit.circuit import QuantumCircuit

from qar_qiskit.backends.circuit_info import CONTROL_FLOW_OPS
from qar_qiskit.backends.counts import counts_vector
from qar_qiskit.errors import BackendError

__all__ = ["terminal_measurements", "post_readout_map", "ClassicalReadout", "tensored_readout_inversion"]


def terminal_measurements(circuit: QuantumCircuit) -> dict[int, int] | None:
    """``{clbit index: qubit index}`` if every measurement is terminal, else ``None``.

    Terminal: no control flow, each clbit written by one ``measure`` and by nothing else, and
    after its measurement a qubit is touched by nothing but barriers.
    """
    measured: set[int] = set()
    clbit_qubit: dict[int, int] = {}
    for ins in circuit.data:
        name = ins.operation.name
        if name in CONTROL_FLOW_OPS or getattr(ins.operation, "condition", None) is not None:
            return None
        qubits = [circuit.find_bit(q).index for q in ins.qubits]
        if name == "measure":
            (q,), (c,) = qubits, [circuit.find_bit(b).index for b in ins.clbits]
            if q in measured or c in clbit_qubit:
                return None
            measured.add(q)
            clbit_qubit[c] = q
        elif name == "barrier":
            continue
        elif ins.clbits or measured.intersection(qubits):
            return None
    return clbit_qubit


def post_readout_map(circuit: QuantumCircuit) -> dict[int, int] | None:
    """``{clbit index: qubit index}`` if readout errors may be applied after sampling, else ``None``.

    The rule (module docstring): no control flow or condition reads a classical bit, and each
    clbit is written once, by a ``measure`` (nothing else writes clbits). Measured qubits may be
    used again afterwards.
    """
    clbit_qubit: dict[int, int] = {}
    for ins in circuit.data:
        name = ins.operation.name
        if name in CONTROL_FLOW_OPS or getattr(ins.operation, "condition", None) is not None:
            return None
        if name == "measure":
            (q,), (c,) = ([circuit.find_bit(x).index for x in ins.qubits],
                          [circuit.find_bit(b).index for b in ins.clbits])
            if c in clbit_qubit:
                return None
            clbit_qubit[c] = q
        elif ins.clbits:
            return None
    return clbit_qubit


class ClassicalReadout:
    """Per-qubit readout errors applied to sampled joint outcomes.

    Args:
        assignment: ``(num_qubits, 2, 2)`` array, ``assignment[q, i, j]`` = P(record j | qubit q
            found in i); rows sum to 1.
        clbit_qubit: ``{clbit: qubit}`` of the circuit's measurements (:func:`post_readout_map`).
    """

    def __init__(self, assignment: np.ndarray, clbit_qubit: Mapping[int, int]):
        assignment = np.asarray(assignment, dtype=float)
        if assignment.ndim != 3 or assignment.shape[1:] != (2, 2):
            raise BackendError(f"readout assignment: expected shape (n, 2, 2), got {assignment.shape}")
        if not np.allclose(assignment.sum(axis=2), 1.0, atol=1e-9) or (assignment < 0).any():
            raise BackendError("readout assignment: rows must be probabilities summing to 1")
        self.clbits = np.array(sorted(clbit_qubit), dtype=np.int64)
        if len(self.clbits) and self.clbits.max() > 62:
            raise BackendError("classical readout: more than 63 classical bits")
        qubits = np.array([clbit_qubit[c] for c in self.clbits], dtype=np.int64)
        self.p_flip_from_0 = assignment[qubits, 0, 1]  # P(record 1 | 0) per measured clbit
        self.p_flip_from_1 = assignment[qubits, 1, 0]  # P(record 0 | 1)

    @classmethod
    def from_target(cls, target, clbit_qubit: Mapping[int, int]) -> ClassicalReadout:
        """The readout errors Aer's ``NoiseModel.from_backend`` would add for ``target``."""
        from qiskit_aer.noise.device import basic_device_readout_errors

        assignment = np.tile(np.eye(2), (target.num_qubits, 1, 1))
        for (q,), error in basic_device_readout_errors(target=target):
            assignment[q] = np.asarray(error.probabilities, dtype=float)
        return cls(assignment, clbit_qubit)

    def apply(self, values: np.ndarray, weights: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Flip the recorded bits of each shot; returns per-shot ``(values, ones)``.

        Args:
            values: joint outcomes as integers (bit ``j`` = clbit ``j``), int64.
            weights: shots per outcome.
            rng: the generator of the flips (seeded by the executor).
        """
        shots = np.repeat(np.asarray(values, dtype=np.int64), np.asarray(weights, dtype=np.int64))
        if not len(self.clbits) or not len(shots):
            return shots, np.ones(len(shots), dtype=np.int64)
        bits = (shots[:, None] >> self.clbits[None, :]) & 1
        p = np.where(bits == 1, self.p_flip_from_1[None, :], self.p_flip_from_0[None, :])
        flips = (rng.random(bits.shape) < p).astype(np.int64)
        shots = shots ^ (flips << self.clbits[None, :]).sum(axis=1)
        return shots, np.ones(len(shots), dtype=np.int64)


def tensored_readout_inversion(counts: dict[str, int], errors: list[float]) -> dict[str, float]:
    """Invert independent symmetric readout errors on one register's counts.

    ``errors[j]`` is the flip probability of the qubit behind bit ``j`` (bit 0 = right-most
    character). Each qubit's assignment matrix ``A_j = [[1-p, p], [p, 1-p]]`` is inverted and the
    tensor product applied to the empirical distribution; the result is a quasi-distribution
    (sums to 1, entries may be slightly negative). Registers here are <= 8 bits, so the dense
    ``2**n`` vector is cheap.
    """
    n = len(errors)
    shots = sum(counts.values())
    if shots == 0:
        return {}
    probs = counts_vector(counts, n, "readout") / shots
    # axis k of the reshaped tensor is bit (n-1-k) (C order, most significant first)
    tensor = probs.reshape((2,) * n)
    for j, p in enumerate(errors):
        if p >= 0.5:
            raise BackendError(f"readout error {p} >= 0.5 cannot be inverted")
        inv = np.linalg.inv(np.array([[1 - p, p], [p, 1 - p]]))
        axis = n - 1 - j
        tensor = np.moveaxis(np.tensordot(inv, tensor, axes=([1], [axis])), 0, axis)
    flat = tensor.reshape(-1)
    return {format(i, f"0{n}b"): float(v) for i, v in enumerate(flat) if abs(v) > 1e-12}
