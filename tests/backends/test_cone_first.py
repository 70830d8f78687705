"""Cone-first compilation (qar_qiskit/backends/cone_first.py).

The compiled registers' distributions are checked against the logical circuit by statevector
(each register's backward light cone, 1e-9); the guard against the whole compilation is checked
register by register against an independent whole compilation; ``measure_2`` placement against
the target's own error figures.
"""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector

from qar_qiskit.backends.compile import device_pass_manager, register_esps
from qar_qiskit.backends.cone_first import ConeFirst, Guarded, routing_target, split_at_barrier, use_mid_circuit_measure
from qar_qiskit.backends.lightcone import register_cone
from qar_qiskit.circuits.composer import compose_tick_circuit
from qar_qiskit.errors import ConfigError
from qar_qiskit.plan.allocation import AllocationPlan

SMALL = AllocationPlan(regime="crisis", memory=2, lmsr=1, prospect=2, hedge=1, buffer=1)


@pytest.fixture(scope="module")
def fez():
    from qiskit_ibm_runtime.fake_provider import FakeFez

    return FakeFez()


@pytest.fixture(scope="module")
def small():
    return compose_tick_circuit(SMALL).circuit


def _marginal(circuit: QuantumCircuit, register: str, values: dict[str, float]) -> np.ndarray:
    """Exact distribution of ``register`` (bit 0 least significant): statevector of its light cone."""
    cone = register_cone(circuit, (register,)).circuit
    cone = cone.assign_parameters({p: values[p.name] for p in cone.parameters})
    creg = next(r for r in cone.cregs if r.name == register)
    body, measured = QuantumCircuit(cone.num_qubits), {}
    for ins in cone.data:
        name = ins.operation.name
        if name == "measure":
            if ins.clbits[0] in creg:
                measured[creg.index(ins.clbits[0])] = cone.find_bit(ins.qubits[0]).index
            continue
        if name != "barrier":
            body.append(ins.operation, [cone.find_bit(q).index for q in ins.qubits])
    return Statevector(body).probabilities([measured[i] for i in range(len(creg))])


def test_split_at_the_decision_barrier(small):
    prefix, suffix = split_at_barrier(small)
    assert len(prefix.data) + len(suffix.data) == len(small.data) - 1
    assert [r.name for r in prefix.cregs] == [r.name for r in small.cregs] == [r.name for r in suffix.cregs]
    dec = set(small.cregs[[r.name for r in small.cregs].index("decision")])
    assert any(i.operation.name == "measure" and set(i.clbits) & dec for i in prefix.data)
    assert not any(set(i.clbits) & dec for i in suffix.data)
    plain = QuantumCircuit(2, 1)
    plain.h(0)
    plain.barrier()
    plain.measure(1, 0)
    assert split_at_barrier(plain) is None  # no decision register: compiled whole


def test_routing_target_drops_only_bad_couplers(fez):
    t = fez.target
    r = routing_target(t, 0.2)
    bad = {q for q, p in t["cz"].items() if p is not None and p.error is not None and p.error >= 0.2}
    assert bad, "FakeFez has couplers at or above 0.2 error"
    assert set(r["cz"]) == set(t["cz"]) - bad
    assert set(r["measure"]) == set(t["measure"]) and set(r.operation_names) == set(t.operation_names)


def test_every_candidate_keeps_each_registers_distribution(fez, small):
    """Each register's exact distribution after cone-first compilation equals the logical one."""
    rng = np.random.default_rng(5)
    values = {p.name: float(v) for p, v in zip(small.parameters, rng.uniform(0, np.pi, small.num_parameters))}
    isa = next(ConeFirst(fez.target, trials=1, suffix_trials=1).candidates(small))
    assert isa.num_qubits == fez.num_qubits
    checked = []
    for reg in small.cregs:
        if len(register_cone(isa, (reg.name,)).qubits) > 20:
            continue
        np.testing.assert_allclose(_marginal(isa, reg.name, values), _marginal(small, reg.name, values), atol=1e-9)
        checked.append(reg.name)
    assert "decision" in checked and len(checked) >= 3, checked


def test_guard_never_loses_a_register_to_the_whole_compilation(fez, small):
    whole = device_pass_manager(fez, layout_trials=2, strategy="whole").run(small)
    guarded = device_pass_manager(fez, layout_trials=2, strategy="cone-first")
    assert isinstance(guarded, Guarded)
    isa = guarded.run(small)
    ref, got = register_esps(whole, fez.target), register_esps(isa, fez.target)
    ref.pop("*"), got.pop("*")
    assert set(ref) == set(got)
    assert all(got[n]["esp"] >= ref[n]["esp"] - 1e-12 for n in ref), (got, ref)
    assert guarded.last_choice["strategy"] in ("cone-first", "whole")


def test_unknown_strategy_is_one_clear_error(fez):
    with pytest.raises(ConfigError, match="compile strategy"):
        device_pass_manager(fez, strategy="fastest")


def test_mid_circuit_measure_only_where_it_is_not_worse():
    from qiskit_ibm_runtime.fake_provider import FakeKingston

    t = FakeKingston().target
    better = next(q for (q,), p in t["measure_2"].items() if p.error <= t["measure"][(q,)].error)
    worse = next(q for (q,), p in t["measure_2"].items() if p.error > t["measure"][(q,)].error)
    qc = QuantumCircuit(t.num_qubits, 3)
    for i, q in enumerate((better, worse)):
        qc.measure(q, i)
        qc.x(q)  # a later operation: the measurement is mid-circuit
    qc.measure(better, 2)  # terminal: stays a plain measure
    out = use_mid_circuit_measure(qc, t)
    names = [(i.operation.name, out.find_bit(i.qubits[0]).index) for i in out.data
             if i.operation.name.startswith("measure")]
    assert names == [("measure_2", better), ("measure", worse), ("measure", better)]
    from qiskit_ibm_runtime.fake_provider import FakeFez

    assert use_mid_circuit_measure(qc, FakeFez().target) is qc  # no measure_2 on FakeFez
