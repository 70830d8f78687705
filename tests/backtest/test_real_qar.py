"""The runner with the real QAR on the exact and Aer backends (short real-data ranges)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qar_qiskit.backtest.report import REPORT_FILES
from qar_qiskit.backtest.runner import run_backtest
from qar_qiskit.data.loader import load_dataset


def test_exact_backend_on_real_data(tmp_path):
    from qar_qiskit.system.qar import QAR

    data, vix = load_dataset("sp500"), load_dataset("vix")
    qar = QAR.from_config(None, backend="exact", seed=11)
    res = run_backtest(data, "2018-01-02", "2018-03-29", progress=False, qar=qar, vix=vix,
                       out_dir=tmp_path)
    for name in REPORT_FILES:
        assert (tmp_path / name).is_file()
    s = res.metrics["strategy"]
    assert res.metrics["run"]["days"] == 60
    # the run records the settings in effect: the seed given, the packaged config's shots
    from qar_qiskit.config import load_config

    assert res.metrics["run"]["seed"] == 11
    assert res.metrics["run"]["shots"] == load_config().backend.shots
    assert s["agreement_with_exact"] == 1.0 and s["agreement_resolvable"] == 1.0
    assert np.array_equal(res.positions["strategy"], res.positions["exact_twin"])
    assert np.all(np.abs(res.positions["strategy"]) <= 1.0)
    assert {"expert_lmsr", "expert_prospect", "expert_hedge"} <= set(res.metrics["baselines"])
    for key in ("cagr", "volatility", "sharpe", "max_drawdown", "hit_rate", "turnover"):
        assert math.isfinite(s[key])
    assert all(r["backend"] == "exact" for r in res.rows)
    assert qar.health()["pending_outcomes"] == 0  # every decision's outcome was recorded


def test_aer_backend_on_real_data():
    from qar_qiskit.system.qar import QAR

    data = load_dataset("nasdaq")
    qar = QAR.from_config(None, backend="aer", shots=2048, seed=7)
    res = run_backtest(data, "2008-09-02", "2008-10-15", progress=False, qar=qar)
    s = res.metrics["strategy"]
    assert all(r["backend"] == "aer" for r in res.rows), {r["backend"] for r in res.rows}
    assert res.metrics["run"]["days"] == 31
    assert (res.metrics["run"]["shots"], res.metrics["run"]["seed"]) == (2048, 7)
    # Where the exact top-two margin exceeds 3 standard errors, the sampled argmax should be
    # the exact one (a wrong pick has probability well under 1 % per such day).
    if s["resolvable_days"] >= 5:
        assert s["agreement_resolvable"] >= 0.9
    assert math.isfinite(s["sharpe"]) and s["ticks_per_second"] > 0


def test_flat_history_gives_the_lmsr_expert_no_direction():
    # Sixty unchanged closes say nothing about up or down (the history is its own mirror
    # image), so the LMSR register must read p_up = 1/2 and the LMSR expert alone must not
    # trade; before zero returns were split between the central bins it read p_up ~ 1 (buy).
    from qar_qiskit import MarketTick
    from qar_qiskit.system.qar import QAR

    qar = QAR(backend="exact", seed=1)
    tick = MarketTick(price=100.0, volatility=0.0, trend_clarity=0.0, volume_normalized=1.0)
    d = qar.decide(tick, returns_history=[0.0] * 60)
    assert d.components["lmsr"]["p_up"] == pytest.approx(0.5, abs=1e-12)
    assert d.expert_positions["lmsr"] == pytest.approx(0.0, abs=1e-12)
