"""Random plug-in experts, composed: the decision distribution of the exact statevector equals
the twin's to 1e-9 whatever the parameter names and their lexical order.

Each generated expert is a chain of RY / RZ / CRY gates on 1-3 qubits, one parameter per gate
named by a random word (so Qiskit's name-sorted ``circuit.parameters`` order is unrelated to
the gate order), angle ``a_j x_j + b_j`` of its data ``x`` with random coefficients. Its twin is
computed independently: the same gates as 2x2 / 4x4 numpy matrices (Kronecker products) applied
to ``|0...0>``, not a Qiskit circuit. The composed tick circuit and the decision twin are
compared as in ``test_experts.test_composed_set_equals_twin`` (its helpers build the plan and
the inputs).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import reduce

import numpy as np
from hypothesis import strategies as st
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.quantum_info import Statevector

from qar_qiskit.circuits.composer import compose_tick_circuit
from qar_qiskit.classical.decision import component_marginals, decision_distribution
from qar_qiskit.config import REGIMES
from qar_qiskit.experts import Expert, resolve_experts
from qar_qiskit.experts.verify import verify_expert
from tests.experts.test_experts import _inputs, _plan
from tests.properties import variants

_I, _P0, _P1 = np.eye(2), np.diag([1.0, 0.0]), np.diag([0.0, 1.0])


def _ry(t):
    c, s = np.cos(t / 2), np.sin(t / 2)
    return np.array([[c, -s], [s, c]], dtype=complex)


def _rz(t):
    return np.diag([np.exp(-0.5j * t), np.exp(0.5j * t)])


def _on(n, ops: dict) -> np.ndarray:
    """The ``2**n`` operator with ``ops[q]`` on qubit ``q`` (identity elsewhere), little-endian."""
    return reduce(np.kron, [ops.get(q, _I) for q in reversed(range(n))])


def numpy_twin(n: int, gates, angles) -> np.ndarray:
    """Probabilities of the gate chain on ``|0...0>`` from matrices alone."""
    psi = np.zeros(1 << n, dtype=complex)
    psi[0] = 1.0
    for (kind, target, control, _, _, _), t in zip(gates, angles):
        u = _ry(t) if kind in ("ry", "cry") else _rz(t)
        op = _on(n, {target: u}) if kind != "cry" else _on(n, {control: _P0}) + _on(n, {control: _P1, target: u})
        psi = op @ psi
    return np.abs(psi) ** 2


@dataclass(frozen=True)
class ChainExpert(Expert):
    """A gate chain ``gates``: ``(kind, target, control, parameter name, a, b)``; data ``x``, one
    value per gate (``x_j = tanh(20 * sum of the last 3 (j + 1) returns)``), angle ``a x + b``."""

    gates: tuple = ()

    def inputs(self, returns, n_qubits, config):
        r = np.asarray(returns, dtype=float)
        return np.array([np.tanh(20.0 * r[-3 * (j + 1):].sum()) for j in range(len(self.gates))])

    def _angles(self, x):
        return [a * xj + b for (_, _, _, _, a, b), xj in zip(self.gates, x)]

    def circuit(self, n_qubits):
        qc = QuantumCircuit(n_qubits, name=self.name)
        for kind, target, control, name, _, _ in self.gates:
            if kind == "cry":
                qc.cry(Parameter(name), control, target)
            else:
                getattr(qc, kind)(Parameter(name), target)
        return qc

    def parameter_values(self, x):
        return {g[3]: angle for g, angle in zip(self.gates, self._angles(x))}  # gate order, not sorted

    def twin(self, x):
        return numpy_twin(self.max_qubits, self.gates, self._angles(x))

    def size_risk(self, x, p_read, edge_gain):
        s = self.conviction(p_read, edge_gain)
        return s, 1.0 - s, p_read


@st.composite
def chain_experts(draw, tag: str):
    """A :class:`ChainExpert` of 1-3 qubits: RY on the read (top) qubit first, then up to 5 gates
    that use the read qubit only as a control or through RZ (the composer's contract)."""
    n = draw(st.integers(1, 3))
    read = n - 1
    gates = [("ry", read, None)]
    for _ in range(draw(st.integers(0, 5))):
        kinds = ["rz"] + (["ry"] if n > 1 else []) + (["cry"] if n > 1 else [])
        kind = draw(st.sampled_from(kinds))
        if kind == "rz":
            gates.append(("rz", draw(st.integers(0, n - 1)), None))
        elif kind == "ry":
            gates.append(("ry", draw(st.integers(0, n - 2)), None))
        else:
            target = draw(st.integers(0, n - 2))
            control = draw(st.sampled_from([q for q in range(n) if q != target]))
            gates.append(("cry", target, control))
    words = draw(st.lists(st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=5), min_size=len(gates),
                          max_size=len(gates), unique=True))
    coef = st.floats(-3.0, 3.0, allow_nan=False)
    spec = tuple((kind, t, c, f"{w}_{tag}", draw(coef), draw(coef)) for (kind, t, c), w in zip(gates, words))
    name = f"chain{zlib.crc32(repr((n, spec)).encode())}"
    return ChainExpert(name=name, min_qubits=n, max_qubits=n, gates=spec)


def check_composed_plugins_equal_the_twin(chains, regime, seed):
    names = [e.name for e in chains]
    if len(set(names)) != len(names):
        return
    for e in chains:
        verify_expert(e, e.max_qubits, None)  # the resolve check passes for a correct plug-in
    experts = resolve_experts([*chains, "abstain"])
    plan = _plan(experts, regime, {e.name: e.max_qubits for e in chains})
    inputs = _inputs(np.random.default_rng(seed), plan, experts)
    tick = compose_tick_circuit(plan)
    state = Statevector(tick.bind(inputs, measured=False))
    twin = component_marginals(inputs, plan)
    for e in chains:
        assert np.allclose(state.probabilities(list(tick.qubits[e.name])), twin[e.name], atol=1e-9), e.name
    decision = state.probabilities(list(tick.qubits["decision"]))
    assert np.allclose(decision, decision_distribution(inputs), atol=1e-9)


test_composed_plugins_equal_the_twin, test_composed_plugins_equal_the_twin_slow = variants(
    check_composed_plugins_equal_the_twin,
    st.one_of(st.tuples(chain_experts("p")), st.tuples(chain_experts("p"), chain_experts("q"))),
    st.sampled_from(REGIMES), st.integers(0, 2**32 - 1),
    ci_examples=12, slow_examples=500)
