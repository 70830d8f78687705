"""Post-selection on a register's codes: exact on joint outcomes, on every executor."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.circuit import ClassicalRegister, Parameter, QuantumCircuit, QuantumRegister

from qar_qiskit.backends import make_executor
from qar_qiskit.backends.counts import counts_from_codes
from qar_qiskit.errors import BackendError
from qar_qiskit.plan.allocation import AllocationPlan
from tests.backends.conftest import SmallTick
from tests.backends.fake_service import FakeService

SHOTS = 4000


def _copies() -> SmallTick:
    """q0 in RY(t)|0>, copied onto q1 (market = q1 q0) and q2 (decision).

    Market reads 00 or 11 with P(11) = sin^2(t/2); the decision bit equals q0. Keeping only
    market = 11 must leave decision = 1 on every kept shot; without selection P(1) = sin^2(t/2).
    """
    q = QuantumRegister(3, "q")
    market, decision = ClassicalRegister(2, "market"), ClassicalRegister(1, "decision")
    qc = QuantumCircuit(q, market, decision)
    t = Parameter("t")
    qc.ry(t, 0)
    qc.cx(0, 1)
    qc.cx(0, 2)
    qc.measure([0, 1], market)
    qc.measure(2, decision)
    return SmallTick(qc, (t,), AllocationPlan(regime="stable"))


def _check(res, p_keep: float, exact: bool):
    kept = res.metadata["kept_shots"]
    sigma = np.sqrt(SHOTS * p_keep * (1 - p_keep))
    assert abs(kept - SHOTS * p_keep) < 5 * sigma + (0.05 * SHOTS if not exact else 0)
    assert res.shots == SHOTS and res.metadata["postselect"] == {"market": [3]}
    assert sum(res.counts["market"].values()) == sum(res.counts["decision"].values()) == kept
    assert set(res.counts["market"]) == {"11"}
    if exact:
        assert res.counts["decision"] == {"1": kept}
    else:  # device noise: mostly 1
        assert res.counts["decision"].get("1", 0) / kept > 0.9


THETA = 2 * np.arcsin(np.sqrt(0.3))  # P(market = 11) = 0.3


@pytest.mark.parametrize("engine", ["direct", "sampler"])
def test_aer(engine):
    res = make_executor("aer", seed=1, engine=engine).run(_copies(), [[THETA]], shots=SHOTS,
                                                          postselect={"market": [3]})[0]
    _check(res, 0.3, exact=True)


def test_aer_without_postselect_keeps_everything():
    res = make_executor("aer", seed=1).run(_copies(), [[THETA]], shots=SHOTS)[0]
    assert "kept_shots" not in res.metadata and sum(res.counts["decision"].values()) == SHOTS
    p1 = res.counts["decision"].get("1", 0) / SHOTS
    assert abs(p1 - 0.3) < 5 * np.sqrt(0.3 * 0.7 / SHOTS)


def test_aer_noisy():
    res = make_executor("aer-noisy:FakeTorino", seed=2, mitigation="none").run(
        _copies(), [[THETA]], shots=SHOTS, postselect={"market": [3]})[0]
    _check(res, 0.3, exact=False)


def test_ibm_local_mode():
    ex = make_executor("ibm:fake_torino", service=FakeService(), seed=3)
    res = ex.run(_copies(), [[THETA]], shots=SHOTS, postselect={"market": [3]})[0]
    _check(res, 0.3, exact=False)


def test_counts_from_codes_selects_joint_outcomes():
    codes = {"a": np.array([0, 1, 1, 2]), "b": np.array([1, 0, 1, 1])}
    weights = np.array([5, 3, 2, 7])
    out = counts_from_codes(codes, {"a": 2, "b": 1}, weights, {"a": [1, 2]})
    assert out == {"a": {"01": 5, "10": 7}, "b": {"0": 3, "1": 9}}
    assert counts_from_codes(codes, {"a": 2, "b": 1}, weights) == {"a": {"00": 5, "01": 5, "10": 7},
                                                                   "b": {"0": 3, "1": 14}}
    with pytest.raises(BackendError, match="no shot kept"):
        counts_from_codes(codes, {"a": 2, "b": 1}, weights, {"a": [3]})
    with pytest.raises(BackendError, match="no classical register 'c'"):
        counts_from_codes(codes, {"a": 2, "b": 1}, weights, {"c": [0]})


def test_joint_key_selects_on_concatenated_codes():
    """A key naming two registers keeps the outcomes whose joint code ``a + 2**|a| * b`` is
    listed: checked against a filter written out here."""
    rng = np.random.default_rng(3)
    mem = rng.integers(0, 4, 500)
    dec = rng.integers(0, 32, 500)
    weights = rng.integers(1, 5, 500)
    allowed = {m + 4 * d for m in range(4) for d in range(32) if (d & 1) == (m >> 1)}
    out = counts_from_codes({"memory": mem, "decision": dec}, {"memory": 2, "decision": 5}, weights,
                            {"memory,decision": allowed})
    keep = (dec & 1) == (mem >> 1)
    want = {}
    for m, w in zip(mem[keep], weights[keep]):
        want[format(int(m), "02b")] = want.get(format(int(m), "02b"), 0) + int(w)
    assert out["memory"] == want
    assert sum(out["decision"].values()) == int(weights[keep].sum())
    with pytest.raises(BackendError, match="no classical register 'hedge'"):
        counts_from_codes({"memory": mem}, {"memory": 2}, weights, {"memory,hedge": [0]})


def test_decision_consistency_holds_on_every_noiseless_shot():
    """The tick's symmetries (action_lo = mem1; abstain never sets action_hi) hold exactly without
    noise: post-selecting on them keeps every shot of a noiseless run of a composed tick."""
    from qar_qiskit.circuits.composer import compose_tick_circuit
    from qar_qiskit.circuits.decision import CONSISTENCY_KEY, consistent_codes
    from tests.circuits.test_fragments import random_inputs

    plan = AllocationPlan(regime="crisis", lmsr=1, prospect=2, hedge=1, buffer=1)
    tick = compose_tick_circuit(plan)
    values = tick.parameter_values(random_inputs(np.random.default_rng(4), plan))
    res = make_executor("aer", seed=2).run(tick, values[None, :], shots=SHOTS,
                                           postselect={CONSISTENCY_KEY: consistent_codes()})[0]
    assert res.metadata["kept_shots"] == SHOTS
    # and the check is not vacuous: the noiseless memory/decision pairs cover several experts
    assert len(res.counts["memory"]) >= 3
