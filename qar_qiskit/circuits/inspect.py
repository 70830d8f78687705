"""Subsystem views of a simulated state: reduced states, entropies, mutual information.

This is the honest version of the seeds' ``QuantumStateManager.get_subsystem_state``: a
component's "view" of the joint state is its *reduced density matrix* (the partial trace over
everything else), not a renormalised slice of the amplitudes. A reduced state is in general
mixed, and only a statevector simulator (or tomography) gives it: on hardware a component sees
its measured marginal counts.

Qubit indices are Qiskit's (qubit 0 is the least significant bit of a basis index).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Union

import numpy as np
from qiskit.circuit.library import PermutationGate
from qiskit.quantum_info import DensityMatrix, Statevector, entropy, partial_trace

from qar_qiskit.errors import InputError

State = Union[Statevector, DensityMatrix]

#: Purity 1 - Tr(ρ²) below this counts as a pure joint state.
PURITY_ATOL = 1e-9


def reduced_state(state: State, qubits: Iterable[int]) -> DensityMatrix:
    """The reduced density matrix ``ρ_S = Tr_{not S} |ψ><ψ|`` on the qubits ``S``.

    Uses :func:`qiskit.quantum_info.partial_trace` over the complement. Qubit ``qubits[k]`` of
    the state becomes qubit ``k`` of the result (the order given is kept, not sorted).

    Args:
        state: a ``Statevector`` or ``DensityMatrix`` of qubits.
        qubits: the qubits to keep (distinct indices).

    Raises:
        InputError: repeated, out-of-range or no qubits.
    """
    keep = _qubits(state, qubits, "qubits")
    n = state.num_qubits
    traced = [q for q in range(n) if q not in keep]
    rho = partial_trace(state, traced) if traced else DensityMatrix(state)
    ascending = sorted(keep)
    if keep != ascending:
        # rho has the kept qubits in ascending order; move ascending[j] to position keep.index(.)
        # PermutationGate(pattern): qubit pattern[k] goes to position k.
        pattern = [ascending.index(q) for q in keep]
        rho = rho.evolve(PermutationGate(pattern))
    return rho


def von_neumann_entropy(state: State, qubits: Iterable[int] | None = None) -> float:
    """``S(ρ) = -Tr ρ log2 ρ`` in bits, of the reduced state on ``qubits`` (all if None)."""
    rho = DensityMatrix(state) if qubits is None else reduced_state(state, qubits)
    return float(max(entropy(rho, base=2), 0.0))


def entanglement_entropy(state: State, qubits_a: Sequence[int], qubits_b: Sequence[int]) -> float:
    """Entanglement entropy ``E(A:B) = S(ρ_A)`` (bits) of the pure joint state of ``A ∪ B``.

    Everything outside ``A ∪ B`` is traced out first. For a *pure* ``ρ_AB`` the von Neumann
    entropy of either half is the unique entanglement measure (entropy of entanglement,
    Bennett et al. 1996): 0 for a product state, 1 bit for a Bell pair, ``min(|A|, |B|)``
    at most. If ``ρ_AB`` is mixed (A ∪ B is entangled with, or correlated with, the rest),
    ``S(ρ_A)`` also counts the classical mixing and is *not* an entanglement measure, so this
    raises; use :func:`mutual_information` (total correlations) instead.

    Raises:
        InputError: overlapping/invalid qubits, or a mixed joint state (purity < 1 - 1e-9).
    """
    a = _qubits(state, qubits_a, "qubits_a")
    b = _qubits(state, qubits_b, "qubits_b")
    if set(a) & set(b):
        raise InputError(f"qubits_a and qubits_b overlap: {sorted(set(a) & set(b))}")
    rho_ab = reduced_state(state, a + b)
    purity = float(np.real(rho_ab.purity()))
    if purity < 1.0 - PURITY_ATOL:
        raise InputError(
            f"the joint state of A ∪ B is mixed (purity {purity:.6g}); entanglement entropy is "
            "not an entanglement measure for a mixed state: use mutual_information"
        )
    return von_neumann_entropy(rho_ab, range(len(a)))


def mutual_information(state: State, qubits_a: Sequence[int], qubits_b: Sequence[int]) -> float:
    """Quantum mutual information ``I(A:B) = S(ρ_A) + S(ρ_B) - S(ρ_AB)`` in bits.

    Measures all correlations (classical and quantum) between A and B; valid for mixed
    ``ρ_AB``. For a pure ``ρ_AB`` it equals ``2 E(A:B)``; for a classically correlated mixture
    such as ``(|00><00| + |11><11|)/2`` it is 1 bit with zero entanglement.
    """
    a = _qubits(state, qubits_a, "qubits_a")
    b = _qubits(state, qubits_b, "qubits_b")
    if set(a) & set(b):
        raise InputError(f"qubits_a and qubits_b overlap: {sorted(set(a) & set(b))}")
    rho_ab = reduced_state(state, a + b)
    s_a = von_neumann_entropy(rho_ab, range(len(a)))
    s_b = von_neumann_entropy(rho_ab, range(len(a), len(a) + len(b)))
    s_ab = von_neumann_entropy(rho_ab)
    return float(max(s_a + s_b - s_ab, 0.0))


def _qubits(state: State, qubits: Iterable[int], what: str) -> list[int]:
    if not isinstance(state, (Statevector, DensityMatrix)):
        raise InputError(f"state: need a Statevector or DensityMatrix, got {type(state).__name__}")
    dims = state.dims()
    if any(d != 2 for d in dims):
        raise InputError(f"state: need qubit subsystems, got dims {dims}")
    out = [int(q) for q in qubits]
    n = len(dims)
    if not out:
        raise InputError(f"{what}: empty")
    if len(set(out)) != len(out):
        raise InputError(f"{what}: repeated qubit in {out}")
    bad = [q for q in out if not 0 <= q < n]
    if bad:
        raise InputError(f"{what}: qubits {bad} outside 0..{n - 1}")
    return out
