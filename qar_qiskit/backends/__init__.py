"""Execution backends: one :class:`Executor` interface over Aer, noisy fake devices and IBM.

>>> ex = make_executor("aer", shots=1000, seed=1)
>>> results = ex.run(tick_circuit, values)          # values: (batch, num_parameters)
>>> results[0].counts["decision"]                    # per-register counts

See :mod:`qar_qiskit.backends.base` (the interface and result types),
:mod:`~qar_qiskit.backends.executor` (``CachingExecutor``: the prepare/run template an executor
fills with its sampling step), :mod:`~qar_qiskit.backends.counts` (register marginals,
post-selection, counts -> vectors, the 3-standard-error rule), :mod:`~qar_qiskit.backends.cache`
(transpile cache), :mod:`~qar_qiskit.backends.aer` (measured Aer defaults),
:mod:`~qar_qiskit.backends.noisy` (fake devices + readout mitigation),
:mod:`~qar_qiskit.backends.ibm` (IBM Runtime; primitive choice),
:mod:`~qar_qiskit.backends.jobstore` (job store, job status helpers) and
:mod:`~qar_qiskit.backends.jobs` (cross-process submit/status/result).
"""

from qar_qiskit.backends.base import ExactBackend, ExecutionResult, Executor, PreparedCircuit
from qar_qiskit.backends.cache import TranspileCache
from qar_qiskit.backends.registry import (
    BackendProfile,
    list_backends,
    load_profile,
    make_executor,
    make_executor_from_profile,
)

__all__ = [
    "Executor",
    "ExecutionResult",
    "ExactBackend",
    "PreparedCircuit",
    "TranspileCache",
    "BackendProfile",
    "make_executor",
    "make_executor_from_profile",
    "load_profile",
    "list_backends",
]
