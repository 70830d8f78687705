"""Entanglement buffer: per-regime correlation witnesses (2..4 qubits).

Buffer qubits receive CNOTs from component output qubits (LMSR top qubit, prospect ancilla,
Hedge top qubit, decision risk qubit). This entangles the buffer with the components, but
by no-signalling it changes no other register's measured distribution: the buffer only
*records* parities. Patterns (docs/model.md, docs/design.md §5):

* stable: ``b0 = lmsr_top XOR prospect_anc`` (agreement witness, "Bell lmsr-prospect");
* trending: ``b0 = lmsr_top XOR hedge_top``;
* volatile: ``b0 = lmsr_top XOR prospect_anc``, ``b1 = prospect_anc XOR hedge_top``;
* crisis: every buffer qubit = the decision risk qubit (GHZ-type "risk broadcast").

Unused buffer qubits stay in ``|0>``. For independent sources with ``P(1) = p, q``,
``P(b = 1) = p (1 - q) + (1 - p) q``.

Qubit layout: ``[b_0 .. b_{n-1}, lmsr_top, prospect_anc, hedge_top, risk]``. No parameters.
"""

from __future__ import annotations

from qiskit import QuantumCircuit

from qar_qiskit.errors import InputError

__all__ = ["PATTERNS", "pattern_sources", "pattern_circuit"]

#: Per regime: for each used buffer qubit, the sources XOR-ed into it.
PATTERNS: dict[str, tuple[tuple[str, ...], ...]] = {
    "stable": (("lmsr_top", "prospect_anc"),),
    "trending": (("lmsr_top", "hedge_top"),),
    "volatile": (("lmsr_top", "prospect_anc"), ("prospect_anc", "hedge_top")),
    "crisis": (),  # every buffer qubit copies "risk"
}
_SOURCES = ("lmsr_top", "prospect_anc", "hedge_top", "risk")


def pattern_sources(regime: str, n_buffer: int) -> tuple[tuple[str, ...], ...]:
    """Sources XOR-ed into each of the ``n_buffer`` buffer qubits (empty tuple: stays ``|0>``)."""
    if regime not in PATTERNS:
        raise InputError(f"regime: unknown regime {regime!r}")
    if regime == "crisis":
        if n_buffer < 1:
            raise InputError("buffer: crisis needs at least 1 buffer qubit")
        return tuple(("risk",) for _ in range(n_buffer))
    used = PATTERNS[regime]
    if n_buffer < len(used):
        raise InputError(f"buffer: regime {regime!r} needs at least {len(used)} buffer qubits, got {n_buffer}")
    return used + tuple(() for _ in range(n_buffer - len(used)))


def pattern_circuit(regime: str, n_buffer: int) -> QuantumCircuit:
    """The buffer fragment for ``regime`` on ``n_buffer + 4`` qubits (see module doc)."""
    sources = pattern_sources(regime, n_buffer)
    qc = QuantumCircuit(n_buffer + 4, name=f"buffer_{regime}")
    for b, srcs in enumerate(sources):
        for s in srcs:
            qc.cx(n_buffer + _SOURCES.index(s), b)
    return qc
