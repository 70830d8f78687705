"""The backends layer's shared pieces: counts -> vectors, the 3-SE rule, strict JSON, the run template.

References are computed here from the definitions (binomial/multinomial formulas, hand-built
vectors, ``json.dumps(allow_nan=False)``), never copied from the code's output.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from qiskit.circuit import ClassicalRegister, QuantumCircuit, QuantumRegister

from qar_qiskit.backends.base import ExecutionResult, PreparedCircuit
from qar_qiskit.backends.counts import counts_to_distribution, counts_vector, margin_resolvable
from qar_qiskit.backends.executor import CachingExecutor, RunRequest, Sampled
from qar_qiskit.backends.readout import tensored_readout_inversion
from qar_qiskit.circuits.reader import counts_to_distribution as reader_counts_to_distribution
from qar_qiskit.errors import BackendError
from qar_qiskit.jsonsafe import json_safe

# -- counts -> vectors -----------------------------------------------------------------------

def test_counts_vector_indexes_by_little_endian_code():
    # "110" is bit2=1 bit1=1 bit0=0 -> code 6; "001" -> 1; spaces (Qiskit joint keys) are ignored
    vec = counts_vector({"110": 5, "001": 3, "0 01": 2}, 3)
    expected = np.zeros(8)
    expected[6], expected[1] = 5, 5
    np.testing.assert_array_equal(vec, expected)


@pytest.mark.parametrize("counts, message", [
    ({"10": 1}, "does not fit a 3-bit register"),
    ({"1x0": 1}, "does not fit"),
    ({"100": -1}, "non-negative integer"),
    ({"100": 1.5}, "non-negative integer"),
])
def test_counts_vector_names_the_register_on_bad_input(counts, message):
    with pytest.raises(BackendError, match=f"decision: .*{message}"):
        counts_vector(counts, 3, "decision")


def test_quasi_values_may_be_negative_floats():
    vec = counts_vector({"01": 0.75, "11": -0.05, "00": 0.3}, 2, integer=False)
    np.testing.assert_allclose(vec, [0.3, 0.75, 0.0, -0.05])


def test_distribution_is_counts_over_shots_and_reader_uses_the_same_function():
    assert reader_counts_to_distribution is counts_to_distribution
    dist, shots = counts_to_distribution({"11": 3, "00": 1}, 2, "hedge")
    assert shots == 4
    np.testing.assert_allclose(dist, [0.25, 0, 0, 0.75])
    with pytest.raises(BackendError, match="hedge: no shots"):
        counts_to_distribution({"11": 0}, 2, "hedge")


def test_tensored_inversion_recovers_a_known_distribution():
    # true distribution on 2 bits, pushed through independent symmetric flips p0 (bit 0), p1 (bit 1)
    true = np.array([0.5, 0.1, 0.3, 0.1])  # index = code
    p = [0.05, 0.2]
    a = [np.array([[1 - q, q], [q, 1 - q]]) for q in p]
    noisy = np.zeros(4)
    for i in range(4):
        for j in range(4):
            noisy[j] += true[i] * a[0][i & 1, j & 1] * a[1][i >> 1, j >> 1]
    counts = {format(j, "02b"): int(round(noisy[j] * 1_000_000)) for j in range(4)}
    out = tensored_readout_inversion(counts, p)
    np.testing.assert_allclose([out.get(format(i, "02b"), 0.0) for i in range(4)], true, atol=1e-5)


# -- the 3-standard-error rule ---------------------------------------------------------------

def test_margin_resolvable_matches_the_multinomial_formula():
    rng = np.random.default_rng(5)
    for _ in range(200):
        p = rng.dirichlet(np.ones(6))
        shots = int(rng.integers(10, 5000))
        p1, p2 = sorted(p)[-1], sorted(p)[-2]
        se = math.sqrt((p1 + p2 - (p1 - p2) ** 2) / shots)
        assert margin_resolvable(p, shots) == (p1 - p2 > 3 * se)


def test_margin_resolvable_means_the_sampled_argmax_is_stable():
    # p = (0.5, 0.3, 0.2), 1024 shots: margin 0.2 vs 3 SE = 3*sqrt(0.76/1024) = 0.082 -> resolvable;
    # then the sampled top-two order flips in far fewer than 1% of multinomial draws.
    p = np.array([0.5, 0.3, 0.2])
    assert margin_resolvable(p, 1024)
    draws = np.random.default_rng(1).multinomial(1024, p, size=4000)
    assert np.mean(draws[:, 0] <= draws[:, 1]) < 0.01
    # equal top two are never resolvable
    assert not margin_resolvable([0.4, 0.4, 0.2], 10**6)


# -- strict JSON -----------------------------------------------------------------------------

def test_json_safe_gives_strict_json():
    data = {1: np.float64("nan"), "b": [np.int64(3), np.inf, -np.inf, 2.5], "c": np.arange(4).reshape(2, 2),
            "d": (np.bool_(True), None, "x"), "e": {"f": np.float32(0.5)}, "g": object}
    out = json_safe(data)
    text = json.dumps(out, allow_nan=False)  # raises on NaN/inf or numpy types
    assert json.loads(text) == {"1": None, "b": [3, None, None, 2.5], "c": [[0, 1], [2, 3]],
                                "d": [True, None, "x"], "e": {"f": 0.5}, "g": str(object)}


def test_execution_result_round_trips_through_strict_json():
    r = ExecutionResult(counts={"m": {"01": 3}}, shots=3, backend="aer",
                        metadata={"x": np.float64("nan"), "active_qubits": np.array([1, 4])})
    back = ExecutionResult.from_dict(json.loads(json.dumps(r.to_dict(), allow_nan=False)))
    assert back.counts == r.counts and back.metadata == {"x": None, "active_qubits": [1, 4]}


def test_rows_add_postselection_metadata_per_row():
    rows = ExecutionResult.rows([{"m": {"1": 7}}, {"m": {"1": 2, "0": 1}}], shots=10, backend="b",
                                timing={"run_s": 1.0}, metadata={"seed": 3}, postselect={"m": (1, 0)})
    assert [r.metadata["kept_shots"] for r in rows] == [7, 3]
    assert rows[0].metadata["postselect"] == {"m": [0, 1]} and rows[0].metadata["seed"] == 3
    rows[0].timing["run_s"] = 9.0
    assert rows[1].timing["run_s"] == 1.0  # each row has its own copy


# -- the run template ------------------------------------------------------------------------

class _Recorder(CachingExecutor):
    """An executor whose sampling step returns one fixed count per row and records its request."""

    name = "recorder"
    num_qubits = 8
    supports_dynamic = True
    noisy = False

    def __init__(self, **kw):
        super().__init__(**kw)
        self.requests: list[RunRequest] = []

    def _transpile(self, circuit, optimization_level):
        self.transpile_count += 1
        return circuit

    def _sample(self, request, postselect):
        self.requests.append(request)
        counts = [{"c": {format(i % 2, "01b"): request.shots}} for i in range(request.rows)]
        return Sampled(counts, {"seed": request.seed}, timing={"run_s": 0.25, "extra_s": 0.5})


def _param_circuit() -> QuantumCircuit:
    from qiskit.circuit import Parameter

    q, c = QuantumRegister(2, "q"), ClassicalRegister(1, "c")
    qc = QuantumCircuit(q, c)
    qc.ry(Parameter("b"), 1)
    qc.ry(Parameter("a"), 0)
    qc.measure(0, 0)
    return qc


def test_template_resolves_defaults_binds_and_times_every_row():
    ex = _Recorder(default_shots=77, seed=9)
    qc = _param_circuit()
    values = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    results = ex.run(qc, values)
    (req,) = ex.requests
    assert isinstance(req.prepared, PreparedCircuit)
    assert req.shots == 77 and req.seed == 9 and req.rows == 3
    # bound columns follow the ISA circuit's parameter order (here a, b: Qiskit sorts by name)
    order = [list(qc.parameters).index(p) for p in req.prepared.isa.parameters]
    np.testing.assert_array_equal(req.bound, values[:, order])
    assert [r.counts["c"] for r in results] == [{"0": 77}, {"1": 77}, {"0": 77}]
    for r in results:
        assert r.shots == 77 and r.backend == "recorder" and r.metadata == {"seed": 9}
        assert r.timing["run_s"] == 0.25 and r.timing["per_row_s"] == pytest.approx(0.25 / 3)
        assert r.timing["extra_s"] == 0.5 and r.timing["prepare_s"] >= 0.0
    ex.run(qc, values[:1], shots=5, seed=1)
    assert ex.requests[-1].shots == 5 and ex.requests[-1].seed == 1
    assert ex.transpile_count == 1  # the second run hit the cache
    assert ex.requests[-1].prepared is req.prepared


def test_template_rejects_bad_shots_and_values():
    ex = _Recorder()
    with pytest.raises(BackendError, match="shots: must be >= 1"):
        ex.run(_param_circuit(), [0.1, 0.2], shots=-3)
    with pytest.raises(Exception, match="parameter_values: expected 2 columns"):
        ex.run(_param_circuit(), [[0.1, 0.2, 0.3]])
    assert ex.requests == []
