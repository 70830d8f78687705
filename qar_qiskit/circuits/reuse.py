"""Qubit reuse: measure, reset and hand the qubits of a finished fragment to the next one.

Fragments that run one after another and whose qubits are no longer needed once measured do
not need disjoint qubits: after fragment k is measured (mid-circuit, into its own named
classical register) its qubits are ``reset`` to ``|0>`` and fragment k+1 starts on them.
The width drops from ``sum(widths)`` to ``max(widths)``; the price is mid-circuit
measurement and reset (a dynamic-circuit feature) and a longer, sequential circuit.

The outcome distribution is unchanged: each fragment starts from ``|0...0>`` either way, and
the fragments act on different times instead of different qubits, so the joint distribution
of the classical registers is the same product of the fragments' distributions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

from qar_qiskit.errors import InputError


class ReuseResult(NamedTuple):
    """``(circuit, width_without_reuse, width_with_reuse)``; ``width_saved`` is the difference."""

    circuit: QuantumCircuit
    width_without_reuse: int
    width_with_reuse: int

    @property
    def width_saved(self) -> int:
        """Qubits saved by reuse: ``width_without_reuse - width_with_reuse``."""
        return self.width_without_reuse - self.width_with_reuse


def register_names(fragments: Sequence[QuantumCircuit]) -> list[str]:
    """The classical register name of each fragment: ``f{k}_{name}``, a valid identifier."""
    names = []
    for k, frag in enumerate(fragments):
        slug = re.sub(r"[^0-9A-Za-z_]", "_", frag.name or "frag").strip("_") or "frag"
        names.append(f"f{k}_{slug}".lower())
    return names


def _check(fragments: Sequence[QuantumCircuit]) -> None:
    if not fragments:
        raise InputError("fragments: empty list")
    for k, frag in enumerate(fragments):
        if not isinstance(frag, QuantumCircuit):
            raise InputError(f"fragments[{k}]: need a QuantumCircuit, got {type(frag).__name__}")
        if frag.num_clbits:
            raise InputError(
                f"fragments[{k}] ({frag.name}): has classical bits; pass the unmeasured fragment "
                "(measurement is added here)"
            )
        if frag.num_parameters:
            raise InputError(f"fragments[{k}] ({frag.name}): bind its parameters first")
        if frag.num_qubits == 0:
            raise InputError(f"fragments[{k}] ({frag.name}): has no qubits")


def without_reuse(fragments: Sequence[QuantumCircuit]) -> QuantumCircuit:
    """Reference circuit: fragment k on its own qubits, all measured at the end.

    Same classical registers (names and order) as :func:`reuse_qubits`, so the counts of both
    circuits are directly comparable.
    """
    _check(fragments)
    widths = [f.num_qubits for f in fragments]
    creg = [ClassicalRegister(w, name) for w, name in zip(widths, register_names(fragments))]
    qc = QuantumCircuit(QuantumRegister(sum(widths), "q"), *creg, name="no_reuse")
    start = 0
    for frag in fragments:
        qubits = list(range(start, start + frag.num_qubits))
        qc.compose(frag, qubits=qubits, inplace=True)
        start += frag.num_qubits
    start = 0
    for frag, c in zip(fragments, creg):
        qc.measure(list(range(start, start + frag.num_qubits)), c)
        start += frag.num_qubits
    return qc


def reuse_qubits(fragments: Sequence[QuantumCircuit]) -> ReuseResult:
    """Run the fragments sequentially on ``max(widths)`` qubits with measure + reset between.

    Fragment k is composed on qubits ``0 .. w_k - 1``, measured into the classical register
    ``register_names(fragments)[k]`` (``w_k`` bits, bit j = fragment qubit j), and those qubits
    are reset before fragment k+1 (no reset after the last one).

    Args:
        fragments: bound, unmeasured circuits (no classical bits), in execution order.

    Returns:
        ``ReuseResult(circuit, width_without_reuse=sum(w_k), width_with_reuse=max(w_k))``.
    """
    _check(fragments)
    widths = [f.num_qubits for f in fragments]
    width = max(widths)
    creg = [ClassicalRegister(w, name) for w, name in zip(widths, register_names(fragments))]
    qc = QuantumCircuit(QuantumRegister(width, "q"), *creg, name="reuse")
    for k, (frag, c) in enumerate(zip(fragments, creg)):
        qubits = list(range(frag.num_qubits))
        qc.compose(frag, qubits=qubits, inplace=True)
        qc.measure(qubits, c)
        if k < len(fragments) - 1:
            # Release every qubit this fragment used, so any later fragment may take it.
            qc.reset(qubits)
    return ReuseResult(qc, sum(widths), width)
