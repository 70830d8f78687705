"""Light cones of measured registers: extraction, ESP, and light-cone noisy simulation.

References used here are independent of the code under test: the full circuit's statevector,
exact density-matrix simulation of the full circuit, the full noisy simulation (one
simulation of the whole routed circuit) and ESP computed in the test from the target.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from qiskit.circuit import ClassicalRegister, Parameter, QuantumCircuit, QuantumRegister
from scipy.stats import chi2_contingency

from qar_qiskit.backends import cone_report, lightcone
from qar_qiskit.backends.lightcone import circuit_stats, cone_groups, cone_stats, register_cone
from qar_qiskit.backends.noisy import NoisyAerExecutor, _SubDevice, fake_device, sub_target
from qar_qiskit.circuits.composer import compose_tick_circuit
from qar_qiskit.errors import BackendError
from qar_qiskit.plan.allocation import AllocationPlan
from tests.backends.conftest import SmallTick

SMALL_PLAN = AllocationPlan(regime="trending", lmsr=1, prospect=2, hedge=1, buffer=2)  # noisy-small size


@pytest.fixture(scope="module")
def fez():
    return fake_device("FakeFez")


def _unmeasured(circuit: QuantumCircuit) -> QuantumCircuit:
    out = circuit.copy_empty_like()
    for ins in circuit.data:
        if ins.operation.name not in ("measure", "barrier"):
            out.append(ins)
    return out


def _register_marginal(circuit: QuantumCircuit, register: str) -> np.ndarray:
    """P(register value) of ``circuit`` without noise, exactly: every measurement into
    ``register`` becomes a CNOT onto a fresh ancilla (deferred measurement, so a qubit measured
    mid-circuit and then moved on by a SWAP is read where it was measured), statevector (Aer)."""
    from qiskit_aer import AerSimulator

    creg = next(r for r in circuit.cregs if r.name == register)
    bits = {b: j for j, b in enumerate(creg)}
    anc = QuantumRegister(creg.size, "anc")
    qc = QuantumCircuit(*circuit.qregs, anc)
    for ins in circuit.data:
        if ins.operation.name == "measure":
            if ins.clbits[0] in bits:
                qc.cx(ins.qubits[0], anc[bits[ins.clbits[0]]])
            continue
        if ins.operation.name != "barrier":
            qc.append(ins.operation, ins.qubits)
    qc.save_probabilities(list(anc))
    return np.asarray(AerSimulator(method="statevector").run(qc).result().data(0)["probabilities"])


# -- extraction ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_isa(fez):
    """The noisy executor's ISA circuit (level 3) of a noisy-small-size plan, bound with a
    tick's inputs, and those inputs (for the classical twin)."""
    from tests.circuits.test_fragments import random_inputs

    tick = compose_tick_circuit(SMALL_PLAN)
    inputs = random_inputs(np.random.default_rng(7), SMALL_PLAN)
    by_name = dict(zip((p.name for p in tick.parameters), tick.parameter_values(inputs)))
    isa = NoisyAerExecutor(fez, layout_trials=1, mitigation="none").transpile_uncached(tick, 3)
    return isa.assign_parameters({p: by_name[p.name] for p in isa.parameters}), inputs


@pytest.mark.parametrize("method", ["causal", "commutation"])
def test_cone_gives_the_twins_noiseless_register_marginal(small_isa, method):
    """Both reductions keep each register's noiseless distribution: the statevector of a
    register's cone equals the classical twin's marginal (1e-9), on the routed ISA circuit of a
    noisy-small-size plan (memory and decision measured mid-circuit, as composed); cones only
    ever drop operations."""
    from qar_qiskit.classical.decision import component_marginals

    isa, inputs = small_isa
    twin = component_marginals(inputs, SMALL_PLAN)
    active = lightcone.active_qubits(isa)
    smaller = 0
    refused = set()
    for reg in [r.name for r in isa.cregs]:
        try:
            cone = register_cone(isa, (reg,), method=method)
        except BackendError as exc:
            # Qiskit's LightCone only starts from final measurements: a register measured
            # mid-circuit (memory, decision) and moved on by routing is refused, never answered
            assert method == "commutation" and "measured mid-circuit" in str(exc), exc
            refused.add(reg)
            continue
        assert set(cone.qubits) <= set(active) and [r.name for r in cone.circuit.cregs] == [reg]
        assert cone.circuit.size() <= isa.size()
        smaller += len(cone.qubits) < len(active)
        np.testing.assert_allclose(_register_marginal(cone.circuit, reg), twin[reg], atol=1e-9)
    assert smaller >= 1  # some register's cone is a proper subset, so the check has teeth
    assert refused <= {"memory", "decision"}


def _cz_circuit() -> QuantumCircuit:
    """On FakeFez qubits 0-1-2 (a line): q0 and q1 in |1>, q2 in sx|0>, cz(0, 1), cz(1, 2), sx on
    q2; a <- q2, b <- q0. cz(0, 1) commutes with everything after it in a's cone."""
    q = QuantumRegister(3, "q")
    a, b = ClassicalRegister(1, "a"), ClassicalRegister(1, "b")
    qc = QuantumCircuit(q, a, b)
    qc.x(0)
    qc.x(1)
    qc.sx(2)
    qc.cz(0, 1)
    qc.cz(1, 2)
    qc.sx(2)
    qc.measure(2, a[0])
    qc.measure(0, b[0])
    return qc


def _noisy_p1(circuit: QuantumCircuit, physical, qubit: int, target) -> float:
    """Exact P(qubit reads 1 before readout) under the device noise of ``physical`` (density matrix)."""
    from qiskit_aer import AerSimulator

    sim = AerSimulator.from_backend(_SubDevice(sub_target(target, list(physical)), "sub"), method="density_matrix")
    qc = _unmeasured(circuit)
    qc.save_probabilities([qubit])
    return float(sim.run(qc).result().data(0)["probabilities"][1])


def test_causal_cone_is_exact_under_noise_and_the_commutation_cone_is_not(fez):
    """Qiskit's LightCone drops cz(0, 1) from a's cone (it commutes with the cone's later gates),
    which is right without noise but drops the cz's error channel, whose X/Y errors on q1 reach
    the measured q2 through cz(1, 2): exact density matrices."""
    qc = _cz_circuit()
    full = _noisy_p1(qc, (0, 1, 2), 2, fez.target)
    causal = register_cone(qc, ("a",))
    commuting = register_cone(qc, ("a",), method="commutation")
    assert causal.qubits == (0, 1, 2) and commuting.qubits == (1, 2)
    assert _register_marginal(commuting.circuit, "a") == pytest.approx(_register_marginal(qc, "a"), abs=1e-12)
    assert abs(_noisy_p1(causal.circuit, causal.qubits, 2, fez.target) - full) < 1e-12
    dropped = _noisy_p1(commuting.circuit, commuting.qubits, 1, fez.target)
    assert abs(dropped - full) > 1e-3, (dropped, full)  # ~ the cz's error, 1% on FakeFez


def test_esp_is_the_product_over_the_cone_from_the_target(fez):
    qc = _cz_circuit()
    t = fez.target

    def err(name, qargs):
        return t[name][qargs].error or 0.0

    a = cone_stats(qc, ("a",), t)
    assert (a.qubits, a.two_qubit_gates) == (3, 2)
    expected = math.prod(1 - err(n, qa) for n, qa in [("x", (0,)), ("x", (1,)), ("sx", (2,)), ("cz", (0, 1)),
                                                     ("cz", (1, 2)), ("sx", (2,)), ("measure", (2,))])
    assert math.isclose(a.esp, expected, rel_tol=1e-12)
    whole = circuit_stats(qc, t)["*"]
    assert math.isclose(whole.esp, expected * (1 - err("measure", (0,))), rel_tol=1e-12)
    assert cone_stats(qc, ("a",), None).esp == 1.0


def test_unknown_register_and_method_are_named(fez):
    qc = _cz_circuit()
    with pytest.raises(BackendError, match="'nope'"):
        register_cone(qc, ("nope",))
    with pytest.raises(BackendError, match="method"):
        register_cone(qc, ("a",), method="dag")


# -- light-cone noisy simulation vs full noisy simulation -------------------------------------

def _blocks_preamble():
    """Nine parameterised qubits in three CX-chained blocks (a, b, c), block c reading a (cx a2 -> c0)."""
    q = QuantumRegister(9, "q")
    regs = [ClassicalRegister(3, n) for n in "abc"]
    qc = QuantumCircuit(q, *regs)
    th = [Parameter(f"t{i}") for i in range(9)]
    for i in range(9):
        qc.ry(th[i], i)
    for start in (0, 3, 6):
        qc.cx(start, start + 1)
        qc.cx(start + 1, start + 2)
    qc.cx(2, 6)
    return qc, q, regs, th


def _three_blocks() -> SmallTick:
    """Three 3-qubit blocks measured into a, b, c; block c reads block a early (cx a2 -> c0)."""
    qc, q, regs, th = _blocks_preamble()
    for start in (0, 3, 6):
        qc.ry(0.4, start + 1)
        qc.cx(start + 2, start)
    for k, reg in enumerate(regs):
        qc.measure(q[3 * k:3 * k + 3], reg)
    return SmallTick(qc, tuple(th), AllocationPlan(regime="stable"))


def _p_values(a, b) -> dict[str, float]:
    """Chi-square homogeneity p-value per register (bins with < 10 shots in both pooled)."""
    out = {}
    for reg in a:
        keys = sorted(set(a[reg]) | set(b[reg]))
        table = np.array([[a[reg].get(k, 0) for k in keys], [b[reg].get(k, 0) for k in keys]])
        small = table.sum(axis=0) < 10
        if small.any():
            table = np.column_stack([table[:, ~small], table[:, small].sum(axis=1)])
        out[reg] = float(chi2_contingency(table)[1]) if table.shape[1] > 1 else 1.0
    return out


VALUES = np.array([[0.3, 2.1, 1.2, 0.9, 2.6, 0.5, 1.7, 0.2, 2.9]])
SHOTS = 6000


@pytest.fixture(scope="module")
def full_counts(fez):
    """Whole-circuit noisy simulation, statevector trajectories (Aer shot branching)."""
    ex = NoisyAerExecutor(fez, layout_trials=1, seed=21, mitigation="none", exact=True, method="statevector",
                          light_cone=False)
    res = ex.run(_three_blocks(), VALUES, shots=SHOTS)[0]
    assert res.metadata["light_cone"] is False and len(res.metadata["groups"]) == 1
    return res.counts


def test_light_cone_simulation_equals_full_noisy_simulation(fez, full_counts):
    tick = _three_blocks()
    ex = NoisyAerExecutor(fez, layout_trials=1, seed=22, mitigation="none", exact=True, method="statevector")
    res = ex.run(tick, VALUES, shots=SHOTS)[0]
    groups = res.metadata["groups"]
    assert res.metadata["light_cone"] and len(groups) == 2
    assert {tuple(g["registers"]) for g in groups} == {("a", "c"), ("b",)}
    assert all(g["qubits"] < len(res.metadata["active_qubits"]) for g in groups)
    p = _p_values(res.counts, full_counts)
    assert min(p.values()) > 1e-3, p


def test_a_wrong_reduction_fails_the_same_check(fez, full_counts, monkeypatch):
    """Power: a cone that drops one two-qubit gate is caught (p < 1e-6)."""
    from qar_qiskit.backends import noisy

    def drop_one_cz(isa, registers, **kw):
        cone = register_cone(isa, registers, **kw)
        circ = cone.circuit
        k = [i for i, ins in enumerate(circ.data) if ins.operation.name == "cz"][0]
        del circ.data[k]
        return cone

    monkeypatch.setattr(noisy, "register_cone", drop_one_cz)
    ex = NoisyAerExecutor(fez, layout_trials=1, seed=22, mitigation="none", exact=True, method="statevector")
    res = ex.run(_three_blocks(), VALUES, shots=SHOTS)[0]
    p = _p_values(res.counts, full_counts)
    assert min(p.values()) < 1e-6, p


def test_postselected_light_cone_simulation_equals_full(fez):
    """With post-selection on a, every group holds a; registers report equal shot totals."""
    tick = _three_blocks()
    keep = {"a": (0, 7)}
    full = NoisyAerExecutor(fez, layout_trials=1, seed=31, mitigation="none", light_cone=False).run(
        tick, VALUES, shots=SHOTS, postselect=keep)[0]
    res = NoisyAerExecutor(fez, layout_trials=1, seed=32, mitigation="m3").run(
        tick, VALUES, shots=SHOTS, postselect=keep)[0]
    assert {tuple(g["registers"]) for g in res.metadata["groups"]} == {("a", "c"), ("a", "b")}
    totals = {sum(c.values()) for c in res.counts.values()}
    assert len(totals) == 1 and totals.pop() == res.metadata["kept_shots"] < SHOTS
    assert set(res.mitigated) == {"a", "b", "c"}
    p = _p_values(res.counts, full.counts)
    assert min(p.values()) > 1e-3, p


def test_group_seeds_are_reproducible(fez):
    tick = _three_blocks()
    runs = [NoisyAerExecutor(fez, layout_trials=1, seed=5, mitigation="none").run(tick, VALUES, shots=300)[0].counts
            for _ in range(2)]
    assert runs[0] == runs[1]


def _nested(extra_on_small: int) -> QuantumCircuit:
    """``w`` reads q1..q3, ``s`` reads q0; s's cone (q0..q2) holds the gates of w's cone that reach
    q0, plus ``extra_on_small`` rz gates on q0 that w's cone lacks."""
    qc = QuantumCircuit(QuantumRegister(4, "q"), ClassicalRegister(1, "s"), ClassicalRegister(3, "w"))
    for i in range(4):
        qc.ry(0.3 + i, i)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.cx(2, 3)
    qc.cx(0, 1)
    for _ in range(extra_on_small):
        qc.rz(0.1, 0)
    qc.measure(0, 0)
    qc.measure([1, 2, 3], [1, 2, 3])
    return qc


def test_groups_merge_only_when_cheaper():
    """Cost 2**qubits * gates. A cone whose gates lie in the wider one merges for free; a cone
    with gates of its own is not merged into a wider group (that would multiply its gates by the
    wider width): s 3 qubits x 16 gates = 128, w 4 x 8 = 128, merged 4 x 18 = 288 > 256."""
    assert cone_groups(_nested(0)) == [("s", "w")]
    assert cone_groups(_nested(10)) == [("s",), ("w",)]
    tick = _three_blocks()
    # a: 5 qubits x 11 gates = 352, c: 6 x 13 = 832, merged 6 x 15 = 960 <= 1184: merged
    assert cone_groups(tick.circuit) == [("a", "c"), ("b",)]
    with pytest.raises(BackendError, match="'x'"):
        cone_groups(tick.circuit, joint=("x",))


# -- structure regression guard ----------------------------------------------------------------

#: Bound on the default plans' decision cone on FakeFez (optimization level 3, 16 layout trials
#: from seed 11 kept by the decision cone's ESP). Before the hardware-grade composition: up to 27
#: qubits and 308 two-qubit gates, ESP 0.26-0.31. Measured on the restructured tick 2026-12-03
#: (``qar circuits stats --backend aer-noisy:FakeFez``): 12-13 qubits, 90-105 two-qubit gates,
#: ESP 0.66-0.69. The bounds leave room for transpiler changes, not for a structural regression.
DECISION_CONE_MAX_QUBITS = 14
DECISION_CONE_MAX_TWO_QUBIT = 125
DECISION_CONE_MIN_ESP = 0.6


def test_default_plans_decision_cone_stays_within_bound():
    from qar_qiskit.config import load_config

    rows = cone_report.plan_stats(load_config(None), "aer-noisy:FakeFez", optimization_level=3)
    assert {r["regime"] for r in rows} == {"stable", "trending", "volatile", "crisis"}
    for row in rows:
        d = row["registers"]["decision"]
        assert d["qubits"] <= DECISION_CONE_MAX_QUBITS and d["two_qubit_gates"] <= DECISION_CONE_MAX_TWO_QUBIT, row
        assert d["esp"] >= DECISION_CONE_MIN_ESP, row
        assert d["esp"] >= row["circuit"]["esp"]  # a cone is a subset of the circuit


def _mid_circuit_blocks() -> SmallTick:
    """Like the tick: register b is measured mid-circuit, then a SWAP moves block c's first qubit
    through b's measured qubit (as routing does) and c goes on there; a and c measured at the end."""
    qc, q, regs, th = _blocks_preamble()
    qc.measure(q[3:6], regs[1])
    qc.swap(5, 6)
    qc.cx(5, 7)
    qc.ry(0.4, 1)
    qc.cx(2, 0)
    qc.measure(q[0:3], regs[0])
    qc.measure([q[5], q[7], q[8]], regs[2])
    return SmallTick(qc, tuple(th), AllocationPlan(regime="stable"))


def test_light_cone_simulation_with_mid_circuit_measurements_equals_full(fez):
    """Cones drop the other registers' measurements (deferred measurement): every register's
    marginal still matches the whole circuit simulated with its mid-circuit measurement."""
    tick = _mid_circuit_blocks()
    full = NoisyAerExecutor(fez, seed=41, mitigation="none", light_cone=False, layout_trials=1).run(
        tick, VALUES, shots=SHOTS)[0]
    res = NoisyAerExecutor(fez, seed=42, mitigation="none", layout_trials=1).run(tick, VALUES, shots=SHOTS)[0]
    assert res.metadata["light_cone"] and len(res.metadata["groups"]) >= 2
    p = _p_values(res.counts, full.counts)
    assert min(p.values()) > 1e-3, p
