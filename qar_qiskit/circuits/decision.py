"""Decision register (5 qubits) mapped from the experts, selected by the memory register.

For any expert set (``qar_qiskit.experts``): with the memory holding ``|a>`` the fragment sets
``action_lo`` to expert ``a``'s side (0 trade, 1 protect) and ``action_hi`` to its read qubit
(0 without a register), and rotates size/risk by ``beta[a, j]``. The rest of this doc is the
built-ins' layout (four experts, two memory qubits), which gets the optimised mapping below;
other sets get the same permutation from multi-controlled X gates (``_mcx_mapping``).

Decision qubits ``[action_lo, action_hi, size_lo, size_hi, risk]``; decision index
``d = A + 4 S + 16 K`` with actions 0 sell, 1 hold, 2 buy, 3 hedge. With the memory holding
``|a>`` (``a = mem0 + 2 mem1``: 0 lmsr, 1 prospect, 2 hedge, 3 abstain) the fragment maps

    action_hi ^= [a = 0] L  XOR  [a = 1] A  XOR  [a = 2] H,     action_lo = mem1,

where ``L`` is the LMSR top qubit (up-bins), ``A`` the prospect value ancilla and ``H`` the
Hedge top qubit (docs/model.md): lmsr buys w.p. ``p_up`` else sells, prospect buys w.p. ``u``
else sells, hedge hedges w.p. ``p_hedge`` else holds, abstain holds.

Multiplexer (unary iteration, Babbush et al. 2018, "Encoding electronic spectra in quantum
circuits with linear T complexity", with relative-phase Toffolis): ``action_lo`` is the
work qubit. It is set to the indicator ``[a = 1]`` by one relative-phase Toffoli (``rccx``,
3 CNOTs) from (mem0, mem1), walks ``[a = 1] -> [a = 0] -> [a = 2]`` by one CNOT each
(indicators of memory states one bit apart differ by one memory bit), each step reading its
expert bit into ``action_hi`` with one ``rccx``, and ends as ``[a = 2] XOR [a = 3] = mem1``
by a last ``rccx``: 5 ``rccx`` + 2 CX = 17 CNOTs, where three exact 3-controlled X gates
cost 42 (14 each at optimization level 3) and left the expert bits and both memory bits
coupled to ``action_hi``. The CNOTs form a tree (mem0, mem1 -> action_lo -> action_hi <- L, A, H),
which routes with few SWAPs on a heavy-hex device.

Relative phases (honest physics): ``rccx`` is the Toffoli gate times a diagonal phase
(entries ±1, ±i) in the computational basis. The whole multiplexer is therefore
``D P`` with ``P`` the exact permutation above and ``D`` diagonal on its qubits. Every later
gate of the tick uses these qubits only as controls (block diagonal in their basis), so
``D`` commutes to the final measurements, and a phase in the measured basis changes no
measured probability: every register's distribution, and every joint distribution, is
exactly that of the exact multiplexer. Only the statevector's phases differ.

Size and risk bits ``j`` get ``RY(beta[a, j])`` uniformly controlled by the memory
(Möttönen et al. 2004). The multiplexor leaves out its final CNOT (from mem1): on the fresh
``|0>`` target that CNOT is absorbed by the angles ``beta -> pi - beta`` for a in {hedge,
abstain} (``X RY(pi - b)|0> = RY(b)|0>``), 3 CNOTs per bit. With the regime feedback
(``feedback.py``) bit ``j`` is 1 with probability ``sin^2((beta[a, j] + delta[r, j]) / 2)``.

Qubit layout: ``[action_lo, action_hi, size_lo, size_hi, risk, mem0, mem1, lmsr_top,
prospect_anc, hedge_top]`` (10 qubits). Parameters ``beta[3 a + j]`` hold the per-state angles
(``beta`` for a in {lmsr, prospect}, ``pi - beta`` for a in {hedge, abstain}); bind them with
:func:`decision_parameter_values`.
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector

from qar_qiskit.circuits.encoding import append_ucry
from qar_qiskit.errors import InputError

__all__ = [
    "ACTION_LO", "ACTION_HI", "SIZE_LO", "SIZE_HI", "RISK",
    "decision_circuit", "decision_parameter_values",
]

ACTION_LO, ACTION_HI, SIZE_LO, SIZE_HI, RISK = 0, 1, 2, 3, 4
_MEM0, _MEM1, _LMSR_TOP, _ANC, _HEDGE_TOP = 5, 6, 7, 8, 9


#: ``(side, has a register)`` per memory state that :func:`_unary_mapping` is written for: the
#: four built-ins' layout (two trading experts, a protecting one, one without a register).
_UNARY_SIGNATURE = (("trade", True), ("trade", True), ("protect", True), ("protect", False))


def _signature(experts) -> tuple:
    return tuple((e.side, e.has_register) for e in experts)


def decision_circuit(experts=None) -> QuantumCircuit:
    """The decision fragment for an expert set (default: the built-ins; 10 qubits, 26 CNOTs).

    Qubits ``[action_lo, action_hi, size_lo, size_hi, risk, mem_0 .. mem_{k-1}, reads...]``:
    ``k = ceil(log2 n)`` memory qubits, then the read qubit of each expert with a register, in
    set order. Parameters ``beta[3 a + j]`` for the ``2**k`` memory states. A set laid out like
    the built-ins gets the unary-iteration mapping of the module doc; any other set the mapping
    by multi-controlled X gates (:func:`_mcx_mapping`), the same permutation without relative
    phases.
    """
    from qar_qiskit.experts.registry import resolve_experts

    experts = resolve_experts(experts)
    k = experts.memory_qubits
    reads = [e for e in experts if e.has_register]
    qc = QuantumCircuit(5 + k + len(reads), name="decision")
    mem = list(range(5, 5 + k))
    # Size and risk first: both parts are block diagonal in the memory's basis (the memory
    # qubits are controls only), so they commute; in this order Sabre routes the decision block
    # onto FakeFez with 79 two-qubit gates at best (93 with the mapping first; 24 seeds,
    # notes in docs/model.md).
    beta = ParameterVector("beta", 3 << k)
    for j, target in enumerate((SIZE_LO, SIZE_HI, RISK)):
        append_ucry(qc, [beta[3 * a + j] for a in range(1 << k)], mem, target, drop_last_cnot=True)
    if _signature(experts) == _UNARY_SIGNATURE:
        _unary_mapping(qc)
    else:
        _mcx_mapping(qc, experts, mem)
    return qc


def _unary_mapping(qc: QuantumCircuit) -> None:
    """The built-ins' action mapping: unary iteration with relative-phase Toffolis (17 CNOTs)."""
    # action_lo <- [a = 1] = mem0 AND NOT mem1
    qc.x(_MEM1)
    qc.rccx(_MEM0, _MEM1, ACTION_LO)
    qc.x(_MEM1)
    qc.rccx(ACTION_LO, _ANC, ACTION_HI)        # a = 1 (prospect): buy iff A
    qc.cx(_MEM1, ACTION_LO)                     # [a=1] XOR NOT mem1 = [a = 0]
    qc.x(ACTION_LO)
    qc.rccx(ACTION_LO, _LMSR_TOP, ACTION_HI)   # a = 0 (lmsr): buy iff L
    qc.cx(_MEM0, ACTION_LO)                     # [a=0] XOR NOT mem0 = [a = 2]
    qc.x(ACTION_LO)
    qc.rccx(ACTION_LO, _HEDGE_TOP, ACTION_HI)  # a = 2 (hedge): hedge iff H, else hold
    qc.rccx(_MEM0, _MEM1, ACTION_LO)            # [a=2] XOR [a=3] = mem1: hold/hedge for a >= 2


def _mcx_mapping(qc: QuantumCircuit, experts, mem: list[int]) -> None:
    """Any set: ``action_lo ^= [a = s]`` for each protecting expert ``s`` and
    ``action_hi ^= [a = s] read_s`` for each expert with a register (``ctrl_state``: the memory
    state, control ``i`` = bit ``i``)."""
    k = len(mem)
    read_qubit = 5 + k
    for a, e in enumerate(experts):
        if experts.action_lo[a]:
            qc.mcx(mem, ACTION_LO, ctrl_state=a)
        if e.has_register:
            qc.mcx([*mem, read_qubit], ACTION_HI, ctrl_state=a | (1 << k))
            read_qubit += 1


def decision_parameter_values(size_risk_angles) -> np.ndarray:
    """Parameter values of :func:`decision_circuit` from ``beta`` of shape (n, 3).

    Returns ``beta[a, j]`` row-major over the ``2**k`` memory states (0 for ``a >= n``), with
    ``pi - beta[a, j]`` where the top memory bit of ``a`` is 1 (the multiplexors' dropped
    final CNOT, see the module doc): for the built-ins, a in {hedge, abstain}.
    """
    from qar_qiskit.plan.allocation import memory_width

    beta = np.asarray(size_risk_angles, dtype=float)
    if beta.ndim != 2 or beta.shape[1] != 3 or beta.shape[0] < 2 or not np.all(np.isfinite(beta)):
        raise InputError(f"size_risk_angles: need a finite (n, 3) array with n >= 2, got shape {beta.shape}")
    k = memory_width(beta.shape[0])
    out = np.zeros((1 << k, 3))
    out[: beta.shape[0]] = beta
    top = (np.arange(1 << k) >> (k - 1)) & 1 == 1
    out[top] = np.pi - out[top]
    return out.reshape(-1)


#: Joint ``"memory,decision"`` key for :data:`~qar_qiskit.backends.base.PostSelect`.
CONSISTENCY_KEY = "memory,decision"


def consistent_codes(experts=None) -> tuple[int, ...]:
    """Joint codes ``memory + 2**k * decision`` that the noiseless tick can produce.

    Symmetries of the decision fragment (``ExpertSet.consistent_decisions``): ``action_lo`` is
    the selected expert's side bit in every shot (for the built-ins ``action_lo = mem1``), an
    expert without a register (abstain) never sets ``action_hi``, and memory states ``a >= n``
    are never prepared. A shot that breaks one had an error in the memory or the decision block
    (a gate or a readout error): post-selecting on these codes is symmetry verification, exact
    for the noiseless circuit (it keeps every shot).

    Returns:
        The allowed joint codes, memory state by memory state (for the built-ins 56 of 128:
        half fail ``action_lo = mem1``, and abstain loses its 8 codes with ``action_hi = 1``).
    """
    from qar_qiskit.experts.registry import resolve_experts

    experts = resolve_experts(experts)
    k = experts.memory_qubits
    return tuple(mem + (dec << k) for mem, decisions in experts.consistent_decisions().items() for dec in decisions)
