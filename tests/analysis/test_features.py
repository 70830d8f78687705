"""Market features: known synthetic series, sampling bounds, no look-ahead, vectorised = per-day."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from qar_qiskit.analysis.features import FEATURE_NAMES, compute_features, feature_table, warmup
from qar_qiskit.data.loader import PriceData, load_dataset


def _prices(close, volume=None, start="2010-01-04"):
    n = len(close)
    dates = np.busday_offset(np.datetime64(start), np.arange(n), roll="forward")
    return PriceData(dates=dates.astype("datetime64[D]"), close=np.asarray(close, float),
                     volume=None if volume is None else np.asarray(volume, float),
                     source="test")


def test_constant_growth_has_clarity_one_and_no_volatility():
    g = 0.001  # +0.1 % log growth every day
    data = _prices(100 * np.exp(g * np.arange(120)))
    f = compute_features(data, 100)
    assert f["trend_clarity"] == pytest.approx(1.0, abs=1e-12)
    assert f["volatility"] == pytest.approx(0.0, abs=1e-9)
    assert f["trend"] == pytest.approx(252 * g, rel=1e-9)
    assert f["last_return"] == pytest.approx(math.exp(g) - 1, rel=1e-12)
    assert f["volume_normalized"] == 1.0 and f["vix"] is None
    # a constant decline is just as clear, with a negative trend
    f = compute_features(_prices(100 * np.exp(-2 * g * np.arange(120))), 100)
    assert f["trend_clarity"] == pytest.approx(1.0, abs=1e-12)
    assert f["trend"] == pytest.approx(-2 * 252 * g, rel=1e-9)


def test_flat_prices_have_no_trend():
    f = compute_features(_prices(np.full(60, 50.0)), 40)
    assert f["trend_clarity"] == 0.0 and f["trend"] == 0.0 and f["volatility"] == 0.0


def test_random_walk_volatility_within_sampling_bound():
    sigma = 0.012  # daily
    rng = np.random.default_rng(2024)
    n, w = 1200, 1000
    close = 100 * np.exp(np.cumsum(sigma * rng.standard_normal(n)))
    f = compute_features(_prices(close), n - 1, window=w)
    # the sample sd of w normal draws has relative standard error ~ 1 / sqrt(2 (w - 1))
    bound = 4 / math.sqrt(2 * (w - 1))
    assert abs(f["volatility"] / (sigma * math.sqrt(252)) - 1) < bound
    # and a trendless walk has low clarity on average over many windows
    t = feature_table(_prices(close))
    assert np.nanmean(t["trend_clarity"]) < 0.5


def test_trend_clarity_is_r_squared():
    rng = np.random.default_rng(5)
    close = 100 * np.exp(np.cumsum(0.002 + 0.01 * rng.standard_normal(80)))
    f = compute_features(_prices(close), 79, trend_window=30)
    y = np.log(close[50:80])
    x = np.arange(30)
    r = np.corrcoef(x, y)[0, 1]
    assert f["trend_clarity"] == pytest.approx(r * r, rel=1e-10)
    slope = np.polyfit(x, y, 1)[0]
    assert f["trend"] == pytest.approx(252 * slope, rel=1e-10)


def test_normalised_volume_uses_previous_days_only():
    vol = np.full(80, 1000.0)
    vol[70] = 3000.0
    data = _prices(100 + np.arange(80.0), volume=vol)
    assert compute_features(data, 70)["volume_normalized"] == pytest.approx(3.0)
    # day 71's average includes day 70: 49 x 1000 + 3000 over 50 days
    assert compute_features(data, 71)["volume_normalized"] == pytest.approx(1000 / 1040)
    assert warmup(data) == 50 and warmup(_prices(np.ones(80))) == 20


def test_no_look_ahead():
    data = load_dataset("sp500")
    vix = load_dataset("vix")
    t = 4000
    before = compute_features(data, t, vix=vix)
    table_before = feature_table(data, vix=vix)
    rng = np.random.default_rng(1)
    changed = replace(
        data,
        close=np.concatenate([data.close[: t + 1], data.close[t + 1:] * rng.uniform(
            0.5, 2.0, len(data) - t - 1)]),
        volume=np.concatenate([data.volume[: t + 1], data.volume[t + 1:] * 7]),
    )
    after = compute_features(changed, t, vix=vix)
    table_after = feature_table(changed, vix=vix)
    assert before == after
    for k in FEATURE_NAMES:
        a, b = table_before[k][: t + 1], table_after[k][: t + 1]
        assert np.array_equal(a, b, equal_nan=True), k
    # (the change is real: a later day's features differ)
    assert compute_features(changed, t + 5)["price"] != compute_features(data, t + 5)["price"]


@pytest.mark.parametrize("name", ["sp500", "nasdaq"])
def test_table_equals_per_day_function(name):
    data, vix = load_dataset(name), load_dataset("vix")
    table = feature_table(data, vix=vix)
    assert table["warmup"] == 50
    assert np.all(np.isnan(table["volatility"][:50])) and not table["valid"][49]
    rng = np.random.default_rng(11)
    for t in list(rng.integers(50, len(data), 40)) + [50, len(data) - 1]:
        f = compute_features(data, int(t), vix=vix)
        assert f["date"] == table["date"][t]
        for k in FEATURE_NAMES:
            if f[k] is None:
                assert np.isnan(table[k][t]), (k, t)
            else:
                assert table[k][t] == pytest.approx(f[k], rel=1e-10, abs=1e-14), (k, t)


def test_other_windows_match_too():
    data = load_dataset("nasdaq")
    table = feature_table(data, window=5, trend_window=60, volume_window=10)
    assert table["warmup"] == 59
    for t in (59, 60, 1234, 5030):
        f = compute_features(data, t, window=5, trend_window=60, volume_window=10)
        for k in FEATURE_NAMES[:-1]:
            assert table[k][t] == pytest.approx(f[k], rel=1e-10, abs=1e-14), (k, t)


def test_vix_coverage():
    data, vix = load_dataset("sp500"), load_dataset("vix")
    i = int(np.searchsorted(data.dates, np.datetime64("2014-01-03")))
    assert compute_features(data, i, vix=vix)["vix"] == pytest.approx(0.1376)
    assert compute_features(data, i - 1, vix=vix)["vix"] is None  # before the VIX data
    assert compute_features(data, len(data) - 1, vix=vix)["vix"] is not None  # 2018-12-31
    t = feature_table(data, vix=vix)
    covered = ~np.isnan(t["vix"])
    assert str(data.dates[covered][0]) == "2014-01-03"
    assert covered[i:].all()


def test_before_warmup_is_rejected():
    data = load_dataset("sp500")
    with pytest.raises(ValueError, match="warm-up"):
        compute_features(data, 10)
    with pytest.raises(IndexError):
        compute_features(data, len(data))
