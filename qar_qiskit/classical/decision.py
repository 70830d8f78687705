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

from qar_qiskit.classical.prospect import cpt_decision_weights, cpt_value, value_function
from qar_qiskit.errors import InputError
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
    "action_distributions",
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


def _top_half(p: np.ndarray) -> float:
    return float(p[p.size // 2:].sum())


def expert_outputs(inputs) -> dict:
    """Each expert's scalar output.

    * ``p_up = sum_{i >= 2**(n_l - 1)} p_i``: LMSR mass on the up-bins (Hanson 2003).
    * ``cpt_value V = sum_i pi_i v(x_i)`` (Tversky & Kahneman 1992), ``L = max_i |v(x_i)|``,
      ``u = 1/2 + V / (2 L sum(pi))`` (1/2 when L = 0): the prospect ancilla's P(1).
    * ``p_hedge = sum_{k >= 2**(m-1)} w_k`` and ``expected_hedge_ratio = sum_k w_k k/(2**m - 1)``.

    Args:
        inputs: :class:`qar_qiskit.circuits.inputs.TickInputs`.

    Returns:
        dict with keys ``p_up``, ``u``, ``cpt_value``, ``value_scale`` (L),
        ``weight_sum`` (sum pi), ``p_hedge``, ``expected_hedge_ratio``.
    """
    x, p = inputs.prospect_outcomes, inputs.prospect_probabilities
    params = inputs.cpt_params
    big_v = cpt_value(x, p, params)
    pi_sum = float(np.sum(cpt_decision_weights(x, p, params)))
    big_l = float(np.max(np.abs(value_function(x, params))))
    u = 0.5 if big_l == 0.0 or pi_sum == 0.0 else 0.5 + big_v / (2.0 * big_l * pi_sum)
    w = inputs.hedge_weights
    ratios = np.arange(w.size) / (w.size - 1)
    return {
        "p_up": _top_half(inputs.lmsr_probabilities),
        "u": float(u),
        "cpt_value": float(big_v),
        "value_scale": big_l,
        "weight_sum": pi_sum,
        "p_hedge": _top_half(w),
        "expected_hedge_ratio": float(np.dot(w, ratios)),
    }


def size_risk_angles(p_up: float, u: float, hedge_weights, edge_gain: float = 4.0) -> np.ndarray:
    """Size/risk angles ``beta[a, j]`` (rows lmsr, prospect, hedge, abstain; columns
    size_lo, size_hi, risk).

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
    if not (np.isfinite(edge_gain) and edge_gain >= 0):
        raise InputError(f"edge_gain: must be finite and >= 0, got {edge_gain!r}")
    e_h = float(np.dot(w / w.sum(), np.arange(w.size) / (w.size - 1)))
    s_l = min(1.0, edge_gain * abs(2 * p_up - 1))
    s_p = min(1.0, edge_gain * abs(2 * u - 1))
    probs = np.array([
        [s_l, s_l, s_l],
        [s_p, s_p, u],
        [e_h, e_h, 1.0 - e_h],
        [0.0, 0.0, 0.0],
    ])
    return 2.0 * np.arcsin(np.sqrt(np.clip(probs, 0.0, 1.0)))


def action_distributions(outputs: dict) -> np.ndarray:
    """``P_a(A)``: (4 experts, 4 actions) from :func:`expert_outputs`."""
    p_up, u, ph = outputs["p_up"], outputs["u"], outputs["p_hedge"]
    return np.array([
        [1 - p_up, 0.0, p_up, 0.0],  # lmsr: buy w.p. p_up, else sell
        [1 - u, 0.0, u, 0.0],        # prospect: buy w.p. u, else sell
        [0.0, 1 - ph, 0.0, ph],      # hedge: hedge w.p. p_hedge, else hold
        [0.0, 1.0, 0.0, 0.0],        # abstain: hold
    ])


def bit_probabilities(inputs) -> np.ndarray:
    """``P(bit_j = 1 | r, a) = sin^2((beta[a, j] + delta[r, j]) / 2)``, shape (4 r, 4 a, 3 j)."""
    beta, delta = inputs.size_risk_angles, inputs.feedback_angles
    return np.sin((beta[None, :, :] + delta[:, None, :]) / 2.0) ** 2


def decision_table(inputs, outputs: dict | None = None) -> np.ndarray:
    """``P_a(d | r)``: each expert's decision distribution in each regime, shape (4 r, 4 a, 32 d).

    ``P_a(d | r) = P_a(A) P(K | r, a) P(S_hi | r, a) P(S_lo | r, a)`` with ``d = A + 4 S + 16 K``
    (docs/model.md); ``outputs`` is :func:`expert_outputs` of ``inputs`` if already computed.
    """
    pa = action_distributions(outputs if outputs is not None else expert_outputs(inputs))  # (a, A)
    q = bit_probabilities(inputs)                                   # (r, a, j)
    bits = np.stack([1.0 - q, q], axis=-1)                          # (r, a, j, value)
    # axes of the result: K (risk), size_hi, size_lo, A  -> C-order index 16K + 8Shi + 4Slo + A
    t = np.einsum("aA,rak,rah,ral->rakhlA", pa, bits[:, :, 2], bits[:, :, 1], bits[:, :, 0])
    return t.reshape(4, 4, 32)


def decision_distribution(inputs, outputs: dict | None = None, table: np.ndarray | None = None) -> np.ndarray:
    """Exact ``P(d) = sum_r P(r) sum_a w[r, a] P_a(d | r)`` over the 32 decisions (docs/model.md)."""
    table = decision_table(inputs, outputs) if table is None else table
    joint = inputs.regime_probabilities[:, None] * inputs.memory_weights  # (r, a)
    return np.einsum("ra,rad->d", joint, table)


def expert_decision_distributions(inputs, outputs: dict | None = None, table: np.ndarray | None = None) -> np.ndarray:
    """Each expert alone (memory one-hot on it in every regime): ``sum_r P(r) P_a(d | r)``, shape (4, 32)."""
    table = decision_table(inputs, outputs) if table is None else table
    return np.einsum("r,rad->ad", inputs.regime_probabilities, table)


_TWIN_PATTERNS = {
    "stable": [("lmsr_top", "prospect_anc")],
    "trending": [("lmsr_top", "hedge_top")],
    "volatile": [("lmsr_top", "prospect_anc"), ("prospect_anc", "hedge_top")],
}


def _buffer_distribution(regime: str, n_buffer: int, outputs: dict, p_risk: float) -> np.ndarray:
    out = np.zeros(1 << n_buffer)
    if regime == "crisis":
        out[0] = 1.0 - p_risk
        out[-1] += p_risk
        return out
    pattern = _TWIN_PATTERNS[regime]
    src_p = {"lmsr_top": outputs["p_up"], "prospect_anc": outputs["u"], "hedge_top": outputs["p_hedge"]}
    names = list(src_p)
    for combo in range(8):
        val = {n: (combo >> i) & 1 for i, n in enumerate(names)}
        prob = np.prod([src_p[n] if val[n] else 1.0 - src_p[n] for n in names])
        index = 0
        for b, (s1, s2) in enumerate(pattern):
            index |= (val[s1] ^ val[s2]) << b
        out[index] += prob
    return out


def component_marginals(inputs, plan) -> dict[str, np.ndarray]:
    """Exact marginal distribution of every register of the tick circuit for ``plan``.

    Index order is Qiskit's little-endian integer of the register's qubits.

    Returns:
        dict with ``market`` (16; mass ``P(r)`` on the 4 codes), ``regime`` (4),
        ``memory`` (4), ``market_memory`` (64; index ``code + 16 a``, mass ``P(r) w[r, a]``),
        ``lmsr`` (2**n_l), ``prospect`` (2**n_p; index ``i + 2**k anc``, mass
        ``pi_i/sum(pi) * (g_i or 1 - g_i)``), ``hedge`` (2**m), ``decision`` (32), ``buffer``
        (2**n_buffer, per the plan's regime pattern).

    Raises:
        InputError: if the input sizes do not match the plan.
    """
    inputs.check_plan(plan)
    pr, w = inputs.regime_probabilities, inputs.memory_weights
    market = np.zeros(16)
    market[list(REGIME_CODES)] = pr
    market_memory = np.zeros(64)
    for r, code in enumerate(REGIME_CODES):
        for a in range(4):
            market_memory[code + 16 * a] = pr[r] * w[r, a]

    x, p, params = inputs.prospect_outcomes, inputs.prospect_probabilities, inputs.cpt_params
    pi = np.asarray(cpt_decision_weights(x, p, params), dtype=float)
    v = np.asarray(value_function(x, params), dtype=float)
    big_l = float(np.max(np.abs(v)))
    g = np.full(v.size, 0.5) if big_l == 0.0 else (1.0 + v / big_l) / 2.0
    reg = pi / pi.sum()
    prospect = np.concatenate([reg * (1.0 - g), reg * g])

    outputs = expert_outputs(inputs)
    decision = decision_distribution(inputs, outputs)
    p_risk = float(decision[16:].sum())
    return {
        "market": market,
        "regime": pr.copy(),
        "memory": pr @ w,
        "market_memory": market_memory,
        "lmsr": inputs.lmsr_probabilities.copy(),
        "prospect": prospect,
        "hedge": inputs.hedge_weights.copy(),
        "decision": decision,
        "buffer": _buffer_distribution(plan.regime, plan.buffer, outputs, p_risk),
    }
