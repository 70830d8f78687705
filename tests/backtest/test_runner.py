"""The backtest runner and its report, with a deterministic stand-in for QAR."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

from qar_qiskit.analysis.features import compute_features
from qar_qiskit.backtest import metrics as M
from qar_qiskit.backtest.report import REPORT_FILES
from qar_qiskit.backtest.runner import run_backtest
from qar_qiskit.data.loader import load_dataset
from qar_qiskit.errors import InputError

from .conftest import FakeQAR, synthetic_prices


def _read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _numbers(obj, path=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _numbers(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _numbers(v, f"{path}[{i}]")
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield path, obj


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    data = synthetic_prices()
    qar = FakeQAR()
    out = tmp_path_factory.mktemp("report")
    result = run_backtest(data, out_dir=out, progress=False, qar=qar)
    return data, qar, result, out


def test_every_report_file_is_written(report):
    _, _, result, out = report
    for name in REPORT_FILES:
        p = out / name
        assert p.is_file() and p.stat().st_size > 0, name
        assert result.files[name] == p
    for name in ("equity.png", "drawdown.png", "decision_mix.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (out / "report.md").read_text()
    assert "| QAR (fake) |" in md and "| buy and hold |" in md
    assert "## Net of costs (5 bp)" in md and "## Gross (no costs)" in md
    # the fake has no config: no independent runs, and the report says so
    assert "no exact-twin or expert-alone runs" in md


def test_metrics_json_is_finite_and_complete(report):
    _, _, result, out = report
    m = json.loads((out / "metrics.json").read_text())
    assert m == result.metrics
    for path, v in _numbers(m):
        assert math.isfinite(v), path
    s = m["strategy"]
    for key in ("cagr", "volatility", "sharpe", "max_drawdown", "hit_rate", "turnover",
                "agreement_with_exact", "agreement_resolvable", "ticks_per_second"):
        assert s[key] is not None and math.isfinite(s[key]), key
    assert set(s["regime_time_share"]) >= {"stable", "trending", "volatile", "crisis"}
    assert sum(s["regime_time_share"].values()) == pytest.approx(1.0)
    assert set(m["baselines"]) == {"buy_and_hold"}
    for key in ("cagr", "sharpe", "max_drawdown", "turnover", "psr"):
        assert math.isfinite(s["net"][key]) and math.isfinite(s[key]), key


def test_equity_recomputed_from_decisions_csv(report):
    data, _, result, out = report
    rows = _read_csv(out / "decisions.csv")
    assert len(rows) == result.metrics["run"]["days"] == len(result.rows)
    pos = np.array([float(r["position"]) for r in rows])
    ret = np.array([float(r["return_next"]) for r in rows])
    eq = np.array([float(r["equity"]) for r in rows])
    # independent: the returns from the raw prices, the equity by a plain loop
    idx = np.searchsorted(data.dates, np.array([r["date"] for r in rows], dtype="datetime64[D]"))
    assert np.allclose(ret, data.close[idx + 1] / data.close[idx] - 1.0, rtol=0, atol=1e-15)
    e, expect = 1.0, []
    for p, r in zip(pos, ret):
        e *= 1.0 + p * r
        expect.append(e)
    assert np.allclose(eq, expect, rtol=1e-12)
    assert np.allclose([float(r["pnl"]) for r in rows], pos * ret, rtol=0, atol=1e-18)
    # the metrics are those of this path
    s = result.metrics["strategy"]
    assert s["total_return"] == pytest.approx(expect[-1] - 1.0, rel=1e-12)
    assert s["max_drawdown"] == pytest.approx(M.max_drawdown(pos * ret), rel=1e-12)
    # baselines on the same days
    bh = result.metrics["baselines"]["buy_and_hold"]
    assert bh["total_return"] == pytest.approx(
        data.close[idx[-1] + 1] / data.close[idx[0]] - 1.0, rel=1e-12)
    # agreement from the CSV
    same = [r["action"] == r["exact_action"] for r in rows]
    assert s["agreement_with_exact"] == pytest.approx(np.mean(same))
    res = [r["exact_margin_resolvable"] == "true" for r in rows]
    assert s["agreement_resolvable"] == pytest.approx(np.mean([a for a, b in zip(same, res) if b]))
    assert s["resolvable_days"] == sum(res)
    full = [(r["action"], r["size"], r["risk"]) == (r["exact_action"], r["exact_size"],
                                                   r["exact_risk"]) for r in rows]
    assert s["agreement_decision"] == pytest.approx(np.mean(full))
    assert s["agreement_decision"] < s["agreement_with_exact"]  # the fake's sizes differ too
    assert s["agreement_decision_resolvable"] == pytest.approx(
        np.mean([a for a, b in zip(full, res) if b]))


def test_net_pnl_recomputed_by_hand_from_decisions_csv(report):
    """Costs: 5 bp per unit of position traded, p_0 = 0, charged on the day of the trade."""
    data, _, result, out = report
    rows = _read_csv(out / "decisions.csv")
    pos = [float(r["position"]) for r in rows]
    ret = [float(r["return_next"]) for r in rows]
    prev, e, net, eq = 0.0, 1.0, [], []
    for p, r in zip(pos, ret):
        x = p * r - 0.0005 * abs(p - prev)
        prev = p
        e *= 1.0 + x
        net.append(x)
        eq.append(e)
    assert np.allclose([float(r["pnl_net"]) for r in rows], net, rtol=0, atol=1e-18)
    assert np.allclose([float(r["equity_net"]) for r in rows], eq, rtol=1e-12)
    n = result.metrics["strategy"]["net"]
    assert n["total_return"] == pytest.approx(eq[-1] - 1.0, rel=1e-12)
    mean, sd = np.mean(net), np.std(net, ddof=1)
    assert n["sharpe"] == pytest.approx(mean / sd * math.sqrt(252), rel=1e-12)
    assert n["total_return"] < result.metrics["strategy"]["total_return"]  # costs were paid
    # buy-and-hold pays the entry once
    bh = result.metrics["baselines"]["buy_and_hold"]
    assert bh["net"]["total_return"] == pytest.approx(
        (1 - 0.0005 + ret[0]) * np.prod(1 + np.array(ret[1:])) - 1, rel=1e-12)
    assert bh["costs_paid"] == pytest.approx(0.0005)


def test_runner_passes_past_only_features_and_outcomes(report):
    data, qar, result, _ = report
    first = int(np.searchsorted(data.dates, result.dates[0]))
    assert first == 50  # the volume window is the longest warm-up
    assert any("skipped" in n for n in result.metrics["run"]["notes"])
    logret = np.diff(np.log(data.close))
    for j in (0, 17, len(qar.ticks) - 1):
        t = first + j
        f = compute_features(data, t)
        tick = qar.ticks[j]
        for key in ("price", "volatility", "trend", "trend_clarity", "volume_normalized"):
            assert getattr(tick, key) == pytest.approx(f[key], rel=1e-12, abs=1e-15), key
        assert str(tick.timestamp.date()) == str(data.dates[t])
        assert np.array_equal(qar.histories[j], logret[:t])  # returns up to day t only
        did, pnl, r = qar.outcomes[j]
        assert r == pytest.approx(data.close[t + 1] / data.close[t] - 1.0)
        assert pnl == pytest.approx(result.rows[j]["position"] * r)  # fake has no risk config
    assert not qar.pending  # every decision settled
    assert len(qar.ticks) == len(data) - 1 - first


def test_date_range_and_vix_on_real_data(fake_qar):
    data, vix = load_dataset("sp500"), load_dataset("vix")
    res = run_backtest(data, "2014-01-02", "2014-03-31", progress=False, qar=fake_qar, vix=vix)
    run = res.metrics["run"]
    assert run["first_day"] == "2014-01-02" and run["last_outcome_day"] == "2014-03-31"
    assert run["last_day"] == "2014-03-28"
    assert res.files == {}
    # history before the start is used (no warm-up skipped), and is past-only
    t0 = int(np.searchsorted(data.dates, np.datetime64("2014-01-02")))
    assert len(fake_qar.histories[0]) == t0
    # VIX 2014-01-02 is not covered (the VIX data starts 2014-01-03); later days are.
    assert fake_qar.ticks[0].vix is None
    assert fake_qar.ticks[1].vix == pytest.approx(13.76 / 100)
    assert all(t.vix is not None for t in fake_qar.ticks[1:])


def test_no_volume_means_normalised_volume_one(fake_qar):
    data = synthetic_prices(n=60, volume=False)
    res = run_backtest(data, progress=False, qar=fake_qar)
    assert all(t.volume_normalized == 1.0 for t in fake_qar.ticks)
    assert res.metrics["run"]["first_day"] == str(data.dates[20])


def test_too_short_range_is_an_input_error(fake_qar):
    data = load_dataset("sp500")
    with pytest.raises(InputError, match="fewer than 2 decision days"):
        run_backtest(data, "2018-12-28", "2018-12-31", progress=False, qar=fake_qar)
    with pytest.raises(InputError, match="after end"):
        run_backtest(data, "2018-12-28", "2018-01-31", progress=False, qar=fake_qar)


def test_package_exports_the_runner_and_its_result_types():
    import subprocess
    import sys

    import qar_qiskit.backtest as bt
    from qar_qiskit.backtest import BacktestResult, DecisionMaker
    from qar_qiskit.backtest import run_backtest as rb
    from qar_qiskit.backtest.result import BacktestResult as R
    from qar_qiskit.backtest.result import DecisionMaker as D

    assert rb is run_backtest and BacktestResult is R and DecisionMaker is D
    assert set(bt.__all__) == {"run_backtest", "BacktestResult", "DecisionMaker"}
    assert isinstance(FakeQAR(), DecisionMaker)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        bt.nope  # noqa: B018
    # lazy: importing the package or a submodule does not load the runner; the name does
    code = ("import sys, qar_qiskit.backtest.metrics; assert 'qar_qiskit.backtest.runner' not in sys.modules; "
            "from qar_qiskit.backtest import run_backtest; assert 'qar_qiskit.backtest.runner' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
