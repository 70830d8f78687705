"""Device compilation (qar_qiskit/backends/compile.py): ESP, layout trials, fractional gates, time estimate.

References are computed in the tests from the target's own numbers (hand-placed ISA circuits),
from operator equivalence, or from the per-seed runs the best-of-seeds must dominate.
"""

from __future__ import annotations

import math

import pytest
from qiskit import QuantumCircuit
from qiskit.providers.fake_provider import GenericBackendV2
from qiskit.quantum_info import Operator

from qar_qiskit.backends.compile import (
    DEFAULT_LAYOUT_TRIALS,
    CompileOptions,
    check_hardware_options,
    compile_for_device,
    device_pass_manager,
    estimate_quantum_seconds,
    isa_summary,
    with_fractional_gates,
)
from qar_qiskit.errors import ConfigError


@pytest.fixture(scope="module")
def fez():
    from qiskit_ibm_runtime.fake_provider import FakeFez

    return FakeFez()


@pytest.fixture(scope="module")
def small_target():
    """A 5-qubit Heron-like (cz/sx/rz/x) target with errors and durations: small enough for Operator."""
    return GenericBackendV2(num_qubits=5, basis_gates=["cz", "sx", "rz", "x", "id"], seed=5).target


def test_esp_and_duration_of_a_hand_placed_isa_circuit(fez):
    t = fez.target
    coupler = next(q for q in t["cz"] if t["cz"][q] is not None and t["cz"][q].error)
    a, b = coupler
    qc = QuantumCircuit(fez.num_qubits, 1)
    qc.sx(a)
    qc.cz(a, b)
    qc.rz(0.3, b)
    qc.measure(b, 0)
    expected = (1 - t["sx"][(a,)].error) * (1 - t["cz"][coupler].error) * (1 - t["measure"][(b,)].error)
    summary = isa_summary(qc, t)
    assert summary["esp"] == pytest.approx(expected, rel=1e-12)
    assert summary["two_qubit_gates"] == 1 and summary["active_qubits"] == 2
    duration = t["sx"][(a,)].duration + t["cz"][coupler].duration + t["measure"][(b,)].duration
    assert summary["duration_s"] == pytest.approx(duration, rel=1e-9)
    est = estimate_quantum_seconds(qc, t, shots=1000, rows=3, rep_delay_s=250e-6)
    assert est["quantum_seconds"] == pytest.approx(3 * 1000 * (duration + 250e-6), rel=1e-9)
    assert est["executions"] == 3000


def _ghz_ring(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n)
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    for i in range(0, n - 2, 2):
        qc.cx(i, i + 2)  # non-nearest couplings: routing choices differ between seeds
    qc.cx(n - 1, 0)
    qc.measure_all()
    return qc


def test_best_of_seeds_dominates_every_seed_and_is_deterministic(fez):
    qc = _ghz_ring(9)
    singles = [isa_summary(compile_for_device(qc, fez, options=CompileOptions(layout_trials=1, seed_transpiler=11 + k)),
                           fez.target)["esp"] for k in range(5)]
    best = compile_for_device(qc, fez, options=CompileOptions(layout_trials=5, seed_transpiler=11))
    esp = isa_summary(best, fez.target)["esp"]
    assert esp == pytest.approx(max(singles), rel=1e-9)
    again = compile_for_device(qc, fez, options=CompileOptions(layout_trials=5, seed_transpiler=11))
    assert again == best


def test_custom_score_is_what_the_trials_maximise(fez):
    qc = _ghz_ring(9)
    twoq = [isa_summary(compile_for_device(qc, fez, options=CompileOptions(layout_trials=1, seed_transpiler=3 + k)),
                        fez.target)["two_qubit_gates"] for k in range(4)]
    pm = device_pass_manager(fez, seed_transpiler=3, layout_trials=4,
                             score=lambda isa, target: -isa_summary(isa, target)["two_qubit_gates"])
    assert isa_summary(pm.run(qc), fez.target)["two_qubit_gates"] == min(twoq)


def test_trials_never_worse_on_the_default_tick(fez):
    from qar_qiskit.circuits.composer import compose_tick_circuit
    from qar_qiskit.config import load_config
    from qar_qiskit.plan.planner import all_plans

    circuit = compose_tick_circuit(all_plans(load_config())["trending"]).circuit
    one = isa_summary(compile_for_device(circuit, fez, options=CompileOptions(layout_trials=1)), fez.target)
    many = isa_summary(compile_for_device(circuit, fez, options=CompileOptions(layout_trials=4)), fez.target)
    assert many["esp"] >= one["esp"]


def test_fractional_target_copies_cz_and_sx_properties(fez):
    frac = with_fractional_gates(fez.target)
    assert "rzz" not in fez.target.operation_names  # the original is untouched
    assert set(frac["rzz"]) == set(fez.target["cz"]) and set(frac["rx"]) == set(fez.target["sx"])
    for qargs, props in fez.target["cz"].items():
        assert frac["rzz"][qargs].error == props.error and frac["rzz"][qargs].duration == props.duration
    assert frac.gate_has_angle_bounds("rzz")
    with pytest.raises(ConfigError, match="cz/sx"):
        with_fractional_gates(GenericBackendV2(num_qubits=3, basis_gates=["cx", "rz", "sx", "x"], seed=1).target)


def test_fractional_compile_is_equivalent_and_uses_fewer_two_qubit_gates(small_target):
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cp(0.7, 0, 1)
    qc.rzz(-0.4, 1, 2)  # a negative angle: must be folded into [0, pi/2]
    qc.rx(0.3, 2)
    frac_target = with_fractional_gates(small_target)
    opts = CompileOptions(layout_trials=1)
    cz_only = compile_for_device(qc, target=small_target, options=opts)
    frac = compile_for_device(qc, target=frac_target, options=opts)
    assert "rzz" in frac.count_ops()
    assert isa_summary(frac, frac_target)["two_qubit_gates"] < isa_summary(cz_only, small_target)["two_qubit_gates"]
    assert all(0 <= float(ins.operation.params[0]) <= math.pi / 2 for ins in frac.data if ins.operation.name == "rzz")
    padded = QuantumCircuit(small_target.num_qubits).compose(qc)  # ancillas on the unused qubits
    for isa in (cz_only, frac):
        assert Operator.from_circuit(isa).equiv(Operator(padded))


def test_hardware_option_checks_name_the_field():
    with pytest.raises(ConfigError, match="twirling.enable_gates"):
        check_hardware_options(fractional_gates=True, twirling={"enable_gates": True}, dynamical_decoupling=None,
                               dynamic=False)
    with pytest.raises(ConfigError, match="dynamical_decoupling.enable"):
        check_hardware_options(fractional_gates=False, twirling=None, dynamical_decoupling={"enable": True},
                               dynamic=True)
    check_hardware_options(fractional_gates=True, twirling={"enable_measure": True},
                           dynamical_decoupling={"enable": True}, dynamic=False)
    with pytest.raises(ValueError, match="layout_trials"):
        CompileOptions(layout_trials=0)
    with pytest.raises(ConfigError, match="backend"):
        compile_for_device(QuantumCircuit(1))


def test_compile_options_reject_unknown_fields():
    with pytest.raises(ValueError, match="fractional"):
        CompileOptions(fractional=True)
    assert CompileOptions().layout_trials == DEFAULT_LAYOUT_TRIALS
