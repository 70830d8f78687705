"""A resilient wrapper around any executor: a timeout per call, bounded retries, a fallback.

:class:`ResilientExecutor` runs ``executor.run(...)`` in a worker thread with a timeout
(:func:`call_with_timeout`), reads the result with a caller's ``read`` function inside the same
attempt (a result that does not read is a failed attempt too), and retries a failed attempt
``retries`` times with exponential backoff (tenacity: waits ``backoff_s · 2^k``, capped at
``max(backoff_s, 30 s)``). When every attempt failed it either raises the last error or, with
``fallback=True``, returns an :class:`Attempt` whose ``failure`` names the executor, the error
and the number of attempts, so the caller can fall back (QAR falls back to the exact twin).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Optional, TypeVar

from qar_qiskit.errors import BackendError, QARError

__all__ = ["Attempt", "ResilientExecutor", "call_with_timeout", "retrying"]

T = TypeVar("T")


def call_with_timeout(fn: Callable[..., Any], timeout_s: float, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` in a worker thread; BackendError if it takes longer than ``timeout_s``.

    A timed-out call cannot be cancelled (the simulator or the network request keeps its
    thread until it returns); its result is discarded. An exception that is not a
    :class:`QARError` becomes a :class:`BackendError` naming its type.
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


def retrying(fn: Callable[[], T], retries: int, backoff_s: float) -> T:
    """``fn()`` with ``retries`` retries on :class:`QARError`, exponential backoff (tenacity)."""
    import tenacity

    retryer = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(retries + 1),
        wait=tenacity.wait_exponential(multiplier=backoff_s, min=backoff_s, max=max(backoff_s, 30.0)),
        retry=tenacity.retry_if_exception_type(QARError),
        reraise=True,
    )
    return retryer(fn)


@dataclass(frozen=True)
class Attempt(Generic[T]):
    """The outcome of :meth:`ResilientExecutor.run`.

    Attributes:
        result: the executor's first :class:`~qar_qiskit.backends.base.ExecutionResult` (None on failure).
        value: what ``read(result)`` returned (None on failure).
        execute_s, read_s: seconds of the successful attempt's call and read.
        failure: on failure with ``fallback=True``: ``"<executor>: <error> (after N attempt(s))"``.
    """

    result: Any = None
    value: Optional[T] = None
    execute_s: float = 0.0
    read_s: float = 0.0
    failure: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.failure is None


class ResilientExecutor:
    """Timeout, retries and fallback around any executor.

    Args:
        executor: anything with ``run(circuit, values, shots=, seed=, ...) -> [ExecutionResult]``
            and a ``name``.
        timeout_s: seconds one call may take.
        retries: further attempts after a failed one (0: one attempt).
        backoff_s: the first wait between attempts (doubling after each).
        fallback: return a failed :class:`Attempt` after the last failure instead of raising.
    """

    def __init__(self, executor: Any, *, timeout_s: float, retries: int = 0, backoff_s: float = 0.0,
                 fallback: bool = True) -> None:
        self.executor = executor
        self.timeout_s = float(timeout_s)
        self.retries = int(retries)
        self.backoff_s = float(backoff_s)
        self.fallback = bool(fallback)

    @classmethod
    def from_config(cls, executor: Any, performance: Any) -> ResilientExecutor:
        """From a config's ``performance`` section (``backend_timeout_s``, ``backend_retries``,
        ``retry_backoff_s``, ``classical_fallback``)."""
        return cls(executor, timeout_s=performance.backend_timeout_s, retries=performance.backend_retries,
                   backoff_s=performance.retry_backoff_s, fallback=performance.classical_fallback)

    @property
    def name(self) -> str:
        return getattr(self.executor, "name", type(self.executor).__name__)

    def run(self, circuit: Any, values: Any, read: Callable[[Any], T], **run_kwargs: Any) -> Attempt[T]:
        """Run the first row of ``values`` and ``read`` its result, with timeout and retries.

        Raises:
            QARError: the last attempt's error when ``fallback`` is off.
        """

        def attempt() -> Attempt[T]:
            t0 = time.perf_counter()
            result = call_with_timeout(self.executor.run, self.timeout_s, circuit, values, **run_kwargs)[0]
            t1 = time.perf_counter()
            value = read(result)
            return Attempt(result, value, t1 - t0, time.perf_counter() - t1)

        try:
            return retrying(attempt, self.retries, self.backoff_s)
        except QARError as exc:
            if not self.fallback:
                raise
            return Attempt(failure=f"{self.name}: {exc} (after {self.retries + 1} attempt(s))")
