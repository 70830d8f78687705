"""Stage 2 of a tick: execute the prepared tick's circuit and read every register.

:func:`execute_tick` binds the plan's composed circuit, runs it through a
:class:`~qar_qiskit.backends.resilient.ResilientExecutor` (timeout, retries, fallback), reads
the registers' marginals and, when the executor returned readout-mitigated quasi-probabilities
of the decision register, uses those as the sampled distribution. The result is a frozen
:class:`Execution`; an exact executor or a failed run gives one without samples (the decision
is then the exact twin's).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from qar_qiskit.backends.counts import counts_vector
from qar_qiskit.backends.resilient import ResilientExecutor
from qar_qiskit.circuits.reader import Readout
from qar_qiskit.errors import BackendError
from qar_qiskit.settings import RunSettings
from qar_qiskit.system.prepare import PreparedTick

__all__ = ["Execution", "execute_tick", "postselection"]


@dataclass(frozen=True, eq=False)
class Execution:
    """What running a tick produced.

    Attributes:
        backend: the executor's name, ``exact`` or ``classical-fallback``.
        sampled: the sampled (or mitigated) decision distribution (None: no samples).
        readout: every register's marginal (None: no samples).
        circuit: the executor's circuit metrics (None when it has none or nothing ran).
        fallback_reason: why the run fell back to the exact twin (None otherwise).
        timing: seconds of the stages that ran (``bind_s``, ``execute_s``, ``read_s``).
    """

    backend: str
    sampled: Optional[np.ndarray] = None
    readout: Optional[Readout] = None
    circuit: Any = None
    fallback_reason: Optional[str] = None
    timing: dict = dataclasses.field(default_factory=dict)


def mitigated_distribution(quasi: dict[str, float], size: int) -> np.ndarray:
    """Readout-mitigated quasi-probabilities of a register -> a distribution (negatives clipped)."""
    dist = np.clip(counts_vector(quasi, size.bit_length() - 1, "decision", integer=False), 0.0, None)
    total = dist.sum()
    if not np.isfinite(total) or total <= 0:
        raise BackendError("decision: mitigated distribution has no positive mass")
    return dist / total


def postselection(settings: RunSettings, experts=None) -> dict:
    """The executor's ``postselect`` mapping of the settings (register -> kept codes; the
    consistency codes are those of ``experts``, default the built-in set)."""
    from qar_qiskit.circuits.decision import CONSISTENCY_KEY, consistent_codes
    from qar_qiskit.circuits.market import REGIME_CODES

    postselect = {}
    if settings.postselect_market:
        postselect["market"] = REGIME_CODES
    if settings.postselect_consistency:
        postselect[CONSISTENCY_KEY] = consistent_codes(experts)
    return postselect


def execute_tick(resilient: ResilientExecutor, prepared: PreparedTick, settings: RunSettings,
                 seed: int) -> Execution:
    """Run ``prepared``'s circuit with ``settings.shots`` and ``seed``; read it.

    Each failed attempt (an exception, a call past the timeout, counts that do not read) is
    retried by ``resilient``; after the last failure the execution is ``classical-fallback``
    with the reason (or the error is raised when the fallback is off).
    """
    executor = resilient.executor
    if executor.is_exact:
        return Execution(backend="exact")
    from qar_qiskit.circuits.reader import read_counts

    timing: dict[str, float] = {}
    t = time.perf_counter()
    tick_circuit = prepared.tick_circuit()
    values = tick_circuit.parameter_values(prepared.inputs)[None, :]
    timing["bind_s"] = time.perf_counter() - t
    postselect = postselection(settings, prepared.inputs.experts)
    extra = {"postselect": postselect} if postselect else {}

    def read(result) -> Readout:
        readout = read_counts(prepared.plan, result.counts)
        if extra:
            kept = result.metadata.get("kept_shots", result.shots)
            readout = dataclasses.replace(readout, postselect_rejected_rate=1.0 - kept / result.shots)
            if list(postselect) == ["market"]:  # the invalid-code rate before the selection
                readout = dataclasses.replace(readout, invalid_regime_rate=1.0 - kept / result.shots)
        return readout

    attempt = resilient.run(tick_circuit, values, read, shots=settings.shots, seed=seed, **extra)
    if not attempt.ok:
        return Execution(backend="classical-fallback", fallback_reason=attempt.failure, timing=timing)
    timing["execute_s"], timing["read_s"] = attempt.execute_s, attempt.read_s
    readout, result = attempt.value, attempt.result
    sampled = readout.decision
    if result.mitigated and "decision" in result.mitigated:
        sampled = mitigated_distribution(result.mitigated["decision"], sampled.size)
    metrics = executor.circuit_metrics(tick_circuit) if hasattr(executor, "circuit_metrics") else None
    return Execution(backend=executor.name, sampled=sampled, readout=readout, circuit=metrics, timing=timing)
