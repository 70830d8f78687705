"""Tests of the regime twin: fuzzy memberships, probabilities, dominant regime, entropy."""

from __future__ import annotations

import copy
import dataclasses
import math

import numpy as np
import pytest

from qar_qiskit.classical import (
    DEFAULT_REGIME_RANGES,
    REGIMES,
    RegimeAnalysis,
    fuzzy_membership,
    normalized_entropy,
    regime_analysis,
    regime_memberships,
    regime_probabilities,
)
from qar_qiskit.errors import InputError


def test_regime_order_and_default_ranges_from_the_seeds():
    assert REGIMES == ("stable", "trending", "volatile", "crisis")
    assert list(DEFAULT_REGIME_RANGES) == list(REGIMES)
    assert DEFAULT_REGIME_RANGES["stable"] == {
        "volatility": (0.0, 0.2),
        "trend_clarity": (0.7, 1.0),
        "volume_normalized": (0.8, 1.2),
    }
    assert DEFAULT_REGIME_RANGES["trending"]["volatility"] == (0.2, 0.4)
    assert DEFAULT_REGIME_RANGES["trending"]["trend_clarity"] == (0.5, 0.8)
    assert DEFAULT_REGIME_RANGES["trending"]["volume_normalized"] == (1.0, 1.5)
    assert DEFAULT_REGIME_RANGES["volatile"]["volatility"] == (0.4, 0.7)
    assert DEFAULT_REGIME_RANGES["volatile"]["trend_clarity"] == (0.0, 0.5)
    assert DEFAULT_REGIME_RANGES["volatile"]["volume_normalized"] == (1.2, 2.0)
    assert DEFAULT_REGIME_RANGES["crisis"]["volatility"] == (0.7, 1.0)
    assert DEFAULT_REGIME_RANGES["crisis"]["trend_clarity"] == (0.0, 0.3)
    assert DEFAULT_REGIME_RANGES["crisis"]["volume_normalized"] == (1.5, 5.0)


# --------------------------------------------------------------------------- fuzzy membership


def test_fuzzy_membership_shape_by_hand():
    lo, hi, s, f = 0.2, 0.4, 0.5, 1e-3  # margin = 0.1
    assert fuzzy_membership(0.3, lo, hi, s, f) == 1.0
    assert fuzzy_membership(0.2, lo, hi, s, f) == 1.0
    assert fuzzy_membership(0.4, lo, hi, s, f) == 1.0
    # half a margin outside: 1 - (1 - f) / 2
    assert fuzzy_membership(0.45, lo, hi, s, f) == pytest.approx(1 - 0.999 * 0.5, rel=1e-12)
    assert fuzzy_membership(0.15, lo, hi, s, f) == pytest.approx(1 - 0.999 * 0.5, rel=1e-12)
    # a full margin outside: the floor; further out: still the floor
    assert fuzzy_membership(0.5, lo, hi, s, f) == pytest.approx(f, rel=1e-9)
    assert fuzzy_membership(0.1, lo, hi, s, f) == pytest.approx(f, rel=1e-9)
    assert fuzzy_membership(7.0, lo, hi, s, f) == f
    xs = np.linspace(-1, 2, 301)
    mu = fuzzy_membership(xs, lo, hi, s, f)
    assert isinstance(mu, np.ndarray) and mu.shape == xs.shape
    assert np.all(mu >= f) and np.all(mu <= 1.0)


def test_fuzzy_membership_open_edges_and_step():
    assert fuzzy_membership(1.3, 0.7, 1.0) < 0.01
    assert fuzzy_membership(1.3, 0.7, 1.0, open_high=True) == 1.0
    assert fuzzy_membership(0.5, 0.7, 1.0, open_high=True) < 0.5  # low edge still soft
    assert fuzzy_membership(-0.5, 0.0, 0.3, open_low=True) == 1.0
    assert fuzzy_membership(0.45, 0.0, 0.3, open_low=True) < 0.01
    assert fuzzy_membership(0.21, 0.0, 0.2, softness=0.0, floor=0.01) == 0.01
    assert fuzzy_membership(0.2, 0.0, 0.2, softness=0.0, floor=0.01) == 1.0


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(x=float("nan"), lo=0.0, hi=1.0), "x"),
        (dict(x=0.5, lo=1.0, hi=1.0), "hi"),
        (dict(x=0.5, lo=float("nan"), hi=1.0), "lo"),
        (dict(x=0.5, lo=0.0, hi=1.0, softness=-0.1), "softness"),
        (dict(x=0.5, lo=0.0, hi=1.0, floor=0.0), "floor"),
        (dict(x=0.5, lo=0.0, hi=1.0, floor=1.5), "floor"),
    ],
)
def test_fuzzy_membership_validation(kwargs, name):
    with pytest.raises(InputError, match=rf"^{name}\b"):
        fuzzy_membership(**kwargs)


# --------------------------------------------------------------------------- regime analysis


def test_clear_stable_case():
    ra = regime_analysis(0.1, 0.85, 1.0)
    assert isinstance(ra, RegimeAnalysis)
    assert ra.dominant == "stable" and ra.dominant_index == 0
    assert ra.probabilities[0] > 0.95
    assert ra.memberships[0] == 1.0
    assert ra.uncertainty < 0.1


def test_clear_crisis_case():
    ra = regime_analysis(0.85, 0.1, 3.0)
    assert ra.dominant == "crisis" and ra.dominant_index == 3
    assert ra.probabilities[3] > 0.999
    assert ra.uncertainty < 0.01  # (near) single regime


def test_outside_the_outer_ranges_stays_crisis():
    # volatility 1.3 > 1.0 and volume 8 > 5: the top edges of crisis are open
    ra = regime_analysis(1.3, 0.1, 8.0)
    assert ra.dominant == "crisis"
    assert ra.memberships[3] == 1.0


@pytest.mark.parametrize(
    "features, dominant",
    [((0.3, 0.65, 1.2), "trending"), ((0.55, 0.3, 1.6), "volatile"), ((0.05, 1.0, 0.9), "stable")],
)
def test_middle_of_each_box_is_dominant(features, dominant):
    assert regime_analysis(*features).dominant == dominant


def test_memberships_by_hand():
    # volatility 0.25 is 0.05 above the stable range (margin 0.5 * 0.2 = 0.1): 1 - 0.999/2
    m = regime_memberships(0.25, 0.75, 1.1)
    stable = (1 - 0.999 * 0.5) ** (1 / 3)
    assert m[0] == pytest.approx(stable, rel=1e-12)
    assert m[1] == 1.0  # (0.25, 0.75, 1.1) is inside every trending range
    # volatile: vol 0.25 is 0.15 below 0.4 (margin 0.15) -> floor; trend 0.75 is 0.25 above
    # 0.5 (margin 0.25) -> floor; volume 1.1 is 0.1 below 1.2 (margin 0.4) -> 1 - 0.999/4
    volatile = (1e-3 * 1e-3 * (1 - 0.999 * 0.25)) ** (1 / 3)
    assert m[2] == pytest.approx(volatile, rel=1e-9)
    p = regime_probabilities(m)
    np.testing.assert_allclose(p, m**2 / np.sum(m**2), rtol=1e-14)


def test_probabilities_sum_to_one_on_a_grid():
    for vol in np.linspace(0.0, 1.5, 7):
        for trend in np.linspace(0.0, 1.0, 6):
            for volume in (0.2, 1.0, 1.4, 3.0, 10.0):
                ra = regime_analysis(vol, trend, volume)
                assert ra.probabilities.sum() == pytest.approx(1.0, abs=1e-12)
                assert np.all(ra.probabilities > 0)
                assert 0.0 <= ra.uncertainty <= 1.0
                assert ra.dominant == REGIMES[int(np.argmax(ra.probabilities))]
                np.testing.assert_allclose(ra.amplitudes**2, ra.probabilities, rtol=1e-14)


def test_uncertainty_one_for_equal_memberships_and_entropy_by_hand():
    p = regime_probabilities([0.3, 0.3, 0.3, 0.3])
    np.testing.assert_allclose(p, [0.25] * 4)
    assert normalized_entropy(p) == pytest.approx(1.0, rel=1e-14)
    assert normalized_entropy([1.0, 0.0, 0.0, 0.0]) == 0.0
    h = -(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25)) / math.log(4)
    assert normalized_entropy([0.5, 0.25, 0.25, 0.0]) == pytest.approx(h, rel=1e-14)
    # regime_analysis with identical ranges for all regimes: memberships equal -> U = 1
    same = {r: copy.deepcopy(DEFAULT_REGIME_RANGES["trending"]) for r in REGIMES}
    ra = regime_analysis(0.3, 0.6, 1.2, ranges=same)
    assert ra.uncertainty == pytest.approx(1.0, rel=1e-12)
    assert ra.dominant == "stable"  # ties go to the first regime


def test_custom_ranges_are_used():
    ranges = copy.deepcopy(DEFAULT_REGIME_RANGES)
    ranges["stable"]["volatility"] = (0.0, 0.5)
    ranges["stable"]["trend_clarity"] = [0.0, 1.0]  # lists accepted
    assert regime_analysis(0.45, 0.4, 1.0, ranges=ranges).dominant == "stable"
    assert regime_analysis(0.45, 0.4, 1.0).dominant != "stable"


def test_result_is_frozen():
    ra = regime_analysis(0.1, 0.85, 1.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ra.dominant = "crisis"  # type: ignore[misc]
    with pytest.raises(ValueError):
        ra.probabilities[0] = 0.0


@pytest.mark.parametrize(
    "args, name",
    [
        ((-0.1, 0.5, 1.0), "volatility"),
        ((float("nan"), 0.5, 1.0), "volatility"),
        ((0.1, float("inf"), 1.0), "trend_clarity"),
        ((0.1, -0.5, 1.0), "trend_clarity"),
        ((0.1, 0.5, -1.0), "volume_normalized"),
        ((0.1, 0.5, "high"), "volume_normalized"),
    ],
)
def test_regime_analysis_validation(args, name):
    with pytest.raises(InputError, match=rf"^{name}\b"):
        regime_analysis(*args)


def test_bad_ranges_raise():
    bad = copy.deepcopy(DEFAULT_REGIME_RANGES)
    del bad["crisis"]
    with pytest.raises(InputError, match="crisis"):
        regime_analysis(0.1, 0.5, 1.0, ranges=bad)
    bad = copy.deepcopy(DEFAULT_REGIME_RANGES)
    bad["stable"]["volatility"] = (0.3, 0.1)
    with pytest.raises(InputError, match=r"ranges\.stable\.volatility"):
        regime_analysis(0.1, 0.5, 1.0, ranges=bad)
    bad = copy.deepcopy(DEFAULT_REGIME_RANGES)
    bad["panic"] = bad["crisis"]
    with pytest.raises(InputError, match="panic"):
        regime_analysis(0.1, 0.5, 1.0, ranges=bad)
    with pytest.raises(InputError, match="memberships"):
        regime_probabilities([0.0, 0.0, 0.0, 0.0])
    with pytest.raises(InputError, match="memberships"):
        regime_probabilities([0.5, 0.5])
