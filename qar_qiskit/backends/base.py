"""The one executor interface every backend implements.

An :class:`Executor` turns a tick circuit plus a ``(batch, num_parameters)`` array of
parameter values into one :class:`ExecutionResult` per row: counts per named classical
register (``market``, ``memory``, ... ``buffer``), the shots, the backend name and timings.

Two steps, so that a plan is transpiled once and every tick only binds numbers:

* :meth:`Executor.prepare` transpiles a tick circuit for the backend (cached in a
  :class:`~qar_qiskit.backends.cache.TranspileCache` keyed by ``(plan.key(), backend name,
  optimization level)``) and returns the ISA circuit;
* :meth:`Executor.run` binds and samples all parameter rows in one backend call where the
  backend allows (a SamplerV2 PUB with a parameter array, or Aer ``parameter_binds``).

This module holds the interface and the result types only. The shared prepare/run skeleton is
:class:`~qar_qiskit.backends.executor.CachingExecutor` (a template method: each executor writes
only its sampling step); the counts code is :mod:`~qar_qiskit.backends.counts`.

``exact`` is not a circuit backend (the pipeline evaluates the classical twin); the
:class:`ExactBackend` placeholder only lets callers branch on ``is_exact``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qiskit.circuit import QuantumCircuit

from qar_qiskit.backends.counts import PostSelect, kept_shots, postselect_metadata
from qar_qiskit.errors import BackendError, InputError
from qar_qiskit.jsonsafe import json_safe

__all__ = ["ExecutionResult", "Executor", "ExactBackend", "PreparedCircuit", "PostSelect"]


@dataclass
class ExecutionResult:
    """The outcome of one parameter row.

    Attributes:
        counts: raw counts per classical register, ``{"market": {"0101": 812, ...}, ...}``;
            bit strings are in Qiskit order (bit 0 of the register is the right-most char).
        shots: shots taken (each register's counts sum to it).
        backend: the executor's name (``aer``, ``aer-noisy:FakeTorino``, ``ibm:ibm_torino``).
        timing: seconds: ``prepare_s`` (0 on a cache hit), ``run_s`` (the whole batch's backend
            call), ``per_row_s`` (``run_s / batch``).
        mitigated: readout-mitigated quasi-probabilities per register (noisy backends with
            mitigation on), else ``None``. Quasi-probabilities may be slightly negative.
        job_id: the IBM job id for hardware runs.
        metadata: backend specific extras (method, seed, mitigation method, ...).
    """

    counts: dict[str, dict[str, int]]
    shots: int
    backend: str
    timing: dict[str, float] = field(default_factory=dict)
    mitigated: dict[str, dict[str, float]] | None = None
    job_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, register: str, *, mitigated: bool = False) -> dict[str, float]:
        """Counts (or mitigated quasi-probabilities) of one register, normalised to sum 1."""
        if mitigated and self.mitigated is not None:
            return dict(self.mitigated[register])
        counts = self.counts[register]
        total = sum(counts.values()) or 1
        return {k: v / total for k, v in counts.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (used by the job store and ``qar result --json``)."""
        return {
            "counts": self.counts,
            "shots": self.shots,
            "backend": self.backend,
            "timing": self.timing,
            "mitigated": self.mitigated,
            "job_id": self.job_id,
            "metadata": json_safe(self.metadata),
        }

    @classmethod
    def rows(cls, counts: Sequence[dict[str, dict[str, int]]], *, shots: int, backend: str,
             timing: Mapping[str, float] | None = None, metadata: Mapping[str, Any] | None = None,
             mitigated: Sequence[dict[str, dict[str, float]] | None] | None = None, job_id: str | None = None,
             postselect: PostSelect | None = None) -> list[ExecutionResult]:
        """One result per row of a batch: the rows share ``timing`` and ``metadata`` (copied);
        with ``postselect``, each row's metadata also says what was kept (``postselect``,
        ``kept_shots``)."""
        meta = {**(metadata or {}), **postselect_metadata(postselect)}
        mitigated = mitigated if mitigated is not None else [None] * len(counts)
        return [cls(counts=c, shots=int(shots), backend=backend, timing=dict(timing or {}), mitigated=m,
                    job_id=job_id, metadata={**meta, **kept_shots(c, postselect)})
                for c, m in zip(counts, mitigated)]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExecutionResult:
        return cls(
            counts={r: {k: int(v) for k, v in c.items()} for r, c in data["counts"].items()},
            shots=int(data["shots"]),
            backend=str(data["backend"]),
            timing=dict(data.get("timing") or {}),
            mitigated=data.get("mitigated"),
            job_id=data.get("job_id"),
            metadata=dict(data.get("metadata") or {}),
        )


@dataclass
class PreparedCircuit:
    """A transpiled (ISA) circuit plus what binding needs: the cache's value type.

    ``columns[j]`` is the index, in the caller's parameter order, of ``isa.parameters[j]``, so
    a caller's ``(B, P)`` array becomes the ISA circuit's ``(B, P')`` array by ``values[:, columns]``.
    An executor that keeps more per cached circuit subclasses this with typed fields
    (:class:`~qar_qiskit.backends.aer.AerPrepared`, :class:`~qar_qiskit.backends.noisy.NoisyPrepared`).

    Attributes:
        metrics: the ISA circuit's metrics, computed once on the first
            :meth:`~qar_qiskit.backends.executor.CachingExecutor.circuit_metrics` call.
    """

    isa: QuantumCircuit
    columns: np.ndarray
    num_input_parameters: int
    metrics: dict[str, Any] | None = None

    def bind_matrix(self, values: np.ndarray) -> np.ndarray:
        if values.shape[1] != self.num_input_parameters:
            raise InputError(
                f"parameter_values: expected {self.num_input_parameters} columns, got {values.shape[1]}"
            )
        return values[:, self.columns] if len(self.columns) else np.zeros((values.shape[0], 0))


class Executor(ABC):
    """Runs tick circuits on one backend. See the module docstring for the two-step contract."""

    #: ``aer``, ``aer-noisy:FakeTorino``, ``ibm:ibm_fez`` or ``exact``.
    name: str = "executor"
    #: True only for the ``exact`` placeholder (no circuit is run).
    is_exact: bool = False
    #: Default shots when ``run`` gets none.
    default_shots: int = 1024
    #: Default optimization level for ``prepare``.
    optimization_level: int = 1

    @property
    @abstractmethod
    def num_qubits(self) -> int:
        """Qubits the backend offers."""

    @property
    @abstractmethod
    def supports_dynamic(self) -> bool:
        """Whether the backend runs dynamic circuits (``if_else``)."""

    @property
    @abstractmethod
    def noisy(self) -> bool:
        """Whether results carry device noise."""

    @abstractmethod
    def prepare(self, tick_circuit: Any, optimization_level: int | None = None) -> QuantumCircuit:
        """Return the ISA circuit for ``tick_circuit`` (cached; transpiles only on a miss)."""

    @abstractmethod
    def run(
        self,
        circuit: Any,
        parameter_values: Any = None,
        shots: int | None = None,
        seed: int | None = None,
        postselect: PostSelect | None = None,
    ) -> list[ExecutionResult]:
        """Sample every row of ``parameter_values`` (B×P, in ``circuit.parameters`` order).

        ``postselect`` keeps only the shots whose registers hold the listed codes (see
        :func:`~qar_qiskit.backends.counts.counts_from_codes`); the counts then sum to the kept shots, ``shots``
        stays the number taken and ``metadata["kept_shots"]`` says how many were kept.
        """

    def describe(self) -> dict[str, Any]:
        """One row of ``qar backends``."""
        return {
            "name": self.name,
            "qubits": self.num_qubits,
            "dynamic": self.supports_dynamic,
            "noisy": self.noisy,
        }

    def close(self) -> None:  # noqa: B027 - an optional hook: the default releases nothing
        """Release sessions or threads held by the executor."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class ExactBackend(Executor):
    """The ``exact`` placeholder: the pipeline evaluates the classical twin, no circuit runs."""

    name = "exact"
    is_exact = True

    @property
    def num_qubits(self) -> int:
        return 0

    @property
    def supports_dynamic(self) -> bool:
        return False

    @property
    def noisy(self) -> bool:
        return False

    def prepare(self, tick_circuit, optimization_level=None):
        raise BackendError("backend 'exact' runs no circuit: the pipeline evaluates the exact twin")

    def run(self, circuit, parameter_values=None, shots=None, seed=None, postselect=None):
        raise BackendError("backend 'exact' runs no circuit: the pipeline evaluates the exact twin")

    def describe(self) -> dict[str, Any]:
        return {"name": "exact", "qubits": 0, "dynamic": False, "noisy": False}
