"""Compilation for a device target: the preset pass manager, layout trials, fractional gates.

What runs on a device is the ISA circuit from Qiskit's preset pass manager for the device's
``Target``. At optimization level 3 it already places the circuit by the target's error rates:
``VF2Layout`` (a perfect layout scored by gate and readout error) when one exists, else
``SabreLayout``, and after routing ``VF2PostLayout`` re-maps the routed circuit onto the
isomorphic subgraph of lowest error -- the search that *mapomatic* (Nation & Treinish,
PRX Quantum 4, 010327, 2023) made popular.

**Layout trials** (``layout_trials=K``): transpile with ``seed_transpiler = seed + k`` for
``k < K`` and keep the ISA circuit of highest estimated success probability

    ESP = prod_{gates g} (1 - e_g) * prod_{measurements m} (1 - e_m)

with ``e`` the target's own error for that instruction on those physical qubits (the figure of
merit of mapomatic and of issue #13; scores are comparable because every candidate is scored on
the same target). Measured on main's composed tick (default config, the four
regime plans, base seed 11; ``python benchmarks/bench_compile.py`` and level 2 by hand, 2026-12-03, shared
2-core machine -- the figures are deterministic, only timings are noisy):

    device      level  trials  mean 2q gates  mean ESP  ESP per plan (stable, trending, volatile, crisis)
    FakeFez       2      1        322.5       0.199   0.211 0.240 0.184 0.160
    FakeFez       2      8        303.5       0.247   0.243 0.271 0.239 0.233
    FakeFez       3      1        300.0       0.225   0.242 0.259 0.166 0.234
    FakeFez       3      4        299.2       0.261
    FakeFez       3      8        291.8       0.265   0.267 0.275 0.250 0.268
    FakeFez       3     16        282.2       0.272
    FakeTorino    2      1        320.0       0.090   0.093 0.126 0.074 0.067
    FakeTorino    3      1        318.5       0.127   0.137 0.145 0.118 0.108
    FakeTorino    3      4        302.0       0.131
    FakeTorino    3      8        299.0       0.136   0.138 0.146 0.127 0.132
    FakeTorino    3     16        296.2       0.138

So the trials help on every plan (+18% mean ESP on FakeFez, +7% on FakeTorino at K=8; never
worse, since seed 11 is the first trial) and level 3 beats level 2 on both devices: the default
is level 3 with layout trials (compile 1-5 s per plan instead of 0.1-0.3 s, paid once per plan:
the executors cache the ISA circuit). K=16 adds 1-3% more for twice the time. Since the
hardware-grade composition the trials are scored by the decision register's light cone
(:func:`tick_score`) and :data:`DEFAULT_LAYOUT_TRIALS` = 16 (figures in its docstring).

**Fractional gates** (``fractional_gates=True``): Heron devices loaded with
``service.backend(name, use_fractional_gates=True)`` add ``rzz(theta)`` (0 < theta <= pi/2) and
``rx(theta)`` to the target. The fake devices have none, so the effect is measured on a copy of
the fake target with ``rzz`` at each coupler's CZ error and duration and ``rx`` at each qubit's
SX error and duration (:func:`with_fractional_gates`; IBM itself reports the fractional gates'
errors as copies of their non-fractional counterparts). Per IBM's feature-compatibility table,
fractional gates cannot be combined with gate twirling, PEA or PEC (dynamic circuits are fine
from qiskit-ibm-runtime 0.42 on), so :func:`check_hardware_options` refuses fractional gates
with gate twirling. Measured the same way (level 3; ``fractional`` = the target copy):

    device      variant               mean 2q gates  mean depth  mean ESP
    FakeFez     CZ only, 1 trial          300.0        447.2      0.225
    FakeFez     fractional, 1 trial       300.0        397.5      0.261
    FakeFez     CZ only, 8 trials         291.8        450.2      0.265
    FakeFez     fractional, 8 trials      284.5        382.0      0.271
    FakeTorino  CZ only, 1 trial          318.5        485.2      0.127
    FakeTorino  fractional, 1 trial       301.8        395.2      0.127
    FakeTorino  CZ only, 8 trials         299.0        443.8      0.136
    FakeTorino  fractional, 8 trials      274.2        382.5      0.140

(on the trending plan with 8 trials: 199 cz + 76 rzz, all rzz angles in [pi/4, pi/2], and 278
rx replacing sx-rz-sx pairs.) Fractional gates shorten the circuit (-15% depth, -6% two-qubit
gates with trials) and raise ESP by 2-3% with trials -- under IBM's own assumption that their
errors equal the CZ/SX errors. They are therefore on by default for IBM jobs where the device
has them (``fractional_gates="auto"``: a device that refuses ``use_fractional_gates=True`` is
loaded without) and off when gate twirling is asked for.

**Cone-first** (``strategy="cone-first"``, :mod:`qar_qiskit.backends.cone_first`): the decision
block compiled alone, the rest routed around it, kept only if no register's cone ESP falls below
the whole compilation's. Measured there: the decision alone could reach 0.709-0.727 on FakeFez
(whole: 0.661-0.696), but every candidate cost some other register (e.g. hedge 0.585 -> 0.189),
so the guard returned the whole compilation on every plan and the default stays ``"whole"``.

**Mid-circuit measurements** (``mid_circuit_measure=True``, the IBM executor on hardware):
:func:`~qar_qiskit.backends.cone_first.use_mid_circuit_measure` turns non-terminal measurements
into ``measure_2`` where the target has it at no higher error (FakeKingston, FakeBoston and
FakePittsburgh offer ``measure_2``; FakeFez, FakeMarrakesh and FakeTorino do not).

ESP here is a small private estimate for these decisions; the per-register light-cone ESP of the
product lives in :mod:`qar_qiskit.backends.lightcone` (:func:`register_esps` reports it).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.circuit.library import RXGate, RZZGate
from qiskit.transpiler import InstructionProperties, Target, generate_preset_pass_manager

from qar_qiskit.backends.lightcone import circuit_stats, cone_stats, esp
from qar_qiskit.errors import ConfigError

__all__ = ["CompileOptions", "device_pass_manager", "BestOfSeeds", "compile_for_device", "with_fractional_gates",
           "isa_summary", "estimate_quantum_seconds", "check_hardware_options", "DEFAULT_LAYOUT_TRIALS",
           "DEFAULT_OPTIMIZATION_LEVEL", "DEFAULT_STRATEGY", "STRATEGIES", "register_esps", "cone_view"]

#: Seeded transpilations per plan, best ESP kept (measured: module docstring).
DEFAULT_LAYOUT_TRIALS = 16
#: Preset level for device compilation (level 3 beat level 2 on FakeFez and FakeTorino).
DEFAULT_OPTIMIZATION_LEVEL = 3
#: Compilation strategies (:func:`device_pass_manager`).
STRATEGIES = ("cone-first", "whole")
#: The default strategy. ``"whole"``: the guarded cone-first compilation found no candidate that
#: keeps every register's cone ESP at or above the whole compilation's on FakeFez or FakeMarrakesh
#: (``benchmarks/bench_cone_first.py``, figures in :mod:`qar_qiskit.backends.cone_first`), so as
#: a default it would only add compile time; it stays available as ``strategy="cone-first"``.
DEFAULT_STRATEGY = "whole"

_NOT_GATES = frozenset({"barrier", "delay", "if_else", "while_loop", "for_loop", "switch_case", "box"})


class CompileOptions(BaseModel):
    """How a circuit is compiled for a device.

    Attributes:
        optimization_level: preset pass manager level (0..3).
        seed_transpiler: seed of the (first) transpilation; trials use ``seed + k``.
        layout_trials: number of seeded transpilations to keep the best ESP from (1: one run).
        strategy: ``"whole"`` or ``"cone-first"`` (:func:`device_pass_manager`).

    Fractional gates are not an option here: they are a property of the target (an IBM device
    loaded with ``use_fractional_gates=True``, or :func:`with_fractional_gates`).
    """

    model_config = ConfigDict(extra="forbid")

    optimization_level: int = Field(DEFAULT_OPTIMIZATION_LEVEL, ge=0, le=3)
    seed_transpiler: int = Field(11, ge=0)
    layout_trials: int = Field(DEFAULT_LAYOUT_TRIALS, ge=1, le=64)
    strategy: str = Field(DEFAULT_STRATEGY, pattern="^(cone-first|whole)$")


def _target_of(backend=None, target: Target | None = None) -> Target:
    if target is not None:
        return target
    if backend is None or getattr(backend, "target", None) is None:
        raise ConfigError("backend: a backend with a target (or target=) is required to compile for a device")
    return backend.target


def device_pass_manager(backend=None, *, target: Target | None = None, optimization_level: int = 3,
                        seed_transpiler: int | None = 11, layout_trials: int = 1,
                        score: Callable[[QuantumCircuit, Target], float] | None = None,
                        strategy: str | None = None, mid_circuit_measure: bool = False):
    """The pass manager to compile for ``backend`` (or a bare ``target``): ``.run(circuit)`` gives the ISA circuit.

    ``layout_trials=1``: Qiskit's preset staged pass manager. A target holding ``rzz`` gets IBM's
    fractional translation plugin (``ibm_dynamic_and_fractional``), whose ``FoldRzzAngle`` pass
    folds angles into the executable range ``[0, pi/2]``, as ``IBMBackend`` does for a
    fractional device. ``layout_trials=K > 1``: a :class:`BestOfSeeds` over the preset pass
    managers with seeds ``seed_transpiler + k``, keeping the highest ``score`` (default:
    :func:`tick_score`, the decision cone's ESP for a tick circuit).

    ``strategy`` (default :data:`DEFAULT_STRATEGY`, ``"whole"``): ``"cone-first"`` compiles a tick circuit's
    decision block alone first (:class:`~qar_qiskit.backends.cone_first.ConeFirst`, its
    ``layout_trials`` seeds) and keeps the result only where no register's cone ESP is below the
    ``"whole"`` compilation's (the best of seeds above), which it computes too; ``"whole"`` is
    the best of seeds alone. A circuit without the decision barrier is compiled ``"whole"``.
    ``mid_circuit_measure``: non-terminal measurements become IBM's ``measure_2``
    (:func:`use_mid_circuit_measure`) where the target has it at no higher error.
    """
    strategy = DEFAULT_STRATEGY if strategy is None else strategy
    if strategy not in STRATEGIES:
        raise ConfigError(f"compile strategy: must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    if strategy == "cone-first" or mid_circuit_measure:
        from qar_qiskit.backends.cone_first import Guarded

        tgt = _target_of(backend, target)
        whole = device_pass_manager(backend, target=target, optimization_level=optimization_level,
                                    seed_transpiler=seed_transpiler, layout_trials=layout_trials, score=score,
                                    strategy="whole")
        first = None
        if strategy == "cone-first":
            from qar_qiskit.backends.cone_first import ConeFirst

            first = ConeFirst(tgt, optimization_level=optimization_level,
                              seed_transpiler=0 if seed_transpiler is None else int(seed_transpiler),
                              trials=max(int(layout_trials), 1),
                              translation_method="ibm_dynamic_and_fractional" if "rzz" in tgt.operation_names else None)
        return Guarded(tgt, whole, first, mid_circuit_measure=mid_circuit_measure)
    if layout_trials > 1:
        return BestOfSeeds(backend, target=target, optimization_level=optimization_level,
                           seed_transpiler=0 if seed_transpiler is None else seed_transpiler,
                           trials=layout_trials, score=score)
    tgt = _target_of(backend, target)
    kwargs: dict[str, Any] = {"optimization_level": int(optimization_level)}
    if seed_transpiler is not None:
        kwargs["seed_transpiler"] = int(seed_transpiler)
    if "rzz" in tgt.operation_names:
        kwargs["translation_method"] = "ibm_dynamic_and_fractional"
    if target is not None or "rzz" in tgt.operation_names:
        return generate_preset_pass_manager(target=tgt, **kwargs)
    return generate_preset_pass_manager(backend=backend, **kwargs)


class BestOfSeeds:
    """``run(circuit)``: the best of ``trials`` seeded preset transpilations by ``score``.

    Ties in score (to 1e-12) go to fewer two-qubit gates, then to the lower seed, so the result
    is a deterministic function of the inputs.
    """

    def __init__(self, backend=None, *, target: Target | None = None, optimization_level: int = 3,
                 seed_transpiler: int = 11, trials: int = 8,
                 score: Callable[[QuantumCircuit, Target], float] | None = None):
        self.target = _target_of(backend, target)
        self.trials = int(trials)
        self.score = score or tick_score
        self._managers = [device_pass_manager(backend, target=target, optimization_level=optimization_level,
                                              seed_transpiler=int(seed_transpiler) + k) for k in range(self.trials)]

    def run(self, circuit: QuantumCircuit) -> QuantumCircuit:
        best, best_key = None, None
        for k, pm in enumerate(self._managers):
            isa = pm.run(circuit)
            key = (round(float(self.score(isa, self.target)), 12), -_two_qubit_gates(isa), -k)
            if best_key is None or key > best_key:
                best, best_key = isa, key
        return best


def _esp(isa: QuantumCircuit, target: Target) -> float:
    """Whole-circuit ESP: prod over instructions of ``1 - error`` (lightcone.esp, target errors)."""
    return esp(((ins.operation.name, tuple(isa.find_bit(q).index for q in ins.qubits)) for ins in isa.data), target)


def tick_score(isa: QuantumCircuit, target: Target) -> float:
    """The default score of a layout trial: the ESP of the ``decision`` register's light cone
    when the circuit measures one (what the tick's decision sees), else the whole circuit's.

    Measured on the hardware-grade tick (default config, four plans, level 3, trials scored by
    the decision cone; 2026-12-03): best decision-cone ESP FakeFez 0.61-0.65 with 1 trial,
    0.67-0.69 with 16, 0.69-0.70 with 32; FakeTorino 0.50-0.56, 0.60-0.62, 0.61-0.63.
    """
    if any(c.name == "decision" for c in isa.cregs):
        return cone_stats(isa, ("decision",), target).esp
    return _esp(isa, target)


def _two_qubit_gates(isa: QuantumCircuit) -> int:
    return sum(1 for ins in isa.data if ins.operation.num_qubits == 2 and ins.operation.name not in _NOT_GATES)


def isa_summary(isa: QuantumCircuit, target: Target) -> dict[str, Any]:
    """Active qubits, two-qubit gates, depth, ESP and scheduled duration of an ISA circuit."""
    index = {q: i for i, q in enumerate(isa.qubits)}
    active = {index[q] for ins in isa.data if ins.operation.name not in ("barrier", "delay") for q in ins.qubits}
    try:
        duration = float(isa.estimate_duration(target, unit="s"))
    except Exception:  # noqa: BLE001 - a target without durations: no estimate
        duration = None
    return {"active_qubits": len(active), "two_qubit_gates": _two_qubit_gates(isa), "depth": isa.depth(),
            "esp": _esp(isa, target), "duration_s": duration, "ops": dict(isa.count_ops())}


def cone_view(isa):
    """``isa`` with IBM's ``measure_2`` mid-circuit measurements read as ``measure`` (the light
    cones end at measurements; the ESP then uses the ``measure`` error, which
    :func:`~qar_qiskit.backends.cone_first.use_mid_circuit_measure` keeps at or above ``measure_2``'s)."""
    if not any(ins.operation.name == "measure_2" for ins in isa.data):
        return isa
    from qiskit.circuit.library import Measure

    out = isa.copy()
    for i, ins in enumerate(out.data):
        if ins.operation.name == "measure_2":
            out.data[i] = ins.replace(operation=Measure())
    return out


def register_esps(isa, target, *, method: str = "causal") -> dict[str, dict]:
    """Every measured register's cone (qubits, two-qubit gates, depth, ESP) and the whole circuit's under ``"*"``."""
    return {k: v.as_dict() for k, v in circuit_stats(cone_view(isa), target, method=method).items()}


def compile_for_device(circuit: QuantumCircuit, backend=None, *, target: Target | None = None,
                       options: CompileOptions | None = None) -> QuantumCircuit:
    """The ISA circuit of ``circuit`` for the device under ``options`` (see :func:`device_pass_manager`)."""
    opts = options or CompileOptions()
    return device_pass_manager(backend, target=target, optimization_level=opts.optimization_level,
                               seed_transpiler=opts.seed_transpiler, layout_trials=opts.layout_trials,
                               strategy=opts.strategy).run(circuit)


def with_fractional_gates(target: Target) -> Target:
    """A copy of ``target`` with Heron's fractional gates added, for measurement.

    ``rzz(theta)`` (angle bounds ``[0, pi/2]``) on every coupler that has ``cz``, with that CZ's
    error and duration; ``rx(theta)`` on every qubit with ``sx``, with that SX's error and
    duration. (IBM's fractional targets likewise copy the non-fractional errors.)
    """
    if "cz" not in target.operation_names or "sx" not in target.operation_names:
        raise ConfigError("target: fractional gates need a cz/sx (Heron) target")
    out = copy.deepcopy(target)
    if "rzz" not in out.operation_names:
        props = {qargs: InstructionProperties(duration=p.duration, error=p.error) if p else None
                 for qargs, p in target["cz"].items()}
        out.add_instruction(RZZGate(Parameter("theta")), props, angle_bounds=[(0.0, math.pi / 2)])
    if "rx" not in out.operation_names:
        props = {qargs: InstructionProperties(duration=p.duration, error=p.error) if p else None
                 for qargs, p in target["sx"].items()}
        out.add_instruction(RXGate(Parameter("theta")), props)
    return out


def estimate_quantum_seconds(isa: QuantumCircuit, target: Target, shots: int, rows: int = 1,
                             rep_delay_s: float | None = None) -> dict[str, Any]:
    """An estimate of the QPU time a sampler job of ``rows x shots`` executions takes.

        t = rows * shots * (T_circuit + rep_delay)

    ``T_circuit`` is the circuit's scheduled duration from the target's gate and measurement
    durations (:meth:`QuantumCircuit.estimate_duration`, longest path); ``rep_delay`` the
    device's delay between shots (``configuration().default_rep_delay``, 250 us on the
    fake Heron devices). It leaves out the per-job overhead IBM also bills (loading, compiling,
    readout transfer: seconds per job), so treat it as a lower bound; ``job.usage()`` reports
    what was used. ``quantum_seconds`` is None when the target has no durations (simulators).
    """
    try:
        duration = float(isa.estimate_duration(target, unit="s"))
    except Exception:  # noqa: BLE001 - a target without durations (a simulator): no estimate
        duration = None
    rep = 0.0 if rep_delay_s is None else float(rep_delay_s)
    executions = int(rows) * int(shots)
    return {"circuit_duration_s": duration, "rep_delay_s": rep, "executions": executions,
            "quantum_seconds": None if duration is None else executions * (duration + rep),
            "formula": "rows * shots * (circuit duration + rep_delay); per-job overhead not included"}


def check_hardware_options(*, fractional_gates: bool, twirling: dict | None, dynamical_decoupling: dict | None,
                           dynamic: bool) -> None:
    """Refuse option combinations IBM Runtime rejects (one :class:`ConfigError` naming the field)."""
    twirling = twirling or {}
    dd = dynamical_decoupling or {}
    if fractional_gates and twirling.get("enable_gates"):
        raise ConfigError("twirling.enable_gates: gate twirling cannot be combined with fractional gates "
                          "(IBM Runtime feature compatibility); drop one of them")
    if dd.get("enable") and dynamic:
        raise ConfigError("dynamical_decoupling.enable: dynamical decoupling cannot be used with dynamic circuits")
