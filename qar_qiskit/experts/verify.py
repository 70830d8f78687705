"""Every expert's fragment against its twin, checked when a config resolves the expert set.

For each expert with a register and each width the planner gives it under the config (the
widths of the four regimes' plans), at a few deterministic input points made by the expert's
own :meth:`~qar_qiskit.experts.base.Expert.inputs` from return histories (:data:`POINTS`:
flat, up-trend, down-trend, and a seeded random walk):

* the fragment ``circuit(n)`` has ``n`` qubits and no classical bits, and its read qubit is set
  before the fragment uses it as a control (the composer reads it right after that;
  ``circuits/stages.py``);
* its values bind by name (:func:`~qar_qiskit.experts.parameters.fragment_values`, what the
  composer binds), and the statevector's probabilities equal ``twin(data)`` to :data:`ATOL`;
* ``p_read(data)`` equals the read qubit's marginal of that statevector to :data:`ATOL`.

A mismatch is an :class:`~qar_qiskit.errors.InputError` naming the expert, the width, the input
point and both distributions (rounded). A pass is cached per (expert, width), so only the first
resolve of a process pays. Measured 2026-12-06 on the shared 2-core machine: the default set
(8 expert widths x 4 points) made ``QAR(backend="exact")`` in a fresh process take 0.33-0.39 s
instead of 0.01 s (load 2.5-3.8); a 9-qubit LMSR register alone 6.2 s (load 9.4; building the
cascade's angle expressions is most of it). A warm resolve is a set lookup (~13 us); the warm
aer decision (``python benchmarks/bench_decision.py --ticks 20``, main and this change run one
after the other, 2026-12-06): 25.4 vs 25.3 ms, 1.37x vs 1.37x raw Aer at load 2.3-2.7 (earlier
pairs at load 5.4-6.6: main 1.55x / 1.18x, this 1.28x / 1.29x); binding by name costs
0.5 -> 0.7 ms of the tick.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np

from qar_qiskit.errors import ExpertError, InputError, QARError

__all__ = ["ATOL", "POINTS", "verify_expert", "verify_experts", "planned_widths", "check_experts"]

#: Tolerance of the probabilities (the tests' statevector tolerance).
ATOL = 1e-9
#: Seed of the random-walk point (every random choice takes a seed).
SEED = 20080101
_DAYS = 60


def _points() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    return {"flat": np.zeros(_DAYS), "up-trend": np.full(_DAYS, 0.004), "down-trend": np.full(_DAYS, -0.004),
            f"random(seed={SEED})": rng.normal(0.0005, 0.015, _DAYS)}


#: Return histories (daily log returns, oldest first) the check feeds to ``Expert.inputs``.
POINTS: dict[str, np.ndarray] = _points()

_PASSED: set = set()
_KEEP: list = []  # experts cached by id (unhashable ones) stay alive, so an id is never reused
_LOCK = threading.Lock()


def _key(expert, n: int):
    try:
        hash(expert)
        return expert, n
    except TypeError:
        with _LOCK:
            _KEEP.append(expert)
        return "id", id(expert), n


def _rounded(p: np.ndarray) -> str:
    p = np.round(np.asarray(p, dtype=float).reshape(-1), 4)
    text = ", ".join(f"{v:g}" for v in p[:16])
    return f"[{text}{', ...' if p.size > 16 else ''}]"


def _check_read(expert, circuit, n: int) -> int:
    from qar_qiskit.circuits.stages import is_control_use

    read = expert.read_qubit(n)
    if not (isinstance(read, (int, np.integer)) and 0 <= read < n):
        raise InputError(f"expert {expert.name!r}: read_qubit({n}) = {read!r} is not a qubit of its {n}-qubit fragment")
    qubit = circuit.qubits[read]
    uses = [i for i, inst in enumerate(circuit.data) if qubit in inst.qubits]
    sets = [i for i in uses if not is_control_use(circuit, circuit.data[i], qubit)]
    if sets:
        early = [i for i in uses if i < sets[-1] and i not in sets]
        if early:
            inst = circuit.data[early[0]]
            raise InputError(f"expert {expert.name!r}: its {n}-qubit fragment uses the read qubit {read} "
                             f"(by {inst.operation.name}, instruction {early[0]}) before it sets it (by "
                             f"{circuit.data[sets[-1]].operation.name}, instruction {sets[-1]}); set the read "
                             "qubit first and use it only as a control afterwards")
    return int(read)


def verify_expert(expert, n: int, config) -> None:
    """Check ``expert``'s ``n``-qubit fragment against its twin (see the module); cached on success.

    Raises:
        InputError: naming the expert, the width, the input point and both distributions.
        ExpertError: one of the expert's methods raised.
    """
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Statevector

    from qar_qiskit.backends.binding import bind_numbers
    from qar_qiskit.experts.parameters import fragment_values

    key = _key(expert, n)
    if key in _PASSED:
        return
    circuit = expert.circuit(n)
    if not isinstance(circuit, QuantumCircuit):
        raise InputError(f"expert {expert.name!r}: circuit({n}) returned {type(circuit).__name__}, "
                         "not a QuantumCircuit")
    if circuit.num_qubits != n or circuit.num_clbits:
        raise InputError(f"expert {expert.name!r}: circuit({n}) has {circuit.num_qubits} qubits and "
                         f"{circuit.num_clbits} classical bits; need {n} qubits and none")
    read = _check_read(expert, circuit, n)
    for label, returns in POINTS.items():
        data = expert.inputs(returns, n, config)
        values = fragment_values(expert, data, circuit.parameters)
        bound = bind_numbers(circuit, dict(zip(circuit.parameters, values)))
        try:
            state = Statevector(bound)
        except Exception as exc:  # measurements, resets, unknown instructions
            raise InputError(f"expert {expert.name!r}: its {n}-qubit fragment is not a unitary circuit "
                             f"({type(exc).__name__}: {exc})") from None
        got = state.probabilities()
        twin = np.asarray(expert.twin(data), dtype=float).reshape(-1)
        where = f"expert {expert.name!r} ({n} qubit{'s' if n != 1 else ''}, input point {label!r})"
        if twin.shape != got.shape or not np.allclose(got, twin, rtol=0.0, atol=ATOL):
            raise InputError(f"{where}: the fragment does not prepare its twin: circuit {_rounded(got)} vs "
                             f"twin {_rounded(twin)}")
        p_read, marginal = float(expert.p_read(data)), float(state.probabilities([read])[1])
        if not abs(p_read - marginal) <= ATOL:
            raise InputError(f"{where}: p_read {p_read:.4g} differs from P(read qubit {read} = 1) = "
                             f"{marginal:.4g} of the fragment")
    with _LOCK:
        _PASSED.add(key)


def planned_widths(experts, config) -> dict[str, tuple[int, ...]]:
    """Expert name -> the register widths the planner gives it under ``config`` (its four
    regimes' plans), for the experts with a register."""
    from qar_qiskit.config import REGIMES
    from qar_qiskit.plan.planner import _plan

    plans = [_plan(config, regime, experts) for regime in REGIMES]
    return {e.name: tuple(sorted({p.expert_sizes()[e.name] for p in plans})) for e in experts.with_register}


def verify_experts(experts, config) -> None:
    """:func:`verify_expert` for every expert and every width of :func:`planned_widths`."""
    by_name = {e.name: e for e in experts}
    for name, widths in planned_widths(experts, config).items():
        for n in widths:
            verify_expert(by_name[name], n, config)


def check_experts(experts: Iterable, config) -> list[tuple[str, bool, str]]:
    """``(expert, passed, detail)`` per expert of the set: :func:`verify_experts` one expert at a
    time (``qar check``); never raises for a failing expert."""
    from qar_qiskit.experts.registry import ExpertSet

    experts = tuple(experts)
    try:
        widths = planned_widths(ExpertSet(experts), config)
    except Exception as exc:  # a plan that cannot be made fails every expert, naming why
        return [(e.name, False, str(exc)) for e in experts if e.has_register]
    out = []
    for e in experts:
        if not e.has_register:
            continue
        try:
            for n in widths[e.name]:
                verify_expert(e, n, config)
        except Exception as exc:  # a check that crashes is a FAIL with its reason
            out.append((e.name, False, str(exc) if isinstance(exc, (QARError, ExpertError))
                        else f"{type(exc).__name__}: {exc}"))
        else:
            out.append((e.name, True, f"fragment = twin to {ATOL:g} at {len(POINTS)} input points for "
                                      f"{', '.join(map(str, widths[e.name]))} qubits"))
    return out
