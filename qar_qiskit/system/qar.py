"""QAR: the decision pipeline (the seeds' QuantumAgenticReasoning / EnhancedQAR).

One tick: regime analysis -> allocation plan -> parameter values for every fragment -> bind
the plan's composed circuit (transpiled once per backend) -> execute -> read every register's
marginal -> decision, confidence and orders. ``record_outcome`` feeds the realised return back
into the learning memory (multiplicative weights per regime), the performance trackers, the
synergy matrix and the regime feedback history.

Thread safety: one ``QAR`` object serialises ``decide`` and ``record_outcome`` with a lock, so
several threads may share it; outcomes are applied exactly once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qar_qiskit.classical.decision import decision_distribution, decision_table, expert_decision_distributions
from qar_qiskit.classical.regime import regime_analysis
from qar_qiskit.classical.stats import wilson_interval
from qar_qiskit.circuits.inputs import TickInputs
from qar_qiskit.config import REGIMES, QARConfig, load_config
from qar_qiskit.decision.model import Decision
from qar_qiskit.decision.positions import ACTIONS, RISKS, SIZES, RiskManager, decision_positions
from qar_qiskit.errors import BackendError, InputError, QARError
from qar_qiskit.experts.registry import resolve_experts
from qar_qiskit.experts.tick import build_tick_inputs, decision_components
from qar_qiskit.learning.feedback import FeedbackRecord
from qar_qiskit.learning.memory import LearningMemory
from qar_qiskit.learning.trackers import PerformanceTracker, SynergyMatrix
from qar_qiskit.plan.allocation import AllocationPlan
from qar_qiskit.plan.planner import plan_for_regime
from qar_qiskit.plan.pool import QubitPool
from qar_qiskit.system.monitor import PerformanceMonitor
from qar_qiskit.tick import MarketTick


@dataclass(frozen=True)
class _Pending:
    """What ``record_outcome`` needs from a decision."""

    regime_probabilities: tuple[float, ...]
    dominant_index: int
    position: float
    expert_positions: dict[str, float]
    bits: tuple[int, int, int]
    day: str


def _call_with_timeout(fn, timeout_s: float, *args, **kwargs):
    """``fn(*args, **kwargs)`` in a worker thread; BackendError if it takes longer than ``timeout_s``.

    A timed-out call cannot be cancelled (the simulator or the network request keeps its
    thread until it returns); its result is discarded.
    """
    box: dict = {}

    def target():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the caller
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True, name="qar-backend-call")
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        raise BackendError(f"backend call timed out after {timeout_s:g} s")
    if "error" in box:
        exc = box["error"]
        if isinstance(exc, QARError):
            raise exc
        raise BackendError(f"backend call failed: {type(exc).__name__}: {exc}") from None
    return box["value"]


def _retrying(fn, retries: int, backoff_s: float):
    """``fn()`` with ``retries`` retries on :class:`QARError`, exponential backoff (tenacity)."""
    import tenacity

    retryer = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(retries + 1),
        wait=tenacity.wait_exponential(multiplier=backoff_s, min=backoff_s, max=max(backoff_s, 30.0)),
        retry=tenacity.retry_if_exception_type(QARError),
        reraise=True,
    )
    return retryer(fn)


def _mitigated_distribution(quasi: dict[str, float], size: int) -> np.ndarray:
    """Readout-mitigated quasi-probabilities of a register -> a distribution (negatives clipped)."""
    dist = np.zeros(size)
    for key, value in quasi.items():
        dist[int(str(key).replace(" ", ""), 2)] += float(value)
    dist = np.clip(dist, 0.0, None)
    total = dist.sum()
    if not np.isfinite(total) or total <= 0:
        raise BackendError("decision: mitigated distribution has no positive mass")
    return dist / total


def _tick_seed(base: int, index: int) -> int:
    digest = hashlib.sha256(f"{base}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


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
        experts: the experts, in memory order: :class:`~qar_qiskit.experts.Expert` instances
            (registered by name) and/or registered names; default the config's ``experts``.
    """

    def __init__(self, config: QARConfig | None = None, *, backend: str | None = None,
                 shots: int | None = None, seed: int | None = None, executor=None,
                 profile: str | Path | None = None, experts=None) -> None:
        if profile is not None:
            from qar_qiskit.backends import load_profile, make_executor_from_profile

            prof = load_profile(profile)
            if backend is not None and backend != prof.name:
                raise QARError(f"backend {backend!r} and profile {prof.name!r} disagree; give one of them")
            backend, shots = prof.name, shots if shots is not None else prof.shots
            seed = seed if seed is not None else prof.seed
            if executor is None:
                executor = make_executor_from_profile(prof, shots=shots, seed=seed)
        overrides = {k: v for k, v in {"name": backend, "shots": shots, "seed": seed}.items() if v is not None}
        if config is None:
            config = load_config(overrides={"backend": overrides} if overrides else None)
        elif overrides:
            config = config.model_copy(update={"backend": config.backend.model_copy(update=overrides)})
            from qar_qiskit.config import parse_config

            config = parse_config(config.model_dump(mode="json"))
        self.experts = resolve_experts(config.experts if experts is None else experts)
        if self.experts.names != config.experts:  # the config (and so the saved state) names them
            config = config.model_copy(update={"experts": self.experts.names})
        self.config = config
        self._lock = threading.RLock()
        self.pool = QubitPool(config.quantum_resources.total_qubits)
        self.memory = LearningMemory(config.learning.learning_rate, self.experts.prior())
        self.trackers = {name: PerformanceTracker(config.learning.tracker_history) for name in self.experts.names}
        self.synergy = SynergyMatrix(tuple(e.name for e in self.experts.with_register))
        self.feedback_history: deque[FeedbackRecord] = deque(maxlen=config.learning.memory_depth)
        self.decision_history: deque[dict] = deque(maxlen=config.learning.history_size)
        self.returns: deque[float] = deque(maxlen=max(500, config.algorithms.hedge.lookback))
        self.last_price: float | None = None
        self.tick_index = 0
        self._pending: dict[str, _Pending] = {}
        self._settled: deque[str] = deque(maxlen=config.learning.history_size)
        self.risk = RiskManager(config.risk_management)
        self.monitor = PerformanceMonitor()
        self._executor = executor
        self._last_save = time.monotonic()
        self.autosave_path: Path | None = None

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_config(cls, path: str | Path | None = None, **kwargs) -> "QAR":
        """Build from a YAML config file (``None``: the packaged defaults)."""
        return cls(load_config(path), **kwargs)

    @property
    def backend_name(self) -> str:
        return self.config.backend.name

    @property
    def executor(self):
        """The execution backend from :func:`qar_qiskit.backends.make_executor`, built on first use.

        ``exact`` gives the :class:`~qar_qiskit.backends.ExactBackend` placeholder (no circuit
        runs; the decision comes from the classical twin).
        """
        if self._executor is None:
            from qar_qiskit.backends import make_executor

            b = self.config.backend
            settings = {"shots": b.shots, "seed": b.seed}
            if b.optimization_level is not None:
                settings["optimization_level"] = b.optimization_level
            if b.name.startswith("aer-noisy:"):
                settings["mitigation"] = "m3" if self.config.performance.error_mitigation else "none"
            self._executor = make_executor(b.name, **settings)
        return self._executor

    # -- one tick -----------------------------------------------------------------------------
    def analyse(self, tick: MarketTick):
        """Regime analysis of a tick (the classical twin of the market register)."""
        return regime_analysis(tick.volatility, tick.trend_clarity, tick.volume_normalized,
                               self.config.market_regimes.ranges())

    def plan(self, regime: str) -> AllocationPlan:
        return plan_for_regime(self.config, regime, self.experts)

    def tick_inputs(self, tick: MarketTick, plan: AllocationPlan, analysis, returns: np.ndarray) -> TickInputs:
        """Every fragment's numbers for this tick (the parameter values before the mapping)."""
        return self._inputs_and_outputs(plan, analysis, returns)[0]

    def _inputs_and_outputs(self, plan: AllocationPlan, analysis, returns: np.ndarray) -> tuple[TickInputs, dict]:
        """:meth:`tick_inputs` and the experts' scalar outputs (computed once per tick)."""
        return build_tick_inputs(self.experts, plan, returns, self.config,
                                 regime_probabilities=analysis.probabilities, regime_phases=self._regime_phases(),
                                 memory_weights=self.memory.weights, feedback_history=self.feedback_history)

    def _regime_phases(self) -> np.ndarray:
        # Phases encode each regime's recent mean outcome (pi/2 * mean sign). They are visible
        # in the statevector but do not change any measured probability of the tick circuit.
        phases = np.zeros(4)
        for r in range(4):
            outs = [np.sign(h.outcome) for h in self.feedback_history if h.regime == r]
            if outs:
                phases[r] = np.pi / 2 * float(np.mean(outs))
        return phases

    def _returns_for(self, tick: MarketTick, returns_history) -> np.ndarray:
        if returns_history is not None:
            arr = np.asarray(returns_history, dtype=float).ravel()
            if not np.all(np.isfinite(arr)):
                raise InputError("returns_history: contains NaN or infinite values")
            return arr
        return np.asarray(self.returns, dtype=float)

    def decide(self, tick: MarketTick | dict, returns_history=None) -> Decision:
        """Decide for one tick.

        Args:
            tick: a :class:`MarketTick` (or a mapping validated into one).
            returns_history: optional daily log returns up to this tick (oldest first); by
                default the returns of the prices seen by previous ``decide`` calls.

        Returns:
            The :class:`Decision`; its ``decision_id`` is what ``record_outcome`` takes.
        """
        if not isinstance(tick, MarketTick):
            tick = MarketTick.parse(tick)
        with self._lock:
            self._price_return(tick)  # reject an unusable price before any state changes
            t0 = time.perf_counter()
            timing: dict[str, float] = {}
            returns = self._returns_for(tick, returns_history)
            analysis = self.analyse(tick)
            plan = self.plan(analysis.dominant)
            inputs, outputs = self._inputs_and_outputs(plan, analysis, returns)
            table = decision_table(inputs, outputs)
            exact = decision_distribution(inputs, table=table)
            timing["analysis_s"] = time.perf_counter() - t0
            index = self.tick_index
            seed = _tick_seed(self.config.backend.seed, index)
            sampled, readout, circuit_metrics, backend_used, fallback = self._execute(plan, inputs, seed, timing)
            decision = self._make_decision(tick, index, analysis, inputs, outputs, table, exact, sampled, readout,
                                           circuit_metrics, backend_used, fallback, timing)
            self._after_decide(tick, decision)
            timing["total_s"] = time.perf_counter() - t0
            self.monitor.record(decision, timing)
            return decision.model_copy(update={"timing": timing})

    def prepare_tick(self, tick: MarketTick | dict, returns_history=None):
        """The tick's circuit and parameter values without executing (for ``qar submit``).

        Returns:
            ``(tick_circuit, parameter_values (1, P), context)``; ``context`` records the plan's
            regime, the exact decision distribution and the tick, so a result read later (another
            process) can be turned into a decision and compared with the twin.
        """
        from qar_qiskit.circuits.composer import compose_tick_circuit

        if not isinstance(tick, MarketTick):
            tick = MarketTick.parse(tick)
        with self._lock:
            returns = self._returns_for(tick, returns_history)
            analysis = self.analyse(tick)
            plan = self.plan(analysis.dominant)
            inputs, outputs = self._inputs_and_outputs(plan, analysis, returns)
            tick_circuit = compose_tick_circuit(plan)
            values = tick_circuit.parameter_values(inputs)[None, :]
            context = {"source": "market-tick", "regime": analysis.dominant,
                       "regime_probabilities": dict(zip(REGIMES, map(float, analysis.probabilities))),
                       "exact_decision_distribution": decision_distribution(inputs, outputs).tolist(),
                       "tick": tick.model_dump(mode="json")}
            return tick_circuit, values, context

    def _execute(self, plan, inputs, seed, timing):
        """Run the tick circuit with bounded retries; fall back to the exact twin when it fails.

        Each failed attempt (an exception, a call longer than ``performance.backend_timeout_s``,
        or counts that do not read) is retried ``performance.backend_retries`` times with
        exponential backoff starting at ``performance.retry_backoff_s``. After the last failure
        the decision is the exact twin's, marked ``classical-fallback`` with the reason (logged
        once per tick); learning state is untouched by a failed attempt.
        """
        executor = self.executor
        if executor.is_exact:
            return None, None, None, "exact", None
        from qar_qiskit.circuits.composer import compose_tick_circuit
        from qar_qiskit.circuits.decision import CONSISTENCY_KEY, consistent_codes
        from qar_qiskit.circuits.market import REGIME_CODES
        from qar_qiskit.circuits.reader import read_counts

        t = time.perf_counter()
        tick_circuit = compose_tick_circuit(plan)
        values = tick_circuit.parameter_values(inputs)[None, :]
        timing["bind_s"] = time.perf_counter() - t
        perf = self.config.performance

        postselect = {}
        if perf.postselect_market:
            postselect["market"] = REGIME_CODES
        if perf.postselect_consistency:
            postselect[CONSISTENCY_KEY] = consistent_codes(self.experts)
        extra = {"postselect": postselect} if postselect else {}

        def attempt():
            t0 = time.perf_counter()
            result = _call_with_timeout(executor.run, perf.backend_timeout_s, tick_circuit, values,
                                        shots=self.config.backend.shots, seed=seed, **extra)[0]
            t1 = time.perf_counter()
            readout = read_counts(plan, result.counts)
            if extra:
                kept = result.metadata.get("kept_shots", result.shots)
                readout = dataclasses.replace(readout, postselect_rejected_rate=1.0 - kept / result.shots)
                if list(postselect) == ["market"]:  # the invalid-code rate before the selection
                    readout = dataclasses.replace(readout, invalid_regime_rate=1.0 - kept / result.shots)
            t2 = time.perf_counter()
            return result, readout, t1 - t0, t2 - t1

        try:
            result, readout, timing["execute_s"], timing["read_s"] = _retrying(
                attempt, perf.backend_retries, perf.retry_backoff_s)
        except QARError as exc:
            if not perf.classical_fallback:
                raise
            reason = f"{executor.name}: {exc} (after {perf.backend_retries + 1} attempt(s))"
            self.monitor.record_failure(reason)  # logs each distinct reason once
            return None, None, None, "classical-fallback", reason
        sampled = readout.decision
        if result.mitigated and "decision" in result.mitigated:
            sampled = _mitigated_distribution(result.mitigated["decision"], sampled.size)
        metrics = executor.circuit_metrics(tick_circuit) if hasattr(executor, "circuit_metrics") else None
        return sampled, readout, metrics, executor.name, None

    def _make_decision(self, tick, index, analysis, inputs, out, table, exact, sampled, readout, circuit_metrics,
                       backend_used, fallback, timing) -> Decision:
        shots = self.config.backend.shots if sampled is not None else None
        dist = sampled if sampled is not None else exact
        d = int(np.argmax(dist))
        d_exact = int(np.argmax(exact))
        protection = float(out["protection"])
        day = tick.timestamp.date().isoformat() if tick.timestamp else f"tick-{index}"
        assess = self.risk.assess(tick.volatility, day)
        pos_table = decision_positions(protection) * assess.scale
        order_rows = self.risk.orders(float(pos_table[d]), assess.flags)
        # Exact top-two margin against 3 standard errors of a difference of multinomial shares.
        top2 = np.sort(exact)[-2:]
        if shots:
            se = math.sqrt(max(top2[1] + top2[0] - (top2[1] - top2[0]) ** 2, 0.0) / shots)
            resolvable = bool(top2[1] - top2[0] > 3 * se)
            k = int(round(dist[d] * shots))
            ci = wilson_interval(k, shots)
        else:
            resolvable = True
            ci = (float(exact[d]), float(exact[d]))
        expert_pos = dict(zip(self.experts.names,
                              map(float, expert_decision_distributions(inputs, table=table) @ pos_table)))
        regime_probs = dict(zip(REGIMES, map(float, analysis.probabilities)))
        measured = dict(zip(REGIMES, map(float, readout.regime_probabilities))) if readout else regime_probs
        components = decision_components(inputs, out, readout)
        a, s, k_ = d % 4, (d // 4) % 4, d // 16
        ea, es, ek = d_exact % 4, (d_exact // 4) % 4, d_exact // 16
        return Decision(
            decision_id=f"{self.config.backend.seed}-{index}",
            tick_index=index,
            action=ACTIONS[a], size=SIZES[s], risk=RISKS[k_],
            position=float(pos_table[d]),
            confidence=float(dist[d]),
            confidence_interval=(float(ci[0]), float(ci[1])),
            shots=shots,
            hedge_strategy="protective" if ACTIONS[a] == "hedge" else "none",
            protection_level=protection if ACTIONS[a] == "hedge" else 0.0,
            regime={"probabilities": measured, "exact_probabilities": regime_probs,
                    "dominant": analysis.dominant, "uncertainty": float(analysis.uncertainty),
                    "invalid_code_rate": float(readout.invalid_regime_rate) if readout else 0.0},
            components=components,
            distribution={"sampled": sampled.tolist() if sampled is not None else None,
                          "exact": exact.tolist()},
            exact_action=ACTIONS[ea], exact_size=SIZES[es], exact_risk=RISKS[ek],
            exact_position=float(pos_table[d_exact]),
            exact_margin_resolvable=resolvable,
            postselect_rejected_rate=readout.postselect_rejected_rate if readout else None,
            expert_positions=expert_pos,
            orders=order_rows,
            risk_flags=list(assess.flags),
            backend=backend_used,
            fallback_reason=fallback,
            circuit=circuit_metrics,
            timing=dict(timing),
        )

    def _price_return(self, tick: MarketTick) -> float | None:
        """Log return from the previous decided price; InputError if it is not a finite number."""
        if self.last_price is None:
            return None
        r = math.log(tick.price) - math.log(self.last_price)  # finite for any two positive floats
        if not math.isfinite(r):
            raise InputError(f"price: {tick.price!r} after {self.last_price!r} gives no finite log return")
        return r

    def _after_decide(self, tick: MarketTick, decision: Decision) -> None:
        r = self._price_return(tick)
        if r is not None:
            self.returns.append(r)
        self.last_price = tick.price
        d = ACTIONS.index(decision.action) + 4 * SIZES.index(decision.size) + 16 * RISKS.index(decision.risk)
        self._pending[decision.decision_id] = _Pending(
            regime_probabilities=tuple(decision.regime.exact_probabilities[r] for r in REGIMES),
            dominant_index=REGIMES.index(decision.regime.dominant),
            position=decision.position,
            expert_positions=dict(decision.expert_positions),
            bits=((d >> 2) & 1, (d >> 3) & 1, (d >> 4) & 1),
            day=tick.timestamp.date().isoformat() if tick.timestamp else f"tick-{decision.tick_index}",
        )
        while len(self._pending) > self.config.learning.history_size:
            self._pending.pop(next(iter(self._pending)))
        self.decision_history.append({
            "decision_id": decision.decision_id, "action": decision.action, "size": decision.size,
            "risk": decision.risk, "position": decision.position, "regime": decision.regime.dominant,
            "backend": decision.backend,
        })
        self.tick_index += 1

    # -- learning ---------------------------------------------------------------------------
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
            if decision_id in self._settled:
                raise InputError(f"decision_id {decision_id!r}: outcome already recorded")
            pending = self._pending.get(decision_id)
            if pending is None:
                raise InputError(f"decision_id {decision_id!r}: unknown decision")
            if market_return is None:
                if abs(pending.position) < 1e-12:
                    raise InputError(
                        f"decision_id {decision_id!r}: held no position, so market_return is needed "
                        "to reward the experts"
                    )
                market_return = pnl / (pending.position * self.config.risk_management.max_position_size)
            scale = self.config.learning.reward_scale
            names = self.experts.names
            rewards = {name: float(np.clip(pending.expert_positions[name] * market_return / scale, -1, 1))
                       for name in names}
            self.memory.update([rewards[n] for n in names], pending.regime_probabilities)
            for name in names:
                self.trackers[name].add(rewards[name])
            self.synergy.add(rewards)
            outcome = float(np.clip(pending.position * market_return / scale, -1, 1))
            self.feedback_history.append(FeedbackRecord(pending.dominant_index, pending.bits, outcome))
            self.risk.record(pending.day, pnl)
            del self._pending[decision_id]
            self._settled.append(decision_id)
            self._maybe_autosave()
            return rewards

    # -- persistence --------------------------------------------------------------------------
    def save(self, path: str | Path, compress: bool | None = None) -> Path:
        """Save the complete state atomically (see :mod:`qar_qiskit.system.persistence`)."""
        from qar_qiskit.system.persistence import save_state

        with self._lock:
            return save_state(self, path, compress=compress)

    @classmethod
    def load(cls, path: str | Path, **kwargs) -> "QAR":
        """Load a state saved by :meth:`save` (refuses damaged or newer-version files)."""
        from qar_qiskit.system.persistence import load_state

        return load_state(path, cls, **kwargs)

    def _maybe_autosave(self) -> None:
        interval = self.config.performance.persistence_interval
        if self.autosave_path is not None and interval > 0 and time.monotonic() - self._last_save >= interval:
            self.save(self.autosave_path)
            self._last_save = time.monotonic()

    # -- health -------------------------------------------------------------------------------
    def health(self) -> dict:
        """Pool, learning state, transpile cache and backend health (for ``qar check``)."""
        w = self.memory.weights
        return {
            "pool": self.pool.check(),
            "memory_normalised": bool(np.allclose(w.sum(axis=1), 1.0) and np.all(w > 0)),
            "pending_outcomes": len(self._pending),
            "monitor": self.monitor.summary(),
            "cache": self._executor.cache_stats() if hasattr(self._executor, "cache_stats") else None,
        }
