"""Read a tick's measured counts, register by register (docs/design.md §2).

SamplerV2 returns one counts dictionary per classical register
(``result[0].data.<register>.get_counts()``), bitstrings most significant bit first. This
module turns them into empirical distributions indexed by the register's little-endian
integer (Qiskit's order) and the component outputs the decision layer needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qar_qiskit.backends.counts import counts_to_distribution
from qar_qiskit.circuits.market import REGIME_CODES as _REGIME_CODES
from qar_qiskit.errors import BackendError
from qar_qiskit.plan.allocation import AllocationPlan

__all__ = ["Readout", "read_counts", "counts_to_distribution"]


@dataclass(frozen=True, eq=False, kw_only=True)
class Readout:
    """Empirical outputs of one tick.

    Attributes:
        shots: number of shots.
        distributions: register name -> empirical distribution (little-endian index).
        regime_probabilities: ``P(r)`` from the valid market codes only, renormalised (zeros
            if no shot had a valid code).
        invalid_regime_rate: fraction of shots whose market code is not one of the 4 codes.
        memory: expert-selector distribution (``2**k``).
        experts: expert name -> its reader's outputs (``Expert.read``: ``distribution``,
            ``p_read`` and the expert's own), for each expert with a register.
        decision: decision distribution (32, ``d = A + 4 S + 16 K``).
        buffer: buffer register distribution.
        lmsr: LMSR register distribution (``2**n_l``); ``p_up`` its top-qubit marginal (None
            without the lmsr expert; likewise below).
        prospect_register: outcome-register distribution (``2**k``), ancilla summed out.
        u: the prospect ancilla's P(1), the normalised CPT value.
        hedge_weights: Hedge register distribution (``2**m``); ``p_hedge`` its top-qubit marginal.
        postselect_rejected_rate: share of the shots that post-selection dropped before these
            counts (None without post-selection; set by the pipeline from the executor's
            ``kept_shots``).
    """

    shots: int
    distributions: dict
    regime_probabilities: np.ndarray
    invalid_regime_rate: float
    memory: np.ndarray
    experts: dict
    decision: np.ndarray
    buffer: np.ndarray
    lmsr: np.ndarray | None = None
    p_up: float | None = None
    prospect_register: np.ndarray | None = None
    u: float | None = None
    hedge_weights: np.ndarray | None = None
    p_hedge: float | None = None
    postselect_rejected_rate: float | None = None

    @property
    def decision_index(self) -> int:
        """The most frequent decision (the reported decision)."""
        return int(np.argmax(self.decision))


def read_counts(plan: AllocationPlan, counts: dict[str, dict[str, int]]) -> Readout:
    """Per-register empirical distributions and component outputs from register counts.

    Args:
        plan: the plan the circuit was composed for (register sizes, experts).
        counts: register name -> counts dict (MSB-first bitstrings), for every register of
            the plan.

    Returns:
        A :class:`Readout`.

    Raises:
        BackendError: a register is missing, a bitstring does not fit, or registers disagree
            on the number of shots.
    """
    from qar_qiskit.experts.registry import resolve_experts

    dists, shots = {}, None
    for name, size in plan.sizes().items():
        if size == 0:
            continue
        if name not in counts:
            raise BackendError(f"{name}: register missing from the counts")
        dist, n = counts_to_distribution(counts[name], size, name)
        if shots is not None and n != shots:
            raise BackendError(f"{name}: {n} shots, other registers have {shots}")
        dists[name], shots = dist, n
    for d in dists.values():
        d.setflags(write=False)

    market = dists["market"]
    valid = market[list(_REGIME_CODES)]
    total = float(valid.sum())
    invalid_mask = np.ones(market.size, dtype=bool)
    invalid_mask[list(_REGIME_CODES)] = False
    invalid = float(market[invalid_mask].sum())  # exactly 0.0 when no invalid code occurred
    regime = valid / total if total > 0 else np.zeros(4)

    outputs = {e.name: e.read(dists[e.name]) for e in resolve_experts(plan.experts).with_register}
    builtin = {}
    if "lmsr" in outputs:
        builtin.update(lmsr=dists["lmsr"], p_up=outputs["lmsr"]["p_read"])
    if "prospect" in outputs:
        builtin.update(prospect_register=outputs["prospect"]["register"], u=outputs["prospect"]["p_read"])
    if "hedge" in outputs:
        builtin.update(hedge_weights=dists["hedge"], p_hedge=outputs["hedge"]["p_read"])
    return Readout(
        shots=int(shots),
        distributions=dists,
        regime_probabilities=regime,
        invalid_regime_rate=invalid,
        memory=dists["memory"],
        experts=outputs,
        decision=dists["decision"],
        buffer=dists.get("buffer", np.ones(1)),
        **builtin,
    )
