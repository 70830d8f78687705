"""The seeds' QuantumTradingSystem: raw daily bars in, orders out, learning from each next bar.

``process_market_tick(price, volume=..., vix=..., timestamp=...)`` runs the data pipeline
(features from the bar history: realised volatility, trend and trend clarity, normalised
volume — :mod:`qar_qiskit.analysis.features`, the same formulas as the backtest), settles the
previous decision with the return realised by this bar (``record_outcome``), then asks the
:class:`~qar_qiskit.system.qar.QAR` for a decision; the risk manager inside ``QAR`` sizes the
orders (max position size, daily-loss limit, crisis cap). A backend failure gives the exact
twin's decision marked ``classical-fallback`` (``QAR`` retries first).

Thread safety: one object serialises ``process_market_tick`` with a lock.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections import deque
from typing import Any, Optional

import numpy as np

from qar_qiskit.analysis.features import compute_features, warmup
from qar_qiskit.data.loader import PriceData
from qar_qiskit.decision.model import Decision
from qar_qiskit.errors import InputError
from qar_qiskit.system.qar import QAR
from qar_qiskit.tick import MarketTick
from qar_qiskit.validation import as_float

__all__ = ["QuantumTradingSystem"]


def _number(name: str, value, *, positive: bool = False, optional: bool = False) -> Optional[float]:
    if value is None and optional:
        return None
    return as_float(name, value, positive=positive, nonneg=not positive)


class QuantumTradingSystem:
    """Bars -> features -> QAR decision -> orders; outcomes settled on the next bar.

    Args:
        qar: the decision maker (default: ``QAR()`` from the packaged config).
        window, trend_window, volume_window: feature windows (as in ``qar backtest``).
        history: bars kept (at least the warm-up plus the Hedge lookback).

    Until ``warmup`` bars have arrived there are not enough prices for the features and
    :meth:`process_market_tick` returns ``None`` (the bar is still recorded).
    """

    def __init__(self, qar: QAR | None = None, *, window: int = 20, trend_window: int = 20,
                 volume_window: int = 50, history: int = 500) -> None:
        self.qar = qar if qar is not None else QAR()
        self.windows: dict[str, Any] = {"window": window, "trend_window": trend_window, "volume_window": volume_window}
        self._dates: deque = deque(maxlen=history)
        self._close: deque[float] = deque(maxlen=history)
        self._volume: deque[Optional[float]] = deque(maxlen=history)
        self._last: Optional[Decision] = None
        self._lock = threading.Lock()
        self.settled = 0

    @property
    def bars(self) -> int:
        return len(self._close)

    def _price_data(self) -> PriceData:
        volumes = list(self._volume)
        has_volume = all(v is not None for v in volumes)
        return PriceData(dates=np.array(self._dates, dtype="datetime64[D]"),
                         close=np.array(self._close, dtype=float),
                         volume=np.array(volumes, dtype=float) if has_volume else None, source="stream")

    def process_market_tick(self, price: float, *, volume: float | None = None, vix: float | None = None,
                            timestamp: _dt.date | _dt.datetime | str | None = None) -> Optional[Decision]:
        """Take one daily bar; settle the previous decision; decide for this bar.

        Args:
            price: the bar's close (> 0).
            volume: the bar's volume (optional; without it ``volume_normalized`` is 1).
            vix: the VIX as a fraction (0.2 for 20 points), optional.
            timestamp: the bar's date (default: one day after the previous bar). Dates must
                increase strictly.

        Returns:
            The :class:`Decision`, or ``None`` while the feature warm-up lasts.

        Raises:
            InputError: a non-finite or non-positive price, a negative volume, or a date that
                does not increase. Nothing is recorded for a rejected bar.
        """
        price = as_float("price", price, positive=True, nonneg=False)
        volume = _number("volume", volume, optional=True)
        vix = _number("vix", vix, optional=True)
        with self._lock:
            day = self._next_day(timestamp)
            self._dates.append(day)
            self._close.append(price)
            self._volume.append(volume)
            if self._last is not None:
                r = price / self._close[-2] - 1.0
                scale = self.qar.config.risk_management.max_position_size
                self.qar.record_outcome(self._last.decision_id, pnl=self._last.position * scale * r,
                                        market_return=r)
                self.settled += 1
                self._last = None
            data = self._price_data()
            if len(data) <= warmup(data, **self.windows):
                return None
            f = compute_features(data, len(data) - 1, **self.windows)
            tick = MarketTick(price=price, volatility=f["volatility"], trend=f["trend"],
                              trend_clarity=f["trend_clarity"], volume_normalized=f["volume_normalized"],
                              volume=volume, vix=vix,
                              timestamp=_dt.datetime.combine(day.astype(object), _dt.time()))
            returns = np.diff(np.log(data.close))
            decision = self.qar.decide(tick, returns_history=returns)
            self._last = decision
            return decision

    def _next_day(self, timestamp) -> np.datetime64:
        if timestamp is None:
            return self._dates[-1] + np.timedelta64(1, "D") if self._dates else np.datetime64("2000-01-03", "D")
        try:
            day = np.datetime64(timestamp if not isinstance(timestamp, _dt.datetime) else timestamp.date(), "D")
        except (ValueError, TypeError):
            raise InputError(f"timestamp: not a date: {timestamp!r}") from None
        if self._dates and day <= self._dates[-1]:
            raise InputError(f"timestamp: {day} is not after the previous bar ({self._dates[-1]})")
        return day

    def health_check(self) -> dict:
        """The QAR's health (settings, memory, cache, monitor) plus the data pipeline's state."""
        health = self.qar.health()
        health["bars"] = self.bars
        health["warmed_up"] = self.bars > 0 and self.bars > warmup(self._price_data(), **self.windows)
        health["open_decision"] = self._last.decision_id if self._last is not None else None
        return health
