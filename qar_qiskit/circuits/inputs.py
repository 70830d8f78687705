"""Per-tick inputs of the tick circuit: plain numpy arrays, validated once.

Everything that changes from tick to tick is a parameter of the composed circuit; this
dataclass holds the numbers those parameters are computed from (docs/model.md).
"""

from __future__ import annotations

from dataclasses import dataclass
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


def _angles(name: str, value) -> np.ndarray:
    """A finite (4, 3) angle array (size/risk or feedback angles), read-only."""
    arr = as_float_array(name, value, shape=(4, 3), copy=True)
    arr.setflags(write=False)
    return arr


def _log2(n: int) -> int:
    return n.bit_length() - 1


@dataclass(frozen=True, eq=False)
class TickInputs:
    """Numbers one tick binds into the composed circuit.

    Attributes:
        regime_probabilities: ``P(r)``, shape (4,), stable/trending/volatile/crisis.
        regime_phases: ``phi_r`` (radians), shape (4,); visible only in the statevector.
        memory_weights: ``w[r, a]``, shape (4, 4), row-stochastic (experts lmsr, prospect,
            hedge, abstain).
        lmsr_probabilities: LMSR prices, shape (2**n_l,).
        prospect_outcomes: outcomes ``x_i`` (bin centres), shape (2**k,).
        prospect_probabilities: their probabilities, shape (2**k,).
        hedge_weights: Hedge weights over hedge ratios, shape (2**m,).
        size_risk_angles: ``beta[a, j]``, shape (4, 3), bits j = size_lo, size_hi, risk.
        feedback_angles: ``delta[r, j]``, shape (4, 3).
        cpt_params: optional ``qar_qiskit.classical.prospect.CPTParams`` (None: published
            Tversky–Kahneman estimates).

    Raises:
        InputError: naming the field, on a wrong shape, NaN/inf, negative probabilities or a
            distribution that does not sum to 1 (tolerance 1e-6; stored renormalised).
    """

    regime_probabilities: Any
    regime_phases: Any
    memory_weights: Any
    lmsr_probabilities: Any
    prospect_outcomes: Any
    prospect_probabilities: Any
    hedge_weights: Any
    size_risk_angles: Any
    feedback_angles: Any
    cpt_params: Any = None

    def __post_init__(self):
        fields = {
            "regime_probabilities": _distribution("regime_probabilities", self.regime_probabilities, (4,)),
            "regime_phases": as_float_array("regime_phases", self.regime_phases, shape=(4,), copy=True),
            "memory_weights": _distribution("memory_weights", self.memory_weights, (4, 4)),
            "lmsr_probabilities": _distribution("lmsr_probabilities", self.lmsr_probabilities, power_of_two=True),
            "prospect_outcomes": as_float_array("prospect_outcomes", self.prospect_outcomes, copy=True),
            "prospect_probabilities": _distribution(
                "prospect_probabilities", self.prospect_probabilities, power_of_two=True
            ),
            "hedge_weights": _distribution("hedge_weights", self.hedge_weights, power_of_two=True),
            "size_risk_angles": _angles("size_risk_angles", self.size_risk_angles),
            "feedback_angles": _angles("feedback_angles", self.feedback_angles),
        }
        if fields["prospect_outcomes"].shape != fields["prospect_probabilities"].shape:
            raise InputError(
                f"prospect_outcomes: shape {fields['prospect_outcomes'].shape} does not match "
                f"prospect_probabilities shape {fields['prospect_probabilities'].shape}"
            )
        if self.cpt_params is not None:
            from qar_qiskit.classical.prospect import CPTParams

            if not isinstance(self.cpt_params, CPTParams):
                raise InputError(f"cpt_params: expected CPTParams or None, got {type(self.cpt_params).__name__}")
        for name, arr in fields.items():
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    def with_angles(self, size_risk_angles, feedback_angles) -> "TickInputs":
        """A copy with new ``size_risk_angles`` and ``feedback_angles``; only those two are
        validated again (the other fields already were), which keeps the per-tick cost down."""
        out = object.__new__(TickInputs)
        for name in self.__dataclass_fields__:
            object.__setattr__(out, name, getattr(self, name))
        object.__setattr__(out, "size_risk_angles", _angles("size_risk_angles", size_risk_angles))
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
        """Raise :class:`InputError` (naming the field) unless the array sizes match ``plan``."""
        for field, have, want in (
            ("lmsr_probabilities", self.n_lmsr, plan.lmsr),
            ("prospect_outcomes", self.n_prospect, plan.prospect),
            ("hedge_weights", self.n_hedge, plan.hedge),
        ):
            if have != want:
                raise InputError(
                    f"{field}: sized for {have} qubits but the plan allocates {want} "
                    f"(plan {plan.key()})"
                )
