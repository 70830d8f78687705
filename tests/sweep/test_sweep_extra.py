"""Dask is the optional ``sweep`` extra: a sweep without it names the extra; everything else
(the README's ``qar backtest``, a serial sweep) runs without it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import yaml

from qar_qiskit.errors import QARError
from qar_qiskit.sweep.runner import run_sweep

SPEC = {"data": ["sp500"], "start": "2018-01-02", "end": "2018-03-29", "backends": ["exact"]}
# a fresh interpreter in which `import dask` / `import distributed` fail as if not installed
NO_DASK = "import sys; sys.modules.update(dask=None, distributed=None)\n"


def _spec(tmp_path):
    p = tmp_path / "spec.yaml"
    p.write_text(yaml.safe_dump(SPEC))
    return p


def test_sweep_without_dask_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(QARError, match=r"pip install 'qar-qiskit\[sweep\]'.*--serial"):
        run_sweep(_spec(tmp_path), tmp_path / "out", workers=1, progress=False)
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_cli_sweep_without_dask_is_one_line(tmp_path):
    code = NO_DASK + textwrap.dedent(f"""
        from qar_qiskit.cli import main
        sys.argv = ["qar", "sweep", {str(_spec(tmp_path))!r}, "--out", {str(tmp_path / "out")!r}]
        main()
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert proc.stderr.strip().count("\n") == 0 and "qar-qiskit[sweep]" in proc.stderr, proc.stderr


def test_backtest_and_serial_sweep_run_without_dask(tmp_path):
    # nothing outside the Dask path imports dask: the README's main command and a serial sweep
    code = NO_DASK + textwrap.dedent(f"""
        from qar_qiskit.cli import main
        for argv in (["backtest", "--start", "2018-01-02", "--end", "2018-03-29", "--backend", "exact",
                      "--no-baselines", "--no-progress", "--out", {str(tmp_path / "bt")!r}],
                     ["sweep", {str(_spec(tmp_path))!r}, "--serial", "--no-progress", "--out",
                      {str(tmp_path / "sw")!r}]):
            sys.argv = ["qar", *argv]
            try:
                main()
            except SystemExit as exc:
                assert not exc.code, exc.code
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "bt" / "report.md").is_file()
    assert "1 cells: 0 already done, 1 run now, 0 failed" in proc.stdout
