"""AffineBinding: the transpiled tick circuit bound by one matrix product equals assign_parameters."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit import Parameter, ParameterVector
from qiskit.quantum_info import Statevector

from qar_qiskit.backends.aer import AerExecutor
from qar_qiskit.backends.binding import AffineBinding, bind_numbers
from qar_qiskit.circuits.composer import compose_tick_circuit
from qar_qiskit.circuits.encoding import amplitude_prep, controlled_amplitude_prep
from qar_qiskit.config import REGIMES, load_config
from qar_qiskit.plan.planner import plan_for_regime


def _same_gates(a: QuantumCircuit, b: QuantumCircuit) -> float:
    """Largest angle difference between two bound circuits with the same instructions."""
    assert len(a.data) == len(b.data)
    worst = abs(float(a.global_phase) - float(b.global_phase))
    for x, y in zip(a.data, b.data):
        assert x.operation.name == y.operation.name and x.qubits == y.qubits and x.clbits == y.clbits
        for p, q in zip(x.operation.params, y.operation.params):
            worst = max(worst, abs(float(p) - float(q)))
    return worst


@pytest.mark.parametrize("regime", REGIMES)
def test_tick_circuit_angles_match_assign_parameters(regime):
    plan = plan_for_regime(load_config(), regime)
    ex = AerExecutor()
    prepared, _ = ex.prepared(compose_tick_circuit(plan))
    affine = prepared.affine
    assert affine is not None and affine.template.num_parameters == affine.matrix.shape[0]
    rng = np.random.default_rng(1)
    for _ in range(3):
        row = rng.uniform(-np.pi, np.pi, prepared.isa.num_parameters)
        assert _same_gates(affine.bind(row), prepared.isa.assign_parameters(row)) < 1e-12


def test_statevector_of_a_transpiled_encoding():
    """A controlled Möttönen amplitude preparation (UCRY cascades), transpiled at level 3."""
    prep, _ = controlled_amplitude_prep(3, 2, "amp")
    qc = QuantumCircuit(prep.num_qubits)
    qc.h(range(2))
    qc.p(Parameter("phase"), 0)
    qc.compose(prep, inplace=True)
    isa = transpile(qc, basis_gates=["cx", "ry", "rz", "p", "u"], optimization_level=3)
    affine = AffineBinding.of(isa)
    rng = np.random.default_rng(2)
    row = rng.uniform(-1, 1, isa.num_parameters)
    a = Statevector(affine.bind(row)).data
    b = Statevector(isa.assign_parameters(row)).data
    assert np.max(np.abs(a - b)) < 1e-9


def test_global_phase_expression_is_bound():
    theta = Parameter("t")
    qc = QuantumCircuit(1, global_phase=theta / 2)
    qc.ry(2 * theta + 1, 0)
    affine = AffineBinding.of(qc)
    bound = affine.bind(np.array([0.3]))
    assert bound.num_parameters == 0
    assert float(bound.global_phase) == pytest.approx(0.15, abs=1e-12)
    assert float(bound.data[0].operation.params[0]) == pytest.approx(1.6, abs=1e-12)


def test_non_affine_angle_is_refused():
    x = ParameterVector("x", 2)
    qc = QuantumCircuit(1)
    qc.ry(x[0] * x[1], 0)
    assert AffineBinding.of(qc) is None


def test_control_flow_and_unparameterized_are_refused():
    t = Parameter("t")
    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.ry(t, 0)
    assert AffineBinding.of(qc) is None
    assert AffineBinding.of(QuantumCircuit(1)) is None


def test_executor_counts_equal_with_and_without_affine_binding():
    plan = plan_for_regime(load_config(), "stable")
    tc = compose_tick_circuit(plan)
    ex = AerExecutor(shots=512)
    prepared, _ = ex.prepared(tc)
    rng = np.random.default_rng(3)
    values = rng.uniform(-1, 1, (1, len(tc.parameters)))
    fast = ex.run(tc, values, seed=11)[0].counts
    prepared.affine = None  # the assign_parameters path
    slow = ex.run(tc, values, seed=11)[0].counts
    assert fast == slow


def test_bind_numbers_equals_assign_parameters():
    """A Möttönen cascade (angle expressions), a controlled one, a parameterized global phase."""
    rng = np.random.default_rng(5)
    prep, _ = controlled_amplitude_prep(2, 1, "amp")
    cascade, _ = amplitude_prep(4, "lm")
    t = Parameter("t")
    phased = QuantumCircuit(2, global_phase=t / 2)
    phased.cry(3 * t - 1, 0, 1)
    for qc in (prep, cascade, phased):
        values = dict(zip(qc.parameters, rng.uniform(-2, 2, qc.num_parameters)))
        fast, slow = bind_numbers(qc, values), qc.assign_parameters(values)
        assert fast.num_parameters == 0
        assert _same_gates(fast, slow) < 1e-12
        assert np.max(np.abs(Statevector(fast).data - Statevector(slow).data)) < 1e-12


def test_bind_numbers_leaves_custom_gates_to_assign_parameters():
    t = Parameter("t")
    inner = QuantumCircuit(1)
    inner.ry(t, 0)
    qc = QuantumCircuit(1)
    qc.append(inner.to_gate(), [0])
    bound = bind_numbers(qc, {t: 0.7})
    assert bound.num_parameters == 0
    assert Statevector(bound).probabilities()[1] == pytest.approx(np.sin(0.35) ** 2, abs=1e-12)
