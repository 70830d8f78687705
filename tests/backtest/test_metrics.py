"""Metric formulas against hand-computed examples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qar_qiskit.backtest import metrics as M


def test_max_drawdown_of_known_path():
    # equity 1 -> 1.1 -> 0.55 -> 0.66 -> 1.32: worst fall is from 1.1 to 0.55, i.e. 50 %.
    pnl = np.array([0.1, -0.5, 0.2, 1.0])
    assert np.allclose(M.equity_curve(pnl), [1.1, 0.55, 0.66, 1.32])
    assert np.allclose(M.drawdown_series(pnl), [0.0, 0.5, 0.4, 0.0])
    assert M.max_drawdown(pnl) == pytest.approx(0.5)


def test_drawdown_counts_the_starting_capital_as_a_peak():
    # 1 -> 0.8 -> 0.88: a 20 % drawdown from the initial equity.
    assert M.max_drawdown(np.array([-0.2, 0.1])) == pytest.approx(0.2)
    assert M.max_drawdown(np.array([0.01, 0.02])) == 0.0


def test_cagr_of_known_path():
    # Two years (504 days) that grow the equity by 21 % in total: 10 % a year.
    daily = 1.21 ** (1 / 504) - 1
    assert M.cagr(np.full(504, daily)) == pytest.approx(0.10, rel=1e-12)
    # Half a year of +5 % total: 1.05 ** 2 - 1 = 10.25 % a year.
    assert M.cagr(np.full(126, 1.05 ** (1 / 126) - 1)) == pytest.approx(0.1025, rel=1e-12)
    assert M.cagr(np.array([-1.0, 0.1])) == -1.0


def test_sharpe_and_volatility_by_hand():
    x = np.array([0.01, -0.01, 0.02, 0.0])
    # mean 0.005; deviations 0.005, -0.015, 0.015, -0.005 -> sum of squares 5e-4; ddof 1:
    # sd = sqrt(5e-4 / 3); Sharpe = 0.005 / sd * sqrt(252) = 0.005 * sqrt(3 * 252 / 5e-4)
    sd = math.sqrt(5e-4 / 3)
    assert M.annualised_volatility(x) == pytest.approx(sd * math.sqrt(252), rel=1e-12)
    assert M.annualised_volatility(x) == pytest.approx(0.204939, rel=1e-5)
    assert M.sharpe(x) == pytest.approx(6.14817, rel=1e-5)
    assert M.sharpe(np.zeros(10)) == 0.0  # no variation: defined as 0


def test_hit_rate_and_turnover():
    pos = np.array([1.0, 0.0, -1.0, 0.5])
    ret = np.array([0.01, 0.02, 0.01, -0.01])
    pnl = pos * ret  # 0.01, 0, -0.01, -0.005: one win among the three days with a position
    assert M.hit_rate(pos, pnl) == pytest.approx(1 / 3)
    # |1-0| + |0-1| + |-1-0| + |0.5+1| = 4.5 over 4 days
    assert M.turnover(pos) == pytest.approx(1.125)
    assert M.turnover(np.ones(50)) == pytest.approx(1 / 50)
    assert M.hit_rate(np.zeros(3), np.zeros(3)) == 0.0
    assert M.exposure(pos) == pytest.approx(2.5 / 4)


def test_agreement_and_regime_share():
    a = ["buy", "sell", "hold"]
    e = ["buy", "buy", "hold"]
    assert M.agreement(a, e) == pytest.approx(2 / 3)
    assert M.agreement(a, e, np.array([False, True, False])) == 0.0
    assert M.agreement(a, e, np.array([False, False, False])) is None
    share = M.regime_time_share(["stable", "crisis", "stable", "stable"],
                                ("stable", "trending", "volatile", "crisis"))
    assert share == {"stable": 0.75, "trending": 0.0, "volatile": 0.0, "crisis": 0.25}


def test_performance_bundle():
    pos = np.array([1.0, 1.0, 0.0])
    ret = np.array([0.1, -0.5, 0.3])
    perf = M.performance(pos, ret)
    assert perf["total_return"] == pytest.approx(1.1 * 0.5 - 1)
    assert perf["max_drawdown"] == pytest.approx(0.5)
    assert perf["days"] == 3
    assert all(math.isfinite(v) for v in perf.values())
