"""The composed tick circuit against the classical twin: exact marginals and sampled counts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from qiskit import transpile
from qiskit.quantum_info import Statevector
from qiskit_aer import AerSimulator
from qiskit_aer.primitives import SamplerV2

from qar_qiskit.circuits.composer import cache_info, clear_cache, compose_tick_circuit
from qar_qiskit.circuits.inputs import TickInputs
from qar_qiskit.classical.decision import component_marginals
from qar_qiskit.classical.stats import shot_noise_tvd_bound
from qar_qiskit.errors import InputError
from qar_qiskit.plan.allocation import COMPONENTS, AllocationPlan
from tests.circuits.test_fragments import REGIMES, random_inputs, random_plan

REGISTERS = ("market", "memory", "lmsr", "prospect", "hedge", "decision", "buffer")
SHOTS = 4000
CONFIDENCE = 0.999  # per register and case; seeds are fixed, so the test is deterministic

_MPS = AerSimulator(method="matrix_product_state", max_parallel_threads=1)


def exact_marginals(tick, inputs: TickInputs) -> dict[str, np.ndarray]:
    """Exact register marginals of the bound, unmeasured circuit (Aer MPS, save_probabilities).

    23-27 qubits: a dense statevector is 128 MiB-2 GiB and minutes per case on 2 cores; the
    matrix-product-state simulator is exact here (no truncation at these bond dimensions,
    agreement with the statevector to ~1e-11) and takes well under a second.
    """
    qc = tick.bind(inputs, measured=False)
    for name in REGISTERS:
        qc.save_probabilities(list(tick.qubits[name]), label=name)
    qc.save_probabilities([*tick.qubits["market"], *tick.qubits["memory"]], label="market_memory")
    data = _MPS.run(transpile(qc, _MPS), shots=None).result().data()
    return {k: np.asarray(v) for k, v in data.items()}


CASES = [(seed, REGIMES[seed % 4]) for seed in range(6)]


@pytest.mark.parametrize("seed,regime", CASES)
def test_exact_marginals_equal_twin(seed, regime):
    rng = np.random.default_rng(1000 + seed)
    plan = random_plan(rng, regime)
    inputs = random_inputs(rng, plan)
    tick = compose_tick_circuit(plan)
    assert 23 <= tick.circuit.num_qubits == plan.total <= 27
    got = exact_marginals(tick, inputs)
    twin = component_marginals(inputs, plan)
    for name in (*REGISTERS, "market_memory"):
        assert np.allclose(got[name], twin[name], atol=1e-9), name


def test_small_plan_statevector_equals_twin():
    plan = AllocationPlan(regime="volatile", lmsr=1, prospect=2, hedge=1, buffer=2)
    rng = np.random.default_rng(77)
    inputs = random_inputs(rng, plan)
    tick = compose_tick_circuit(plan)
    sv = Statevector(tick.bind(inputs, measured=False))
    twin = component_marginals(inputs, plan)
    for name in REGISTERS:
        assert np.allclose(sv.probabilities(list(tick.qubits[name])), twin[name], atol=1e-9), name


def test_layout_registers_and_parameters():
    plan = AllocationPlan()
    tick = compose_tick_circuit(plan)
    qc = tick.circuit
    assert [r.name for r in qc.qregs] == ["q"] and qc.num_qubits == plan.total == 24
    assert [(r.name, r.size) for r in qc.cregs] == [(n, plan.sizes()[n]) for n in COMPONENTS]
    assert tick.parameters == tuple(qc.parameters) == tuple(tick.unmeasured().parameters)
    assert qc.count_ops()["measure"] == plan.total
    assert "measure" not in tick.unmeasured().count_ops()
    off = plan.offsets()
    for name in COMPONENTS:
        assert tick.qubits[name] == tuple(range(off[name], off[name] + plan.sizes()[name]))
    # each classical register is fed by its own component's qubits
    for inst in qc.data:
        if inst.operation.name == "measure":
            qubit = qc.find_bit(inst.qubits[0]).index
            creg = qc.find_bit(inst.clbits[0]).registers[0][0].name
            assert qubit in tick.qubits[creg]
    values = tick.parameter_values(random_inputs(np.random.default_rng(0), plan))
    assert values.shape == (len(tick.parameters),) and np.all(np.isfinite(values))


def test_binding_keeps_structure():
    plan = AllocationPlan(regime="crisis")
    tick = compose_tick_circuit(plan)
    a = tick.bind(random_inputs(np.random.default_rng(1), plan))
    b = tick.bind(random_inputs(np.random.default_rng(2), plan))
    assert a.count_ops() == b.count_ops() == tick.circuit.count_ops()
    assert [(i.operation.name, i.qubits) for i in a.data] == [(i.operation.name, i.qubits) for i in b.data]


def test_parameter_values_reject_mismatched_plan():
    plan = AllocationPlan(lmsr=4)
    inputs = random_inputs(np.random.default_rng(0), AllocationPlan(lmsr=3))
    with pytest.raises(InputError, match="lmsr_probabilities"):
        compose_tick_circuit(plan).parameter_values(inputs)


def test_cache_is_per_plan_key_and_thread_safe():
    clear_cache()
    plan = AllocationPlan(regime="trending", lmsr=3)
    with ThreadPoolExecutor(max_workers=8) as pool:
        ticks = list(pool.map(lambda _: compose_tick_circuit(AllocationPlan(regime="trending", lmsr=3)), range(16)))
    assert all(t is ticks[0] for t in ticks)
    info = cache_info()
    assert info["misses"] == 1 and info["hits"] == 15
    assert compose_tick_circuit(plan.model_copy(update={"regime": "stable"})) is not ticks[0]


def _sample(tick, inputs, seed):
    sampler = SamplerV2(seed=seed, options={"backend_options": {"method": "matrix_product_state",
                                                                "max_parallel_threads": 1}})
    isa = transpile(tick.circuit, _MPS)
    assert tuple(isa.parameters) == tick.parameters  # PUB values are in this order
    result = sampler.run([(isa, tick.parameter_values(inputs))], shots=SHOTS).result()
    return {name: getattr(result[0].data, name).get_counts() for name in REGISTERS}


def _distribution(counts: dict[str, int], n_bits: int) -> np.ndarray:
    out = np.zeros(1 << n_bits)
    for key, c in counts.items():
        out[int(key, 2)] += c
    return out / out.sum()


@pytest.mark.parametrize("seed,regime", [(0, "stable"), (3, "crisis")])
def test_sampled_counts_within_shot_noise(seed, regime):
    """Aer SamplerV2 counts vs the twin: TVD below the Bretagnolle-Huber-Carol bound
    (``shot_noise_tvd_bound``, confidence 0.999) for every register."""
    rng = np.random.default_rng(2000 + seed)
    plan = random_plan(rng, regime)
    inputs = random_inputs(rng, plan)
    tick = compose_tick_circuit(plan)
    counts = _sample(tick, inputs, seed)
    twin = component_marginals(inputs, plan)
    for name in REGISTERS:
        emp = _distribution(counts[name], plan.sizes()[name])
        assert sum(counts[name].values()) == SHOTS
        tvd = 0.5 * np.abs(emp - twin[name]).sum()
        assert tvd < shot_noise_tvd_bound(twin[name], SHOTS, CONFIDENCE), (name, tvd)


def test_sampling_check_has_power():
    """The same bound rejects a wrong mixture: memory favouring lmsr sampled, abstain claimed."""
    plan = AllocationPlan()
    rng = np.random.default_rng(5)
    base = random_inputs(rng, plan)
    fields = {f: getattr(base, f) for f in TickInputs.__dataclass_fields__}
    favour = np.tile([0.85, 0.05, 0.05, 0.05], (4, 1))
    truth = TickInputs(**{**fields, "memory_weights": favour})
    wrong = TickInputs(**{**fields, "memory_weights": favour[:, ::-1]})
    counts = _sample(compose_tick_circuit(plan), truth, 1)
    emp = _distribution(counts["decision"], 5)
    right_twin = component_marginals(truth, plan)["decision"]
    wrong_twin = component_marginals(wrong, plan)["decision"]
    assert 0.5 * np.abs(emp - right_twin).sum() < shot_noise_tvd_bound(right_twin, SHOTS, CONFIDENCE)
    assert 0.5 * np.abs(emp - wrong_twin).sum() > shot_noise_tvd_bound(wrong_twin, SHOTS, CONFIDENCE)
