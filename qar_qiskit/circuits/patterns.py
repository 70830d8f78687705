"""Entanglement buffer: per-regime correlation witnesses (2..4 qubits).

Buffer qubits receive CNOTs from component output qubits: the read qubits of the first three
experts with a register (``read0..read2``; for the built-ins the LMSR top qubit, the prospect
ancilla and the Hedge top qubit) and the decision risk qubit. This entangles the buffer with the components, but
by no-signalling it changes no other register's measured distribution: the buffer only
*records* parities. Patterns (docs/model.md, docs/design.md §5):

* stable: ``b0 = read0 XOR read1`` (agreement witness, "Bell lmsr-prospect");
* trending: ``b0 = read0 XOR read2`` (lmsr-hedge);
* volatile: ``b0 = read0 XOR read1``, ``b1 = read1 XOR read2``;
* crisis: every buffer qubit = the decision risk qubit (GHZ-type "risk broadcast").

A set with fewer than three read qubits leaves the missing sources out. Unused buffer qubits
stay in ``|0>``. For independent sources with ``P(1) = p, q``,
``P(b = 1) = p (1 - q) + (1 - p) q``.

Qubit layout: ``[b_0 .. b_{n-1}, read0 .. read_{r-1}, risk]`` (``r = min(3, reads)``). No
parameters.
"""

from __future__ import annotations

from qiskit import QuantumCircuit

from qar_qiskit.errors import InputError

__all__ = ["PATTERNS", "pattern_sources", "pattern_circuit"]

#: Per regime: for each used buffer qubit, the sources XOR-ed into it.
PATTERNS: dict[str, tuple[tuple[str, ...], ...]] = {
    "stable": (("read0", "read1"),),
    "trending": (("read0", "read2"),),
    "volatile": (("read0", "read1"), ("read1", "read2")),
    "crisis": (),  # every buffer qubit copies "risk"
}
#: Most read qubits a pattern uses.
MAX_READS = 3


def _sources(n_reads: int) -> tuple[str, ...]:
    return (*(f"read{i}" for i in range(min(n_reads, MAX_READS))), "risk")


def pattern_sources(regime: str, n_buffer: int, n_reads: int = MAX_READS) -> tuple[tuple[str, ...], ...]:
    """Sources XOR-ed into each of the ``n_buffer`` buffer qubits (empty tuple: stays ``|0>``);
    with ``n_reads < 3`` read qubits the missing ones are left out."""
    if regime not in PATTERNS:
        raise InputError(f"regime: unknown regime {regime!r}")
    if regime == "crisis":
        if n_buffer < 1:
            raise InputError("buffer: crisis needs at least 1 buffer qubit")
        return tuple(("risk",) for _ in range(n_buffer))
    used = PATTERNS[regime]
    if n_buffer < len(used):
        raise InputError(f"buffer: regime {regime!r} needs at least {len(used)} buffer qubits, got {n_buffer}")
    have = _sources(n_reads)
    used = tuple(tuple(s for s in srcs if s in have) for srcs in used)
    return used + tuple(() for _ in range(n_buffer - len(used)))


def pattern_circuit(regime: str, n_buffer: int, n_reads: int = MAX_READS) -> QuantumCircuit:
    """The buffer fragment for ``regime`` on ``n_buffer + min(3, n_reads) + 1`` qubits (module doc)."""
    sources = pattern_sources(regime, n_buffer, n_reads)
    names = _sources(n_reads)
    qc = QuantumCircuit(n_buffer + len(names), name=f"buffer_{regime}")
    for b, srcs in enumerate(sources):
        for s in srcs:
            qc.cx(n_buffer + names.index(s), b)
    return qc
