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

Methods. ``aer-noisy:<FakeName>`` (default) runs the **twirled-noise estimator** of
:mod:`qar_qiskit.backends.twirl` per simulation group: the device's gate errors Pauli-twirled,
importance-sampled around the error-free term, ``samples`` (``M``, default 32) statevector passes
per group and tick, readout errors applied to the distribution, shots drawn with a seeded
generator. It is exact for a gate-twirled device up to its stated sampling error and differs
from the untwirled model by the twirl's bias (both documented there; hardware jobs twirl gates by
default, :mod:`qar_qiskit.backends.ibm_options`). Cones wider than
:data:`STATEVECTOR_MAX_ACTIVE` fall back to the exact MPS trajectories.
``aer-noisy-exact:<FakeName>`` keeps the exact simulation (``method="auto"``):
``density_matrix`` (exact, one pass, then sampling) up to :data:`DENSITY_MATRIX_MAX_QUBITS`
active qubits; noisy ``statevector`` trajectories up to :data:`STATEVECTOR_MAX_ACTIVE`; MPS
trajectories above. :mod:`qar_qiskit.backends.dm_reference` is the exact reference both are
tested against.

Statevector trajectories use Aer's shot branching (shots share one state until their noise
differs). In qiskit-aer 0.18.2 shot branching loses readout errors on |1> (found by this
project's tests), so on that path the simulator carries every error of the device except the
readout errors, and those are applied to the sampled outcomes afterwards with the same per-qubit
assignment matrices (:mod:`qar_qiskit.backends.readout`). This is the same distribution, not an
approximation, whenever no control flow reads a measured bit and each clbit is written once --
mid-circuit measurements included (a readout error changes the recorded bit, not the collapsed
qubit). Only circuits that break that rule run without branching and with Aer's own readout
errors (``metadata["readout"]`` says which). Tested against the split density matrix.

Exact trajectories (now ``aer-noisy-exact``), measured on the composer's 16-qubit tick circuit, FakeTorino, level 3 (167
two-qubit gates on 16 active qubits; 265 on 17 at level 1), 2 cores, 2026-12-01
(``benchmarks/bench_execution.py``, warm, mthree on, :data:`NOISY_AER_OPTIONS`): 50 / 200 /
1000 shots took 0.97 / 2.1 / 8.0 s with shot branching and 1.5 / 5.1 / 25.0 s without it;
qiskit-ibm-runtime local mode (``Sampler(mode=FakeTorino())``, same ISA circuit and shots) 7.1 /
12.9 / 44.7 s, of which ~7 s is building the 133-qubit noise model on every call (done here once
per active-qubit set): 7.3x / 6.0x / 5.6x. The rest is the noisy trajectory simulation itself,
which both sides must do (the density matrix of 16 qubits is 64 GiB). MPS trajectories took
150 s at 50 shots (the routed circuit is too entangled for MPS).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import numpy as np

from qar_qiskit.backends.compile import DEFAULT_LAYOUT_TRIALS, device_pass_manager
from qar_qiskit.backends.counts import outcome_counts, postselect_registers, raw_outcomes
from qar_qiskit.backends.device_sim import DENSITY_MATRIX_MAX_QUBITS, ActiveSet, SubDevice, gpu_options, sub_target
from qar_qiskit.backends.executor import CachingExecutor, RunRequest, Sampled
from qar_qiskit.backends.lightcone import active_qubits, compact_circuit, cone_groups, register_cone, register_qubits
from qar_qiskit.backends.noisy_groups import NoisyPrepared, _equal_shots, _Group, _WholeCircuit, group_seed
from qar_qiskit.backends.readout import tensored_readout_inversion
from qar_qiskit.backends.twirl import DEFAULT_SAMPLES, ESTIMATOR_AER_OPTIONS, TwirledSampler
from qar_qiskit.errors import BackendError, ConfigError

__all__ = [
    "NoisyAerExecutor",
    "NoisyPrepared",
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

#: Aer options of the noisy simulator unless overridden. All cores: a 16-qubit statevector is
#: large enough for Aer's parallel updates to pay off, unlike the noiseless MPS run (aer.py).
#: ``fusion_max_qubit=3``: with Kraus noise Aer fuses gates *and* their noise channels ("kraus"
#: fusion, exact) into at most 2 qubits by default; 3 was faster on the 16-qubit tick
#: (FakeTorino, level 3, 2026-12-01, shot branching): 0.83 vs 1.22 s at 50 shots, 2.1 vs 3.4 s
#: at 200, 7.8 vs ~13.5 s at 1000; 4 took 2.6 s at 200 and 5 spends 7-8 s in the fusion pass alone.
#: Without branching 5.5 vs 8.1 s at 200 shots; density matrix (9 qubits) unchanged.
NOISY_AER_OPTIONS: dict[str, Any] = {"max_parallel_threads": 0, "fusion_enable": True, "fusion_max_qubit": 3}

log = logging.getLogger(__name__)

STATEVECTOR_MAX_ACTIVE = 24

#: The estimator's group holding the tick's decision register runs ``DECISION_SAMPLE_FACTOR *
#: samples`` configurations: at M = 32 its decision TVD to the exact full-noise distribution was
#: 1.36x the shot noise of 1024 shots (4 ticks, ``benchmarks/bench_noisy_estimator.py``,
#: 2026-12-07 00:38, load 2.3), estimator error ~0.05 TVD; 4x the configurations halve it, for
#: ~1.2 s more CPU on the 14-qubit (12 + 2 deferred) decision pass (0.39 s at M = 32). With it
#: (2026-12-07 00:45, load 0.4-2.5, 3 ticks): warm tick 4.2-4.7 s vs 40-48 s exact trajectories
#: in the same run, decision TVD 1.09x the shot noise (exact trajectories 1.00x).
DECISION_REGISTER = "decision"
DECISION_SAMPLE_FACTOR = 4


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


class NoisyAerExecutor(CachingExecutor):
    """``aer-noisy:<FakeName>`` (twirled-noise estimator) and ``aer-noisy-exact:<FakeName>``
    (exact: density matrix or noisy trajectories): a fake IBM device's noise on Aer, with readout
    mitigation.

    ``aer-noisy`` (``exact=False``) simulates each group with the importance-sampled Pauli-twirled
    device noise of :mod:`qar_qiskit.backends.twirl` (``samples`` error configurations per group
    and tick; exact for a gate-twirled device, bias and error stated there).
    ``aer-noisy-exact`` runs the untwirled noise model (``method``: ``auto`` or an Aer method).

    With ``light_cone=True`` (default), each group of registers from
    :func:`~qar_qiskit.backends.lightcone.cone_groups` is simulated on its own causal light cone
    with the noise model of the cone's physical qubits: exact for every register's marginal
    and for the joint distribution inside a group (see :mod:`qar_qiskit.backends.lightcone`).
    Registers in different groups are sampled independently, so joint statistics *across*
    groups are not the device's; ``postselect`` registers are put in every group. Otherwise the
    whole circuit is one simulation.

    Args:
        device: fake device class name (``FakeTorino``) or an instance.
        mitigation: ``"m3"`` (default), ``"tensored"`` or ``"none"``.
        exact: ``False`` (``aer-noisy``: the twirled estimator) or ``True`` (``aer-noisy-exact``).
        method: ``"auto"`` (the estimator; with ``exact``, per simulation: density_matrix ≤ 10
            qubits, statevector trajectories ≤ 24, else MPS) or, with ``exact``, an Aer method.
        samples: the estimator's error configurations per group and tick (``M``).
        cal_shots: shots per mthree calibration circuit.
        transpile_seed: ``seed_transpiler`` so layouts (and so results) are reproducible.
        layout_trials: seeded transpilations kept by the decision cone's ESP
            (:func:`~qar_qiskit.backends.compile.tick_score`; seeds ``transpile_seed + k``).
        light_cone: simulate register groups on their light cones (default) or the whole circuit.
    """

    prepared_class = NoisyPrepared

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
        layout_trials: int = DEFAULT_LAYOUT_TRIALS,
        light_cone: bool = True,
        exact: bool = False,
        samples: int = DEFAULT_SAMPLES,
        cache=None,
    ):
        super().__init__(cache=cache, optimization_level=optimization_level, default_shots=shots, seed=seed)
        if mitigation not in ("m3", "tensored", "none"):
            raise ConfigError(f"mitigation: must be 'm3', 'tensored' or 'none', got {mitigation!r}")
        self.device = fake_device(device) if isinstance(device, str) else device
        self.device_class = type(self.device).__name__
        self.exact = bool(exact)
        self.name = f"aer-noisy{'-exact' if self.exact else ''}:{self.device_class}"
        self.mitigation = mitigation
        if not self.exact and method != "auto":
            raise ConfigError(f"method: {method!r} selects an exact simulation; use the backend "
                              f"aer-noisy-exact:{self.device_class} (aer-noisy is the twirled estimator)")
        if not 1 <= int(samples) <= 100_000:
            raise ConfigError(f"samples: need 1..100000 error configurations, got {samples!r}")
        self.samples = int(samples)
        self.method = method
        self.cal_shots = int(cal_shots)
        self.transpile_seed = transpile_seed
        if not 1 <= int(layout_trials) <= 256:
            raise BackendError(f"layout_trials: need 1..256 seeded transpilations, got {layout_trials!r}")
        self.layout_trials = int(layout_trials)
        self.light_cone = bool(light_cone)
        self.aer_options = gpu_options({**NOISY_AER_OPTIONS, **(aer_options or {})}, STATEVECTOR_MAX_ACTIVE)
        self.aer_options.pop("method", None)
        device_opt = {"device": self.aer_options["device"]} if "device" in self.aer_options else {}
        self.estimator_options = {**ESTIMATOR_AER_OPTIONS, **device_opt}
        self._active_sets: dict[tuple[int, ...], ActiveSet] = {}
        self._lock = threading.Lock()

    @property
    def num_qubits(self) -> int:
        return int(self.device.num_qubits)

    @property
    def target(self):
        """The fake device's target (its error rates give the ESP in :meth:`circuit_metrics`)."""
        return self.device.target

    @property
    def supports_dynamic(self) -> bool:
        return "if_else" in self.device.target.operation_names

    @property
    def noisy(self) -> bool:
        return True

    def _pass_manager(self, optimization_level: int):
        return device_pass_manager(self.device, optimization_level=optimization_level,
                                   seed_transpiler=self.transpile_seed, layout_trials=self.layout_trials)

    def method_for(self, n: int) -> str:
        if not self.exact and n <= STATEVECTOR_MAX_ACTIVE:
            return "twirled"  # wider cones: a statevector pass per configuration is out of reach
        if self.method != "auto":
            return self.method
        if n <= DENSITY_MATRIX_MAX_QUBITS:
            return "density_matrix"
        return "statevector" if n <= STATEVECTOR_MAX_ACTIVE else "matrix_product_state"

    def _post_transpile(self, prepared: NoisyPrepared) -> NoisyPrepared:
        prepared.active = tuple(active_qubits(prepared.isa))
        groups = self.groups(prepared)  # build simulators and calibrate now, not on the first tick
        if len(groups) == 1:  # the whole circuit (or one cone): the single-simulation view
            prepared.compact, prepared.registers, prepared.readout = (groups[0].circuit, groups[0].qubits,
                                                                      groups[0].readout)
        return prepared

    def groups(self, prepared: NoisyPrepared, joint: tuple[str, ...] = ()) -> list[_Group]:
        """The simulations of ``prepared`` with ``joint`` registers in every group (cached)."""
        key = tuple(sorted(joint))
        with self._lock:
            cached = prepared.groups.get(key)
        if cached is not None:
            return cached
        isa = prepared.isa
        # Mid-circuit measurements (the tick measures memory and decision before the tails) are
        # fine: a cone drops the other registers' measurements, which changes no marginal of its
        # own registers (deferred measurement; local noise channels act on each qubit alike
        # whether a partner was measured or not), and a group whose own measurements are not
        # terminal gets Aer's readout instead of the classical one (readout_for).
        if self.light_cone:
            names = cone_groups(isa, joint=key, max_width=STATEVECTOR_MAX_ACTIVE)
            cones = [register_cone(isa, g) for g in names]
        else:
            active = list(prepared.active)
            whole = compact_circuit(isa, active)
            cones = [_WholeCircuit(tuple(r.name for r in isa.cregs), tuple(active), whole)]
        index = {p.name: j for j, p in enumerate(isa.parameters)}
        out, seen = [], set()
        for cone in cones:
            entry = self.active_set(cone.qubits)
            owned = tuple(r for r in cone.registers if r not in seen)
            seen.update(owned)
            columns = np.array([index[p.name] for p in cone.circuit.parameters], dtype=int)
            readout = entry.readout_for(cone.circuit)
            sampler = None
            if entry.pauli_table is not None:
                if readout is None:
                    raise BackendError(f"{self.name}: control flow reads a measured bit in registers "
                                       f"{', '.join(cone.registers)}; use aer-noisy-exact:{self.device_class}")
                sampler = TwirledSampler(cone.circuit, entry.pauli_table, readout, self.estimator_options)
            out.append(_Group(cone.registers, owned, cone.qubits, cone.circuit, columns,
                              register_qubits(cone.circuit), readout, entry,
                              not isinstance(cone, _WholeCircuit), sampler))
        wide = [g for g in out if g.entry.method == "matrix_product_state"]
        if wide and self.method == "auto":
            log.warning(
                "%s: %d of the tick's simulations (registers %s) need %d physical qubits, more than the %d "
                "that noisy statevector trajectories handle here; MPS trajectories of routed tick circuits "
                "take tens of minutes per tick (measured: ~30 min for 50 shots of a 24-qubit plan). "
                "For faster noisy runs use the small plans: qar --config noisy-small (seconds per tick).",
                self.name, len(wide), ", ".join("+".join(g.registers) for g in wide),
                max(len(g.physical) for g in wide), STATEVECTOR_MAX_ACTIVE)
        with self._lock:
            prepared.groups[key] = out
        return out

    def active_set(self, active: tuple[int, ...]) -> ActiveSet:
        with self._lock:
            entry = self._active_sets.get(active)
            if entry is None:
                entry = ActiveSet(self.device, list(active), self.method_for(len(active)), self.aer_options,
                                   self.mitigation, self.cal_shots, self.seed)
                self._active_sets[active] = entry
            return entry

    def _run_group(self, group: _Group, bound: np.ndarray, shots: int, seed: int | None,
                   postselect) -> tuple[list[dict], float]:
        if group.sampler is not None:  # the twirled estimator: its own seeded stream
            rng = np.random.default_rng(None if seed is None else [int(seed) % 2**63, 0x7717])
            t0 = time.perf_counter()
            m = self.samples * (DECISION_SAMPLE_FACTOR if DECISION_REGISTER in group.registers else 1)
            draws = group.sampler.sample(bound[:, group.columns], shots, m, rng)
            run_s = time.perf_counter() - t0
            rows = []
            for values, weights in draws:
                counts = outcome_counts(values, weights, group.circuit, postselect)
                rows.append({r: counts[r] for r in group.owned})
            return rows, run_s
        simulator = group.entry.simulator if group.readout is not None else group.entry.full_simulator
        kwargs: dict[str, Any] = {"shots": shots}
        if seed is not None:
            kwargs["seed_simulator"] = int(seed)
        circuit = group.circuit
        if circuit.num_parameters:
            kwargs["parameter_binds"] = [{p: bound[:, j] for p, j in zip(circuit.parameters, group.columns)}]
        t0 = time.perf_counter()
        result = simulator.run(circuit, **kwargs).result()
        run_s = time.perf_counter() - t0
        if not result.success:
            raise BackendError(f"{self.name}: simulation failed: {result.status}")
        # the readout flips are seeded from the group's seed (a stream apart from Aer's)
        rng = np.random.default_rng(None if seed is None else [int(seed) % 2**63, 0x5EAD])
        rows = []
        for i in range(bound.shape[0]):
            outcomes = raw_outcomes(result, i if circuit.num_parameters else 0, circuit)
            if group.readout is not None:
                outcomes = group.readout.apply(*outcomes, rng)
            counts = outcome_counts(*outcomes, circuit, postselect)
            rows.append({r: counts[r] for r in group.owned})
        return rows, run_s

    def _sample(self, request: RunRequest, postselect) -> Sampled:
        """The sampling step of :meth:`CachingExecutor.run`. With ``postselect``, readout
        mitigation corrects the kept shots' register counts: an approximation, since the selection
        itself saw readout errors.
        With several simulation groups each group keeps its own shots; every register's counts
        are then a uniformly drawn subset (seeded) of its group's kept shots, of the size of the
        smallest group's, so that all registers report the same number of shots."""
        prepared, bound, shots, seed = request.prepared, request.bound, request.shots, request.seed
        groups = self.groups(prepared, postselect_registers(postselect))
        n = bound.shape[0]
        rows: list[dict] = [{} for _ in range(n)]
        run_s = 0.0
        for k, group in enumerate(groups):
            group_rows, s = self._run_group(group, bound, shots, group_seed(seed, k), postselect)
            run_s += s
            for row, part in zip(rows, group_rows):
                row.update(part)
        order = [r.name for r in prepared.isa.cregs]
        rows = [{r: row[r] for r in order if r in row} for row in rows]
        if postselect and len(groups) > 1:
            rng = np.random.default_rng(None if seed is None else [int(seed) % 2**63, 0x5E1EC7])
            rows = [_equal_shots(row, rng) for row in rows]
        t1 = time.perf_counter()
        mitigated = []
        for row in rows:
            if self.mitigation == "none":
                mitigated.append(None)
                continue
            mit: dict = {}
            for g in groups:
                mit.update(g.entry.mitigate({r: row[r] for r in g.owned}, g.qubits))
            mitigated.append({r: mit[r] for r in row})
        mit_s = time.perf_counter() - t1
        widest = max(groups, key=lambda g: len(g.physical))
        methods = {g.entry.mitigation for g in groups}
        meta = {
            "method": widest.entry.method,
            "seed": seed,
            "active_qubits": sorted({q for g in groups for q in g.physical}),
            "groups": [g.describe() for g in groups],
            "light_cone": widest.cone,
            "mitigation": methods.pop() if len(methods) == 1 else "mixed",
            "readout": "classical" if all(g.readout is not None for g in groups) else "aer",
            "shot_branching": all(g.readout is not None and g.entry.method == "statevector" for g in groups),
        }
        if not self.exact:
            meta["samples"] = self.samples
        notes = sorted({g.entry.mitigation_note for g in groups if g.entry.mitigation_note})
        if notes:
            meta["mitigation_note"] = "; ".join(notes)
        return Sampled(rows, meta, mitigated, {"run_s": run_s, "mitigation_s": mit_s})


_SubDevice = SubDevice  # the name tests and benchmarks used before the split
