"""Bad sweep specs: one InputError naming the field, before anything runs."""

from __future__ import annotations

import pytest
import yaml

from qar_qiskit.errors import InputError
from qar_qiskit.sweep.runner import run_sweep
from qar_qiskit.sweep.spec import load_spec

GOOD = {"data": ["sp500"], "start": "2018-01-02", "end": "2018-03-29", "backends": ["aer"],
        "seeds": 2}


def _spec(tmp_path, **change):
    spec = {**GOOD, **change}
    spec = {k: v for k, v in spec.items() if v is not None}
    p = tmp_path / "spec.yaml"
    p.write_text(yaml.safe_dump(spec))
    return p


@pytest.mark.parametrize("change, words", [
    ({"seedz": 3}, ["seedz", "Extra inputs"]),
    ({"backends": []}, ["backends"]),
    ({"seeds": []}, ["seeds"]),
    ({"seeds": 0}, ["seeds"]),
    ({"overrides": {"learning.learning_rate": []}}, ["overrides", "learning.learning_rate", "empty"]),
    ({"data": ["ftse"]}, ["data[0]", "ftse"]),
    ({"data": [{"path": "nope.csv"}]}, ["data[0]", "nope.csv"]),
    ({"overrides": {"learning.learnin_rate": [0.1]}}, ["overrides", "learnin_rate"]),
    ({"overrides": {"learning.learning_rate": [-1.0]}}, ["overrides", "learning.learning_rate"]),
    ({"backends": ["aer", "qpu"]}, ["backends", "qpu"]),
    ({"start": "2018-13-01"}, ["start", "not a date"]),
    ({"start": "1980-01-02"}, ["data[0]", "start 1980-01-02 is outside"]),
    ({"cost_bps": [-1]}, ["cost_bps"]),
    ({"shots": [0]}, ["shots"]),
    ({"walk_forward": {"start": "2010-01-04", "end": "2012-12-31", "years": 1}},
     ["one of start/end, windows or walk_forward"]),
])
def test_bad_spec_names_the_field_and_runs_nothing(tmp_path, change, words):
    out = tmp_path / "out"
    with pytest.raises(InputError) as info:
        run_sweep(_spec(tmp_path, **change), out, serial=True)
    msg = str(info.value)
    assert msg.startswith("sweep spec ") and "\n" not in msg
    for w in words:
        assert w in msg, (w, msg)
    assert not out.exists()  # validated before any folder or cell


def test_grid_expansion(tmp_path):
    spec, cells = load_spec(_spec(
        tmp_path, start=None, end=None, backends=["aer", "exact"], shots=[64, 128], seeds=3,
        cost_bps=[0, 5], overrides={"learning.learning_rate": [0.05, 0.1]},
        walk_forward={"start": "2010-01-04", "end": "2012-12-31", "years": 1}))
    assert [w for w in spec.window_list()] == [("2010-01-04", "2011-01-03"),
                                                ("2011-01-04", "2012-01-03"),
                                                ("2012-01-04", "2012-12-31")]
    aer = [c for c in cells if c["backend"] == "aer"]
    exact = [c for c in cells if c["backend"] == "exact"]
    assert len(aer) == 3 * 2 * 3 * 2 * 2  # windows x shots x seeds x costs x overrides
    # exact samples nothing: one cell per window, cost and override, no shots, the first seed
    assert len(exact) == 3 * 2 * 2 and {(c["shots"], c["seed"]) for c in exact} == {(None, 0)}
    assert len({c["id"] for c in cells}) == len(cells)
    # the configuration key ignores the seed, the data and the window
    keys = {c["config_key"] for c in aer}
    assert len(keys) == 2 * 2 * 2


def test_csv_sources_with_column_options(tmp_path):
    import numpy as np

    n = 120
    rng = np.random.default_rng(1)
    close = 100 * np.exp(np.cumsum(0.01 * rng.standard_normal(n)))
    dates = np.busday_offset(np.datetime64("2019-01-02"), np.arange(n), roll="forward")
    body = "\n".join(f"{d},{c:.4f}" for d, c in zip(dates, close))
    (tmp_path / "plain.csv").write_text("Date,Close\n" + body + "\n")
    (tmp_path / "odd.csv").write_text("Date,SP500\n" + body + "\n")
    spec = {"data": ["plain.csv", {"path": "odd.csv", "close_column": "SP500", "name": "odd"}],
            "backends": ["exact"], "seeds": 1}
    p = tmp_path / "spec.yaml"
    p.write_text(yaml.safe_dump(spec))
    _, cells = load_spec(p)  # relative paths are read next to the spec
    assert [c["data"]["path"] for c in cells] == [str(tmp_path / "plain.csv"), str(tmp_path / "odd.csv")]
    spec["data"] = [{"path": "odd.csv"}]
    p.write_text(yaml.safe_dump(spec))
    with pytest.raises(InputError, match=r"data\[0\].*no close column.*--close-column"):
        load_spec(p)


def test_walk_forward_windows_cover_every_return_exactly_once(tmp_path):
    # Each decision day t realises r_{t+1} (close t -> close t+1). Consecutive walk-forward
    # windows must hand every such return to exactly one window: the union of the windows'
    # (t, t+1) pairs is the set of consecutive trading-day pairs of the whole period, and no
    # pair is counted twice. Checked with a stand-in decision maker on the packaged S&P 500.
    import numpy as np

    from qar_qiskit.backtest.runner import run_backtest
    from qar_qiskit.data.loader import load_dataset
    from tests.backtest.conftest import FakeQAR

    spec, cells = load_spec(_spec(tmp_path, start=None, end=None, backends=["exact"], seeds=1,
                                  walk_forward={"start": "2005-01-01", "end": "2007-12-31",
                                                "years": 1}))
    data = load_dataset("sp500")
    pairs = []
    for cell in cells:
        res = run_backtest(data, cell["start"], cell["end"], qar=FakeQAR(), progress=False)
        pairs += list(zip(res.dates.tolist(), res.outcome_dates.tolist()))
    dates = data.dates[(data.dates >= np.datetime64("2005-01-01"))
                       & (data.dates <= np.datetime64("2007-12-31"))]
    expected = list(zip(dates[:-1].tolist(), dates[1:].tolist()))
    assert len(pairs) == len(set(pairs))  # no return twice
    assert sorted(pairs) == expected  # none missing, e.g. 2005-12-30 -> 2006-01-03
    import datetime as dt

    assert (dt.date(2005, 12, 30), dt.date(2006, 1, 3)) in pairs
    # the calendar windows are unchanged; the data's trading days set where each one ends
    assert spec.window_list() == [("2005-01-01", "2005-12-31"), ("2006-01-01", "2006-12-31"),
                                  ("2007-01-01", "2007-12-31")]
    assert [(c["start"], c["end"]) for c in cells] == [
        ("2005-01-01", "2006-01-03"), ("2006-01-01", "2007-01-03"), ("2007-01-01", "2007-12-31")]


def test_spec_without_seeds_runs_seed_0(tmp_path):
    spec, cells = load_spec(_spec(tmp_path, seeds=None, backends=["aer", "exact"]))
    assert spec.seeds == [0]
    assert sorted(c["seed"] for c in cells) == [0, 0]


def test_packaged_spec_resolves_by_name():
    spec, cells = load_spec("sweep-sp500")
    assert spec.data == ["sp500"] and spec.backends == ["aer", "exact"] and spec.seeds == list(range(10))
    assert len(cells) == 11  # 10 aer seeds + one exact run


def test_unknown_spec_name_lists_the_packaged_ones(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    with pytest.raises(InputError, match=r"^sweep spec 'sweep-ftse' not found.*packaged: sweep-sp500"):
        load_spec("sweep-ftse")
    qar = Path(sys.executable).parent / "qar"
    proc = subprocess.run([str(qar), "sweep", "sweep-ftse", "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "packaged: sweep-sp500" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
