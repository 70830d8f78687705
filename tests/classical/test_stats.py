"""Tests of the sampling statistics: Wilson interval, BHC TVD bound, chi-square p-value."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qar_qiskit.classical import chi_square_pvalue, shot_noise_tvd_bound, wilson_interval
from qar_qiskit.errors import InputError

# --------------------------------------------------------------------------- Wilson


@pytest.mark.parametrize(
    "s, n, low, high",
    [
        # worked examples of the Wilson score method in R. G. Newcombe (1998),
    # Statist. Med. 17:857-872
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_published_values(s, n, low, high):
    lo, hi = wilson_interval(s, n)
    assert lo == pytest.approx(low, abs=5e-5)
    assert hi == pytest.approx(high, abs=5e-5)


def test_wilson_closed_forms():
    z = 1.96
    # zero successes: upper limit z^2 / (n + z^2); all successes: lower limit n / (n + z^2)
    assert wilson_interval(0, 10) == (0.0, pytest.approx(z * z / (10 + z * z), rel=1e-14))
    assert wilson_interval(10, 10) == (pytest.approx(10 / (10 + z * z), rel=1e-14), 1.0)
    # symmetric about 1/2 for s = n/2
    lo, hi = wilson_interval(50, 100, z=2.0)
    assert lo + hi == pytest.approx(1.0, rel=1e-14)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_wilson_coverage_simulation():
    rng = np.random.default_rng(0)
    p, n = 0.3, 200
    intervals = [wilson_interval(int(k), n) for k in rng.binomial(n, p, 2000)]
    hits = sum(lo <= p <= hi for lo, hi in intervals)
    assert 0.93 <= hits / 2000 <= 0.97


@pytest.mark.parametrize(
    "args, name",
    [((-1, 10), "successes"), ((11, 10), "successes"), ((1, -2), "n"), ((1.5, 10), "successes"),
     ((1, 10, 0.0), "z"), ((1, 10, float("nan")), "z")],
)
def test_wilson_validation(args, name):
    with pytest.raises(InputError, match=rf"^{name}\b"):
        wilson_interval(*args)


# --------------------------------------------------------------------------- TVD bound


def test_tvd_bound_formula_by_hand():
    p = [0.1, 0.2, 0.3, 0.4]
    eps = math.sqrt(2 * (4 * math.log(2) + math.log(100)) / 1000)
    assert shot_noise_tvd_bound(p, 1000, 0.99) == pytest.approx(eps / 2, rel=1e-14)
    # outcomes of probability 0 are not part of the support
    padded = [0.1, 0.2, 0.3, 0.4, 0.0, 0.0]
    assert shot_noise_tvd_bound(padded, 1000, 0.99) == pytest.approx(eps / 2)
    assert shot_noise_tvd_bound([0.0, 1.0, 0.0], 10, 0.99) == 0.0
    assert shot_noise_tvd_bound([0.5, 0.5], 1, 0.999) == 1.0  # capped


def test_tvd_bound_monotone():
    p = np.full(8, 1 / 8)
    b = [shot_noise_tvd_bound(p, n, 0.99) for n in (100, 1000, 10000)]
    assert b[0] > b[1] > b[2]
    assert shot_noise_tvd_bound(p, 1000, 0.999) > shot_noise_tvd_bound(p, 1000, 0.9)


@pytest.mark.parametrize("k, shots", [(4, 500), (16, 2000), (32, 4096)])
def test_tvd_bound_holds_in_simulation(k, shots):
    rng = np.random.default_rng(k)
    p = rng.dirichlet(np.ones(k))
    bound = shot_noise_tvd_bound(p, shots, 0.95)
    counts = rng.multinomial(shots, p, size=2000)
    tvd = 0.5 * np.abs(counts / shots - p).sum(axis=1)
    assert np.mean(tvd >= bound) <= 0.05
    # the bound is not absurdly loose: within a factor 5 of the empirical 95% quantile
    assert bound <= 5 * np.quantile(tvd, 0.95)


@pytest.mark.parametrize(
    "args, name",
    [(([0.5, 0.6], 100, 0.9), "probabilities"), (([0.5, float("nan")], 100, 0.9), "probabilities"),
     (([0.5, 0.5], 0, 0.9), "shots"), (([0.5, 0.5], 100, 1.0), "confidence"),
     (([0.5, 0.5], 100, 0.0), "confidence")],
)
def test_tvd_bound_validation(args, name):
    with pytest.raises(InputError, match=rf"^{name}\b"):
        shot_noise_tvd_bound(*args)


# --------------------------------------------------------------------------- chi-square


def _chi2_sf_df3(x):
    """Survival function of chi-square with 3 dof, closed form."""
    return math.erfc(math.sqrt(x / 2)) + math.sqrt(2 * x / math.pi) * math.exp(-x / 2)


def test_chi_square_by_hand():
    # stat = (15^2 + 5^2 + 5^2 + 15^2) / 25 = 20, 3 degrees of freedom
    p = chi_square_pvalue([10, 20, 30, 40], [0.25] * 4)
    assert p == pytest.approx(_chi2_sf_df3(20.0), rel=1e-9)
    assert p == pytest.approx(1.7e-4, abs=1e-5)
    assert chi_square_pvalue([25, 25, 25, 25], [0.25] * 4) == pytest.approx(1.0)


def test_chi_square_merges_sparse_bins():
    # expected (291, 3, 3, 3): the three small bins merge into one of expected 9 -> 1 dof
    counts = [285, 5, 6, 4]
    stat = (285 - 291) ** 2 / 291 + (15 - 9) ** 2 / 9
    expected = math.erfc(math.sqrt(stat / 2))  # chi-square sf with 1 dof
    assert chi_square_pvalue(counts, [0.97, 0.01, 0.01, 0.01]) == pytest.approx(expected, rel=1e-9)
    # expected (97, 1, 1, 1): merged bin (3) still < 5 -> joins the big bin -> nothing to test
    assert chi_square_pvalue([90, 4, 3, 3], [0.97, 0.01, 0.01, 0.01]) == 1.0


def test_chi_square_zero_probability_outcomes():
    assert chi_square_pvalue([50, 50, 0], [0.5, 0.5, 0.0]) == pytest.approx(1.0)
    assert chi_square_pvalue([50, 49, 1], [0.5, 0.5, 0.0]) == 0.0


def test_chi_square_accepts_true_and_rejects_wrong_distribution():
    rng = np.random.default_rng(7)
    p = rng.dirichlet(np.ones(16))
    for _ in range(5):
        counts = rng.multinomial(4000, p)
        assert chi_square_pvalue(counts, p) > 1e-4
    q = np.roll(p, 1)
    assert chi_square_pvalue(rng.multinomial(4000, p), q) < 1e-10


@pytest.mark.parametrize(
    "args, name",
    [(([1, -2], [0.5, 0.5]), "counts"), (([1, float("nan")], [0.5, 0.5]), "counts"),
     (([0, 0], [0.5, 0.5]), "counts"), (([1, 2, 3], [0.5, 0.5]), "counts"),
     (([1, 2], [0.5, 0.6]), "probabilities")],
)
def test_chi_square_validation(args, name):
    with pytest.raises(InputError, match=rf"^{name}\b"):
        chi_square_pvalue(*args)
