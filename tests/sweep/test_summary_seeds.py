"""summary.json keeps each seed's net Sharpe ratio and the conditions its cells ran on: what
``qar backtest --spread`` needs to place a single seed among them."""

from __future__ import annotations

import json

import yaml

from qar_qiskit.backtest.headline import load_spread, placement
from qar_qiskit.sweep.runner import run_sweep

# two seeds on aer with the base config's shots (no `shots:`), and the exact backend (one cell)
SPEC = {"data": ["sp500"], "start": "2018-01-02", "end": "2018-02-15", "backends": ["aer", "exact"],
        "seeds": [3, 8], "cost_bps": [2.5], "config": "base.yaml"}


def test_summary_records_sharpe_by_seed_and_resolved_conditions(tmp_path):
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(SPEC))
    (tmp_path / "base.yaml").write_text("backend:\n  shots: 128\n")
    run_sweep(tmp_path / "spec.yaml", tmp_path / "sw", serial=True, progress=False,
              echo=lambda _: None)
    entries = {e["conditions"]["backend"]: e
               for e in json.loads((tmp_path / "sw" / "summary.json").read_text())}
    assert set(entries) == {"aer", "exact"}
    for backend, seeds in (("aer", [3, 8]), ("exact", [3])):
        e = entries[backend]
        cells = {cid: json.loads((tmp_path / "sw" / "cells" / cid / "metrics.json").read_text())
                 for cid in e["cells"]}
        # each seed's value is its own cell's net Sharpe ratio
        assert e["sharpe_by_seed"] == {str(m["run"]["seed"]): m["strategy"]["net"]["sharpe"]
                                       for m in cells.values()}
        assert sorted(int(s) for s in e["sharpe_by_seed"]) == seeds
        # conditions as the backtest names them: resolved shots (the spec gave none), the
        # data's source, the decision days after the warm-up
        run = next(iter(cells.values()))["run"]
        assert e["conditions"] == {"source": "sp500", "first_day": run["first_day"],
                                   "last_day": run["last_day"], "backend": backend,
                                   "shots": run["shots"], "cost_bps": 2.5, "overrides": {},
                                   "config": str(tmp_path / "base.yaml")}
    assert entries["aer"]["conditions"]["shots"] == 128  # from the spec's base config
    assert entries["aer"]["conditions"]["last_day"] < "2018-02-15"
    # a backtest with that config (any spelling of its path) and those conditions is placed;
    # one on the packaged config is not
    spread = load_spread(tmp_path / "sw")
    run = {**entries["aer"]["conditions"], "seed": 3, "config": str(tmp_path / "." / "base.yaml")}
    assert "seed 3 is one of them" in placement(run, 0.0, spread)
    other = placement({**run, "config": None}, 0.0, spread)
    assert f"config None (sweep '{tmp_path / 'base.yaml'}')" in other
