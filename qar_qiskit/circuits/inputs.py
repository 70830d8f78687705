"""Per-tick inputs of the tick circuit: plain numpy arrays, validated once.

Everything that changes from tick to tick is a parameter of the composed circuit; this
dataclass holds the numbers those parameters are computed from (docs/model.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from qar_qiskit.errors import InputError
from qar_qiskit.validation import as_float_array

__all__ = ["TickInputs"]

_PROB_ATOL = 1e-6


def _distribution(name: str, value, shape=None, power_of_two: bool = False) -> np.ndarray:
    arr = as_float_array(name, value, shape=shape, copy=True)
    if arr.ndim != 1 and shape is None:
        raise InputError(f"{name}: need a 1-D vector, got shape {arr.shape}")
    n = arr.shape[-1]
    if power_of_two and (n < 2 or n & (n - 1)):
        raise InputError(f"{name}: length must be a power of two >= 2, got {n}")
    if np.any(arr < -_PROB_ATOL):
        raise InputError(f"{name}: probabilities must be non-negative")
    arr = np.clip(arr, 0.0, None)
    sums = arr.sum(axis=-1)
    if np.any(np.abs(sums - 1.0) > _PROB_ATOL):
        raise InputError(f"{name}: probabilities must sum to 1 (sums {np.atleast_1d(sums).tolist()})")
    return arr / np.expand_dims(sums, -1)


def _angles(name: str, value, rows: int = 4) -> np.ndarray:
    """A finite (rows, 3) angle array (size/risk or feedback angles), read-only."""
    arr = as_float_array(name, value, shape=(rows, 3), copy=True)
    arr.setflags(write=False)
    return arr


def _log2(n: int) -> int:
    return n.bit_length() - 1


@dataclass(frozen=True, eq=False, kw_only=True)
class TickInputs:
    """Numbers one tick binds into the composed circuit (keyword arguments only).

    Attributes:
        regime_probabilities: ``P(r)``, shape (4,), stable/trending/volatile/crisis.
        regime_phases: ``phi_r`` (radians), shape (4,); visible only in the statevector.
        memory_weights: ``w[r, a]``, shape (4, n), row-stochastic over the ``n`` experts.
        size_risk_angles: ``beta[a, j]``, shape (n, 3), bits j = size_lo, size_hi, risk.
        feedback_angles: ``delta[r, j]``, shape (4, 3).
        lmsr_probabilities: LMSR prices, shape (2**n_l,) (None if ``lmsr`` is not in the set).
        prospect_outcomes: outcomes ``x_i`` (bin centres), shape (2**k,).
        prospect_probabilities: their probabilities, shape (2**k,).
        hedge_weights: Hedge weights over hedge ratios, shape (2**m,).
        cpt_params: optional ``qar_qiskit.classical.prospect.CPTParams`` (None: published
            Tversky–Kahneman estimates).
        experts: the :class:`~qar_qiskit.experts.ExpertSet` (or names/instances; None: the four
            built-ins lmsr, prospect, hedge, abstain).
        expert_data: plug-in expert name -> its data for this tick (``Expert.inputs``).

    Raises:
        InputError: naming the field, on a wrong shape, NaN/inf, negative probabilities or a
            distribution that does not sum to 1 (tolerance 1e-6; stored renormalised).
    """

    regime_probabilities: Any
    regime_phases: Any
    memory_weights: Any
    size_risk_angles: Any
    feedback_angles: Any
    lmsr_probabilities: Any = None
    prospect_outcomes: Any = None
    prospect_probabilities: Any = None
    hedge_weights: Any = None
    cpt_params: Any = None
    experts: Any = None
    expert_data: Any = None

    def __post_init__(self):
        from qar_qiskit.experts.registry import resolve_experts

        experts = resolve_experts(self.experts)
        n = experts.n
        fields = {
            "regime_probabilities": _distribution("regime_probabilities", self.regime_probabilities, (4,)),
            "regime_phases": as_float_array("regime_phases", self.regime_phases, shape=(4,), copy=True),
            "memory_weights": _distribution("memory_weights", self.memory_weights, (4, n)),
            "size_risk_angles": _angles("size_risk_angles", self.size_risk_angles, n),
            "feedback_angles": _angles("feedback_angles", self.feedback_angles),
        }
        for name in ("lmsr_probabilities", "prospect_probabilities", "hedge_weights"):
            if getattr(self, name) is not None:
                fields[name] = _distribution(name, getattr(self, name), power_of_two=True)
        if self.prospect_outcomes is not None:
            fields["prospect_outcomes"] = as_float_array("prospect_outcomes", self.prospect_outcomes, copy=True)
        shapes = [fields[f].shape if f in fields else None for f in ("prospect_outcomes", "prospect_probabilities")]
        if shapes[0] != shapes[1]:
            raise InputError(f"prospect_outcomes: shape {shapes[0]} does not match prospect_probabilities "
                             f"shape {shapes[1]}")
        if self.cpt_params is not None:
            from qar_qiskit.classical.prospect import CPTParams

            if not isinstance(self.cpt_params, CPTParams):
                raise InputError(f"cpt_params: expected CPTParams or None, got {type(self.cpt_params).__name__}")
        for name, arr in fields.items():
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "experts", experts)
        data = dict(self.expert_data or {})
        unknown = sorted(set(data) - set(experts.names))
        if unknown:
            raise InputError(f"expert_data: {unknown} are not among the experts {list(experts.names)}")
        object.__setattr__(self, "expert_data", MappingProxyType(data))
        for e in experts.with_register:
            d = e.data(self)  # InputError naming the expert when a plug-in has no data
            if d is None or (isinstance(d, tuple) and d[0] is None):
                raise InputError(f"{e.name}: the tick inputs hold no data for this expert "
                                 f"(experts {list(experts.names)})")

    def with_angles(self, size_risk_angles, feedback_angles) -> TickInputs:
        """A copy with new ``size_risk_angles`` and ``feedback_angles``; only those two are
        validated again (the other fields already were), which keeps the per-tick cost down."""
        out = object.__new__(TickInputs)
        for name in self.__dataclass_fields__:
            object.__setattr__(out, name, getattr(self, name))
        object.__setattr__(out, "size_risk_angles", _angles("size_risk_angles", size_risk_angles, self.experts.n))
        object.__setattr__(out, "feedback_angles", _angles("feedback_angles", feedback_angles))
        return out

    @property
    def n_lmsr(self) -> int:
        """LMSR register qubits ``n_l``."""
        return _log2(self.lmsr_probabilities.size)

    @property
    def n_prospect(self) -> int:
        """Prospect qubits including the ancilla, ``n_p = k + 1``."""
        return _log2(self.prospect_outcomes.size) + 1

    @property
    def n_hedge(self) -> int:
        """Hedge register qubits ``m``."""
        return _log2(self.hedge_weights.size)

    def check_plan(self, plan) -> None:
        """Raise :class:`InputError` (naming the field) unless the experts and sizes match ``plan``."""
        if tuple(plan.experts) != self.experts.names:
            raise InputError(f"experts: the inputs are for {list(self.experts.names)} but the plan is for "
                             f"{list(plan.experts)}")
        qubits = plan.expert_sizes()
        for e in self.experts.with_register:
            try:
                e.check(e.data(self), qubits[e.name])
            except InputError as exc:
                raise InputError(f"{exc} (plan {plan.key()})") from None
