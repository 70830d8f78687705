"""Entangled resource states: Bell pairs, GHZ, linear cluster and weakly entangled pairs.

These are the states of the entanglement buffer (docs/design.md §3, §5). Each function returns a
``QuantumCircuit`` that prepares the state from ``|0...0>``.

What entanglement does and does not do: an entangled state makes the *outcomes* of later
measurements on different qubits correlated, but by the no-signalling theorem no operation on
one part changes the measured distribution of any other part. Entanglement alone sends no
information; moving a quantum state needs entanglement *plus* classical bits (see
:mod:`qar_qiskit.circuits.teleport`).

Ket convention: ``|b0 b1 ...>`` in the docstrings lists qubit 0 first (textbook order); Qiskit
prints bitstrings with qubit 0 last.
"""

from __future__ import annotations

from qiskit import QuantumCircuit, QuantumRegister
from qiskit.circuit import ParameterExpression

from qar_qiskit.errors import InputError

#: Bell kinds -> (X on qubit 0, X on qubit 1) applied before H(0), CX(0, 1).
BELL_KINDS: dict[str, tuple[bool, bool]] = {
    "phi+": (False, False),
    "phi-": (True, False),
    "psi+": (False, True),
    "psi-": (True, True),
}


def bell_pair(kind: str = "phi+") -> QuantumCircuit:
    """One of the four Bell states on 2 qubits.

    ``phi+ = (|00> + |11>)/√2``, ``phi- = (|00> - |11>)/√2``,
    ``psi+ = (|01> + |10>)/√2``, ``psi- = (|01> - |10>)/√2`` (qubit 0 written first).
    Built as optional X gates on ``|00>`` followed by ``H(0)`` and ``CX(0, 1)``:
    ``CX·(H⊗I)|x y> = (|0, y> + (-1)^x |1, 1-y>)/√2``.

    Measuring both qubits in Z gives perfectly correlated (phi) or anti-correlated (psi)
    bits, each bit alone uniformly random: the pair is a shared resource, not a channel.

    Args:
        kind: ``"phi+"``, ``"phi-"``, ``"psi+"`` or ``"psi-"``.

    Raises:
        InputError: unknown kind.
    """
    if kind not in BELL_KINDS:
        raise InputError(f"bell kind: unknown {kind!r}; valid: {', '.join(BELL_KINDS)}")
    flip0, flip1 = BELL_KINDS[kind]
    qc = QuantumCircuit(QuantumRegister(2, "bell"), name=f"bell_{_slug(kind)}")
    if flip0:
        qc.x(0)
    if flip1:
        qc.x(1)
    qc.h(0)
    qc.cx(0, 1)
    return qc


def ghz(n: int) -> QuantumCircuit:
    """The n-qubit GHZ state ``(|0...0> + |1...1>)/√2`` (Greenberger–Horne–Zeilinger 1989).

    ``H(0)`` then a CX chain ``0→1→…→n-1`` (depth n, n-1 two-qubit gates). Z measurements
    give only the all-equal outcomes 0...0 and 1...1, each with probability 1/2. In the
    crisis pattern this is the "risk broadcast": every buffer qubit is a *copy in the Z basis*
    of one risk bit, i.e. a correlation, not a message.

    Args:
        n: number of qubits, at least 2.
    """
    n = _count(n, "ghz n", minimum=2)
    qc = QuantumCircuit(QuantumRegister(n, "ghz"), name=f"ghz_{n}")
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    return qc


def cluster(n: int) -> QuantumCircuit:
    """The linear (1-D) cluster state on n qubits (Briegel & Raussendorf 2001).

    ``H`` on every qubit, then ``CZ`` on every neighbouring pair ``(i, i+1)``. The state is the
    unique +1 eigenstate of the stabilizers ``K_i = Z_{i-1} X_i Z_{i+1}`` (factors outside
    ``0..n-1`` omitted). The CZs commute, so the order does not matter.

    Args:
        n: number of qubits, at least 2.
    """
    n = _count(n, "cluster n", minimum=2)
    qc = QuantumCircuit(QuantumRegister(n, "cluster"), name=f"cluster_{n}")
    qc.h(range(n))
    for i in range(n - 1):
        qc.cz(i, i + 1)
    return qc


def weak_bell(theta: float | ParameterExpression) -> QuantumCircuit:
    """A partially entangled pair ``cos(θ/2)|00> + sin(θ/2)|11>``: ``RY(θ)`` on 0, ``CX(0, 1)``.

    Concurrence ``C = |sin θ|`` (Wootters 1998: ``C = 2|a d - b c|`` for a pure 2-qubit state);
    entanglement entropy ``H2(cos²(θ/2))`` bits, ``H2`` the binary entropy. θ = 0 is a product
    state, θ = π/2 the Bell state phi+. Used in the "stable" pattern as a weak lmsr↔prospect
    correlation. ``theta`` may be a ``Parameter`` (bound per tick).

    Args:
        theta: rotation angle in radians (float or Qiskit parameter expression).
    """
    qc = QuantumCircuit(QuantumRegister(2, "weak_bell"), name="weak_bell")
    qc.ry(theta, 0)
    qc.cx(0, 1)
    return qc


def _count(n, what: str, minimum: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < minimum:
        raise InputError(f"{what}: need an integer >= {minimum}, got {n!r}")
    return n


def _slug(kind: str) -> str:
    return kind.replace("+", "_plus").replace("-", "_minus")
