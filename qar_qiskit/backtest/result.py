"""What a backtest produced, and what it needs from a decision maker.

:class:`BacktestResult` is shared by the runner (:mod:`qar_qiskit.backtest.runner`), the report
(:mod:`qar_qiskit.backtest.report`) and the plots (:mod:`qar_qiskit.backtest.plots`); keeping it
here lets the runner import the report without an import circle. :class:`DecisionMaker` is the
interface :func:`~qar_qiskit.backtest.runner.run_backtest` takes (:class:`~qar_qiskit.system.qar.QAR`
implements it; tests use a deterministic stand-in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Protocol, runtime_checkable

import numpy as np

import qar_qiskit.backtest.metrics as M
from qar_qiskit.backtest.metrics import DEFAULT_COST_BPS

__all__ = ["BacktestResult", "DecisionMaker"]


@runtime_checkable
class DecisionMaker(Protocol):
    """What the backtest needs from a decision maker.

    Attributes:
        backend_name: the backend it decides on.
        config: its :class:`~qar_qiskit.config.QARConfig` (None: no independent baselines can be
            run and the learning P&L is not scaled).
        settings: its resolved :class:`~qar_qiskit.settings.RunSettings` (None: the report
            records the flags the runner was given).

    ``decide`` returns a decision with ``decision_id``, ``action``, ``size``, ``risk``,
    ``confidence``, ``position``, ``regime`` (``dominant``, ``probabilities``), the exact
    ``exact_action``/``exact_size``/``exact_risk``/``exact_position``,
    ``exact_margin_resolvable``, ``backend``, ``expert_positions`` and ``timing``.
    """

    @property
    def backend_name(self) -> str: ...

    @property
    def config(self) -> Any: ...

    @property
    def settings(self) -> Any: ...

    def decide(self, tick: Any, returns_history: Any = None) -> Any: ...

    def record_outcome(self, decision_id: str, pnl: float, market_return: Optional[float] = None) -> Any: ...


@dataclass
class BacktestResult:
    """Everything one backtest produced.

    Attributes:
        source: the data set name or CSV path.
        backend: the backend the QAR ran on (per-day backends are in ``rows``).
        shots, seed: as requested (None = from the config).
        dates: the decision days (``datetime64[D]``); day t's P&L is realised at t+1.
        outcome_dates: the day after each decision day (when its P&L is realised).
        close: close of each decision day.
        return_next: ``r_{t+1}`` for each decision day.
        positions: strategy name -> positions (``strategy``, ``buy_and_hold``, and with the
            independent baselines ``exact_twin`` and ``expert_<name>``).
        regimes: the dominant regime of each day.
        rows: one dict per day (the rows of ``decisions.csv``).
        metrics: the content of ``metrics.json``.
        files: report file name -> path (empty when no ``out_dir``).
        notes: remarks (warm-up skipped, data notes, missing baselines).
        cost_bps: transaction cost per unit traded (basis points).
        baseline_runs: the independent ``exact_twin`` and ``expert_<name>`` runs.
    """

    source: str
    backend: str
    shots: Optional[int]
    seed: Optional[int]
    dates: np.ndarray
    outcome_dates: np.ndarray
    close: np.ndarray
    return_next: np.ndarray
    positions: dict[str, np.ndarray]
    regimes: list[str]
    rows: list[dict]
    metrics: dict
    files: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    cost_bps: float = DEFAULT_COST_BPS
    baseline_runs: dict[str, BacktestResult] = field(default_factory=dict)

    @property
    def equity(self) -> dict[str, np.ndarray]:
        """Gross equity curve of each strategy (after each day's P&L)."""
        return {k: M.equity_curve(p * self.return_next) for k, p in self.positions.items()}

    @property
    def equity_net(self) -> dict[str, np.ndarray]:
        """Equity curve of each strategy net of ``cost_bps``."""
        return {k: M.equity_curve(M.net_pnl(p, self.return_next, self.cost_bps))
                for k, p in self.positions.items()}
