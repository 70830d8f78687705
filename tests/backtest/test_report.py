"""What the backtest report says: readable plot axes, defined terms, only the settings and rows
that apply, and where a single seed sits among the seeds of a real sweep on its conditions."""

from __future__ import annotations

import json
import re

import matplotlib
import numpy as np
import pytest
import scipy.stats as st

from qar_qiskit.backtest import plots
from qar_qiskit.backtest.headline import load_spread, placement
from qar_qiskit.backtest.report import applied_settings
from qar_qiskit.backtest.runner import run_backtest
from qar_qiskit.errors import InputError

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


# a small real sweep: 3 seeds on aer at 64 shots over two months of the S&P 500 (about 15 s)
SWEEP = {"data": ["sp500"], "start": "2018-01-02", "end": "2018-02-28", "backends": ["aer"],
         "shots": [64], "seeds": 3}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """The sweep folder and each seed's net Sharpe ratio read from its cell's own metrics.json
    (not from summary.json), with the cells' run section."""
    import yaml

    from qar_qiskit.sweep.runner import run_sweep

    tmp = tmp_path_factory.mktemp("spread")
    (tmp / "spec.yaml").write_text(yaml.safe_dump(SWEEP))
    run_sweep(tmp / "spec.yaml", tmp / "sweep", serial=True, progress=False, echo=lambda _: None)
    cells = [json.loads(p.read_text()) for p in (tmp / "sweep" / "cells").glob("*/metrics.json")]
    sharpe = {m["run"]["seed"]: m["strategy"]["net"]["sharpe"] for m in cells}
    return tmp / "sweep", sharpe, cells[0]["run"]


def _interval(values):
    v = np.array(values)
    half = st.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size)
    return v.mean() - half, v.mean() + half


def test_seed_placement_among_a_real_sweeps_seeds(sweep):
    folder, sharpe, cell_run = sweep
    spread = load_spread(folder)
    run = {**cell_run, "seed": 1234}
    values = sorted(sharpe.values())
    lo, hi = _interval(values)
    text = placement(run, values[0] - 0.01, spread)
    assert "one seed (1234)" in text and "seed 1234 is not one of them" in text
    assert "seeds 0-2" in text and f"below all 3 seeds (lowest {values[0]:.2f})" in text
    assert f"above all 3 seeds (highest {values[-1]:.2f})" in placement(run, values[-1] + 0.01,
                                                                        spread)
    mean = float(np.mean(values))
    inside = placement({**run, "seed": 2}, mean, spread)
    assert "seed 2 is one of them" in inside and "not one" not in inside
    assert (f"within the seeds' range {values[0]:.2f} to {values[-1]:.2f}, inside the 95% "
            f"interval of their mean [{lo:.2f}, {hi:.2f}] (mean {mean:.2f})") in inside
    # each seed's own value: within the range, on the side of the interval it really is on
    for x in values:
        side = "below" if x < lo else "above" if x > hi else "inside"
        assert f"{side} the 95% interval" in placement(run, x, spread)


def test_without_a_matching_sweep_the_report_says_how_to_get_one(sweep):
    folder, sharpe, cell_run = sweep
    alone = placement({**cell_run, "seed": 7}, 0.5)
    assert "one seed (7)" in alone and "one draw" in alone
    assert "`qar sweep sweep-sp500 --out DIR`" in alone and "--spread DIR" in alone
    for change, named in (({"first_day": "2018-01-03"}, "first_day '2018-01-03' (sweep "
                           "'2018-01-02')"), ({"shots": 1024}, "shots 1024 (sweep 64)"),
                          ({"cost_bps": 2.0}, "cost_bps 2.0 (sweep 5.0)")):
        other = placement({**cell_run, "seed": 7, **change}, 0.5, load_spread(folder))
        assert "no entry on this run's conditions" in other and named in other, other
        assert "--spread DIR" in other and "within" not in other


def test_spread_errors_are_one_line(tmp_path, sweep):
    with pytest.raises(InputError, match="no such folder"):
        load_spread(tmp_path / "missing")
    with pytest.raises(InputError, match="no summary.json"):
        load_spread(tmp_path)
    (tmp_path / "summary.json").write_text("[{")
    with pytest.raises(InputError, match="not valid JSON") as exc:
        load_spread(tmp_path)
    assert "\n" not in str(exc.value)
    old = json.loads((sweep[0] / "summary.json").read_text())
    for e in old:
        del e["sharpe_by_seed"]
    (tmp_path / "summary.json").write_text(json.dumps(old))
    with pytest.raises(InputError, match=r"0\.sharpe_by_seed: Field required") as exc:
        load_spread(tmp_path)
    assert "\n" not in str(exc.value)


def test_cli_backtest_places_its_seed_in_the_sweep(tmp_path, sweep):
    from typer.testing import CliRunner

    from qar_qiskit.cli import app

    folder, sharpe, _ = sweep
    res = CliRunner().invoke(app, ["backtest", "--start", "2018-01-02", "--end", "2018-02-28",
                                   "--backend", "aer", "--shots", "64", "--seed", "1",
                                   "--no-baselines", "--no-progress", "--out", str(tmp_path / "bt"),
                                   "--spread", str(folder)])
    assert res.exit_code == 0, res.output + repr(res.exception)
    md = (tmp_path / "bt" / "report.md").read_text()
    m = json.loads((tmp_path / "bt" / "metrics.json").read_text())
    # the same seed on the same conditions is the sweep's cell: the same net Sharpe ratio
    assert m["strategy"]["net"]["sharpe"] == pytest.approx(sharpe[1], abs=1e-12)
    assert "seed 1 is one of them" in md and f"Its net Sharpe ratio {sharpe[1]:.2f} is" in md
    assert f"Its net Sharpe ratio {sharpe[1]:.2f} is" in res.output
    bad = CliRunner().invoke(app, ["backtest", "--backend", "aer", "--spread",
                                   str(tmp_path / "nowhere")])
    assert isinstance(bad.exception, InputError) and "no such folder" in str(bad.exception)


def test_real_report_states_seed_settings_and_drops_register_less_rows(tmp_path):
    from qar_qiskit.data.loader import load_dataset
    from qar_qiskit.system.qar import QAR

    qar = QAR.from_config(None, backend="aer", shots=64, seed=5)
    res = run_backtest(load_dataset("sp500"), "2018-01-02", "2018-02-28", progress=False, qar=qar,
                       out_dir=tmp_path)
    md = (tmp_path / "report.md").read_text()
    settings_line = next(ln for ln in md.splitlines() if ln.startswith("Run settings:"))
    assert "backend `aer`" in settings_line and "mitigation" not in settings_line
    assert "one seed (5)" in md and "one draw" in md and "--spread DIR" in md
    # abstain has no register: no all-zero row, a note says why, metrics.json keeps the run
    assert "expert alone: abstain" not in md and "| expert alone: lmsr |" in md
    assert "no expert-alone row for abstain: no register" in md
    assert "expert_abstain" in res.metrics["baselines"]
    assert res.metrics["run"]["experts_without_register"] == ["abstain"]
