"""``qar backtest``: a small CSV end to end on the exact backend, and one-line input errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from qar_qiskit.backtest.report import REPORT_FILES
from qar_qiskit.cli import app
from qar_qiskit.errors import InputError


def _csv(path, n=80, bad_row=None):
    rng = np.random.default_rng(3)
    close = 100 * np.exp(np.cumsum(0.01 * rng.standard_normal(n)))
    dates = np.busday_offset(np.datetime64("2019-01-02"), np.arange(n), roll="forward")
    rows = [f"{d},{c:.4f},{v}" for d, c, v in zip(dates, close, rng.integers(1000, 2000, n))]
    if bad_row is not None:
        rows[bad_row - 1] = "2019-02-30," + rows[bad_row - 1].split(",", 1)[1]
    path.write_text("Date,Close,Volume\n" + "\n".join(rows) + "\n")
    return path


def test_backtest_command_writes_report(tmp_path):
    csv = _csv(tmp_path / "mine.csv")
    out = tmp_path / "rep"
    res = CliRunner().invoke(app, ["backtest", "--csv", str(csv), "--backend", "exact",
                                   "--seed", "5", "--out", str(out), "--no-progress"])
    assert res.exit_code == 0, res.output + repr(res.exception)
    assert str(out / "report.md") in res.output
    assert "buy and hold" in res.output and "agreement with exact" in res.output
    for name in REPORT_FILES:
        assert (out / name).is_file(), name
    m = json.loads((out / "metrics.json").read_text())
    assert m["run"]["backend"] == "exact" and m["run"]["days"] == 80 - 50 - 1
    assert m["strategy"]["agreement_with_exact"] == 1.0  # exact backend: sampled == exact


def test_default_output_folder_is_named_after_the_data(tmp_path, monkeypatch):
    csv = _csv(tmp_path / "prices.csv")
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["backtest", "--csv", str(csv), "--backend", "exact",
                                   "--no-progress"])
    assert res.exit_code == 0, res.output + repr(res.exception)
    assert (tmp_path / "reports" / "backtest-prices" / "metrics.json").is_file()


def test_bad_arguments_raise_input_error(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["backtest", "--data", "ftse", "--no-progress"])
    assert isinstance(res.exception, InputError) and "ftse" in str(res.exception)
    csv = _csv(tmp_path / "p.csv")
    res = runner.invoke(app, ["backtest", "--data", "sp500", "--csv", str(csv)])
    assert isinstance(res.exception, InputError) and "mutually exclusive" in str(res.exception)
    res = runner.invoke(app, ["backtest", "--csv", str(csv), "--start", "2019-13-01"])
    assert isinstance(res.exception, InputError) and "2019-13-01" in str(res.exception)


@pytest.mark.parametrize("kind", ["bad_date", "missing_close"])
def test_bad_csv_is_one_line_error(tmp_path, kind):
    if kind == "bad_date":
        csv = _csv(tmp_path / "bad.csv", bad_row=7)
        expect = ["row 7", "2019-02-30"]
    else:
        csv = tmp_path / "bad.csv"
        csv.write_text("date,open\n2019-01-02,5\n")
        expect = ["no close column"]
    proc = subprocess.run(
        [sys.executable, "-c", "from qar_qiskit.cli import main; main()", "backtest", "--csv",
         str(csv), "--out", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert str(csv) in lines[0]
    for e in expect:
        assert e in lines[0]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()


def test_csv_with_other_headers_via_column_options(tmp_path):
    """``Date,SP500`` style files: --close-column names the price; the plain error stays."""
    src = _csv(tmp_path / "src.csv")
    lines = src.read_text().splitlines()
    odd = tmp_path / "odd.csv"
    odd.write_text("When,SP500,Shares\n" + "\n".join(lines[1:]) + "\n")
    runner = CliRunner()
    res = runner.invoke(app, ["backtest", "--csv", str(odd), "--backend", "exact", "--no-progress",
                              "--no-baselines", "--out", str(tmp_path / "r1")])
    assert isinstance(res.exception, InputError) and "no date column" in str(res.exception)
    args = ["backtest", "--csv", str(odd), "--backend", "exact", "--no-progress", "--no-baselines",
            "--date-column", "when", "--close-column", "SP500", "--volume-column", "shares",
            "--cost-bps", "0", "--out", str(tmp_path / "r2")]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output + repr(res.exception)
    res_ref = runner.invoke(app, ["backtest", "--csv", str(src), "--backend", "exact", "--no-progress",
                                  "--no-baselines", "--cost-bps", "0", "--out", str(tmp_path / "r3")])
    assert res_ref.exit_code == 0
    a = json.loads((tmp_path / "r2" / "metrics.json").read_text())["strategy"]
    b = json.loads((tmp_path / "r3" / "metrics.json").read_text())["strategy"]
    assert a["net"] == b["net"] and a["sharpe"] == b["sharpe"]  # same prices, same volume
    res = runner.invoke(app, args[:-4] + ["--close-column", "Px"])
    assert isinstance(res.exception, InputError) and "--close-column 'Px'" in str(res.exception)
    res = runner.invoke(app, ["backtest", "--data", "sp500", "--close-column", "x"])
    assert isinstance(res.exception, InputError) and "--csv only" in str(res.exception)
