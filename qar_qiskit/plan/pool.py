"""The qubit pool (the seeds' QuantumResourcePool), honest version.

The pool owns ONE shared :class:`~qiskit.circuit.QuantumRegister` of ``total_qubits`` and
hands out disjoint sets of its qubits to components::

    pool = QubitPool(25)
    with pool.allocate(4, "lmsr") as block:
        circuit.compose(fragment, qubits=block.qubits, inplace=True)

Qubits always return to the pool when the ``with`` block ends, exceptions included. A qubit
handed out again after a release is marked for reset (``block.needs_reset``): on hardware a
released qubit still holds its last state, so the next user must reset it (mid-circuit
``reset``) before use — that is what qubit reuse costs and what it saves in width.

Nothing is materialised per qubit of the budget: the register is Qiskit's lazy
``QuantumRegister`` (``QuantumRegister(10**9)`` costs no memory; measured 2026-12-03, peak RSS
unchanged at 88 MiB), and the free qubits are a counter of never-used indices plus a heap of
released ones, so memory grows with the qubits actually handed out, not with ``total_qubits``
(issue #17: ``list(range(total_qubits))`` at 10^9 grew a process to 22 GB).
"""

from __future__ import annotations

import heapq
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from qiskit.circuit import QuantumRegister, Qubit

from qar_qiskit.errors import ResourceError


@dataclass(frozen=True)
class QubitBlock:
    """Qubits held by one component.

    Attributes:
        component: who holds them.
        indices: positions on the shared register.
        qubits: the :class:`Qubit` objects of the shared register.
        needs_reset: the subset of ``indices`` that a previous holder used (reset before use).
    """

    component: str
    indices: tuple[int, ...]
    qubits: tuple[Qubit, ...]
    needs_reset: tuple[int, ...] = ()

    def __len__(self) -> int:
        return len(self.indices)


@dataclass
class _Usage:
    allocations: int = 0
    qubits: int = 0
    peak: int = 0
    held: int = 0


class QubitPool:
    """Thread-safe allocator over one shared ``QuantumRegister``.

    Args:
        total_qubits: size of the shared register (the budget, 25 by default).
        history_size: how many allocate/release events the history keeps.
    """

    def __init__(self, total_qubits: int = 25, history_size: int = 1000) -> None:
        if not isinstance(total_qubits, int) or isinstance(total_qubits, bool) or total_qubits <= 0:
            raise ResourceError(f"total_qubits must be a positive integer, got {total_qubits!r}")
        try:
            self.register = QuantumRegister(total_qubits, "q")
        except OverflowError:
            raise ResourceError(f"total_qubits: {total_qubits} is too large for a register") from None
        self.total_qubits = total_qubits
        # Free qubits = the released ones (a min-heap) and every index >= _fresh (never used).
        self._fresh = 0
        self._released: list[int] = []
        self._holders: dict[int, str] = {}
        self._used_before: set[int] = set()
        self._lock = threading.RLock()
        self._history: deque[dict] = deque(maxlen=history_size)
        self._usage: dict[str, _Usage] = {}
        self._denied = Counter()

    # -- allocation -------------------------------------------------------------------------
    @contextmanager
    def allocate(self, n: int, component: str) -> Iterator[QubitBlock]:
        """Hold ``n`` qubits for ``component`` for the duration of the ``with`` block.

        Raises:
            ResourceError: ``n`` is not positive or more than the free qubits (the message
                says how many were requested and how many are free).
        """
        block = self.acquire(n, component)
        try:
            yield block
        finally:
            self.release(block)

    def acquire(self, n: int, component: str) -> QubitBlock:
        """Take ``n`` qubits (pair with :meth:`release`; prefer :meth:`allocate`)."""
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            raise ResourceError(f"{component}: requested {n!r} qubits; a positive integer is required")
        with self._lock:
            free = self._free_count()
            if n > free:
                self._denied[component] += 1
                raise ResourceError(
                    f"{component}: requested {n} qubits but only {free} of "
                    f"{self.total_qubits} are free"
                )
            # the n lowest free indices: released ones are all below _fresh, so they come first
            taken = [heapq.heappop(self._released) for _ in range(min(n, len(self._released)))]
            rest = n - len(taken)
            indices = (*taken, *range(self._fresh, self._fresh + rest))
            self._fresh += rest
            for i in indices:
                self._holders[i] = component
            reset = tuple(i for i in indices if i in self._used_before)
            usage = self._usage.setdefault(component, _Usage())
            usage.allocations += 1
            usage.qubits += n
            usage.held += n
            usage.peak = max(usage.peak, usage.held)
            self._history.append({"t": time.time(), "action": "allocate", "component": component,
                                  "qubits": list(indices)})
            return QubitBlock(component, indices, tuple(self.register[i] for i in indices), reset)

    def release(self, block: QubitBlock) -> None:
        """Return a block's qubits; they are marked for reset before their next use."""
        with self._lock:
            for i in block.indices:
                if self._holders.get(i) != block.component:
                    raise ResourceError(f"{block.component}: qubit {i} is not held by this component")
            for i in block.indices:
                del self._holders[i]
                heapq.heappush(self._released, i)
                self._used_before.add(i)
            self._usage[block.component].held -= len(block.indices)
            self._history.append({"t": time.time(), "action": "release", "component": block.component,
                                  "qubits": list(block.indices)})

    # -- inspection -------------------------------------------------------------------------
    def _free_count(self) -> int:
        return len(self._released) + self.total_qubits - self._fresh

    @property
    def free_count(self) -> int:
        with self._lock:
            return self._free_count()

    def holders(self) -> dict[int, str]:
        """Qubit index -> component currently holding it."""
        with self._lock:
            return dict(self._holders)

    def history(self) -> list[dict]:
        with self._lock:
            return list(self._history)

    def statistics(self) -> dict:
        """Per-component usage: allocations, qubits handed out, peak and current holding."""
        with self._lock:
            return {
                "total_qubits": self.total_qubits,
                "free": self._free_count(),
                "denied": dict(self._denied),
                "components": {name: vars(u).copy() for name, u in sorted(self._usage.items())},
            }

    def check(self) -> list[str]:
        """Consistency problems (empty when healthy): leaks, duplicates, lost qubits."""
        with self._lock:
            problems = []
            released = set(self._released)
            if len(released) != len(self._released):
                problems.append("a qubit is listed twice as free")
            if any(i in self._holders for i in released) or any(i >= self._fresh for i in self._holders):
                problems.append("a qubit is both free and held")
            if any(i >= self._fresh for i in released):
                problems.append("a never-used qubit is listed as released")
            if self._free_count() + len(self._holders) != self.total_qubits:
                problems.append("qubits lost: free + held != total")
            return problems
