"""Smoke test of benchmarks/bench_memory.py: a command's peak RSS read from its own getrusage."""

from __future__ import annotations

import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import bench_memory  # noqa: E402


def test_peak_rss_of_an_exact_decision(tmp_path):
    (tmp_path / "tick.json").write_text(json.dumps(bench_memory.TICK))
    row = bench_memory.peak_rss(["decide", "--tick", "tick.json", "--backend", "exact"], tmp_path)
    # an interpreter with Qiskit imported holds tens of MiB; the bounded settings keep it far below 4 GiB
    assert 50 < row["peak_rss_mib"] < 4096, row
    assert row["exit"] == 0 and row["command"] == "qar decide --tick tick.json --backend exact"
    md = bench_memory.markdown({"rows": [row]})
    assert "| `qar decide --tick tick.json --backend exact` |" in md
