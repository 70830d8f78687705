"""Reading per-register counts: real Aer SamplerV2 counts against the twin, and hand-made counts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qiskit import transpile
from qiskit_aer import AerSimulator
from qiskit_aer.primitives import SamplerV2

from qar_qiskit.circuits.composer import compose_tick_circuit
from qar_qiskit.circuits.reader import read_counts
from qar_qiskit.classical.decision import component_marginals, expert_outputs
from qar_qiskit.classical.stats import shot_noise_tvd_bound
from qar_qiskit.errors import BackendError
from qar_qiskit.plan.allocation import AllocationPlan
from tests.circuits.test_fragments import random_inputs, random_plan

SHOTS = 4000
DELTA = 1e-3


def _hoeffding(shots: int, delta: float = DELTA) -> float:
    """|p_hat - p| < sqrt(ln(2/delta) / (2 n)) with probability >= 1 - delta (Hoeffding 1963)."""
    return math.sqrt(math.log(2.0 / delta) / (2.0 * shots))


@pytest.mark.parametrize("seed,regime", [(0, "volatile"), (1, "trending")])
def test_readout_of_aer_counts_matches_twin(seed, regime):
    rng = np.random.default_rng(3000 + seed)
    plan = random_plan(rng, regime)
    inputs = random_inputs(rng, plan)
    tick = compose_tick_circuit(plan)
    sim = AerSimulator(method="matrix_product_state", max_parallel_threads=1)
    sampler = SamplerV2(seed=seed, options={"backend_options": {"method": "matrix_product_state",
                                                                "max_parallel_threads": 1}})
    result = sampler.run([(transpile(tick.circuit, sim), tick.parameter_values(inputs))], shots=SHOTS).result()
    data = result[0].data
    counts = {name: getattr(data, name).get_counts() for name in plan.sizes()}
    ro = read_counts(plan, counts)

    twin = component_marginals(inputs, plan)
    out = expert_outputs(inputs)
    assert ro.shots == SHOTS
    assert ro.invalid_regime_rate == 0.0  # noiseless: only the 4 codes occur
    tvd = lambda a, b: 0.5 * np.abs(a - b).sum()  # noqa: E731
    bound = lambda p: shot_noise_tvd_bound(p, SHOTS, 1 - DELTA)  # noqa: E731
    assert tvd(ro.regime_probabilities, twin["regime"]) < bound(twin["regime"])
    assert tvd(ro.memory, twin["memory"]) < bound(twin["memory"])
    assert tvd(ro.lmsr, twin["lmsr"]) < bound(twin["lmsr"])
    assert tvd(ro.hedge_weights, twin["hedge"]) < bound(twin["hedge"])
    assert tvd(ro.decision, twin["decision"]) < bound(twin["decision"])
    assert tvd(ro.buffer, twin["buffer"]) < bound(twin["buffer"])
    k = plan.prospect - 1
    register = twin["prospect"][: 1 << k] + twin["prospect"][1 << k:]
    assert tvd(ro.prospect_register, register) < bound(register)
    for got, want in ((ro.u, out["u"]), (ro.p_up, out["p_up"]), (ro.p_hedge, out["p_hedge"])):
        assert abs(got - want) < _hoeffding(SHOTS)
    for dist in ro.distributions.values():
        assert dist.sum() == pytest.approx(1.0)


def _counts_for(plan: AllocationPlan, shots: int = 100) -> dict[str, dict[str, int]]:
    return {name: {"0" * n: shots} for name, n in plan.sizes().items()}


def test_invalid_regime_codes_are_excluded_and_reported():
    plan = AllocationPlan()
    counts = _counts_for(plan)
    counts["market"] = {"0000": 50, "0011": 25, "0001": 20, "1110": 5}  # 0001, 1110: invalid codes
    ro = read_counts(plan, counts)
    assert ro.invalid_regime_rate == pytest.approx(0.25)
    assert np.allclose(ro.regime_probabilities, [2 / 3, 1 / 3, 0.0, 0.0])
    assert ro.distributions["market"][0b0001] == pytest.approx(0.20)


def test_bit_order_msb_first():
    plan = AllocationPlan(prospect=3, hedge=2)
    counts = _counts_for(plan)
    # prospect: MSB is the ancilla (qubit 2); "100" = anc 1, register 0; "001" = anc 0, register 1
    counts["prospect"] = {"100": 30, "001": 70}
    counts["hedge"] = {"10": 40, "01": 60}  # index 2 and 1
    counts["decision"] = {"10110": 100}  # d = 22 = A 2 (buy) + 4*1 (medium) + 16 (aggressive)
    ro = read_counts(plan, counts)
    assert ro.u == pytest.approx(0.3)
    assert np.allclose(ro.prospect_register, [0.3, 0.7, 0.0, 0.0])
    assert np.allclose(ro.hedge_weights, [0.0, 0.6, 0.4, 0.0]) and ro.p_hedge == pytest.approx(0.4)
    assert ro.decision_index == 22


def test_malformed_counts_raise_backend_error():
    plan = AllocationPlan()
    counts = _counts_for(plan)
    del counts["decision"]
    with pytest.raises(BackendError, match="decision"):
        read_counts(plan, counts)
    counts = _counts_for(plan)
    counts["hedge"] = {"000": 99}
    with pytest.raises(BackendError, match="hedge"):
        read_counts(plan, counts)
    counts = _counts_for(plan)
    counts["lmsr"] = {"01": 100}
    with pytest.raises(BackendError, match="lmsr"):
        read_counts(plan, counts)
