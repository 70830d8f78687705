"""Classical twin of the decision model (docs/model.md): exact distributions, no circuit.

The tick circuit samples the mixture

    P(d) = sum_r P(r) sum_a w[r, a] P_a(A) prod_j P(bit_j | r, a),
    P(bit_j = 1 | r, a) = sin^2((beta[a, j] + delta[r, j]) / 2),

over decisions ``d = A + 4 S + 16 K`` (action, size, risk). This module computes it and every
register's marginal in closed form; the circuit tests compare against these functions, and
they serve as the ``exact`` backend.

References: Hanson (2003) for LMSR prices; Tversky & Kahneman (1992) for the CPT value;
Freund & Schapire (1997) for Hedge / multiplicative weights.
"""

from __future__ import annotations

import numpy as np

from qar_qiskit.circuits.patterns import MAX_READS, pattern_sources
from qar_qiskit.errors import InputError
from qar_qiskit.experts.builtin import BUILTINS
from qar_qiskit.experts.registry import bit_angles, check_edge_gain
from qar_qiskit.labels import ACTIONS, EXPERTS, REGIMES, RISKS, SIZES

__all__ = [
    "ACTIONS",
    "SIZES",
    "RISKS",
    "EXPERTS",
    "REGIMES",
    "REGIME_CODES",
    "decode_decision",
    "encode_decision",
    "expert_outputs",
    "size_risk_angles",
    "bit_probabilities",
    "decision_table",
    "decision_distribution",
    "expert_decision_distributions",
    "component_marginals",
]

#: Market-register codes (m3 m2 m1 m0) 0000, 0011, 0101, 1111 as little-endian integers.
REGIME_CODES: tuple[int, ...] = (0, 3, 5, 15)


def decode_decision(d: int) -> tuple[str, str, str]:
    """``d = A + 4 S + 16 K`` -> (action, size, risk) names."""
    d = int(d)
    if not 0 <= d < 32:
        raise InputError(f"decision: index must be in [0, 32), got {d}")
    return ACTIONS[d & 3], SIZES[(d >> 2) & 3], RISKS[d >> 4]


def encode_decision(action: str, size: str, risk: str) -> int:
    """Inverse of :func:`decode_decision`."""
    try:
        return ACTIONS.index(action) + 4 * SIZES.index(size) + 16 * RISKS.index(risk)
    except ValueError:
        raise InputError(f"decision: unknown (action, size, risk) {(action, size, risk)!r}") from None


def expert_outputs(inputs) -> dict:
    """Each expert's scalar outputs (``Expert.p_read`` and the built-ins' named outputs).

    * ``p_read``: ``P(read_a = 1)`` per expert in set order (0 without a register).
    * ``p_up = sum_{i >= 2**(n_l - 1)} p_i``: LMSR mass on the up-bins (Hanson 2003).
    * ``cpt_value V = sum_i pi_i v(x_i)`` (Tversky & Kahneman 1992), ``L = max_i |v(x_i)|``,
      ``u = 1/2 + V / (2 L sum(pi))`` (1/2 when L = 0): the prospect ancilla's P(1).
    * ``p_hedge = sum_{k >= 2**(m-1)} w_k`` and ``expected_hedge_ratio = sum_k w_k k/(2**m - 1)``.
    * ``protection``: the hedge ratio a hedge decision keeps (``ExpertSet.protection``).

    Args:
        inputs: :class:`qar_qiskit.circuits.inputs.TickInputs`.

    Returns:
        dict with ``p_read`` (array), ``experts`` (name -> ``Expert.outputs``) and
        ``protection``, plus, for the built-ins in the set,
        ``p_up``; ``u``, ``cpt_value``, ``value_scale`` (L), ``weight_sum`` (sum pi);
        ``p_hedge``, ``expected_hedge_ratio``.
    """
    experts = inputs.experts
    per = {e.name: e.outputs(e.data(inputs)) if e.has_register else {"p_read": 0.0} for e in experts}
    out: dict = {"p_read": np.array([float(per[n]["p_read"]) for n in experts.names]), "experts": per,
                 "protection": experts.protection(inputs)}
    if "lmsr" in per:
        out["p_up"] = float(per["lmsr"]["p_read"])
    if "prospect" in per:
        out.update({k: per["prospect"][k] for k in ("u", "cpt_value", "value_scale", "weight_sum")})
    if "hedge" in per:
        out["p_hedge"] = float(per["hedge"]["p_read"])
        out["expected_hedge_ratio"] = per["hedge"]["expected_ratio"]
    return out


def size_risk_angles(p_up: float, u: float, hedge_weights, edge_gain: float = 4.0) -> np.ndarray:
    """Size/risk angles ``beta[a, j]`` of the four built-ins (rows lmsr, prospect, hedge, abstain;
    columns size_lo, size_hi, risk), from each expert's :meth:`~qar_qiskit.experts.Expert.size_risk`.

    Rule: ``s_lmsr = min(1, g |2 p_up - 1|)``, ``k_lmsr = s_lmsr``;
    ``s_prospect = min(1, g |2u - 1|)``, ``k_prospect = u``; ``s_hedge = E[h]``,
    ``k_hedge = 1 - E[h]``; abstain ``s = k = 0``; ``P(size_lo = 1) = P(size_hi = 1) = s``,
    ``P(risk = 1) = k``, ``beta = 2 arcsin(sqrt(P))``.

    Args:
        p_up: LMSR probability of an up move.
        u: normalised CPT value (prospect ancilla P(1)).
        hedge_weights: Hedge weights over ratios ``h_k = k / (2**m - 1)``.
        edge_gain: ``g``, how fast conviction grows with the edge.

    Returns:
        ``(4, 3)`` array of angles in ``[0, pi]``.
    """
    w = np.asarray(hedge_weights, dtype=float)
    if w.ndim != 1 or w.size < 2:
        raise InputError(f"hedge_weights: need a 1-D vector of length >= 2, got shape {w.shape}")
    for name, v in (("p_up", p_up), ("u", u)):
        if not (np.isfinite(v) and -1e-12 <= v <= 1 + 1e-12):
            raise InputError(f"{name}: must be a probability, got {v!r}")
    check_edge_gain(edge_gain)
    data = (None, None, w, None)
    reads = (p_up, u, None, 0.0)
    return bit_angles([e.size_risk(d, p, edge_gain) for e, d, p in zip(BUILTINS, data, reads)])


def bit_probabilities(inputs) -> np.ndarray:
    """``P(bit_j = 1 | r, a) = sin^2((beta[a, j] + delta[r, j]) / 2)``, shape (4 r, n a, 3 j)."""
    beta, delta = inputs.size_risk_angles, inputs.feedback_angles
    return np.sin((beta[None, :, :] + delta[:, None, :]) / 2.0) ** 2


def decision_table(inputs, outputs: dict | None = None) -> np.ndarray:
    """``P_a(d | r)``: each expert's decision distribution in each regime, shape (4 r, n a, 32 d).

    ``P_a(d | r) = P_a(A) P(K | r, a) P(S_hi | r, a) P(S_lo | r, a)`` with ``d = A + 4 S + 16 K``
    (docs/model.md); ``outputs`` is :func:`expert_outputs` of ``inputs`` if already computed.
    """
    p_read = (outputs if outputs is not None else expert_outputs(inputs))["p_read"]
    pa = inputs.experts.action_distributions(p_read)               # (a, A)
    q = bit_probabilities(inputs)                                   # (r, a, j)
    bits = np.stack([1.0 - q, q], axis=-1)                          # (r, a, j, value)
    # axes of the result: K (risk), size_hi, size_lo, A  -> C-order index 16K + 8Shi + 4Slo + A
    t = np.einsum("aA,rak,rah,ral->rakhlA", pa, bits[:, :, 2], bits[:, :, 1], bits[:, :, 0])
    return t.reshape(4, inputs.experts.n, 32)


def decision_distribution(inputs, outputs: dict | None = None, table: np.ndarray | None = None) -> np.ndarray:
    """Exact ``P(d) = sum_r P(r) sum_a w[r, a] P_a(d | r)`` over the 32 decisions (docs/model.md)."""
    table = decision_table(inputs, outputs) if table is None else table
    joint = inputs.regime_probabilities[:, None] * inputs.memory_weights  # (r, a)
    return np.einsum("ra,rad->d", joint, table)


def expert_decision_distributions(inputs, outputs: dict | None = None, table: np.ndarray | None = None) -> np.ndarray:
    """Each expert alone (memory one-hot on it in every regime): ``sum_r P(r) P_a(d | r)``, shape (n, 32)."""
    table = decision_table(inputs, outputs) if table is None else table
    return np.einsum("r,rad->ad", inputs.regime_probabilities, table)


def _buffer_distribution(regime: str, n_buffer: int, reads: list[float], p_risk: float) -> np.ndarray:
    """Buffer register twin: XORs of independent read bits (``P(1)`` in ``reads``), or risk copies."""
    out = np.zeros(1 << n_buffer)
    if regime == "crisis":
        out[0] = 1.0 - p_risk
        out[-1] += p_risk
        return out
    pattern = pattern_sources(regime, n_buffer, len(reads))
    for combo in range(1 << len(reads)):
        val = {f"read{i}": (combo >> i) & 1 for i in range(len(reads))}
        prob = np.prod([p if val[f"read{i}"] else 1.0 - p for i, p in enumerate(reads)])
        index = 0
        for b, srcs in enumerate(pattern):
            for src in srcs:
                index ^= val[src] << b
        out[index] += prob
    return out


def component_marginals(inputs, plan) -> dict[str, np.ndarray]:
    """Exact marginal distribution of every register of the tick circuit for ``plan``.

    Index order is Qiskit's little-endian integer of the register's qubits.

    Returns:
        dict with ``market`` (16; mass ``P(r)`` on the 4 codes), ``regime`` (4),
        ``memory`` (``2**k``), ``market_memory`` (``16 * 2**k``; index ``code + 16 a``, mass
        ``P(r) w[r, a]``), each expert with a register by name (``Expert.twin``: for the
        built-ins ``lmsr`` (2**n_l), ``prospect`` (2**n_p; index ``i + 2**k anc``, mass
        ``pi_i/sum(pi) * (g_i or 1 - g_i)``), ``hedge`` (2**m)), ``decision`` (32), ``buffer``
        (2**n_buffer, per the plan's regime pattern).

    Raises:
        InputError: if the inputs do not match the plan.
    """
    inputs.check_plan(plan)
    experts = inputs.experts
    pr, w = inputs.regime_probabilities, inputs.memory_weights
    states = 1 << experts.memory_qubits
    market = np.zeros(16)
    market[list(REGIME_CODES)] = pr
    market_memory = np.zeros(16 * states)
    for r, code in enumerate(REGIME_CODES):
        for a in range(experts.n):
            market_memory[code + 16 * a] = pr[r] * w[r, a]
    memory = np.zeros(states)
    memory[: experts.n] = pr @ w

    outputs = expert_outputs(inputs)
    decision = decision_distribution(inputs, outputs)
    reads = [float(p) for e, p in zip(experts, outputs["p_read"]) if e.has_register][:MAX_READS]
    return {
        "market": market,
        "regime": pr.copy(),
        "memory": memory,
        "market_memory": market_memory,
        **{e.name: np.asarray(e.twin(e.data(inputs)), dtype=float) for e in experts.with_register},
        "decision": decision,
        "buffer": _buffer_distribution(plan.regime, plan.buffer, reads, float(decision[16:].sum())),
    }
