"""The copy variants of benchmarks/bench_copies.py keep every register's distribution (noiseless)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from qiskit.quantum_info import Statevector

from qar_qiskit.circuits.composer import compose_tick_circuit
from qar_qiskit.classical.decision import component_marginals
from qar_qiskit.plan.allocation import AllocationPlan
from tests.circuits.test_fragments import random_inputs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_copies  # noqa: E402


@pytest.mark.parametrize("mode", ["extra", "extra_rev"])
def test_copy_variants_keep_the_twins_marginals(mode):
    plan = AllocationPlan(regime="volatile", lmsr=1, prospect=2, hedge=1, buffer=2)
    inputs = random_inputs(np.random.default_rng(5), plan)
    tick = compose_tick_circuit(plan)
    circ = bench_copies.variant(plan, mode)
    assert circ.num_qubits == plan.total + 3
    # the decision block reads the copies (extra) or the tails do (extra_rev): 3 more CX
    assert circ.count_ops()["cx"] == tick.circuit.count_ops().get("cx", 0) + 3
    bound = circ.assign_parameters(tick.parameter_values(inputs))
    unitary = bound.copy_empty_like()
    for ins in bound.data:
        if ins.operation.name != "measure":
            unitary.append(ins)
    probs = Statevector(unitary)
    twin = component_marginals(inputs, plan)
    where = {name: list(tick.qubits[name]) for name in ("market", "memory", "decision", "buffer", "prospect")}
    if mode == "extra_rev":  # the tails' top qubits are the copies
        where["prospect"][-1] = plan.total + 1
    for name, qubits in where.items():
        assert np.allclose(probs.probabilities(qubits), twin[name], atol=1e-9), name
