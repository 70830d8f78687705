"""Day-by-day backtest of a QAR decision maker on daily price data.

For every decision day t (close of day t):

1. features from rows ``<= t`` only (:func:`qar_qiskit.analysis.features.feature_table`; the
   table is computed once, but every row uses only its own past — tested in
   ``tests/analysis``);
2. a :class:`~qar_qiskit.tick.MarketTick` and the daily *log* returns up to t (oldest first)
   go to ``qar.decide``;
3. the next day's simple return ``r_{t+1} = c_{t+1}/c_t - 1`` is realised; the strategy's
   P&L is ``position_t · r_{t+1}`` (position = signed fraction of capital held overnight);
4. ``qar.record_outcome(decision_id, pnl, market_return=r_{t+1})`` feeds learning before
   day t+1 is decided. ``pnl`` here is in *portfolio* units, ``position · max_position_size ·
   r`` (the QAR's ``risk_management.max_position_size``; 1 when it has none), which is how
   ``QAR.record_outcome`` and its daily-loss limit read it; the backtest's own metrics are on
   the strategy sleeve, ``position · r``.

Costs: every strategy pays ``cost_bps`` per unit of position traded (see
:mod:`qar_qiskit.backtest.metrics`); metrics are reported gross and net. Learning is fed the
*gross* P&L (the market outcome of the decision), so the decisions, and the gross path, do not
depend on the cost assumption.

Baselines on the same days: buy-and-hold (position 1, pays the entry cost) and, as their own
runs (:mod:`qar_qiskit.backtest.baselines`), the exact twin (``backend exact``, same config,
data and seed, its own learning and risk path) and each expert alone (learning off, memory
fixed on that expert). ``decisions.csv`` also keeps the *same-inputs* columns of the main run:
``exact_action``/``exact_size``/``exact_risk``/``exact_position`` (the exact distribution's
decision on this tick's inputs, which is what agreement is measured against) and
``expert_<name>`` (each expert's expected position on this tick's inputs).
"""

from __future__ import annotations

import datetime as _dt
import math
import sys
import time
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from qar_qiskit.analysis.features import feature_table
from qar_qiskit.backtest import metrics as M
from qar_qiskit.backtest.metrics import DEFAULT_COST_BPS
from qar_qiskit.backtest.report import write_report
from qar_qiskit.backtest.result import BacktestResult, DecisionMaker
from qar_qiskit.data.loader import PriceData, _as_date
from qar_qiskit.errors import InputError
from qar_qiskit.jsonsafe import json_safe
from qar_qiskit.labels import REGIMES

__all__ = ["run_backtest", "BacktestResult", "DecisionMaker"]


def _num(value: Any) -> float:
    """A float from a number or a model with a numeric ``value``/``estimate``/``point``."""
    if isinstance(value, (int, float, np.floating, np.integer)):
        return float(value)
    for attr in ("value", "estimate", "point", "mean"):
        if hasattr(value, attr):
            return float(getattr(value, attr))
    return float(value)


def _position_scale(qar: DecisionMaker) -> float:
    """The config's ``risk_management.max_position_size`` (1 without a config)."""
    return float(qar.config.risk_management.max_position_size) if qar.config is not None else 1.0


def _isatty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # pragma: no cover
        return False


def run_backtest(
    data: PriceData,
    start: Union[str, _dt.date, np.datetime64, None] = None,
    end: Union[str, _dt.date, np.datetime64, None] = None,
    backend: Optional[str] = None,
    shots: Optional[int] = None,
    seed: Optional[int] = None,
    config_path: Union[str, Path, None] = None,
    out_dir: Union[str, Path, None] = None,
    progress: bool = True,
    *,
    qar: Optional[DecisionMaker] = None,
    vix: Optional[PriceData] = None,
    window: int = 20,
    trend_window: int = 20,
    volume_window: int = 50,
    tick_cls: Any = None,
    profile: Union[str, Path, None] = None,
    cost_bps: float = DEFAULT_COST_BPS,
    baselines: bool = True,
) -> BacktestResult:
    """Backtest a QAR day by day on ``data`` between ``start`` and ``end`` (inclusive).

    Args:
        data: the price history (history before ``start`` is used for the feature warm-up).
        start, end: first decision day and last day whose close realises a P&L (None = the
            data's ends). The first decision day is moved forward to the feature warm-up.
        backend, shots, seed, config_path: passed to ``QAR.from_config`` (None = the config's).
        out_dir: where to write the report (None = no files).
        progress: show a tqdm progress bar (only when stderr is a terminal).
        qar: an already-built :class:`DecisionMaker` (tests, baselines); overrides
            backend/shots/seed/config/profile.
        vix: VIX data for the ``vix`` feature (e.g. ``load_dataset("vix")``).
        window, trend_window, volume_window: feature windows.
        tick_cls: the tick class (default :class:`qar_qiskit.tick.MarketTick`).
        profile: a backend profile (name in ``backends/`` or a path) for the QAR's executor.
        cost_bps: transaction cost per unit of position traded, in basis points (>= 0).
        baselines: also run the exact twin and each expert alone as independent backtests
            (needs a decision maker with a ``config``; noted and skipped otherwise).

    ``metrics.json`` records the decision maker's resolved settings (``run.settings``: backend,
    shots, seeds, optimization level, mitigation, post-selection) and ``report.md`` prints them.

    Returns:
        The :class:`BacktestResult` (and the report files when ``out_dir`` is given).

    Raises:
        InputError: dates outside the data, fewer than 2 decision days after the warm-up, or a
            ``qar`` that is not a :class:`DecisionMaker`.
    """
    if not (isinstance(cost_bps, (int, float)) and math.isfinite(cost_bps) and cost_bps >= 0):
        raise InputError(f"cost_bps: must be a finite number >= 0, got {cost_bps!r}")
    notes: list[str] = list(data.notes)
    table = feature_table(data, window, trend_window, volume_window, vix=vix)
    n = len(data)
    lo = 0 if start is None else int(np.searchsorted(data.dates, _as_date(start, "start"), "left"))
    hi = n - 1 if end is None else int(np.searchsorted(data.dates, _as_date(end, "end"), "right")) - 1
    if start is not None and end is not None and _as_date(start, "start") > _as_date(end, "end"):
        raise InputError(f"start {start} is after end {end}")
    first = max(lo, int(table["warmup"]))
    if first > lo and first < hi:
        notes.append(f"first {first - lo} day(s) skipped: the features need {table['warmup']} "
                     f"days of history (first decision day {data.dates[first]})")
    days = np.arange(first, hi)  # day t needs t+1 <= hi
    if days.size < 2:
        raise InputError(
            f"{data.source}: fewer than 2 decision days between {start or data.first_date} and "
            f"{end or data.last_date} after the {table['warmup']}-day feature warm-up"
        )

    if tick_cls is None:
        from qar_qiskit.tick import MarketTick as tick_cls  # noqa: N813
    if qar is None:
        from qar_qiskit.system.qar import QAR

        qar = QAR.from_config(config_path, backend=backend, shots=shots, seed=seed, profile=profile)
    if not isinstance(qar, DecisionMaker):
        raise InputError(f"qar: {type(qar).__name__} is not a DecisionMaker (needs decide, record_outcome, "
                         "backend_name, config and settings)")
    scale = _position_scale(qar)

    close = np.asarray(data.close, dtype=np.float64)
    logret = np.diff(np.log(close))
    ret_next = close[days + 1] / close[days] - 1.0
    volume = data.volume

    positions: list[float] = []
    rows: list[dict] = []
    regimes: list[str] = []
    actions: list[str] = []
    exact_actions: list[str] = []
    decisions: list[str] = []
    exact_decisions: list[str] = []
    resolvable: list[bool] = []
    timing_sums: dict[str, float] = {}
    loop_s = 0.0
    equity = equity_net = 1.0
    prev_pos = 0.0
    cost_rate = float(cost_bps) * 1e-4

    from tqdm import tqdm

    bar = tqdm(total=days.size, desc=f"backtest {data.source}", unit="day",
               disable=not (progress and _isatty()), leave=False)
    wall0 = time.perf_counter()
    try:
        for j, t in enumerate(days):
            vix_t = table["vix"][t]
            stamp = data.dates[t].astype(object)
            tick_fields = dict(
                price=float(close[t]),
                volatility=float(table["volatility"][t]),
                volume_normalized=float(table["volume_normalized"][t]),
                trend=float(table["trend"][t]),
                trend_clarity=float(table["trend_clarity"][t]),
                vix=None if math.isnan(vix_t) else float(vix_t),
                timestamp=_dt.datetime(stamp.year, stamp.month, stamp.day),
            )
            if volume is not None:
                tick_fields["volume"] = float(volume[t])
            tick = tick_cls(**tick_fields)
            history = logret[:t]  # log returns of days 1..t (oldest first)

            t0 = time.perf_counter()
            decision = qar.decide(tick, returns_history=history)
            r = float(ret_next[j])
            pos = float(decision.position)
            pnl = pos * r + 0.0  # + 0.0: no negative zeros in the report
            qar.record_outcome(decision.decision_id, pos * scale * r, market_return=r)
            loop_s += time.perf_counter() - t0

            ex = {str(k): float(v) for k, v in decision.expert_positions.items()}
            for k, v in decision.timing.items():
                if isinstance(v, (int, float)):
                    timing_sums[k] = timing_sums.get(k, 0.0) + float(v)

            cost = cost_rate * abs(pos - prev_pos) + 0.0
            prev_pos = pos
            equity *= 1.0 + pnl
            equity_net *= 1.0 + pnl - cost
            regime = str(decision.regime.dominant)
            probs = {str(k): float(v) for k, v in dict(decision.regime.probabilities).items()}
            row: dict[str, Any] = {
                "date": str(data.dates[t]),
                "close": float(close[t]),
                "return_next": r,
                "regime": regime,
                **{f"p_{name}": probs.get(name, 0.0) for name in REGIMES},
                **{f"p_{name}": v for name, v in probs.items() if name not in REGIMES},
                "action": str(decision.action),
                "size": str(decision.size),
                "risk": str(decision.risk),
                "confidence": _num(decision.confidence),
                "position": pos,
                "pnl": pnl,
                "equity": equity,
                "cost": cost,
                "pnl_net": pnl - cost,
                "equity_net": equity_net,
                "exact_action": str(decision.exact_action),
                "exact_size": str(decision.exact_size),
                "exact_risk": str(decision.exact_risk),
                "exact_position": float(decision.exact_position),
                "exact_margin_resolvable": bool(decision.exact_margin_resolvable),
                "backend": str(decision.backend),
                "decision_id": str(decision.decision_id),
                **{f"expert_{k}": v for k, v in ex.items()},
            }
            rows.append(row)
            positions.append(pos)
            regimes.append(regime)
            actions.append(row["action"])
            exact_actions.append(row["exact_action"])
            decisions.append(f"{row['action']}/{row['size']}/{row['risk']}")
            exact_decisions.append(f"{row['exact_action']}/{row['exact_size']}/{row['exact_risk']}")
            resolvable.append(row["exact_margin_resolvable"])
            bar.update(1)
    finally:
        bar.close()
    wall_s = time.perf_counter() - wall0

    pos_map: dict[str, np.ndarray] = {
        "strategy": np.asarray(positions),
        "buy_and_hold": np.ones(days.size),
    }
    config, settings = qar.config, qar.settings
    # experts without a register (abstain) always hold: their expert-alone row says nothing
    no_register = [e.name for e in getattr(getattr(qar, "experts", None), "experts", ())
                   if not e.has_register]
    run_seed = settings.seed if settings is not None else seed
    twin_actions = None
    baseline_runs: dict[str, BacktestResult] = {}
    if baselines and config is not None:
        from qar_qiskit.backtest.baselines import independent_baselines

        def run_one(q):
            return run_backtest(data, start, end, qar=q, vix=vix, window=window,
                                trend_window=trend_window, volume_window=volume_window,
                                tick_cls=tick_cls, progress=False, cost_bps=cost_bps,
                                baselines=False)

        baseline_runs = independent_baselines(config, run_seed, run_one)
        if no_register:
            notes.append(f"no expert-alone row for {', '.join(no_register)}: no register, so it "
                         "always holds (position 0); metrics.json keeps the run")
        for name, res in baseline_runs.items():
            pos_map[name] = res.positions["strategy"]
            if name == "exact_twin":
                twin_actions = [r["action"] for r in res.rows]
    elif baselines:
        notes.append("the decision maker has no config: no exact-twin or expert-alone runs")

    backend_name = str(qar.backend_name)
    res_mask = np.asarray(resolvable, dtype=bool)
    strat = M.performance(pos_map["strategy"], ret_next, cost_bps)
    strat.update({
        "regime_time_share": M.regime_time_share(regimes, REGIMES),
        # same-inputs agreement: the sampled decision vs the exact distribution's on this tick
        "agreement_with_exact": M.agreement(actions, exact_actions),
        "agreement_resolvable": M.agreement(actions, exact_actions, res_mask),
        "agreement_decision": M.agreement(decisions, exact_decisions),
        "agreement_decision_resolvable": M.agreement(decisions, exact_decisions, res_mask),
        "resolvable_days": int(res_mask.sum()),
        # path agreement: the action of the independent exact-twin run on the same day
        "agreement_with_twin_run": (None if twin_actions is None
                                    else M.agreement(actions, twin_actions)),
        "ticks_per_second": days.size / loop_s if loop_s > 0 else None,
    })
    metrics = {
        "run": {
            "source": data.source,
            "first_day": str(data.dates[days[0]]),
            "last_day": str(data.dates[days[-1]]),
            "last_outcome_day": str(data.dates[days[-1] + 1]),
            "days": int(days.size),
            "backend": backend_name,
            "backends_used": sorted(set(r["backend"] for r in rows)),
            # the values in effect (the QAR's resolved settings), not only the flags
            "shots": settings.shots if settings is not None else shots,
            "seed": run_seed,
            "settings": settings.to_dict() if settings is not None else None,
            "experts_without_register": no_register,
            "config": None if config_path is None else str(config_path),
            # the config the decisions were made with: the file merged onto the packaged default
            "config_values": config.model_dump(mode="json") if config is not None else None,
            "cost_bps": float(cost_bps),
            "feature_windows": {"volatility": window, "trend": trend_window,
                                "volume": volume_window},
            "position_scale_for_learning": scale,
            "decide_seconds": loop_s,
            "wall_seconds": wall_s,
            "mean_timing_s": {k: v / days.size for k, v in sorted(timing_sums.items())},
            "notes": notes,
        },
        "strategy": strat,
        "baselines": {k: M.performance(v, ret_next, cost_bps) for k, v in pos_map.items()
                      if k != "strategy"},
    }
    result = BacktestResult(
        source=data.source, backend=backend_name, shots=shots, seed=seed,
        dates=data.dates[days], outcome_dates=data.dates[days + 1], close=close[days],
        return_next=ret_next, positions=pos_map, regimes=regimes, rows=rows,
        metrics=json_safe(metrics), notes=notes, cost_bps=float(cost_bps),
        baseline_runs=baseline_runs,
    )
    if out_dir is not None:
        result.files = write_report(result, Path(out_dir))
    return result
