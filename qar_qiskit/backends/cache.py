"""Transpile once, bind many: an LRU cache of prepared (ISA) circuits.

Keys are ``(plan.key(), backend name, optimization level)``: the tick circuit's structure
depends on the allocation plan only, so a plan is transpiled once per backend and optimization
level and every later tick only binds numbers. The cache is thread-safe and a key being built
by one thread is waited for (not built twice) by the others.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["TranspileCache"]


class TranspileCache:
    """Thread-safe LRU cache with hit/miss counters.

    Args:
        maxsize: entries kept (least recently used evicted first); ``None``: the config's
            default ``performance.cache_size`` (executors built by ``make_executor`` from a config
            get that config's value). Plans are few (one per regime and pool state), so it rarely
            evicts.
    """

    def __init__(self, maxsize: int | None = None):
        if maxsize is None:
            from qar_qiskit.config import PerformanceConfig

            maxsize = PerformanceConfig.model_fields["cache_size"].default
        if maxsize < 1:
            raise ValueError("maxsize must be >= 1")
        self.maxsize = int(maxsize)
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[Hashable, threading.Event] = {}
        self.hits = 0
        self.misses = 0
        self.evictions = 0

    @staticmethod
    def make_key(plan_key: Hashable, backend_name: str, optimization_level: int) -> tuple:
        return (plan_key, str(backend_name), int(optimization_level))

    @property
    def hit_rate(self) -> float:
        """hits / (hits + misses); 0.0 before any lookup."""
        total = self.hits + self.misses
        return self.hits / total if total else 0.0

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._data

    def get(self, key: Hashable, default: Any = None) -> Any:
        """Look up without building (counts a hit or a miss)."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
            self.misses += 1
            return default

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._store(key, value)

    def get_or_create(self, key: Hashable, factory: Callable[[], Any]) -> tuple[Any, bool]:
        """Return ``(value, hit)``; on a miss ``factory()`` runs once, even under concurrency."""
        while True:
            with self._lock:
                if key in self._data:
                    self._data.move_to_end(key)
                    self.hits += 1
                    return self._data[key], True
                event = self._building.get(key)
                if event is None:
                    event = threading.Event()
                    self._building[key] = event
                    self.misses += 1
                    break
            event.wait()  # another thread builds this key; then look again
        try:
            value = factory()
            with self._lock:
                self._store(key, value)
            return value, False
        finally:
            with self._lock:
                self._building.pop(key, None)
            event.set()

    def _store(self, key: Hashable, value: Any) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)
            self.evictions += 1

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = self.evictions = 0

    def stats(self) -> dict[str, float]:
        return {
            "size": len(self),
            "maxsize": self.maxsize,
            "hits": self.hits,
            "misses": self.misses,
            "evictions": self.evictions,
            "hit_rate": self.hit_rate,
        }
