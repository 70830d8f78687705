"""Smoke test of the benchmark suite's accuracy benchmark and its statistics helpers (fast)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import _common  # noqa: E402


def test_expected_tvd_matches_monte_carlo():
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.full(32, 0.3))
    shots = 512
    draws = rng.multinomial(shots, p, size=20000) / shots
    mc = 0.5 * np.abs(draws - p).sum(axis=1).mean()
    assert _common.expected_tvd(p, shots) == pytest.approx(mc, rel=0.02)
    # a point mass is sampled exactly
    assert _common.expected_tvd(np.eye(8)[2], shots) == 0.0


def test_nearest_probability_is_a_distribution():
    q = np.array([0.7, 0.5, -0.2, 0.0])
    p = _common.nearest_probability(q)
    assert p.min() >= 0 and p.sum() == pytest.approx(1.0)
    assert p == pytest.approx([0.6, 0.4, 0.0, 0.0])


def test_accuracy_benchmark_report():
    import bench_accuracy

    report = bench_accuracy.measure(per_regime=2, shots_list=(64, 256), regimes=("stable",), progress=False)
    assert {"summary", "rows", "by_regime", "ticks", "shots", "confidence"} <= set(report)
    assert [t["regime"] for t in report["ticks"]] == ["stable", "stable"]
    assert [s["shots"] for s in report["summary"]] == [64, 256]
    for s in report["summary"]:
        assert s["ticks"] == 2 and s["failed"] == 0
        for key in ("mean_tvd", "mean_expected_tvd", "mean_bound", "fraction_within_bound", "top_agreement"):
            assert math.isfinite(s[key]), key
        assert 0 < s["mean_tvd"] < 1 and 0 <= s["fraction_within_bound"] <= 1
        assert s["counts_match_shots"]
    assert "| shots |" in bench_accuracy.markdown(report)
