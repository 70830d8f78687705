"""The expert contract: what one expert gives the tick circuit, its classical twin and the decision.

An expert turns the price/return history into a distribution on its own register of the
shared tick circuit, and the decision register reads **one** qubit of that register (its
*read qubit*, set by the first gate of the fragment: ``circuits/stages.py`` splits the
fragment there, docs/model.md). What an expert declares:

* ``name``, ``min_qubits`` / ``max_qubits`` (0 / 0: no register, like ``abstain``) and a
  ``prior`` weight per regime (the learning memory's starting row entries);
* :meth:`Expert.inputs`: the history -> the expert's *data* for one tick (e.g. a distribution);
* :meth:`Expert.circuit` / :meth:`Expert.parameter_values`: its parameterized fragment and the
  values that bind it for the data, a mapping ``{Parameter or parameter name: value}`` (bound by
  name, :func:`~qar_qiskit.experts.parameters.fragment_values`; no ordering convention);
* :meth:`Expert.twin`: the exact distribution the fragment prepares, checked when a config
  resolves the set (:mod:`qar_qiskit.experts.verify`: statevector vs twin to 1e-9 at a few
  input points, for every width the planner gives it);
* :meth:`Expert.read_qubit` and :meth:`Expert.p_read`: the qubit the decision reads and
  ``P(read = 1)``;
* ``side``: how the decision maps the read bit: ``"trade"`` buys on 1 and sells on 0,
  ``"protect"`` hedges on 1 and holds on 0 (an expert without a register always takes its
  0-action: ``abstain`` holds);
* :meth:`Expert.size_risk`: ``P(size_lo = 1), P(size_hi = 1), P(risk = 1)`` when the
  memory selects it (the decision's size/risk rotations, ``beta = 2 arcsin(sqrt(P))``);
* :meth:`Expert.read`: measured register distribution -> its outputs (the reader).

An exception raised inside any of these methods (other than the package's own errors) becomes
an :class:`~qar_qiskit.errors.ExpertError` naming the expert and the method
(:mod:`qar_qiskit.experts.guard`).

With the memory holding expert ``a``, the decision is (docs/model.md)
``action_lo = [side_a = protect]``, ``action_hi = read_a`` and size/risk bits 1 with
``sin^2((beta[a, j] + delta[r, j]) / 2)``, so

    P(d) = sum_r P(r) sum_a w[r, a] P_a(A) prod_j P(bit_j | r, a),
    P_a(A = side's 1-action) = p_read_a.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter

from qar_qiskit.errors import InputError
from qar_qiskit.experts.guard import guard_methods

__all__ = ["SIDES", "RESERVED_NAMES", "Expert", "bit_marginal"]

#: ``side -> (action when the read bit is 0, action when it is 1)``; ``action_lo`` is the
#: side's bit (0 trade, 1 protect), ``action_hi`` the read bit (actions ``A = lo + 2 hi``).
SIDES: dict[str, tuple[str, str]] = {"trade": ("sell", "buy"), "protect": ("hold", "hedge")}

#: Register names the tick circuit already uses (an expert may not take them).
RESERVED_NAMES = frozenset({"market", "memory", "decision", "buffer", "feedback", "regime"})


def bit_marginal(distribution, qubit: int) -> float:
    """``P(bit = 1)`` of ``qubit`` under a register distribution (little-endian index)."""
    p = np.asarray(distribution, dtype=float)
    index = np.arange(p.size)
    return float(p[((index >> qubit) & 1) == 1].sum())


@dataclass(frozen=True)
class Expert(ABC):
    """One expert (subclass it as a frozen dataclass and implement the abstract methods).

    Attributes:
        name: register and report name (a Python identifier, not a reserved register name).
        min_qubits: smallest register the planner may give it (0 with ``max_qubits`` 0: none).
        max_qubits: largest register.
        side: ``"trade"`` (read bit 1 -> buy, 0 -> sell) or ``"protect"`` (1 -> hedge, 0 -> hold).
        prior: its unnormalised starting weight per regime (stable, trending, volatile, crisis);
            each regime's row of the memory is normalised over the experts in the set.
        description: one line for exports and reports.
    """

    name: str
    min_qubits: int = 1
    max_qubits: int = 1
    side: str = "trade"
    prior: tuple[float, float, float, float] = (0.25, 0.25, 0.25, 0.25)
    description: str = ""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        guard_methods(cls)  # an exception in the expert's code names it and the method

    def __post_init__(self) -> None:
        if not (isinstance(self.name, str) and self.name.isidentifier()) or self.name in RESERVED_NAMES:
            raise InputError(f"name: {self.name!r} is not a usable expert name (an identifier, not one of "
                             f"{', '.join(sorted(RESERVED_NAMES))})")
        if not (0 <= self.min_qubits <= self.max_qubits) or (self.min_qubits == 0) != (self.max_qubits == 0):
            raise InputError(f"{self.name}.min_qubits/max_qubits: need 1 <= min <= max (or both 0), "
                             f"got {self.min_qubits}, {self.max_qubits}")
        if self.side not in SIDES:
            raise InputError(f"{self.name}.side: must be one of {', '.join(SIDES)}, got {self.side!r}")
        prior = np.asarray(self.prior, dtype=float)
        if prior.shape != (4,) or not np.all(np.isfinite(prior)) or np.any(prior <= 0):
            raise InputError(f"{self.name}.prior: need 4 positive finite weights, got {self.prior!r}")

    # -- register ---------------------------------------------------------------------------
    @property
    def has_register(self) -> bool:
        """Whether the expert has qubits (and so a read qubit) on the tick circuit."""
        return self.max_qubits > 0

    def qubit_range(self, config) -> tuple[int, int]:
        """``(min, max)`` register size under ``config`` (built-ins read their config section)."""
        return self.min_qubits, self.max_qubits

    def range_setting(self) -> str:
        """Where its qubit range is set, for error messages: ``<name>`` (its ``min_qubits`` /
        ``max_qubits`` fields; built-ins: the config section ``algorithms.<name>``)."""
        return self.name

    def read_qubit(self, n_qubits: int) -> int:
        """Index (in its fragment) of the qubit the decision reads; its top qubit by default."""
        return n_qubits - 1

    # -- inputs -----------------------------------------------------------------------------
    @abstractmethod
    def inputs(self, returns: np.ndarray, n_qubits: int, config) -> Any:
        """The expert's data for one tick from the daily log returns up to it (oldest first)."""

    def fields(self, data) -> dict:
        """``TickInputs`` keyword arguments that hold ``data`` (plug-ins: ``expert_data``)."""
        return {"expert_data": {self.name: data}}

    def data(self, inputs) -> Any:
        """The expert's data out of a ``TickInputs`` (inverse of :meth:`fields`)."""
        try:
            return inputs.expert_data[self.name]
        except KeyError:
            raise InputError(f"expert_data: no data for expert {self.name!r}") from None

    def check(self, data, n_qubits: int) -> None:
        """Raise :class:`InputError` unless ``data`` fits an ``n_qubits`` register."""
        size = np.asarray(self.twin(data)).size
        if size != 1 << n_qubits:
            raise InputError(f"expert_data.{self.name}: sized for a {size}-state register, but the plan "
                             f"gives {self.name} {n_qubits} qubits")

    # -- circuit ----------------------------------------------------------------------------
    @abstractmethod
    def circuit(self, n_qubits: int) -> QuantumCircuit:
        """Its parameterized fragment on ``n_qubits`` qubits (its register on the shared ``q``).

        The read qubit must be set before the rest of the fragment uses it, and only as a
        control (``split_at_read``), so the decision can read it right after its head.
        """

    @abstractmethod
    def parameter_values(self, data) -> Mapping[Parameter | str, float]:
        """Values of the fragment's parameters for ``data``: ``{Parameter or its name: value}``.

        Every parameter of ``circuit(n)`` needs exactly one value; a missing, extra or unknown
        name is an :class:`InputError` naming the expert and the names. There is no ordering
        convention: values are bound by parameter name. (A plain array is accepted only for a
        fragment with exactly one parameter.)
        """

    # -- twin and reader ----------------------------------------------------------------------
    @abstractmethod
    def twin(self, data) -> np.ndarray:
        """The exact distribution of its register (little-endian index) that the fragment prepares."""

    def p_read(self, data) -> float:
        """``P(read qubit = 1)``, exact (0 without a register)."""
        if not self.has_register:
            return 0.0
        dist = np.asarray(self.twin(data), dtype=float)
        return bit_marginal(dist, self.read_qubit(dist.size.bit_length() - 1))

    def read(self, distribution) -> dict:
        """The reader: measured register distribution -> outputs (``p_read`` at least)."""
        dist = np.asarray(distribution, dtype=float)
        return {"distribution": dist, "p_read": bit_marginal(dist, self.read_qubit(dist.size.bit_length() - 1))}

    def outputs(self, data) -> dict:
        """Its exact scalar outputs for one tick (computed once per tick): ``p_read`` at least."""
        return {"p_read": self.p_read(data)}

    def report(self, data, measured: dict | None, exact: dict) -> dict:
        """The decision's ``components`` entry from its exact :meth:`outputs` (``exact``) and its
        measured :meth:`read` outputs (``measured``; None on the exact backend): register
        distribution and ``p_read``, exact and measured."""
        dist = np.asarray(self.twin(data), dtype=float)
        return {"distribution": (measured["distribution"] if measured else dist).tolist(),
                "exact_distribution": dist.tolist(),
                "read_probability": float(measured["p_read"] if measured else exact["p_read"]),
                "exact_read_probability": float(exact["p_read"])}

    def protection(self, data) -> float | None:
        """The hedge ratio a ``hedge`` decision keeps (``decision_positions``), if it defines one."""
        return None

    # -- decision ---------------------------------------------------------------------------
    @abstractmethod
    def size_risk(self, data, p_read: float, edge_gain: float) -> tuple[float, float, float]:
        """``(P(size_lo = 1), P(size_hi = 1), P(risk = 1))`` when the memory selects this expert."""

    def conviction(self, p_read: float, edge_gain: float) -> float:
        """``min(1, g |2 p - 1|)``: how far the read probability is from a coin flip."""
        return min(1.0, edge_gain * abs(2.0 * p_read - 1.0))


guard_methods(Expert)  # the defaults above call the expert's own methods: name it when they fail
