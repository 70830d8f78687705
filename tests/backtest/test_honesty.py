"""Issue 14: independent baselines, PSR/DSR, intervals and the Clopper-Pearson bound.

The statistics are checked against the formulas written out here with the standard library
only (moments by hand, ``statistics.NormalDist``), not against scipy or the module itself.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from qar_qiskit.backtest import stats
from qar_qiskit.backtest.runner import run_backtest
from qar_qiskit.data.loader import load_dataset

PHI = NormalDist()


def _psr_by_hand(x, sr_star=0.0):
    n = len(x)
    mean = sum(x) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in x) / (n - 1))
    m2 = sum((v - mean) ** 2 for v in x) / n
    skew = (sum((v - mean) ** 3 for v in x) / n) / m2 ** 1.5
    kurt = (sum((v - mean) ** 4 for v in x) / n) / m2 ** 2
    sr = mean / sd
    z = (sr - sr_star) * math.sqrt(n - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr ** 2)
    return PHI.cdf(z), sr, skew, kurt


def test_psr_matches_the_formula_on_a_known_skewed_series():
    rng = np.random.default_rng(3)
    x = (0.0004 + 0.01 * rng.standard_t(4, 750)).tolist()  # fat tails
    x[10] = -0.08  # a crash: negative skew
    psr, sr, skew, kurt = _psr_by_hand(x)
    got = stats.probabilistic_sharpe(np.array(x))
    assert got["psr"] == pytest.approx(psr, rel=1e-9)
    assert got["sr_daily"] == pytest.approx(sr, rel=1e-12)
    assert got["skewness"] == pytest.approx(skew, rel=1e-9) and skew < 0
    assert got["kurtosis"] == pytest.approx(kurt, rel=1e-9) and kurt > 3
    # against a benchmark above the estimate the probability falls below 1/2
    psr_hi, *_ = _psr_by_hand(x, sr_star=sr + 0.02)
    assert stats.probabilistic_sharpe(np.array(x), sr + 0.02)["psr"] == pytest.approx(psr_hi, rel=1e-9)
    assert psr_hi < min(psr, 0.5)
    # a normal series: skew 0, kurtosis 3 reduces to Phi(SR sqrt(n-1) / sqrt(1 + SR^2 / 2))
    assert stats.probabilistic_sharpe(np.array([0.01, -0.01, 0.01, -0.01]))["psr"] == pytest.approx(0.5)


def test_deflated_sharpe_threshold_matches_the_formula():
    var, n = 0.0004, 10
    g = 0.5772156649015329
    expect = math.sqrt(var) * ((1 - g) * PHI.inv_cdf(1 - 1 / n) + g * PHI.inv_cdf(1 - 1 / (n * math.e)))
    assert stats.expected_max_sharpe(var, n) == pytest.approx(expect, rel=1e-9)
    assert stats.expected_max_sharpe(var, 1) == 0.0
    rng = np.random.default_rng(5)
    x = 0.0005 + 0.01 * rng.standard_normal(500)
    trials = [0.01, 0.03, 0.05, 0.02]
    star = stats.expected_max_sharpe(float(np.var(trials, ddof=1)), 4)
    d = stats.deflated_sharpe(x, trials)
    assert d["sr_star"] == pytest.approx(star) and d["n_trials"] == 4
    assert d["dsr"] == pytest.approx(_psr_by_hand(x.tolist(), star)[0], rel=1e-9)
    assert d["dsr"] < stats.probabilistic_sharpe(x)["psr"]  # deflation only lowers it


def test_mean_interval_and_clopper_pearson():
    v = [0.1, 0.3, 0.2, 0.5, 0.4, 0.0, 0.2, 0.3, 0.1, 0.4]
    m = sum(v) / 10
    s = math.sqrt(sum((a - m) ** 2 for a in v) / 9)
    half = 2.2621571627982 * s / math.sqrt(10)  # t_{0.975, 9} from a table
    got = stats.mean_interval(v)
    assert (got["mean"], got["low"], got["high"]) == pytest.approx((m, m - half, m + half), rel=1e-9)
    assert stats.mean_interval([0.3])["low"] is None
    # k = n: the bound solves p^n = 0.05; 299 of 299 is the first n above 0.99
    assert stats.clopper_pearson_lower(300, 300) == pytest.approx(0.05 ** (1 / 300), rel=1e-9)
    assert stats.clopper_pearson_lower(299, 299) >= 0.99 > stats.clopper_pearson_lower(298, 298)
    # k < n: P(X >= k | p_low) = 0.05, the binomial tail summed by hand
    lo = stats.clopper_pearson_lower(290, 300)
    tail = sum(math.comb(300, j) * lo ** j * (1 - lo) ** (300 - j) for j in range(290, 301))
    assert tail == pytest.approx(0.05, rel=1e-6)


@pytest.fixture(scope="module")
def aer_run():
    from qar_qiskit.system.qar import QAR

    data = load_dataset("nasdaq")
    qar = QAR.from_config(None, backend="aer", shots=64, seed=1)
    return data, run_backtest(data, "2008-09-02", "2008-12-31", progress=False, qar=qar)


def test_exact_twin_is_its_own_run(aer_run):
    from qar_qiskit.system.qar import QAR

    data, res = aer_run
    alone = run_backtest(data, "2008-09-02", "2008-12-31", progress=False, baselines=False,
                         qar=QAR.from_config(None, backend="exact", seed=1))
    twin = res.positions["exact_twin"]
    assert np.array_equal(twin, alone.positions["strategy"])
    # The old in-run row (the exact decision on the sampled run's inputs) follows the sampled
    # run's learning path; the independent twin has its own, and they part on some day.
    in_run = np.array([r["exact_position"] for r in res.rows])
    assert np.any(in_run != twin)
    assert res.metrics["baselines"]["exact_twin"]["net"]["cagr"] == pytest.approx(
        alone.metrics["strategy"]["net"]["cagr"])


def test_expert_alone_runs_follow_only_that_expert(aer_run):
    _, res = aer_run
    # each expert's action rule (classical/decision.action_distributions): lmsr and prospect
    # buy or sell, hedge holds or hedges, abstain holds
    allowed = {"lmsr": {"buy", "sell"}, "prospect": {"buy", "sell"}, "hedge": {"hold", "hedge"},
               "abstain": {"hold"}}
    for name, acts in allowed.items():
        run = res.baseline_runs[f"expert_{name}"]
        assert {r["action"] for r in run.rows} <= acts, name
        assert run.metrics["run"]["backend"] == "exact"
    assert not np.any(res.positions["expert_abstain"])
    # the in-run rows were expected positions on the QAR's inputs: not the same series
    for name in ("lmsr", "hedge"):
        in_run = np.array([r[f"expert_{name}"] for r in res.rows])
        assert np.any(np.abs(in_run - res.positions[f"expert_{name}"]) > 1e-9), name
