"""Performance monitor: per-tick timing by stage, backends used, failures, invalid-code rate."""

from __future__ import annotations

import logging
import threading
from collections import Counter, defaultdict, deque

import numpy as np

log = logging.getLogger("qar_qiskit")


class PerformanceMonitor:
    """Rolling statistics over the last ``window`` ticks."""

    def __init__(self, window: int = 1000) -> None:
        self._lock = threading.Lock()
        self.timings: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=window))
        self.backends: Counter = Counter()
        self.invalid_rates: deque[float] = deque(maxlen=window)
        self.failures: Counter = Counter()
        self.ticks = 0

    def record(self, decision, timing: dict[str, float]) -> None:
        with self._lock:
            self.ticks += 1
            for stage, seconds in timing.items():
                self.timings[stage].append(float(seconds))
            self.backends[decision.backend] += 1
            self.invalid_rates.append(decision.regime.invalid_code_rate)

    def record_failure(self, reason: str) -> None:
        """Count a backend failure; each distinct reason is logged once."""
        with self._lock:
            first = reason not in self.failures
            self.failures[reason] += 1
        if first:
            log.warning("backend failed, using the classical fallback: %s", reason)

    def summary(self) -> dict:
        with self._lock:
            return {
                "ticks": self.ticks,
                "mean_ms": {k: 1000 * float(np.mean(v)) for k, v in self.timings.items() if v},
                "backends": dict(self.backends),
                "failures": sum(self.failures.values()),
                "mean_invalid_code_rate": float(np.mean(self.invalid_rates)) if self.invalid_rates else 0.0,
            }
