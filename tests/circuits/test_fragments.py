"""Each fragment's exact statevector against its classical twin (docs/model.md), to 1e-9."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import Operator, Statevector

from qar_qiskit.circuits.decision import decision_circuit, decision_parameter_values
from qar_qiskit.circuits.feedback import feedback_circuit, feedback_parameter_values
from qar_qiskit.circuits.hedge import hedge_circuit, hedge_parameter_values
from qar_qiskit.circuits.inputs import TickInputs
from qar_qiskit.circuits.lmsr import lmsr_circuit, lmsr_parameter_values
from qar_qiskit.circuits.market import market_circuit, market_parameter_values
from qar_qiskit.circuits.memory import memory_circuit, memory_parameter_values
from qar_qiskit.circuits.patterns import pattern_circuit
from qar_qiskit.circuits.prospect import prospect_circuit, prospect_parameter_values
from qar_qiskit.classical.decision import component_marginals, decision_distribution, expert_outputs
from qar_qiskit.classical.lmsr import bin_centers, lmsr_prices
from qar_qiskit.plan.allocation import AllocationPlan

SEEDS = [0, 1, 2, 3]
REGIMES = ("stable", "trending", "volatile", "crisis")
CODES = {"stable": 0b0000, "trending": 0b0011, "volatile": 0b0101, "crisis": 0b1111}


def random_inputs(rng: np.random.Generator, plan: AllocationPlan) -> TickInputs:
    """Random but valid tick inputs sized for ``plan`` (LMSR prices from random quantities)."""
    k = plan.prospect - 1
    r_range = float(rng.uniform(0.03, 0.1))
    q = rng.normal(0.0, 2.0, 1 << k)
    return TickInputs(
        regime_probabilities=rng.dirichlet(np.ones(4)),
        regime_phases=rng.uniform(-np.pi, np.pi, 4),
        memory_weights=rng.dirichlet(np.ones(4), size=4),
        lmsr_probabilities=lmsr_prices(rng.normal(0.0, 2.0, 1 << plan.lmsr), float(rng.uniform(0.5, 3.0))),
        prospect_outcomes=bin_centers(k, r_range),
        prospect_probabilities=lmsr_prices(q, 1.0),
        hedge_weights=rng.dirichlet(np.ones(1 << plan.hedge)),
        size_risk_angles=rng.uniform(0.0, np.pi, (4, 3)),
        feedback_angles=rng.uniform(-1.0, 1.0, (4, 3)),
    )


def random_plan(rng: np.random.Generator, regime: str) -> AllocationPlan:
    return AllocationPlan(
        regime=regime,
        lmsr=int(rng.integers(3, 6)),
        prospect=int(rng.integers(4, 6)),
        hedge=int(rng.integers(3, 5)),
        buffer=2,
    )


def _bind(qc: QuantumCircuit, values) -> QuantumCircuit:
    values = np.asarray(values, dtype=float)
    assert values.size == qc.num_parameters
    return qc.assign_parameters(values)


def _ry_prob(qc: QuantumCircuit, qubit: int, p: float) -> None:
    qc.ry(2.0 * np.arcsin(np.sqrt(p)), qubit)


@pytest.mark.parametrize("seed", SEEDS)
def test_market_amplitudes_and_phases(seed):
    rng = np.random.default_rng(seed)
    plan = random_plan(rng, REGIMES[seed % 4])
    inp = random_inputs(rng, plan)
    sv = Statevector(_bind(market_circuit(), market_parameter_values(inp.regime_probabilities, inp.regime_phases)))
    twin = component_marginals(inp, plan)["market"]
    assert np.allclose(sv.probabilities(), twin, atol=1e-9)
    # amplitudes sqrt(P(r)) e^{i phi_r} on the codes, including the (parameterized) global phase
    for r, name in enumerate(REGIMES):
        expected = np.sqrt(inp.regime_probabilities[r]) * np.exp(1j * inp.regime_phases[r])
        assert abs(sv.data[CODES[name]] - expected) < 1e-9


@pytest.mark.parametrize("seed", SEEDS)
def test_memory_joint_with_market(seed):
    rng = np.random.default_rng(seed)
    plan = random_plan(rng, REGIMES[seed % 4])
    inp = random_inputs(rng, plan)
    qc = QuantumCircuit(6)
    qc.compose(_bind(market_circuit(), market_parameter_values(inp.regime_probabilities, inp.regime_phases)),
               qubits=[0, 1, 2, 3], inplace=True)
    qc.compose(_bind(memory_circuit(), memory_parameter_values(inp.memory_weights)), qubits=[4, 5, 1, 2], inplace=True)
    probs = Statevector(qc).probabilities()
    twin = component_marginals(inp, plan)
    assert np.allclose(probs, twin["market_memory"], atol=1e-9)
    assert np.allclose(Statevector(qc).probabilities([4, 5]), twin["memory"], atol=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_lmsr_hedge_prospect_registers(seed):
    rng = np.random.default_rng(seed)
    plan = random_plan(rng, REGIMES[seed % 4])
    inp = random_inputs(rng, plan)
    twin = component_marginals(inp, plan)
    lm = Statevector(_bind(lmsr_circuit(plan.lmsr), lmsr_parameter_values(inp.lmsr_probabilities)))
    assert np.allclose(lm.probabilities(), twin["lmsr"], atol=1e-9)
    assert np.allclose(lm.data.imag, 0.0, atol=1e-12) and np.all(lm.data.real > -1e-12)
    hd = Statevector(_bind(hedge_circuit(plan.hedge), hedge_parameter_values(inp.hedge_weights)))
    assert np.allclose(hd.probabilities(), twin["hedge"], atol=1e-9)
    pr = Statevector(_bind(prospect_circuit(plan.prospect),
                           prospect_parameter_values(inp.prospect_outcomes, inp.prospect_probabilities)))
    assert np.allclose(pr.probabilities(), twin["prospect"], atol=1e-9)
    anc = plan.prospect - 1
    p_anc = pr.probabilities([anc])[1]
    assert p_anc == pytest.approx(expert_outputs(inp)["u"], abs=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_decision_and_feedback_mixture(seed):
    """Market + memory + single-qubit expert outputs -> decision + feedback == P(d) of the twin."""
    rng = np.random.default_rng(seed)
    plan = random_plan(rng, REGIMES[seed % 4])
    inp = random_inputs(rng, plan)
    out = expert_outputs(inp)
    # qubits: market 0..3, memory 4,5, lmsr_top 6, prospect_anc 7, hedge_top 8, decision 9..13
    qc = QuantumCircuit(14)
    qc.compose(_bind(market_circuit(), market_parameter_values(inp.regime_probabilities, inp.regime_phases)),
               qubits=[0, 1, 2, 3], inplace=True)
    qc.compose(_bind(memory_circuit(), memory_parameter_values(inp.memory_weights)), qubits=[4, 5, 1, 2], inplace=True)
    _ry_prob(qc, 6, out["p_up"])
    _ry_prob(qc, 7, out["u"])
    _ry_prob(qc, 8, out["p_hedge"])
    dec = list(range(9, 14))
    qc.compose(_bind(decision_circuit(), decision_parameter_values(inp.size_risk_angles)),
               qubits=[*dec, 4, 5, 6, 7, 8], inplace=True)
    qc.compose(_bind(feedback_circuit(), feedback_parameter_values(inp.feedback_angles)),
               qubits=[dec[2], dec[3], dec[4], 1, 2], inplace=True)
    probs = Statevector(qc).probabilities(dec)
    assert np.allclose(probs, decision_distribution(inp), atol=1e-9)
    # the decision fragment does not disturb its controls
    assert np.allclose(Statevector(qc).probabilities([0, 1, 2, 3]), component_marginals(inp, plan)["market"], atol=1e-9)


@pytest.mark.parametrize("regime", REGIMES)
def test_feedback_rotates_by_delta_of_the_regime(regime):
    rng = np.random.default_rng(7)
    delta = rng.uniform(-np.pi, np.pi, (4, 3))
    r = REGIMES.index(regime)
    qc = QuantumCircuit(5)
    code = CODES[regime]
    for bit, q in ((1, 3), (2, 4)):  # m1, m2 -> fragment qubits 3, 4
        if code >> bit & 1:
            qc.x(q)
    qc.compose(_bind(feedback_circuit(), feedback_parameter_values(delta)), inplace=True)
    sv = Statevector(qc)
    for j in range(3):
        assert sv.probabilities([j])[1] == pytest.approx(np.sin(delta[r, j] / 2) ** 2, abs=1e-12)


def _expected_buffer(regime: str, n_buffer: int, p: dict) -> np.ndarray:
    """Brute-force enumeration over the four independent source bits (docs/model.md patterns)."""
    pattern = {
        "stable": [("L", "A")], "trending": [("L", "H")], "volatile": [("L", "A"), ("A", "H")],
        "crisis": [("K",)] * n_buffer,
    }[regime]
    out = np.zeros(1 << n_buffer)
    for bits in itertools.product((0, 1), repeat=4):
        val = dict(zip("LAHK", bits))
        prob = np.prod([p[s] if val[s] else 1 - p[s] for s in "LAHK"])
        idx = sum((sum(val[s] for s in srcs) % 2) << b for b, srcs in enumerate(pattern))
        out[idx] += prob
    return out


@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize("n_buffer", [2, 3])
def test_patterns_witness_and_no_signalling(regime, n_buffer):
    rng = np.random.default_rng(n_buffer)
    p = dict(zip("LAHK", rng.uniform(0.05, 0.95, 4)))
    qc = QuantumCircuit(n_buffer + 4)
    for i, s in enumerate("LAHK"):
        _ry_prob(qc, n_buffer + i, p[s])
    before = Statevector(qc).probabilities(list(range(n_buffer, n_buffer + 4)))
    qc.compose(pattern_circuit(regime, n_buffer), inplace=True)
    sv = Statevector(qc)
    assert np.allclose(sv.probabilities(list(range(n_buffer))), _expected_buffer(regime, n_buffer, p), atol=1e-12)
    assert np.allclose(sv.probabilities(list(range(n_buffer, n_buffer + 4))), before, atol=1e-12)


def _all_fragments(rng):
    plan = AllocationPlan(lmsr=3, prospect=4, hedge=3)
    inp = random_inputs(rng, plan)
    return [
        (market_circuit(), market_parameter_values(inp.regime_probabilities, inp.regime_phases)),
        (memory_circuit(), memory_parameter_values(inp.memory_weights)),
        (lmsr_circuit(3), lmsr_parameter_values(inp.lmsr_probabilities)),
        (prospect_circuit(4), prospect_parameter_values(inp.prospect_outcomes, inp.prospect_probabilities)),
        (hedge_circuit(3), hedge_parameter_values(inp.hedge_weights)),
        (decision_circuit(), decision_parameter_values(inp.size_risk_angles)),
        (feedback_circuit(), feedback_parameter_values(inp.feedback_angles)),
        (pattern_circuit("volatile", 2), np.zeros(0)),
        (pattern_circuit("crisis", 3), np.zeros(0)),
    ]


def test_fragments_are_unitary():
    for qc, values in _all_fragments(np.random.default_rng(11)):
        assert not any(i.operation.name in ("measure", "reset") for i in qc.data), qc.name
        assert Operator(_bind(qc, values)).is_unitary(atol=1e-10), qc.name


def test_binding_never_changes_structure():
    first = _all_fragments(np.random.default_rng(1))
    second = _all_fragments(np.random.default_rng(2))
    for (qa, va), (qb, vb) in zip(first, second):
        a, b = _bind(qa, va), _bind(qb, vb)
        assert a.num_qubits == b.num_qubits and a.count_ops() == b.count_ops(), qa.name
        assert [(i.operation.name, i.qubits) for i in a.data] == [(i.operation.name, i.qubits) for i in b.data]
        if va.size:
            assert not np.allclose(va, vb), qa.name


def test_parameter_values_follow_circuit_parameter_order():
    """*_parameter_values are in ``circuit.parameters`` order: names in that order."""
    expected = {
        "market": [f"market_amp[{i}]" for i in range(3)] + [f"market_phase[{i}]" for i in range(4)],
        "memory": [f"memory[{i}]" for i in range(12)],
        "prospect": ["prospect_u"] + [f"prospect_x[{i}]" for i in range(14)],
        "decision": [f"beta[{i}]" for i in range(12)],
        "feedback": [f"delta[{i}]" for i in range(12)],
    }
    circuits = {"market": market_circuit(), "memory": memory_circuit(), "prospect": prospect_circuit(4),
                "decision": decision_circuit(), "feedback": feedback_circuit()}
    for name, qc in circuits.items():
        assert [p.name for p in qc.parameters] == expected[name]


def test_decision_fragment_uses_exact_control_states():
    """Memory |a> selects exactly expert a: each basis input gives the documented action."""
    # qubits: decision 0..4, mem0 5, mem1 6, L 7, A 8, H 9; beta = 0 (size/risk stay 0)
    qc = _bind(decision_circuit(), decision_parameter_values(np.zeros((4, 3))))
    expected = {  # (a, L, A, H) -> action index (A_lo + 2 A_hi)
        0: lambda L, A, H: 2 * L,        # lmsr: buy (2) iff L else sell (0)
        1: lambda L, A, H: 2 * A,        # prospect: buy iff A
        2: lambda L, A, H: 1 + 2 * H,    # hedge: hedge (3) iff H else hold (1)
        3: lambda L, A, H: 1,            # abstain: hold
    }
    for a, L, A, H in itertools.product(range(4), (0, 1), (0, 1), (0, 1)):
        prep = QuantumCircuit(10)
        for q, bit in ((5, a & 1), (6, a >> 1), (7, L), (8, A), (9, H)):
            if bit:
                prep.x(q)
        probs = Statevector(prep.compose(qc)).probabilities([0, 1, 2, 3, 4])
        assert probs[expected[a](L, A, H)] == pytest.approx(1.0, abs=1e-12), (a, L, A, H)


def test_decision_multiplexer_is_exact_permutation_up_to_diagonal_phase():
    """docs/model.md: the relative-phase multiplexer is D P, P the exact permutation, D diagonal.

    With beta = 0 every size/risk bit stays |0> and the fragment is monomial; |U| must be the
    permutation matrix of the documented map on the inputs the tick gives it (action_lo = |0>,
    the work qubit), built here from the formula on basis states: action_hi ^= [a=0] L ^
    [a=1] A ^ [a=2] H, action_lo = mem1, others unchanged (a phase per column, no mixing).
    A phase in the computational basis changes no measured probability.
    """
    u = Operator(_bind(decision_circuit(), decision_parameter_values(np.zeros((4, 3))))).data
    columns = [x for x in range(1 << 10) if not x & 1]
    u = u[:, columns]
    perm = np.zeros((1 << 10, len(columns)))
    for col, x in enumerate(columns):
        bit = [(x >> i) & 1 for i in range(10)]
        a = bit[5] + 2 * bit[6]
        flip_hi = (a == 0) * bit[7] ^ (a == 1) * bit[8] ^ (a == 2) * bit[9]
        y = x ^ (bit[6] << 0) ^ (flip_hi << 1)
        perm[y, col] = 1.0
    assert np.allclose(np.abs(u), perm, atol=1e-12)
    phases = u[perm == 1.0]
    assert np.allclose(np.abs(phases), 1.0, atol=1e-12)
    assert not np.allclose(phases, phases[0])  # relative phases really are there: D is not scalar


@pytest.mark.parametrize("n", [2, 3, 5])
def test_expert_tails_use_read_qubits_only_as_controls(n):
    """The composer reads L, A, H and (m1, m2) after one head each: one RY (LMSR, Hedge, prospect)."""
    from qar_qiskit.circuits.stages import is_control_use, split_at_read

    for qc, read, head_ops in (
        (lmsr_circuit(n), [n - 1], {"ry": 1}),
        (hedge_circuit(n), [n - 1], {"ry": 1}),
        (prospect_circuit(n), [n - 1], {"ry": 1}),
        (market_circuit(), [1, 2], {"ry": 3, "cx": 1}),
    ):
        qc = qc.assign_parameters(np.random.default_rng(n).uniform(-2, 2, qc.num_parameters))
        head, tail = split_at_read(qc, read)
        assert dict(head.count_ops()) == head_ops, qc.name
        assert len(head.data) + len(tail.data) == len(qc.data)
        for inst in tail.data:
            for q in read:
                assert is_control_use(tail, inst, tail.qubits[q]), (qc.name, inst.operation.name)
        assert Operator(head.compose(tail)).equiv(Operator(qc)), qc.name
