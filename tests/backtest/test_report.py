"""What the backtest report says: readable plot axes, defined terms, only the settings and rows
that apply, and where a single seed sits among the headline's seeds."""

from __future__ import annotations

import re

import matplotlib
import pytest

from qar_qiskit.backtest import plots
from qar_qiskit.backtest.headline import HEADLINE, placement
from qar_qiskit.backtest.report import applied_settings
from qar_qiskit.backtest.runner import run_backtest

from .conftest import FakeQAR, synthetic_prices

matplotlib.use("Agg", force=True)

_PLAIN = re.compile(r"^-?\d+(\.\d+)?$")


@pytest.mark.parametrize("lo, hi", [(0.93, 1.02), (0.5, 3.0), (0.2, 40.0), (1.0, 900.0)])
def test_log_equity_axis_has_plain_labels(lo, hi):
    # the default log formatter writes 2×10⁰ (mathtext); every visible label must be a plain
    # decimal, and there must be at least two of them to read the scale
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [lo, hi])
    ax.set_yscale("log")
    plots.plain_log_axis(ax.yaxis)
    fig.canvas.draw()
    ylo, yhi = ax.get_ylim()
    shown = [t.get_text() for t in ax.get_yticklabels() + ax.get_yminorticklabels()
             if t.get_text() and ylo <= t.get_position()[1] <= yhi]
    plt.close(fig)
    assert len(shown) >= 2, shown
    assert all(_PLAIN.match(s) for s in shown), shown


def test_equity_plot_uses_plain_log_labels(tmp_path, monkeypatch):
    seen = []
    real = plots.plain_log_axis
    monkeypatch.setattr(plots, "plain_log_axis", lambda axis: (seen.append(axis), real(axis)))
    run_backtest(synthetic_prices(), qar=FakeQAR(), progress=False, out_dir=tmp_path)
    assert len(seen) == 1 and seen[0].axis_name == "y"


def test_hit_rate_is_defined_where_it_is_shown(tmp_path):
    run_backtest(synthetic_prices(), qar=FakeQAR(), progress=False, out_dir=tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert "| hit rate |" in md
    assert "Hit rate: the share of the days with a position (p_t ≠ 0) whose P&L is positive" in md


@pytest.mark.parametrize("backend, applied, absent", [
    ("exact", {"backend"}, {"shots", "seed", "mitigation", "postselect_market"}),
    ("aer", {"backend", "shots", "seed", "optimization_level", "postselect_market"},
     {"mitigation", "transpile_seed"}),
    ("aer-noisy:FakeTorino", {"backend", "mitigation", "transpile_seed", "shots"}, set()),
    ("ibm:ibm_torino", {"backend", "transpile_seed", "shots"}, {"mitigation"}),
])
def test_only_the_settings_that_applied_are_listed(backend, applied, absent):
    # readout mitigation runs only on aer-noisy (backends/registry.py: the noisy executor is the
    # only one that takes it); exact samples nothing at all
    settings = {"backend": backend, "shots": 1024, "seed": 1234, "mitigation": "m3"}
    got = applied_settings(settings)
    assert applied <= set(got) and not absent & set(got), got
    if "mitigation" in got:
        assert got["mitigation"] == "m3"


def _headline_run(**change):
    h = HEADLINE
    return {"source": h["source"], "backend": h["backend"], "shots": h["shots"],
            "cost_bps": h["cost_bps"], "first_day": h["first_day"], "last_day": h["last_day"],
            "seed": 1234, **change}


def test_seed_placement_against_the_headline_spread():
    s = HEADLINE["sharpe_net"]
    lo, hi = s["interval"]
    text = placement(_headline_run(), (lo + hi) / 2)
    assert "one seed (1234)" in text and "seed 1234 is not one of them" in text
    assert "inside the 95% interval" in text
    assert "one of them" in placement(_headline_run(seed=3), lo) and "not one" not in placement(
        _headline_run(seed=3), lo)
    assert "below all 10 seeds" in placement(_headline_run(), s["min"] - 0.01)
    assert "above all 10 seeds" in placement(_headline_run(), s["max"] + 0.01)
    assert "below the 95% interval" in placement(_headline_run(), (s["min"] + lo) / 2)
    # another period: the headline's spread is not this run's; say so and how to get it
    other = placement(_headline_run(first_day="2008-01-02"), 0.1)
    assert "does not apply here" in other and "first_day '2008-01-02'" in other and "qar sweep" in other


def test_real_report_states_seed_settings_and_drops_register_less_rows(tmp_path):
    from qar_qiskit.data.loader import load_dataset
    from qar_qiskit.system.qar import QAR

    qar = QAR.from_config(None, backend="aer", shots=64, seed=5)
    res = run_backtest(load_dataset("sp500"), "2018-01-02", "2018-02-28", progress=False, qar=qar,
                       out_dir=tmp_path)
    md = (tmp_path / "report.md").read_text()
    settings_line = next(ln for ln in md.splitlines() if ln.startswith("Run settings:"))
    assert "backend `aer`" in settings_line and "mitigation" not in settings_line
    assert "one seed (5)" in md and "seed 5 is one of them" in md and "does not apply here" in md
    # abstain has no register: no all-zero row, a note says why, metrics.json keeps the run
    assert "expert alone: abstain" not in md and "| expert alone: lmsr |" in md
    assert "no expert-alone row for abstain: no register" in md
    assert "expert_abstain" in res.metrics["baselines"]
    assert res.metrics["run"]["experts_without_register"] == ["abstain"]
