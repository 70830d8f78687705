"""Noiseless Aer execution tuned for the tick circuit (``aer``).

Measured defaults (``.venv/bin/python benchmarks/bench_execution.py --out DIR --repeats 5``;
2-core machine shared with other jobs, so treat small differences as noise; 1000 shots, median
ms per ``AerSimulator.run`` call; the 24-qubit circuit is the composer's real ``TickCircuit``
for the default plan, the 16-qubit one is its smallest plan)::

    circuit method       threads  fusion   1 row   8 rows (one call, parameter_binds)
    16q     statevector  1        on        64      430
    16q     statevector  1        off       75      572
    16q     statevector  default  on       355     1379
    16q     statevector  default  off      236    13478
    16q     MPS(mps_probabilities) 1  on    67      350
    16q     MPS(mps_probabilities) 1  off   44      412
    16q     MPS          default  on/off  62/77  492/468
    24q     MPS          1        on        96      534
    24q     MPS          1        off       72      658
    24q     MPS          default  on/off 115/110  746/786

    24q warm AerExecutor.run (1 row) 138 ms vs raw AerSimulator.run of the same bound ISA
    circuit 85 ms (ratio 1.6: parameter_binds + per-register split); naive loop (transpile
    every tick, AerSimulator() defaults = statevector, all threads) 10.8 s, i.e. 78x slower.
    Aer SamplerV2 engine: 186 ms (1 row) / 979 ms (8 rows) vs direct 138 / 732 ms.

    Since then (session 3, 25q default plan, 1024 shots): one row is bound in Python through
    :class:`~qar_qiskit.backends.binding.AffineBinding` (0.15 ms; ``assign_parameters`` on the
    transpiled expressions took 3.4 ms, Aer's ``parameter_binds`` was slower still) and the
    per-register counts come from Aer's raw counts (:func:`register_counts`, 0.5 ms instead of
    ~20 ms through ``Result.get_counts``); a warm ``QAR.decide`` is 1.1-1.3x the raw Aer run.
    Of the raw run (~44 ms wall on real ticks) ~33 ms is Aer's C++ (21 ms of it sampling the MPS)
    and ~11 ms Aer's own Python conversion. Re-ordering the qubits for the MPS, more threads and
    optimization level 3 were within noise of these defaults.

An earlier statevector run of the 24-qubit circuit took ~3 s per call.

Hence the defaults below: ``method="auto"`` picks ``statevector`` up to
:data:`STATEVECTOR_MAX_QUBITS` qubits and ``matrix_product_state`` with
``mps_sample_measure_algorithm="mps_probabilities"`` above (the 23-25 qubit tick circuit is
weakly entangled across component blocks, so its MPS stays small); Aer runs single-threaded
(``max_parallel_threads=1``) because on 2 cores the OpenMP start-up costs more than it saves;
and several parameter rows of a batch go into one ``AerSimulator.run`` call via
``parameter_binds`` on the affine template (the ``direct`` engine). ``engine="sampler"`` uses
``qiskit_aer.primitives.SamplerV2`` with a parameter-array PUB instead; it gives the same
counts but adds the per-shot memory packing measured above.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_aer import AerSimulator

from qar_qiskit.backends.base import PreparedCircuit
from qar_qiskit.backends.binding import AffineBinding
from qar_qiskit.backends.counts import counts_from_pub_result, register_counts
from qar_qiskit.backends.executor import CachingExecutor, RunRequest, Sampled
from qar_qiskit.errors import BackendError, ConfigError

__all__ = ["AerExecutor", "AerPrepared", "STATEVECTOR_MAX_QUBITS", "DEFAULT_AER_OPTIONS", "MPS_OPTIONS"]

#: Largest circuit simulated with ``statevector`` under ``method="auto"``.
STATEVECTOR_MAX_QUBITS = 16

#: Backend options applied to every simulator unless overridden.
DEFAULT_AER_OPTIONS: dict[str, Any] = {"max_parallel_threads": 1, "fusion_enable": True}

#: Extra options for the MPS method.
MPS_OPTIONS: dict[str, Any] = {"mps_sample_measure_algorithm": "mps_probabilities"}

#: Batches up to this many rows are bound in Python (``assign_parameters``) rather than by Aer.
BIND_IN_PYTHON_MAX_ROWS = 1

#: Largest circuit Aer is asked to run noiselessly (MPS has no hard limit; this is a sanity cap).
AER_MAX_QUBITS = 64


@dataclass(eq=False)
class AerPrepared(PreparedCircuit):
    """A cached Aer circuit plus its affine binding (:mod:`~qar_qiskit.backends.binding`), built
    once per cached circuit; ``None`` binds through ``assign_parameters`` instead."""

    affine: AffineBinding | None = None


class AerExecutor(CachingExecutor):
    """``aer``: AerSimulator, transpile once per plan, one simulator call per batch.

    Args:
        method: ``"auto"`` (statevector ≤ ``statevector_max_qubits`` qubits, else MPS) or any
            Aer method name.
        engine: ``"direct"`` (AerSimulator.run with parameter_binds; default) or ``"sampler"``
            (qiskit_aer.primitives.SamplerV2 with a parameter-array PUB).
        aer_options: Aer backend options merged over :data:`DEFAULT_AER_OPTIONS`.
        shots, seed, optimization_level: defaults for :meth:`run` / :meth:`prepare`.
        cache: a shared :class:`~qar_qiskit.backends.cache.TranspileCache`.
    """

    name = "aer"
    prepared_class = AerPrepared

    def __init__(
        self,
        *,
        method: str = "auto",
        engine: str = "direct",
        aer_options: dict[str, Any] | None = None,
        shots: int = 1024,
        seed: int | None = None,
        optimization_level: int = 1,
        statevector_max_qubits: int = STATEVECTOR_MAX_QUBITS,
        cache=None,
    ):
        super().__init__(cache=cache, optimization_level=optimization_level, default_shots=shots, seed=seed)
        if engine not in ("direct", "sampler"):
            raise ConfigError(f"engine: must be 'direct' or 'sampler', got {engine!r}")
        self.method = method
        self.engine = engine
        self.statevector_max_qubits = int(statevector_max_qubits)
        self.aer_options = {**DEFAULT_AER_OPTIONS, **(aer_options or {})}
        self.aer_options.pop("method", None)
        self._simulators: dict[str, AerSimulator] = {}

    # -- properties --------------------------------------------------------------------------
    @property
    def num_qubits(self) -> int:
        return AER_MAX_QUBITS

    @property
    def supports_dynamic(self) -> bool:
        return True

    @property
    def noisy(self) -> bool:
        return False

    # -- simulators --------------------------------------------------------------------------
    def method_for(self, num_qubits: int) -> str:
        if self.method != "auto":
            return self.method
        return "statevector" if num_qubits <= self.statevector_max_qubits else "matrix_product_state"

    def simulator(self, method: str) -> AerSimulator:
        """One AerSimulator per method, built once and reused."""
        sim = self._simulators.get(method)
        if sim is None:
            options = dict(self.aer_options)
            if method == "matrix_product_state":
                options = {**MPS_OPTIONS, **options}
            else:
                options = {k: v for k, v in options.items() if not k.startswith("mps_")}
            try:
                sim = AerSimulator(method=method, **options)
            except Exception as exc:  # invalid option names or values
                raise BackendError(f"aer: cannot build simulator ({method}): {exc}") from None
            self._simulators[method] = sim
        return sim

    def _pass_manager(self, optimization_level: int, method: str = "statevector"):
        # Transpile against the simulator of the method that will run the circuit: the methods
        # support different gate sets (MPS has no mcx, which the composed tick circuit uses).
        return generate_preset_pass_manager(optimization_level=optimization_level, backend=self.simulator(method))

    def _transpile(self, circuit, optimization_level: int):
        self.transpile_count += 1
        method = self.method_for(circuit.num_qubits)
        return self._pass_manager(optimization_level, method).run(circuit)

    # -- run ---------------------------------------------------------------------------------
    def _sample(self, request: RunRequest, postselect) -> Sampled:
        prepared = request.prepared
        method = self.method_for(prepared.isa.num_qubits)
        if self.engine == "sampler":
            rows = self._run_sampler(prepared.isa, request.bound, request.shots, request.seed, method, postselect)
        else:
            rows = self._run_direct(prepared.isa, request.bound, request.shots, request.seed, method,
                                    prepared.affine, postselect)
        return Sampled(rows, {"method": method, "seed": request.seed, "engine": self.engine})

    def _post_transpile(self, prepared: AerPrepared) -> AerPrepared:
        prepared.affine = AffineBinding.of(prepared.isa)  # once per cached circuit
        return prepared

    def _run_direct(self, isa, bound: np.ndarray, shots: int, seed, method: str,
                    affine: AffineBinding | None = None, postselect=None) -> list[dict]:
        sim = self.simulator(method)
        kwargs: dict[str, Any] = {"shots": shots}
        if seed is not None:
            kwargs["seed_simulator"] = int(seed)
        n = bound.shape[0] if isa.num_parameters else 1
        if isa.num_parameters and affine is not None:
            # Gate angles as one affine map of the inputs (see backends/binding.py); the template
            # has plain Parameters, which bind ~20x faster than the transpiled expressions.
            circuit, angles = affine.template, affine.angles(bound)
        else:
            circuit, angles = isa, bound
        if isa.num_parameters and n <= BIND_IN_PYTHON_MAX_ROWS:
            # Measured: one row bound in Python and run is faster than Aer's parameter_binds
            # (see the module docstring); several rows go to Aer in one call.
            result = sim.run([circuit.assign_parameters(row) for row in angles], **kwargs).result()
        else:
            if isa.num_parameters:
                kwargs["parameter_binds"] = [{p: angles[:, j] for j, p in enumerate(circuit.parameters)}]
            result = sim.run(circuit, **kwargs).result()
        if not result.success:
            raise BackendError(f"aer: simulation failed: {result.status}")
        rows = [register_counts(result, i, isa, postselect) for i in range(n)]
        if not isa.num_parameters and bound.shape[0] > 1:
            rows = rows * bound.shape[0]
        return rows

    def _run_sampler(self, isa, bound: np.ndarray, shots: int, seed, method: str, postselect=None) -> list[dict]:
        from qiskit_aer.primitives import SamplerV2

        sampler = SamplerV2.from_backend(self.simulator(method), seed=seed)
        pub = (isa, bound, shots) if isa.num_parameters else (isa, None, shots)
        result = sampler.run([pub]).result()[0]
        names = [r.name for r in isa.cregs]
        n = bound.shape[0]
        if not isa.num_parameters:
            return [counts_from_pub_result(result, names, 0, postselect)] * n
        return [counts_from_pub_result(result, names, i, postselect) for i in range(n)]
