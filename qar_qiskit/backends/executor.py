"""The shared executor skeleton: transpile once per plan, then bind and sample (a template method).

:class:`CachingExecutor` is the base of every circuit executor (``aer``, ``aer-noisy:*``,
``ibm:*``). Its :meth:`~CachingExecutor.run` is the one run skeleton:

1. :meth:`~CachingExecutor.request` resolves the inputs once: the cached
   :class:`~qar_qiskit.backends.base.PreparedCircuit` (transpiled on a miss), the caller's values
   as the ISA circuit's ``(B, P')`` array, the shots and the seed (the executor's defaults when
   not given);
2. the executor's own :meth:`~CachingExecutor._sample` runs the backend and returns a
   :class:`Sampled` (counts per row, optional mitigated quasi-probabilities, metadata);
3. :meth:`ExecutionResult.rows <qar_qiskit.backends.base.ExecutionResult.rows>` turns it into
   one result per row, with the timings (``prepare_s``, ``run_s``, ``per_row_s``) and the
   post-selection metadata.

So an executor writes only its pass manager and its sampling step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qiskit.circuit import QuantumCircuit

from qar_qiskit.backends.base import ExecutionResult, Executor, PostSelect, PreparedCircuit
from qar_qiskit.backends.circuit_info import (
    as_value_matrix,
    circuit_of,
    column_map,
    is_dynamic,
    parameters_of,
    plan_key_of,
)
from qar_qiskit.errors import BackendError, InputError

__all__ = ["CachingExecutor", "RunRequest", "Sampled", "device_metrics"]


@dataclass(frozen=True, eq=False)
class RunRequest:
    """One :meth:`CachingExecutor.run` call's inputs, resolved.

    Attributes:
        tick_circuit: what the caller passed (a TickCircuit or a QuantumCircuit).
        prepared: the cached transpiled circuit.
        bound: ``(B, P')`` values in ``prepared.isa.parameters`` order (``P'`` may be 0).
        shots: shots per row (>= 1).
        seed: the simulator seed (the call's, else the executor's; may be ``None``).
        prepare_s: seconds spent preparing (0 on a cache hit).
    """

    tick_circuit: Any
    prepared: PreparedCircuit
    bound: np.ndarray
    shots: int
    seed: int | None
    prepare_s: float

    @property
    def rows(self) -> int:
        return int(self.bound.shape[0])


@dataclass
class Sampled:
    """What an executor's sampling step returns.

    Attributes:
        counts: per row, ``{register: {bit string: count}}``.
        metadata: backend specific, shared by the rows (method, engine, groups, ...).
        mitigated: per row, readout-mitigated quasi-probabilities per register (or ``None``).
        timing: seconds; ``run_s`` when the backend time is not the step's wall time (the
            noisy executor's summed simulations, an IBM job's wait), plus extras (``mitigation_s``).
        job_id: the IBM job id.
    """

    counts: list[dict[str, dict[str, int]]]
    metadata: dict[str, Any] = field(default_factory=dict)
    mitigated: list[dict[str, dict[str, float]] | None] | None = None
    timing: dict[str, float] = field(default_factory=dict)
    job_id: str | None = None

    def results(self, *, shots: int, backend: str, prepare_s: float, run_s: float,
                postselect: PostSelect | None = None) -> list[ExecutionResult]:
        """One :class:`~qar_qiskit.backends.base.ExecutionResult` per row."""
        run_s = self.timing.get("run_s", run_s)
        timing = {"prepare_s": prepare_s, "run_s": run_s, "per_row_s": run_s / max(1, len(self.counts)),
                  **{k: v for k, v in self.timing.items() if k != "run_s"}}
        return ExecutionResult.rows(self.counts, shots=shots, backend=backend, timing=timing,
                                    metadata=self.metadata, mitigated=self.mitigated, job_id=self.job_id,
                                    postselect=postselect)


class CachingExecutor(Executor):
    """Shared prepare and run logic: transpile on a cache miss, then only bind and sample.

    Subclasses provide :meth:`_pass_manager` (a staged pass manager for this backend) and
    :meth:`_sample` (the backend call); they may set :attr:`prepared_class` and override
    :meth:`_post_transpile` to keep typed backend-specific data (e.g. a compacted circuit) in
    the cached :class:`~qar_qiskit.backends.base.PreparedCircuit`.
    """

    #: The cache's value type (a :class:`PreparedCircuit` subclass with the executor's fields).
    prepared_class: type[PreparedCircuit] = PreparedCircuit

    def __init__(self, *, cache=None, optimization_level: int = 1, default_shots: int = 1024,
                 seed: int | None = None):
        from qar_qiskit.backends.cache import TranspileCache

        self.cache = cache if cache is not None else TranspileCache()
        self.optimization_level = int(optimization_level)
        self.default_shots = int(default_shots)
        self.seed = seed
        self.transpile_count = 0

    # -- the run template --------------------------------------------------------------------
    def run(self, circuit: Any, parameter_values: Any = None, shots: int | None = None, seed: int | None = None,
            postselect: PostSelect | None = None) -> list[ExecutionResult]:
        """See :meth:`Executor.run <qar_qiskit.backends.base.Executor.run>`: :meth:`request`, then
        the executor's :meth:`_sample`, then one result per row."""
        request = self.request(circuit, parameter_values, shots, seed)
        t0 = time.perf_counter()
        sampled = self._sample(request, postselect)
        return sampled.results(shots=request.shots, backend=self.name, prepare_s=request.prepare_s,
                               run_s=time.perf_counter() - t0, postselect=postselect)

    def request(self, circuit: Any, parameter_values: Any = None, shots: int | None = None,
                seed: int | None = None) -> RunRequest:
        """The run's inputs resolved: prepared circuit, bound values, shots and seed."""
        prepared, prepare_s = self.prepared(circuit)
        values = as_value_matrix(parameter_values, prepared.num_input_parameters)
        shots = int(shots or self.default_shots)
        if shots < 1:
            raise BackendError(f"shots: must be >= 1, got {shots}")
        return RunRequest(circuit, prepared, prepared.bind_matrix(values), shots,
                          self.seed if seed is None else seed, prepare_s)

    def _sample(self, request: RunRequest, postselect: PostSelect | None) -> Sampled:  # pragma: no cover
        """Run the backend on ``request`` and return the counts of every row."""
        raise NotImplementedError

    # -- prepare -----------------------------------------------------------------------------
    def _pass_manager(self, optimization_level: int):  # pragma: no cover - abstract-ish
        raise NotImplementedError

    def _post_transpile(self, prepared: PreparedCircuit) -> PreparedCircuit:
        return prepared

    def _transpile(self, circuit: QuantumCircuit, optimization_level: int) -> QuantumCircuit:
        self.transpile_count += 1
        return self._pass_manager(optimization_level).run(circuit)

    def prepared(self, tick_circuit: Any, optimization_level: int | None = None) -> tuple[PreparedCircuit, float]:
        """The cached :class:`PreparedCircuit` and the seconds spent preparing (0 on a hit)."""
        level = self.optimization_level if optimization_level is None else int(optimization_level)
        if not 0 <= level <= 3:
            raise InputError(f"optimization_level: must be 0..3, got {level}")
        key = self.cache.make_key(plan_key_of(tick_circuit), self.name, level)
        t0 = time.perf_counter()

        def build() -> PreparedCircuit:
            isa = self.transpile_uncached(tick_circuit, level)
            params = parameters_of(tick_circuit)
            prepared = self.prepared_class(isa=isa, columns=column_map(params, isa),
                                           num_input_parameters=len(params))
            return self._post_transpile(prepared)

        prepared, hit = self.cache.get_or_create(key, build)
        return prepared, (0.0 if hit else time.perf_counter() - t0)

    def transpile_uncached(self, tick_circuit: Any, optimization_level: int) -> QuantumCircuit:
        """The ISA circuit of ``tick_circuit`` at ``optimization_level``, bypassing the cache
        (and the simulators a noisy executor builds per cached circuit): ``qar circuits stats``."""
        circuit = circuit_of(tick_circuit)
        if is_dynamic(circuit) and not self.supports_dynamic:
            # No if_else on this backend: run the deferred-measurement equivalent instead.
            from qar_qiskit.circuits.deferred import defer_measurements

            circuit = defer_measurements(circuit)
        self._check_fits(circuit)
        return self._transpile(circuit, optimization_level)

    def prepare(self, tick_circuit: Any, optimization_level: int | None = None) -> QuantumCircuit:
        return self.prepared(tick_circuit, optimization_level)[0].isa

    def circuit_metrics(self, tick_circuit: Any, optimization_level: int | None = None) -> dict[str, Any]:
        """Qubits, depth, two-qubit gates and parameters of the cached ISA circuit.

        Computed once per cache entry (kept in ``PreparedCircuit.metrics``), so a warm tick pays
        only an attribute lookup.
        """
        prepared = self.prepared(tick_circuit, optimization_level)[0]
        if prepared.metrics is None:
            isa = prepared.isa
            two_q = sum(1 for ins in isa.data if ins.operation.num_qubits == 2 and ins.operation.name != "barrier")
            plan = getattr(tick_circuit, "plan", None)
            metrics = {"num_qubits": circuit_of(tick_circuit).num_qubits, "depth": isa.depth(),
                       "two_qubit_gates": two_q, "num_parameters": prepared.num_input_parameters,
                       "plan": plan.sizes() if plan is not None and hasattr(plan, "sizes") else {}}
            metrics.update(device_metrics(isa, self.device_target()))
            prepared.metrics = metrics
        return dict(prepared.metrics)

    def device_target(self):
        """The device target whose error rates give ESPs (noisy and IBM backends), else ``None``."""
        if not self.noisy:
            return None
        target = getattr(self, "target", None)
        return target if target is not None else getattr(getattr(self, "backend", None), "target", None)

    def cache_stats(self) -> dict[str, float]:
        """The transpile cache's size, hits, misses, evictions and hit rate."""
        return self.cache.stats()

    def _check_fits(self, circuit: QuantumCircuit) -> None:
        if circuit.num_qubits > self.num_qubits:
            raise BackendError(
                f"backend {self.name!r} has {self.num_qubits} qubits, the circuit needs {circuit.num_qubits}"
            )
        if not self.supports_dynamic and is_dynamic(circuit):
            raise BackendError(f"backend {self.name!r} does not support dynamic circuits (if_else)")


def device_metrics(isa: QuantumCircuit, target) -> dict[str, Any]:
    """Active qubits and ESP of the whole ISA circuit and the ``decision`` register's backward
    light cone (:mod:`qar_qiskit.backends.lightcone`), when there is a device ``target``."""
    if target is None:
        return {}
    from qar_qiskit.backends.lightcone import circuit_stats

    stats = circuit_stats(isa, target, registers=("decision",))
    whole = stats["*"]
    out: dict[str, Any] = {"active_qubits": whole.qubits, "esp": whole.esp}
    if "decision" in stats:
        d = stats["decision"]
        out["decision_cone"] = {"qubits": d.qubits, "two_qubit_gates": d.two_qubit_gates, "depth": d.depth,
                                "esp": d.esp}
    return out
