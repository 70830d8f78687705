"""The set of experts one QAR decides with: registry, order, memory width, decision tables.

Experts are known by name (plans, configs, saved states and reports carry names): the
built-ins are always registered, and an :class:`~qar_qiskit.experts.base.Expert` instance
passed to ``QAR(experts=[...])`` (or to :func:`register_expert`) is registered under its name.
A name stands for one expert: registering a different expert under a taken name is refused.

An :class:`ExpertSet` of ``n >= 2`` experts puts expert ``a`` in memory state ``|a>`` of a
memory register of ``ceil(log2 n)`` qubits (states ``a >= n`` get weight 0).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import import_module
from typing import Any

import numpy as np

from qar_qiskit.errors import ConfigError, InputError, StateError
from qar_qiskit.experts.base import SIDES, Expert
from qar_qiskit.experts.builtin import BUILTINS
from qar_qiskit.labels import ACTIONS, EXPERTS
from qar_qiskit.plan.allocation import memory_width

__all__ = ["bit_angles", "check_edge_gain", "ExpertSet", "register_expert", "get_expert", "resolve_experts",
           "default_experts", "check_state_experts", "config_experts", "import_expert_modules"]

_REGISTRY: dict[str, Expert] = {e.name: e for e in BUILTINS}
_LOCK = threading.Lock()


def register_expert(expert: Expert) -> Expert:
    """Register ``expert`` under its name (idempotent for an equal expert).

    Raises:
        InputError: not an :class:`Expert`, or the name is taken by a different expert.
    """
    if not isinstance(expert, Expert):
        raise InputError(f"experts: expected an Expert instance or a registered name, got {type(expert).__name__}")
    with _LOCK:
        known = _REGISTRY.get(expert.name)
        if known is not None and known != expert:
            raise InputError(f"experts: the name {expert.name!r} is taken by {known!r}; give the new expert "
                             "another name")
        _REGISTRY[expert.name] = expert
    return expert


def get_expert(name: str) -> Expert:
    """The registered expert called ``name`` (InputError naming the registered ones otherwise)."""
    with _LOCK:
        expert = _REGISTRY.get(name)
        known = sorted(_REGISTRY)
    if expert is None:
        raise InputError(f"experts: unknown expert {name!r}; registered: {', '.join(known)} "
                         "(pass an Expert instance to QAR(experts=[...]) to register a new one)")
    return expert


def bit_angles(probabilities) -> np.ndarray:
    """``beta = 2 arcsin(sqrt(P))`` (P clipped to [0, 1]): RY angles that set a bit to 1 w.p. P."""
    return 2.0 * np.arcsin(np.sqrt(np.clip(np.asarray(probabilities, dtype=float), 0.0, 1.0)))


def check_edge_gain(edge_gain: float) -> None:
    if not (np.isfinite(edge_gain) and edge_gain >= 0):
        raise InputError(f"edge_gain: must be finite and >= 0, got {edge_gain!r}")


@dataclass(frozen=True)
class ExpertSet:
    """An ordered set of ``n >= 2`` distinct experts (expert ``a`` is memory state ``|a>``)."""

    experts: tuple[Expert, ...]

    def __post_init__(self) -> None:
        names = [e.name for e in self.experts]
        if len(names) < 2:
            raise InputError(f"experts: need at least 2 experts, got {names}")
        if len(set(names)) != len(names):
            raise InputError(f"experts: names must be distinct, got {names}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.experts)

    @property
    def n(self) -> int:
        return len(self.experts)

    @property
    def memory_qubits(self) -> int:
        """``ceil(log2 n)``."""
        return memory_width(self.n)

    @property
    def is_default(self) -> bool:
        """The four built-ins in their default order."""
        return self.names == EXPERTS

    def __iter__(self):
        return iter(self.experts)

    def __len__(self) -> int:
        return self.n

    def index(self, name: str) -> int:
        return self.names.index(name)

    @property
    def with_register(self) -> tuple[Expert, ...]:
        """The experts that have qubits, in set order (register order on the tick circuit)."""
        return tuple(e for e in self.experts if e.has_register)

    @cached_property
    def action_lo(self) -> np.ndarray:
        """``action_lo`` per expert: 0 for ``trade``, 1 for ``protect``."""
        return np.array([list(SIDES).index(e.side) for e in self.experts], dtype=int)

    def prior(self) -> np.ndarray:
        """``(4 regimes, n)`` starting weights: the experts' priors as given (``LearningMemory``
        normalises each row)."""
        return np.array([e.prior for e in self.experts], dtype=float).T

    # -- per tick ---------------------------------------------------------------------------
    def size_risk_angles(self, data: Mapping[str, Any], p_read, edge_gain: float) -> np.ndarray:
        """``beta[a, j] = 2 arcsin(sqrt(P(bit_j = 1 | a)))``, shape (n, 3), from each expert's
        :meth:`~Expert.size_risk` on its data (``data[name]``, as ``Expert.inputs`` made it) and
        its read probability."""
        check_edge_gain(edge_gain)
        for e, p in zip(self.experts, p_read):
            if not (np.isfinite(p) and -1e-12 <= p <= 1 + 1e-12):
                raise InputError(f"{e.name}: read probability must be in [0, 1], got {p!r}")
        return bit_angles([e.size_risk(data.get(e.name), float(p), edge_gain) for e, p in zip(self.experts, p_read)])

    def action_distributions(self, p_read) -> np.ndarray:
        """``P_a(A)``, shape (n, 4): the side's 0-action w.p. ``1 - p``, its 1-action w.p. ``p``."""
        out = np.zeros((self.n, len(ACTIONS)))
        for a, (e, p) in enumerate(zip(self.experts, p_read)):
            off, on = SIDES[e.side]
            out[a, ACTIONS.index(off)] = 1.0 - p
            out[a, ACTIONS.index(on)] += p
        return out

    def protection(self, inputs) -> float:
        """The first expert's :meth:`~Expert.protection` that defines one (0 if none does)."""
        for e in self.experts:
            value = e.protection(e.data(inputs)) if e.has_register else None
            if value is not None:
                return float(value)
        return 0.0

    def consistent_decisions(self) -> dict[int, tuple[int, ...]]:
        """Memory state -> decisions the noiseless decision block can produce with it.

        ``action_lo`` is the side's bit; an expert without a register never sets ``action_hi``;
        memory states ``a >= n`` are never prepared (weight 0).
        """
        out = {}
        for a, e in enumerate(self.experts):
            out[a] = tuple(d for d in range(32) if (d & 1) == self.action_lo[a]
                           and (e.has_register or not (d >> 1) & 1))
        return out


def config_experts(config, experts: Iterable[str | Expert] | ExpertSet | None = None) -> ExpertSet:
    """The expert set of a run: ``experts`` if given, else the config's ``experts`` names, after
    importing the config's ``expert_modules`` (which register plug-in experts when imported).

    Raises:
        ConfigError: a module of ``expert_modules`` cannot be imported (naming it and why).
        InputError: an unknown expert name (listing the registered ones), or a fragment that
            does not prepare its twin (:func:`resolve_experts` with the config).
    """
    import_expert_modules(config)
    return resolve_experts(config.experts if experts is None else experts, config)


def import_expert_modules(config) -> None:
    """Import the config's ``expert_modules`` (each registers its experts when imported).

    Raises:
        ConfigError: a module cannot be imported (naming it and why).
    """
    for module in config.expert_modules:
        try:
            import_module(module)
        except Exception as exc:  # any import failure is the config's problem: name it
            raise ConfigError(f"expert_modules: cannot import {module!r} ({type(exc).__name__}: {exc})") from None


def default_experts() -> ExpertSet:
    """The four built-ins (lmsr, prospect, hedge, abstain)."""
    return resolve_experts(None)


_VERIFIED: set = set()


def resolve_experts(experts: Iterable[str | Expert] | ExpertSet | None, config=None) -> ExpertSet:
    """An :class:`ExpertSet` from names and/or instances (instances are registered); None: built-ins.

    With a ``config``, every expert's fragment is checked against its twin for each width the
    config's plans give it (:func:`~qar_qiskit.experts.verify.verify_experts`; cached, so a warm
    decision only looks the pair up).

    Raises:
        InputError: an unknown name, or a fragment that does not prepare its twin (naming the
            expert, the input point and both distributions).
    """
    if not isinstance(experts, ExpertSet):
        items = EXPERTS if experts is None else list(experts)
        experts = ExpertSet(tuple(register_expert(e) if isinstance(e, Expert) else get_expert(e) for e in items))
    if config is not None:
        key: tuple | None = (experts, config)
        try:
            done = key in _VERIFIED
        except TypeError:  # an expert with unhashable fields: the per-(expert, width) cache only
            key, done = None, False
        if not done:
            from qar_qiskit.experts.verify import verify_experts

            verify_experts(experts, config)
            if key is not None:
                with _LOCK:
                    _VERIFIED.add(key)
    return experts


def check_state_experts(saved: Mapping[str, Any], current: ExpertSet) -> None:
    """Refuse a saved state whose experts differ from the QAR's that loads it.

    The memory's columns, the trackers, the synergy matrix and the pending decisions' expert
    positions are per expert: they only mean something for the same experts in the same order.

    Args:
        saved: the state's payload: ``experts`` (names; absent in files from before experts were
            recorded, which used the four built-ins), ``memory.log_weights``, ``trackers``,
            ``synergy.co_success`` and ``pending``.
        current: the :class:`ExpertSet` of the QAR that would load it.

    Raises:
        StateError: naming both lists, or the part of the state that does not fit them.
    """
    names = tuple(saved.get("experts") or EXPERTS)
    if names != current.names:
        raise StateError(f"experts: the state was saved with experts {list(names)} but this QAR has "
                         f"{list(current.names)}; load it with QAR.load(path, experts=[...]) naming the saved "
                         "experts in that order")
    n, acting = current.n, len(current.with_register)
    columns = {len(row) for row in saved.get("memory", {}).get("log_weights", [])}
    if columns and columns != {n}:
        raise StateError(f"memory.log_weights: rows of {sorted(columns)} weights for {n} experts {list(names)}")
    synergy = saved.get("synergy", {}).get("co_success", [])
    if synergy and (len(synergy) != acting or any(len(row) != acting for row in synergy)):
        raise StateError(f"synergy.co_success: need {acting}x{acting} for the experts with a register")
    extra = sorted(set(saved.get("trackers", {})) - set(names))
    if extra:
        raise StateError(f"trackers: {extra} are not among the experts {list(names)}")
    for key, pending in saved.get("pending", {}).items():
        if set(pending.get("expert_positions", {})) != set(names):
            raise StateError(f"pending.{key}.expert_positions: need exactly the experts {list(names)}")
