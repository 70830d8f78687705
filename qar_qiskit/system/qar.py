"""QAR: the decision pipeline (the seeds' QuantumAgenticReasoning / EnhancedQAR), in four stages.

One tick:

1. **prepare** (:mod:`qar_qiskit.system.prepare`): regime analysis -> allocation plan -> every
   fragment's numbers -> the exact twin's decision distribution (a :class:`PreparedTick`);
2. **execute** (:mod:`qar_qiskit.system.execute`): bind the plan's composed circuit (transpiled
   once per backend), run it through a :class:`~qar_qiskit.backends.resilient.ResilientExecutor`
   (timeout, retries, fallback to the twin), read every register (an :class:`Execution`);
3. **assemble** (:mod:`qar_qiskit.system.assemble`): a pure function from the two to the
   :class:`Decision` (action, size, risk, confidence, orders);
4. **learn** (:mod:`qar_qiskit.system.learner`): ``record_outcome`` feeds the realised return
   into the :class:`Learner` (multiplicative weights per regime, trackers, synergy, feedback).

The run's execution settings (backend, shots, seeds, optimization level, mitigation,
post-selection) are one :class:`~qar_qiskit.settings.RunSettings`, resolved once in the
constructor from the config, a profile and the flags; the executor is built from it.

The :class:`~qar_qiskit.plan.pool.QubitPool` is not part of a QAR: the planner's
:class:`AllocationPlan` is already a validated, deterministic partition of the budget per
regime, so an allocation per tick would be taken and returned within the same call with
nothing competing for it (``qar check`` still exercises the pool on its own).

Cost of the split (2026-12-03, shared 2-core machine, base e3ff6ae vs this module, alternating
processes): the median time a warm aer decision spends outside the executor's run
(``total_s - execute_s``, 60 ticks) was 10.3 and 7.2 ms before, 9.0 and 5.6 ms after; the 2008
backtests' decisions are identical on exact and aer (README, "Run settings and the QAR's stages").

Thread safety: one ``QAR`` object serialises ``decide`` and ``record_outcome`` with a lock, so
several threads may share it; outcomes are applied exactly once.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

import numpy as np

from qar_qiskit.config import QARConfig, load_config
from qar_qiskit.decision.model import Decision, MissingContext
from qar_qiskit.errors import InputError
from qar_qiskit.experts.registry import config_experts
from qar_qiskit.settings import RunSettings, resolve_settings
from qar_qiskit.system.assemble import TickContext, assemble_decision, tick_day
from qar_qiskit.system.learner import Learner
from qar_qiskit.system.monitor import PerformanceMonitor
from qar_qiskit.system.prepare import PreparedTick, TickPreparer
from qar_qiskit.tick import MarketTick


def _tick_seed(base: int, index: int) -> int:
    """The sampling seed of tick ``index``: the first 31 bits of SHA-256 of ``"base:index"``."""
    digest = hashlib.sha256(f"{base}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def missing_context(tick: MarketTick, n_returns: int, lookback: int) -> MissingContext | None:
    """What a decision lacks: an empty or short return history, tick fields that took defaults.

    Args:
        tick: the tick (:meth:`MarketTick.defaulted_fields`).
        n_returns: the length of the return history the experts saw.
        lookback: ``algorithms.hedge.lookback``, the days the Hedge weights run over.

    Returns:
        None when nothing is missing.
    """
    if n_returns == 0:
        history = "none: the experts saw an empty return history (LMSR prices uniform)"
    elif n_returns < lookback:
        history = f"short: {n_returns} returns, fewer than algorithms.hedge.lookback ({lookback})"
    else:
        history = None
    defaulted = tick.defaulted_fields()
    if history is None and not defaulted:
        return None
    return MissingContext(returns_history=history, defaulted_fields=defaulted)


class QAR:
    """Quantum Agentic Reasoning: decide per tick, learn from outcomes.

    Args:
        config: a validated :class:`QARConfig` (default: the packaged config).
        backend: backend spec overriding the config (``exact``, ``aer``,
            ``aer-noisy:<FakeDevice>``, ``ibm:<name>``).
        shots: shots overriding the config.
        seed: base seed overriding the config; tick ``i`` uses a seed derived from (seed, i).
        executor: an already-built executor (tests, fault injection).
        profile: a backend profile (a packaged name from ``qar_qiskit/profiles/``, or a path): its
            spec, shots, seed and backend options (Aer options, mitigation, IBM mode, ...).
        settings: resolved settings to start from instead of the config's (a loaded state's);
            ``profile``, ``backend``, ``shots`` and ``seed`` still override them.
        experts: the experts, in memory order: :class:`~qar_qiskit.experts.Expert` instances
            (registered by name) and/or registered names; default the config's ``experts``.
    """

    def __init__(self, config: QARConfig | None = None, *, backend: str | None = None,
                 shots: int | None = None, seed: int | None = None, executor=None,
                 profile: str | Path | None = None, settings: RunSettings | None = None,
                 experts: Optional[Sequence[Any]] = None) -> None:
        self.config = config if config is not None else load_config()
        self.profile = None
        if profile is not None:
            from qar_qiskit.backends.registry import load_profile

            self.profile = load_profile(profile)
        self.settings = resolve_settings(self.config, profile=self.profile, backend=backend, shots=shots,
                                         seed=seed, stored=settings)
        self.experts = config_experts(self.config, experts)
        if self.experts.names != self.config.experts:  # the config (and so the saved state) names them
            self.config = self.config.model_copy(update={"experts": self.experts.names})
        self.preparer = TickPreparer(self.config, self.experts)
        self.learner = Learner(self.config, self.experts)
        self._lock = threading.RLock()
        self.decision_history: deque[dict] = deque(maxlen=self.config.learning.history_size)
        self.returns: deque[float] = deque(maxlen=max(500, self.config.algorithms.hedge.lookback))
        self.last_price: float | None = None
        self.tick_index = 0
        self.monitor = PerformanceMonitor()
        self._executor = executor
        self._last_save = time.monotonic()
        self.autosave_path: Path | None = None
        #: ``{dotted key: (state's value, config file's value)}``: what the config file given to
        #: :meth:`load` changed in the state's config (empty otherwise).
        self.config_overrides: dict[str, tuple[Any, Any]] = {}

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_config(cls, path: str | Path | None = None, *, backend: str | None = None, shots: int | None = None,
                    seed: int | None = None, **kwargs) -> QAR:
        """Build a QAR from a YAML config file.

        The file is an overlay on the packaged defaults: it gives only the keys it changes
        (:func:`~qar_qiskit.config.load_config`; mappings merge recursively, lists and scalars
        replace). The run settings resolve as config < profile < these arguments
        (:func:`~qar_qiskit.settings.resolve_settings`).

        Args:
            path: a YAML file, or a packaged config name (``"noisy-small"``); ``None``: the
                packaged defaults.
            backend: backend spec overriding ``backend.name``: ``exact`` (the classical twin, no
                circuit runs), ``aer``, ``aer-noisy:<FakeDevice>``, ``ibm:<name>``.
            shots: shots per tick overriding ``backend.shots`` (1 to ``MAX_SHOTS``).
            seed: base seed overriding ``backend.seed``; tick ``i`` samples with a seed derived
                from ``(seed, i)``, so the same seed gives the same decisions.
            **kwargs: the other constructor arguments (``profile``, ``experts``, ``executor``).

        Returns:
            A QAR with a fresh learning state (:meth:`load` resumes a saved one).

        Raises:
            ConfigError: a missing or invalid file; the message names the file and the key (an
                unknown key with the closest valid one).

        Example:
            >>> from qar_qiskit import QAR, MarketTick
            >>> qar = QAR.from_config("noisy-small", backend="exact", shots=256, seed=7)
            >>> qar.config.quantum_resources.total_qubits, qar.settings.seed
            (17, 7)
            >>> qar.decide(MarketTick(price=4500.0, volatility=0.14, trend_clarity=0.8)).action
            'hold'
        """
        return cls(load_config(path), backend=backend, shots=shots, seed=seed, **kwargs)

    @property
    def backend_name(self) -> str:
        return self.settings.backend

    @property
    def executor(self):
        """The execution backend, built from :attr:`settings` (and the profile's options) on first use.

        ``exact`` gives the :class:`~qar_qiskit.backends.ExactBackend` placeholder (no circuit
        runs; the decision comes from the classical twin).
        """
        if self._executor is None:
            from qar_qiskit.backends.registry import build_executor

            self._executor = build_executor(self.settings, self.profile,
                                            cache_size=self.config.performance.cache_size)
        return self._executor

    # the learner's parts, as attributes of the QAR (baselines replace memory and feedback)
    memory = property(lambda self: self.learner.memory, lambda self, v: setattr(self.learner, "memory", v))
    feedback_history = property(lambda self: self.learner.feedback_history,
                                lambda self, v: setattr(self.learner, "feedback_history", v))
    trackers = property(lambda self: self.learner.trackers)
    synergy = property(lambda self: self.learner.synergy)
    risk = property(lambda self: self.learner.risk)

    # -- stage 1: prepare ---------------------------------------------------------------------
    def analyse(self, tick: MarketTick):
        """Regime analysis of a tick (the classical twin of the market register)."""
        return self.preparer.analyse(tick)

    def plan(self, regime: str):
        return self.preparer.plan(regime)

    def tick_inputs(self, tick: MarketTick, plan, analysis, returns: np.ndarray):
        """Every fragment's numbers for this tick (the parameter values before the mapping)."""
        return self.preparer.inputs(plan, analysis, np.asarray(returns, dtype=float), self.learner.memory.weights,
                                    self.learner.feedback_history)[0]

    def prepare(self, tick: MarketTick | dict, returns_history=None) -> PreparedTick:
        """Stage 1 of :meth:`decide` and :meth:`prepare_tick`: analysis, plan, inputs, exact twin."""
        if not isinstance(tick, MarketTick):
            tick = MarketTick.parse(tick)
        with self._lock:
            return self.preparer.prepare(tick, self._returns_for(returns_history), self.learner.memory.weights,
                                         self.learner.feedback_history)

    def _returns_for(self, returns_history) -> np.ndarray:
        if returns_history is not None:
            arr = np.asarray(returns_history, dtype=float).ravel()
            if not np.all(np.isfinite(arr)):
                raise InputError("returns_history: contains NaN or infinite values")
            return arr
        return np.asarray(self.returns, dtype=float)

    # -- one tick -----------------------------------------------------------------------------
    def decide(self, tick: MarketTick | dict, returns_history=None) -> Decision:
        """Decide for one tick.

        Args:
            tick: a :class:`MarketTick` (or a mapping validated into one).
            returns_history: optional daily log returns up to this tick (oldest first); by
                default the returns of the prices seen by previous ``decide`` calls.

        Returns:
            The :class:`Decision`; its ``decision_id`` is what ``record_outcome`` takes.
        """
        from qar_qiskit.backends.resilient import ResilientExecutor
        from qar_qiskit.system.execute import execute_tick

        if not isinstance(tick, MarketTick):
            tick = MarketTick.parse(tick)
        with self._lock:
            self._price_return(tick)  # reject an unusable price before any state changes
            t0 = time.perf_counter()
            prepared = self.prepare(tick, returns_history)
            timing = {"analysis_s": time.perf_counter() - t0}
            missing = missing_context(tick, self._returns_for(returns_history).size,
                                      self.config.algorithms.hedge.lookback)
            index, s = self.tick_index, self.settings
            resilient = ResilientExecutor.from_config(self.executor, self.config.performance)
            execution = execute_tick(resilient, prepared, s, _tick_seed(s.seed, index))
            timing.update(execution.timing)
            if execution.fallback_reason:
                self.monitor.record_failure(execution.fallback_reason)  # logs each distinct reason once
            day = tick_day(tick, index)
            ctx = TickContext(index=index, seed=s.seed, shots=s.shots,
                              assessment=self.risk.assess(tick.volatility, day), risk=self.risk)
            decision = assemble_decision(prepared, execution, ctx, timing)
            self._after_decide(tick, decision, day)
            timing["total_s"] = time.perf_counter() - t0
            self.monitor.record(decision, timing)
            return decision.model_copy(update={"timing": timing, "missing_context": missing})

    def prepare_tick(self, tick: MarketTick | dict, returns_history=None):
        """The tick's circuit and parameter values without executing (for ``qar submit``).

        Returns:
            ``(tick_circuit, parameter_values (1, P), context)``; ``context`` records the plan's
            regime, the exact decision distribution and the tick, so a result read later (another
            process) can be turned into a decision and compared with the twin.
        """
        prepared = self.prepare(tick, returns_history)
        tick_circuit = prepared.tick_circuit()
        return tick_circuit, tick_circuit.parameter_values(prepared.inputs)[None, :], prepared.context()

    def _price_return(self, tick: MarketTick) -> float | None:
        """Log return from the previous decided price; InputError if it is not a finite number."""
        if self.last_price is None:
            return None
        r = math.log(tick.price) - math.log(self.last_price)  # finite for any two positive floats
        if not math.isfinite(r):
            raise InputError(f"price: {tick.price!r} after {self.last_price!r} gives no finite log return")
        return r

    def _after_decide(self, tick: MarketTick, decision: Decision, day: str) -> None:
        r = self._price_return(tick)
        if r is not None:
            self.returns.append(r)
        self.last_price = tick.price
        self.learner.expect(decision, day)
        self.decision_history.append({
            "decision_id": decision.decision_id, "action": decision.action, "size": decision.size,
            "risk": decision.risk, "position": decision.position, "regime": decision.regime.dominant,
            "backend": decision.backend,
        })
        self.tick_index += 1

    # -- stage 4: learn -----------------------------------------------------------------------
    def record_outcome(self, decision_id: str, pnl: float, market_return: float | None = None) -> dict:
        """Feed a decision's realised outcome back into learning.

        Args:
            decision_id: the id of a decision made by this object and not yet settled.
            pnl: realised P&L of the decision as a fraction of the portfolio.
            market_return: the market's return over the holding period; needed to reward the
                experts when the decision held no position (otherwise ``pnl / position``).

        Returns:
            The rewards given to each expert.

        Raises:
            InputError: unknown or already-settled id, or a non-finite pnl/return.
        """
        for name, value in (("pnl", pnl), ("market_return", market_return)):
            if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)
                                      or not math.isfinite(value)):
                raise InputError(f"{name}: expected a finite number, got {value!r}")
        with self._lock:
            rewards = self.learner.learn(decision_id, pnl, market_return)
            self._maybe_autosave()
            return rewards

    # -- persistence --------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """The state to save: config, settings, tick state and the learner's state (JSON-ready)."""
        with self._lock:
            return {
                "config": self.config.model_dump(mode="json"),
                "settings": self.settings.to_dict(),
                "tick_index": self.tick_index,
                "last_price": self.last_price,
                "returns": list(self.returns),
                "decision_history": list(self.decision_history),
                **self.learner.to_dict(),
            }

    def save(self, path: str | Path, compress: bool | None = None) -> Path:
        """Save the complete state atomically (see :mod:`qar_qiskit.system.persistence`)."""
        from qar_qiskit.system.persistence import save_state

        with self._lock:
            return save_state(self, path, compress=compress)

    @classmethod
    def load(cls, path: str | Path, config: str | Path | None = None, **kwargs) -> QAR:
        """Load a state saved by :meth:`save` (refuses damaged or newer-version files).

        Args:
            path: the state file.
            config: a config file (or packaged config name) merged onto the state's saved config:
                the file wins for the keys it sets (risk limits, budget, backend, ...); the learned
                weights and the rest of the saved config stay. :attr:`config_overrides` lists the
                keys it changed. It may not change ``experts`` or ``expert_modules``.
            **kwargs: for the constructor: ``backend``/``shots``/``seed``/``profile`` override the
                saved settings.

        Raises:
            StateError: a damaged, foreign or newer-version state file.
            ConfigError: an invalid config file, or one that changes the experts of the state.

        Example:
            >>> qar = QAR.load("state.json", config="risk.yaml")   # doctest: +SKIP
            >>> qar.config_overrides                              # doctest: +SKIP
            {'risk_management.max_position_size': (0.05, 0.5)}
        """
        from qar_qiskit.system.persistence import load_state, overlay_state_config

        state = load_state(path)
        overrides: dict[str, tuple[Any, Any]] = {}
        if config is not None:
            state, overrides = overlay_state_config(state, config)
        kwargs.setdefault("settings", state.settings)
        qar = cls(state.config, **kwargs)
        qar.config_overrides = overrides
        qar.learner = state.learner_for(qar.experts)
        qar.tick_index, qar.last_price = state.tick_index, state.last_price
        qar.returns.extend(state.returns)
        qar.decision_history.extend(state.decision_history)
        return qar

    def _maybe_autosave(self) -> None:
        interval = self.config.performance.persistence_interval
        if self.autosave_path is not None and interval > 0 and time.monotonic() - self._last_save >= interval:
            self.save(self.autosave_path)
            self._last_save = time.monotonic()

    # -- health -------------------------------------------------------------------------------
    def health(self) -> dict:
        """Learning state, transpile cache and backend health (for ``qar check``)."""
        w = self.learner.memory.weights
        return {
            "settings": self.settings.to_dict(),
            "memory_normalised": bool(np.allclose(w.sum(axis=1), 1.0) and np.all(w > 0)),
            "pending_outcomes": len(self.learner.pending),
            "monitor": self.monitor.summary(),
            "cache": self._executor.cache_stats() if hasattr(self._executor, "cache_stats") else None,
        }
