"""The four built-in experts (docs/model.md) as instances of the :class:`Expert` contract.

* ``lmsr``: LMSR prices ``p = softmax(q / b)`` over ``2**n`` return bins (Hanson 2003), ``q``
  the recency-weighted counts of past returns; reads the top qubit, ``P(1) = p_up`` (up-bins);
  trades (buy on 1, sell on 0); size ``min(1, g |2 p_up - 1|)``, risk the same.
* ``prospect``: CPT decision weights of the return prospect (Tversky & Kahneman 1992) and a
  value ancilla with ``P(1) = u = 1/2 + V / (2 L sum(pi))``; reads the ancilla; trades; size
  ``min(1, g |2u - 1|)``, risk ``u``.
* ``hedge``: Freund–Schapire Hedge weights over hedge ratios ``h_k = k / (2**m - 1)``; reads the
  top qubit, ``P(1) = p_hedge``; protects (hedge on 1, hold on 0); size ``E[h]``, risk
  ``1 - E[h]``; a hedge decision keeps ``E[h]`` of the position hedged.
* ``abstain``: no register; holds, size and risk 0.

Their data live in the named fields of :class:`~qar_qiskit.circuits.inputs.TickInputs`
(``lmsr_probabilities``, ``prospect_outcomes`` / ``prospect_probabilities`` / ``cpt_params``,
``hedge_weights``); their qubit ranges come from the config's ``algorithms`` section.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import ClassVar

import numpy as np
from qiskit import QuantumCircuit

from qar_qiskit.errors import InputError
from qar_qiskit.experts.base import Expert

__all__ = ["LMSRExpert", "ProspectExpert", "HedgeExpert", "AbstainExpert", "BUILTINS", "prospect_summary"]


def _sized(field: str, name: str, have: int, want: int) -> None:
    if have != want:
        raise InputError(f"{field}: sized for {have} qubits but the plan allocates {want} ({name})")


def _log2(n: int) -> int:
    return int(n).bit_length() - 1


@cache
def _vector(name: str, size: int) -> tuple[str, ...]:
    """Names of the elements of the ``ParameterVector`` ``name`` of ``size``: ``name[i]``."""
    return tuple(f"{name}[{i}]" for i in range(size))


@dataclass(frozen=True)
class _ConfiguredExpert(Expert):
    """A built-in whose qubit range is ``config.algorithms.<name>``."""

    def qubit_range(self, config) -> tuple[int, int]:
        section = getattr(config.algorithms, self.name)
        return section.min_qubits, section.max_qubits

    def range_setting(self) -> str:
        return f"algorithms.{self.name}"


@dataclass(frozen=True)
class _DistributionExpert(_ConfiguredExpert):
    """A built-in whose data is one distribution, the ``TickInputs`` field ``_field``, prepared
    by ``qar_qiskit.circuits.<name>``'s ``<name>_circuit`` / ``<name>_parameter_values``."""

    _field: ClassVar[str] = ""

    def fields(self, data) -> dict:
        return {self._field: data}

    def data(self, inputs):
        return getattr(inputs, self._field)

    def check(self, data, n_qubits) -> None:
        _sized(self._field, self.name, _log2(np.asarray(data).size), n_qubits)

    def circuit(self, n_qubits) -> QuantumCircuit:
        return getattr(import_module(f"qar_qiskit.circuits.{self.name}"), f"{self.name}_circuit")(n_qubits)

    def parameter_values(self, data) -> dict[str, float]:
        """``{<name>[i]: angle_i}``: the Möttönen cascade's angle ``i`` binds the element ``i`` of
        the fragment's ``ParameterVector`` (``lmsr_circuit``, ``hedge_circuit``)."""
        angles = getattr(import_module(f"qar_qiskit.circuits.{self.name}"), f"{self.name}_parameter_values")(data)
        return dict(zip(_vector(self.name, len(angles)), angles))

    def twin(self, data) -> np.ndarray:
        return np.array(data, dtype=float)


@dataclass(frozen=True)
class LMSRExpert(_DistributionExpert):
    name: str = "lmsr"
    min_qubits: int = 3
    max_qubits: int = 12
    prior: tuple[float, float, float, float] = (0.30, 0.35, 0.25, 0.10)
    description: str = "LMSR price register (default plan size)"
    _field: ClassVar[str] = "lmsr_probabilities"

    def inputs(self, returns, n_qubits, config):
        from qar_qiskit.classical.lmsr import lmsr_prices, recency_quantities

        lm = config.algorithms.lmsr
        return lmsr_prices(recency_quantities(returns, n_qubits, lm.return_range, lm.recency_decay), lm.liquidity)

    def report(self, data, measured, exact):
        """Prices and ``p_up`` (the top qubit's ``P(1)``), measured (the exact ones on the exact
        backend) next to the exact ``exact_probabilities`` / ``exact_p_up``."""
        p = np.asarray(data, dtype=float)
        return {"probabilities": (measured["distribution"] if measured else p).tolist(),
                "exact_probabilities": p.tolist(),
                "p_up": float(measured["p_read"] if measured else exact["p_read"]),
                "exact_p_up": float(exact["p_read"])}

    def size_risk(self, data, p_read, edge_gain):
        s = self.conviction(p_read, edge_gain)
        return s, s, s


def prospect_summary(data) -> dict:
    """CPT value ``V``, scale ``L = max |v(x_i)|``, ``sum(pi)`` and ``u = 1/2 + V / (2 L sum(pi))``
    (1/2 when ``L = 0``) of the prospect data ``(outcomes, probabilities, cpt_params)``."""
    from qar_qiskit.classical.prospect import cpt_decision_weights, cpt_value, value_function

    x, p, params = data
    big_v = cpt_value(x, p, params)
    pi_sum = float(np.sum(cpt_decision_weights(x, p, params)))
    big_l = float(np.max(np.abs(value_function(x, params))))
    u = 0.5 if big_l == 0.0 or pi_sum == 0.0 else 0.5 + big_v / (2.0 * big_l * pi_sum)
    return {"u": float(u), "cpt_value": float(big_v), "value_scale": big_l, "weight_sum": pi_sum}


@dataclass(frozen=True)
class ProspectExpert(_ConfiguredExpert):
    name: str = "prospect"
    min_qubits: int = 4
    max_qubits: int = 10
    prior: tuple[float, float, float, float] = (0.30, 0.25, 0.30, 0.15)
    description: str = "prospect register (CPT weights) + value ancilla (default plan size)"

    def qubit_range(self, config) -> tuple[int, int]:
        lo, hi = super().qubit_range(config)
        return max(lo, 2), hi  # the outcome register needs one qubit besides the ancilla

    def inputs(self, returns, n_qubits, config):
        from qar_qiskit.classical.lmsr import bin_centers, lmsr_prices, recency_quantities
        from qar_qiskit.classical.prospect import CPTParams

        lm, pc = config.algorithms.lmsr, config.algorithms.prospect
        k = n_qubits - 1
        p = lmsr_prices(recency_quantities(returns, k, lm.return_range, lm.recency_decay), lm.liquidity)
        cpt = CPTParams(alpha=pc.alpha, beta=pc.beta, lam=pc.lam, gamma=pc.gamma, delta=pc.delta)
        return bin_centers(k, lm.return_range), p, cpt

    def fields(self, data) -> dict:
        x, p, cpt = data
        return {"prospect_outcomes": x, "prospect_probabilities": p, "cpt_params": cpt}

    def data(self, inputs):
        return inputs.prospect_outcomes, inputs.prospect_probabilities, inputs.cpt_params

    def check(self, data, n_qubits) -> None:
        _sized("prospect_outcomes", self.name, _log2(np.asarray(data[0]).size) + 1, n_qubits)

    def circuit(self, n_qubits) -> QuantumCircuit:
        from qar_qiskit.circuits.prospect import prospect_circuit

        return prospect_circuit(n_qubits)

    def parameter_values(self, data) -> dict[str, float]:
        """``{prospect_u: theta_u, prospect_x[i]: cascade angle i}`` (``prospect_circuit``)."""
        from qar_qiskit.circuits.prospect import prospect_parameter_values

        theta_u, *cascade = prospect_parameter_values(*data)
        return {"prospect_u": theta_u, **dict(zip(_vector("prospect_x", len(cascade)), cascade))}

    def twin(self, data) -> np.ndarray:
        """Index ``i + 2**k anc``: mass ``pi_i / sum(pi) * (g_i or 1 - g_i)`` (docs/model.md)."""
        from qar_qiskit.circuits.prospect import prospect_encoding

        weights, g = prospect_encoding(*data)
        return np.concatenate([weights * (1.0 - g), weights * g])

    def p_read(self, data) -> float:
        return prospect_summary(data)["u"]

    def outputs(self, data) -> dict:
        summary = prospect_summary(data)
        return {"p_read": summary["u"], **summary}

    def read(self, distribution) -> dict:
        dist = np.asarray(distribution, dtype=float)
        half = dist.size // 2
        return {"distribution": dist, "register": dist[:half] + dist[half:], "p_read": float(dist[half:].sum())}

    def report(self, data, measured, exact):
        return {"normalised_value": float(measured["p_read"] if measured else exact["u"]),
                "exact_normalised_value": exact["u"], "cpt_value": exact["cpt_value"]}

    def size_risk(self, data, p_read, edge_gain):
        s = self.conviction(p_read, edge_gain)
        return s, s, p_read


@dataclass(frozen=True)
class HedgeExpert(_DistributionExpert):
    name: str = "hedge"
    min_qubits: int = 3
    max_qubits: int = 15
    side: str = "protect"
    prior: tuple[float, float, float, float] = (0.20, 0.20, 0.25, 0.45)
    description: str = "Hedge weights register (default plan size)"
    _field: ClassVar[str] = "hedge_weights"

    def inputs(self, returns, n_qubits, config):
        from qar_qiskit.classical.hedge import hedge_ratio_losses, hedge_weights

        hc = config.algorithms.hedge
        recent = np.asarray(returns, dtype=float)[-hc.lookback:]
        if not recent.size:
            return np.full(2 ** n_qubits, 2.0 ** -n_qubits)
        return hedge_weights(hedge_ratio_losses(recent, n_qubits, hc.loss_scale), hc.eta).weights[-1]

    def protection(self, data) -> float:
        """``E[h] = sum_k w_k k / (2**m - 1)`` (of the weights, or of a measured distribution)."""
        w = np.asarray(data, dtype=float)
        return float(np.dot(w, np.arange(w.size) / (w.size - 1)))

    def outputs(self, data) -> dict:
        return {"p_read": self.p_read(data), "expected_ratio": self.protection(data)}

    def report(self, data, measured, exact):
        w = np.asarray(data, dtype=float)
        measured_ratio = self.protection(measured["distribution"]) if measured else exact["expected_ratio"]
        return {"weights": (measured["distribution"] if measured else w).tolist(),
                "exact_weights": w.tolist(), "expected_ratio": float(measured_ratio),
                "exact_expected_ratio": float(exact["expected_ratio"])}

    def size_risk(self, data, p_read, edge_gain):
        w = np.asarray(data, dtype=float)
        if w.ndim != 1 or w.size < 2:
            raise InputError(f"hedge_weights: need a 1-D vector of length >= 2, got shape {w.shape}")
        e_h = float(np.dot(w / w.sum(), np.arange(w.size) / (w.size - 1)))
        return e_h, e_h, 1.0 - e_h


@dataclass(frozen=True)
class AbstainExpert(Expert):
    """No register: holds, with size and risk 0."""

    name: str = "abstain"
    min_qubits: int = 0
    max_qubits: int = 0
    side: str = "protect"
    prior: tuple[float, float, float, float] = (0.20, 0.20, 0.20, 0.30)

    def inputs(self, returns, n_qubits, config):
        return None

    def fields(self, data) -> dict:
        return {}

    def data(self, inputs):
        return None

    def check(self, data, n_qubits) -> None:
        if n_qubits:
            raise InputError(f"{self.name}: has no register, the plan gives it {n_qubits} qubits")

    def circuit(self, n_qubits) -> QuantumCircuit:
        raise InputError(f"{self.name}: has no register and no fragment")

    def parameter_values(self, data) -> dict:
        return {}

    def twin(self, data) -> np.ndarray:
        return np.ones(1)

    def size_risk(self, data, p_read, edge_gain):
        return 0.0, 0.0, 0.0


#: The built-in experts, in the default order (memory states 0..3).
BUILTINS: tuple[Expert, ...] = (LMSRExpert(), ProspectExpert(), HedgeExpert(), AbstainExpert())
