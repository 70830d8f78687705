"""Noisy simulation of a fake IBM device (``aer-noisy:<FakeName>``) with readout mitigation.

How it works (and why it is fast enough to use per tick):

1. The fake device (e.g. ``FakeTorino()``) is built once per executor; tick circuits are
   transpiled against *its* target (``generate_preset_pass_manager(backend=fake, ...)``), so the
   ISA circuit is what the real device would get. The ISA circuit is cached per plan.
2. Simulating that ISA circuit on ``AerSimulator.from_backend(fake)`` costs seconds per call
   even for a 4-qubit circuit (measured: ``NoiseModel.from_backend(FakeTorino())`` 7.5-9 s, and
   each ``run`` of a reused 133-qubit noisy simulator 3-5 s, because Aer ships the noise model
   of every device qubit with every call). So after transpiling we *compact* the circuit onto
   the physical qubits it touches (usually the tick circuit's 23-25 plus routing qubits), build a
   sub-device whose target holds exactly those qubits' calibrations (same gate errors, T1/T2,
   durations and readout errors; untouched qubits stay in |0> and cannot affect the measured
   registers), and build ``AerSimulator.from_backend(sub_device)`` **once per active-qubit set**.
   The noise model is unchanged for every qubit the circuit uses.
3. Readout-error mitigation uses mthree: ``M3Mitigation(simulator)`` is calibrated once per
   active-qubit set (``cals_from_system``), then each register's counts are corrected with the
   physical qubits that register was measured from, giving a quasi-distribution per register.
   Results carry both the raw ``counts`` and the ``mitigated`` quasi-probabilities.
   If mthree cannot be used (import or calibration failure), or ``mitigation="tensored"`` is
   asked for, :func:`tensored_readout_inversion` applies the documented fallback: each qubit's
   symmetric assignment matrix ``[[1-p, p], [p, 1-p]]`` with ``p`` the device's ``measure``
   error for that qubit (the same number Aer's noise model uses), inverted and applied as a
   tensor product to the register's empirical distribution.

Method (``method="auto"``): ``density_matrix`` (exact, one pass, then sampling) up to
:data:`DENSITY_MATRIX_MAX_QUBITS` active qubits; noisy ``statevector`` trajectories up to
:data:`STATEVECTOR_MAX_ACTIVE`; MPS trajectories above. Aer's shot branching is off: it is
faster but loses readout errors on |1> in qiskit-aer 0.18.2 (found by this project's tests).

Measured on the composer's 16-qubit tick circuit, FakeTorino, 50 shots, 2 shared cores
(``benchmarks/bench_execution.py``): transpiled at optimization level 1 it has 265 two-qubit
gates on 17 active qubits and a warm noisy run took 12 s; at level 3 (the default here) 167
two-qubit gates on 16 qubits and 4.1 s on both cores (:data:`NOISY_AER_OPTIONS`); shot branching
would give 2.4 s but is wrong (above). MPS trajectories took 150 s (the routed circuit is too
entangled for MPS). qiskit-ibm-runtime local mode (``Sampler(mode=FakeTorino())``) took 14.2 s
for the same level-3 ISA circuit and shots, of which ~8 s is rebuilding the 133-qubit noise
model on every call (done here once per active-qubit set): 3.5x. The rest is the trajectory
simulation itself, the same work on both sides.
"""

from __future__ import annotations

import threading
import time
import warnings
from typing import Any

import numpy as np
from qiskit.circuit import QuantumCircuit, QuantumRegister
from qiskit.providers import BackendV2, Options
from qiskit.transpiler import Target, generate_preset_pass_manager

from qar_qiskit.backends.base import (
    CachingExecutor,
    ExecutionResult,
    PreparedCircuit,
    as_value_matrix,
    kept_shots,
    register_counts,
)
from qar_qiskit.errors import BackendError, ConfigError

__all__ = [
    "NoisyAerExecutor",
    "FAKE_DEVICES",
    "fake_device",
    "compact_circuit",
    "sub_target",
    "tensored_readout_inversion",
]

#: Fake devices with >= 25 qubits offered by ``qar backends`` (any other ``Fake*`` class of
#: ``qiskit_ibm_runtime.fake_provider`` is accepted too).
FAKE_DEVICES: tuple[str, ...] = (
    "FakeTorino", "FakeFez", "FakeMarrakesh", "FakeKingston", "FakeAachen",
    "FakeSherbrooke", "FakeBrisbane", "FakeKyiv", "FakeOsaka", "FakeQuebec",
)

#: Aer options of the noisy simulator unless overridden: a 16-qubit statevector is large enough
#: for Aer's parallel state update to pay off on both cores, unlike the noiseless MPS run (aer.py).
NOISY_AER_OPTIONS: dict[str, Any] = {"max_parallel_threads": 0, "fusion_enable": True}

DENSITY_MATRIX_MAX_QUBITS = 10
STATEVECTOR_MAX_ACTIVE = 24
_SKIP_ON_IDLE = {"barrier", "delay"}


def fake_device(name: str):
    """Instantiate a fake device by class name (``FakeTorino``); BackendError if unknown."""
    import qiskit_ibm_runtime.fake_provider as fp
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    cls = getattr(fp, name, None) if name.startswith("Fake") else None
    if not (isinstance(cls, type) and issubclass(cls, FakeBackendV2)):
        raise BackendError(
            f"unknown fake device {name!r}; valid choices: {', '.join(FAKE_DEVICES)} "
            "(or any other Fake* device of qiskit_ibm_runtime.fake_provider)"
        )
    return cls()


# --------------------------------------------------------------------------------------------
# compaction onto the active physical qubits


def active_qubits(isa: QuantumCircuit) -> list[int]:
    """Physical qubits an ISA circuit acts on (barriers and delays alone do not count)."""
    used = set()
    for ins in isa.data:
        if ins.operation.name in _SKIP_ON_IDLE:
            continue
        used.update(isa.find_bit(q).index for q in ins.qubits)
    return sorted(used)


def compact_circuit(isa: QuantumCircuit, active: list[int]) -> QuantumCircuit:
    """``isa`` re-expressed on ``len(active)`` qubits (qubit ``active[i]`` becomes ``i``)."""
    index = {p: i for i, p in enumerate(active)}
    q = QuantumRegister(len(active), "q")
    out = QuantumCircuit(q, *isa.cregs, name=isa.name, global_phase=isa.global_phase)
    for ins in isa.data:
        phys = [isa.find_bit(x).index for x in ins.qubits]
        if any(p not in index for p in phys):
            if ins.operation.name in _SKIP_ON_IDLE:
                kept = [q[index[p]] for p in phys if p in index]
                if kept and ins.operation.name == "barrier":
                    out.barrier(*kept)
                continue
            raise BackendError("internal: compaction dropped an active qubit")  # pragma: no cover
        out.append(ins.operation, [q[index[p]] for p in phys], ins.clbits)
    return out


def sub_target(full: Target, active: list[int]) -> Target:
    """A Target holding only ``active`` qubits' instructions, calibrations and properties."""
    index = {p: i for i, p in enumerate(active)}
    qprops = full.qubit_properties
    target = Target(
        num_qubits=len(active),
        dt=full.dt,
        qubit_properties=[qprops[p] for p in active] if qprops else None,
        description=f"sub-target of {len(active)} qubits",
    )
    for name in full.operation_names:
        op = full.operation_from_name(name)
        props = full[name]
        if props is None or None in props:
            target.add_instruction(op, name=name)
            continue
        sub = {tuple(index[q] for q in qargs): p for qargs, p in props.items() if all(q in index for q in qargs)}
        if sub:
            target.add_instruction(op, sub, name=name)
    return target


class _SubDevice(BackendV2):
    """A BackendV2 exposing a sub-target (only used to build Aer's noise model and M3)."""

    def __init__(self, target: Target, name: str):
        super().__init__(name=name)
        self._target = target

    @property
    def target(self) -> Target:
        return self._target

    @property
    def max_circuits(self):
        return None

    @classmethod
    def _default_options(cls):
        return Options()

    def run(self, run_input, **options):  # pragma: no cover - never called
        raise NotImplementedError


def register_qubits(circuit: QuantumCircuit) -> dict[str, list[int]]:
    """Register name -> the qubit index measured into each of its bits (bit 0 first)."""
    clbit_to_qubit: dict[int, int] = {}
    for ins in circuit.data:
        if ins.operation.name == "measure":
            clbit_to_qubit[circuit.find_bit(ins.clbits[0]).index] = circuit.find_bit(ins.qubits[0]).index
    out = {}
    for reg in circuit.cregs:
        out[reg.name] = [clbit_to_qubit.get(circuit.find_bit(b).index, -1) for b in reg]
    return out


# --------------------------------------------------------------------------------------------
# readout mitigation fallback


def tensored_readout_inversion(counts: dict[str, int], errors: list[float]) -> dict[str, float]:
    """Invert independent symmetric readout errors on one register's counts.

    ``errors[j]`` is the flip probability of the qubit behind bit ``j`` (bit 0 = right-most
    character). Each qubit's assignment matrix ``A_j = [[1-p, p], [p, 1-p]]`` is inverted and the
    tensor product applied to the empirical distribution; the result is a quasi-distribution
    (sums to 1, entries may be slightly negative). Registers here are <= 8 bits, so the dense
    ``2**n`` vector is cheap.
    """
    n = len(errors)
    shots = sum(counts.values())
    if shots == 0:
        return {}
    probs = np.zeros(2**n)
    for key, c in counts.items():
        probs[int(key, 2)] += c / shots
    # axis k of the reshaped tensor is bit (n-1-k) (C order, most significant first)
    tensor = probs.reshape((2,) * n)
    for j, p in enumerate(errors):
        if p >= 0.5:
            raise BackendError(f"readout error {p} >= 0.5 cannot be inverted")
        inv = np.linalg.inv(np.array([[1 - p, p], [p, 1 - p]]))
        axis = n - 1 - j
        tensor = np.moveaxis(np.tensordot(inv, tensor, axes=([1], [axis])), 0, axis)
    flat = tensor.reshape(-1)
    return {format(i, f"0{n}b"): float(v) for i, v in enumerate(flat) if abs(v) > 1e-12}


# --------------------------------------------------------------------------------------------


class _ActiveSet:
    """Simulator (+ mitigator) for one set of active physical qubits, built once."""

    def __init__(self, device, active: list[int], method: str, aer_options: dict, mitigation: str,
                 cal_shots: int, seed: int | None):
        from qiskit_aer import AerSimulator

        self.active = active
        self.sub = _SubDevice(sub_target(device.target, active), f"{device.name}[{len(active)}q]")
        self.method = method
        opts = dict(aer_options)
        if method == "matrix_product_state":
            opts.setdefault("mps_sample_measure_algorithm", "mps_probabilities")
        if method == "statevector":
            # Not shot branching, although 1.5x faster: in qiskit-aer 0.18.2 it drops readout errors
            # on |1> (X then measure on FakeTorino's qubit 29: P(0) 11/40000 with branching,
            # 486/40000 without, 477/40000 on density_matrix; see tests/backends/test_executors.py).
            opts.setdefault("shot_branching_enable", False)
        if method != "matrix_product_state":
            opts = {k: v for k, v in opts.items() if not k.startswith("mps_")}
        t0 = time.perf_counter()
        self.simulator = AerSimulator.from_backend(self.sub, method=method, **opts)
        self.build_s = time.perf_counter() - t0
        self.readout_errors = [self._measure_error(i) for i in range(len(active))]
        self.mitigation = mitigation
        self.mitigator = None
        self.mitigation_note = ""
        if mitigation == "m3":
            try:
                import mthree

                mit = mthree.M3Mitigation(self.simulator)
                if seed is not None:  # reproducible calibration: mthree runs without a seed
                    self.simulator.set_options(seed_simulator=int(seed))
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        mit.cals_from_system(qubits=list(range(len(active))), shots=cal_shots, async_cal=False)
                finally:
                    self.simulator.set_options(seed_simulator=None)
                if mit.faulty_qubits:  # P(1|0) >= P(0|0): mthree's own check; its correction would blow up
                    self.mitigation = "tensored"
                    self.mitigation_note = (f"mthree flagged faulty qubits {sorted(mit.faulty_qubits)}; "
                                            "tensored inversion used")
                else:
                    self.mitigator = mit
            except Exception as exc:  # documented fallback
                self.mitigation = "tensored"
                self.mitigation_note = f"mthree unavailable ({type(exc).__name__}); tensored inversion used"

    def _measure_error(self, i: int) -> float:
        props = self.sub.target["measure"].get((i,)) if "measure" in self.sub.target.operation_names else None
        return float(props.error) if props is not None and props.error is not None else 0.0

    def mitigate(self, counts: dict[str, dict[str, int]], reg_qubits: dict[str, list[int]]) -> dict[str, dict[str, float]]:
        out = {}
        for name, c in counts.items():
            qubits = reg_qubits[name]
            if any(q < 0 for q in qubits):  # an unmeasured bit: nothing to invert
                out[name] = {k: v / max(1, sum(c.values())) for k, v in c.items()}
                continue
            if self.mitigator is not None:
                quasi = self.mitigator.apply_correction(c, qubits)
                out[name] = {k: float(v) for k, v in quasi.items()}
            else:
                out[name] = tensored_readout_inversion(c, [self.readout_errors[q] for q in qubits])
        return out


class NoisyAerExecutor(CachingExecutor):
    """``aer-noisy:<FakeName>``: a fake IBM device's noise model on Aer, with readout mitigation.

    Args:
        device: fake device class name (``FakeTorino``) or an instance.
        mitigation: ``"m3"`` (default), ``"tensored"`` or ``"none"``.
        method: ``"auto"`` (density_matrix ≤ 10 active qubits, else MPS) or an Aer method.
        cal_shots: shots per mthree calibration circuit.
        transpile_seed: ``seed_transpiler`` so layouts (and so results) are reproducible.
    """

    def __init__(
        self,
        device: Any = "FakeTorino",
        *,
        shots: int = 1024,
        seed: int | None = None,
        optimization_level: int = 3,
        mitigation: str = "m3",
        method: str = "auto",
        aer_options: dict[str, Any] | None = None,
        cal_shots: int = 4000,
        transpile_seed: int = 11,
        cache=None,
    ):
        super().__init__(cache=cache, optimization_level=optimization_level, default_shots=shots)
        if mitigation not in ("m3", "tensored", "none"):
            raise ConfigError(f"mitigation: must be 'm3', 'tensored' or 'none', got {mitigation!r}")
        self.device = fake_device(device) if isinstance(device, str) else device
        self.device_class = type(self.device).__name__
        self.name = f"aer-noisy:{self.device_class}"
        self.seed = seed
        self.mitigation = mitigation
        self.method = method
        self.cal_shots = int(cal_shots)
        self.transpile_seed = transpile_seed
        self.aer_options = {**NOISY_AER_OPTIONS, **(aer_options or {})}
        self.aer_options.pop("method", None)
        self._active_sets: dict[tuple[int, ...], _ActiveSet] = {}
        self._lock = threading.Lock()

    @property
    def num_qubits(self) -> int:
        return int(self.device.num_qubits)

    @property
    def supports_dynamic(self) -> bool:
        return "if_else" in self.device.target.operation_names

    @property
    def noisy(self) -> bool:
        return True

    def _pass_manager(self, optimization_level: int):
        return generate_preset_pass_manager(
            optimization_level=optimization_level, backend=self.device, seed_transpiler=self.transpile_seed
        )

    def method_for(self, n: int) -> str:
        if self.method != "auto":
            return self.method
        if n <= DENSITY_MATRIX_MAX_QUBITS:
            return "density_matrix"
        return "statevector" if n <= STATEVECTOR_MAX_ACTIVE else "matrix_product_state"

    def _post_transpile(self, prepared: PreparedCircuit) -> PreparedCircuit:
        active = active_qubits(prepared.isa)
        compact = compact_circuit(prepared.isa, active)
        prepared.extra.update(active=tuple(active), compact=compact, registers=register_qubits(compact))
        self.active_set(tuple(active))  # build simulator and calibrate now, not on the first tick
        return prepared

    def active_set(self, active: tuple[int, ...]) -> _ActiveSet:
        with self._lock:
            entry = self._active_sets.get(active)
            if entry is None:
                entry = _ActiveSet(self.device, list(active), self.method_for(len(active)), self.aer_options,
                                   self.mitigation, self.cal_shots, self.seed)
                self._active_sets[active] = entry
            return entry

    def run(self, circuit, parameter_values=None, shots=None, seed=None, postselect=None) -> list[ExecutionResult]:
        """See :meth:`Executor.run`. With ``postselect``, readout mitigation corrects the kept
        shots' register counts: an approximation, since the selection itself saw readout errors."""
        prepared, prepare_s = self.prepared(circuit)
        values = as_value_matrix(parameter_values, prepared.num_input_parameters)
        bound = prepared.bind_matrix(values)
        shots = int(shots or self.default_shots)
        seed = self.seed if seed is None else seed
        entry = self.active_set(prepared.extra["active"])
        compact: QuantumCircuit = prepared.extra["compact"]
        kwargs: dict[str, Any] = {"shots": shots}
        if seed is not None:
            kwargs["seed_simulator"] = int(seed)
        n = bound.shape[0]
        if compact.num_parameters:
            kwargs["parameter_binds"] = [{p: bound[:, j] for j, p in enumerate(compact.parameters)}]
        t0 = time.perf_counter()
        result = entry.simulator.run(compact, **kwargs).result()
        run_s = time.perf_counter() - t0
        if not result.success:
            raise BackendError(f"{self.name}: simulation failed: {result.status}")
        rows = [register_counts(result, i if compact.num_parameters else 0, compact, postselect) for i in range(n)]
        t1 = time.perf_counter()
        mitigated = [entry.mitigate(r, prepared.extra["registers"]) if entry.mitigation != "none" else None for r in rows]
        mit_s = time.perf_counter() - t1
        timing = {"prepare_s": prepare_s, "run_s": run_s, "per_row_s": run_s / n, "mitigation_s": mit_s}
        meta = {
            "method": entry.method,
            "seed": seed,
            "active_qubits": list(prepared.extra["active"]),
            "mitigation": entry.mitigation,
        }
        if entry.mitigation_note:
            meta["mitigation_note"] = entry.mitigation_note
        if postselect:
            meta["postselect"] = {k: sorted(int(c) for c in v) for k, v in postselect.items()}
        return [
            ExecutionResult(counts=c, shots=shots, backend=self.name, timing=dict(timing), mitigated=m,
                            metadata={**meta, **kept_shots(c, postselect)})
            for c, m in zip(rows, mitigated)
        ]
