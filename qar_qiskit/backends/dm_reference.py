"""Exact noisy output distribution of a measured circuit: density matrix, split at reused measurements.

Aer's ``density_matrix`` method samples a circuit in one pass only when every measurement is
terminal; a qubit measured mid-circuit and used again (routing reuses the tick's decision
qubits) makes it simulate one shot at a time. Here the circuit is cut at those measurements
(:class:`~qar_qiskit.backends.twirl.DeferredCircuit` finds them): each segment runs as one
density-matrix pass with the noise model (``save_density_matrix``), the state is projected onto
each outcome ``b`` of the measured qubit (``rho_b = P_b rho P_b``, weight ``tr rho_b``) and every
branch continues from its normalised state (``set_density_matrix``), the outcome recorded as the
bit. The last segment saves the probabilities of the terminally measured qubits. With ``k``
reused measurements that is at most ``2**k`` branches, each exact; readout errors are applied
to the joint distribution afterwards (exact when no control flow reads a bit:
:mod:`qar_qiskit.backends.readout`).

Used as the reference of the noisy simulations in tests (small plans) and in
``benchmarks/bench_noisy_estimator.py`` (the default decision cone: 12 qubits, two reused
measurements).
"""

from __future__ import annotations

import numpy as np
from qiskit.circuit import CircuitInstruction, Instruction, QuantumCircuit, QuantumRegister

from qar_qiskit.backends.twirl import DeferredCircuit, apply_readout

__all__ = ["exact_distribution"]


def _set_density_matrix(rho: np.ndarray, n: int) -> Instruction:
    """Aer's ``set_density_matrix`` without its eigenvalue validity check (the states here are
    projections of valid states; the check costs an ``O(8**n)`` eigendecomposition)."""
    from qiskit_aer.library import SetDensityMatrix

    inst = SetDensityMatrix.__new__(SetDensityMatrix)
    Instruction.__init__(inst, "set_density_matrix", n, 0, [rho])
    return inst


def exact_distribution(circuit: QuantumCircuit, noise_model, readout=None, *, values=None,
                       aer_options: dict | None = None) -> np.ndarray:
    """The exact output distribution of ``circuit`` under ``noise_model`` (+ readout errors).

    Args:
        circuit: a measured circuit without control flow, each clbit written once.
        noise_model: an Aer ``NoiseModel`` without readout errors (e.g.
            ``NoiseModel.from_backend(sub_device, readout_error=False)`` or
            :meth:`PauliTable.noise_model <qar_qiskit.backends.twirl.PauliTable.noise_model>`).
        readout: a :class:`~qar_qiskit.backends.readout.ClassicalReadout` of the clbits, or ``None``.
        values: the circuit's parameter values (``circuit.parameters`` order).
        aer_options: options of the density-matrix simulator.

    Returns:
        ``2**c`` probabilities over the measured clbits in ascending order (bit ``j`` of the index
        = the ``j``-th measured clbit), readout errors applied.
    """
    from qiskit_aer import AerSimulator

    if circuit.num_parameters:
        circuit = circuit.assign_parameters(np.asarray(values, dtype=float))
    dc = DeferredCircuit(circuit)
    n = circuit.num_qubits
    sim = AerSimulator(method="density_matrix", noise_model=noise_model, **(aer_options or {}))
    cuts = [*dc.splits, len(dc.body)]
    # clbit position j -> the split index whose ancilla it reads (deferred) or None (terminal)
    split_of = {anc: s for s, k in enumerate(dc.splits) for anc in [dc.body[k][1][1]]}
    branches: list[tuple[float, np.ndarray | None, tuple[int, ...]]] = [(1.0, None, ())]
    start = 0
    for s, cut in enumerate(cuts):
        last = s == len(cuts) - 1
        circuits = []
        for _, rho, _ in branches:
            qc = QuantumCircuit(QuantumRegister(n, "q"))
            if rho is not None:
                qc.append(_set_density_matrix(rho, n), qc.qubits)
            for op, qs in dc.body[start:cut]:
                qc._append(CircuitInstruction(op, [qc.qubits[i] for i in qs], ()))
            if last:
                terminal = [q for q in dc.read if q < n]
                qc.save_probabilities(terminal, label="p") if terminal else qc.save_density_matrix(label="p")
            else:
                qc.save_density_matrix(label="p")
            circuits.append(qc)
        result = sim.run(circuits, shots=1).result()
        if not last:
            q = dc.body[cut][1][0]
            bits = (np.arange(2 ** n) >> q) & 1
            new = []
            for i, (w, _, rec) in enumerate(branches):
                rho = np.asarray(result.data(i)["p"])
                for b in (0, 1):
                    mask = bits == b
                    p = float(np.real(np.trace(rho[np.ix_(mask, mask)])))
                    if w * p > 1e-14:
                        proj = np.zeros_like(rho)
                        proj[np.ix_(mask, mask)] = rho[np.ix_(mask, mask)] / p
                        new.append((w * p, proj, (*rec, b)))
            branches = new
            start = cut + 1  # the split's CX is replaced by the projection
        else:
            size = 2 ** len(dc.clbits)
            out = np.zeros(size)
            idx = np.arange(size)
            terminal_pos = [j for j, q in enumerate(dc.read) if q < n]
            for i, (w, _, rec) in enumerate(branches):
                data = result.data(i)["p"]
                probs = np.asarray(data, dtype=float) if terminal_pos else np.array([1.0])
                if probs.ndim == 2:  # a density matrix: no terminal measurement
                    probs = np.array([1.0])
                for t in range(len(probs)):
                    value = 0
                    for k, j in enumerate(terminal_pos):
                        value |= ((t >> k) & 1) << j
                    for j, anc in enumerate(dc.read):
                        if anc >= n:
                            value |= rec[split_of[anc]] << j
                    out[value] += w * probs[t]
            del idx
    if readout is not None:
        index = {c: j for j, c in enumerate(readout.clbits)}
        p01 = np.array([readout.p_flip_from_0[index[c]] if c in index else 0.0 for c in dc.clbits])
        p10 = np.array([readout.p_flip_from_1[index[c]] if c in index else 0.0 for c in dc.clbits])
        out = apply_readout(out, p01, p10)
    return out / out.sum()
