"""The README's Python example runs as written (in a temporary directory)."""

import math
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no python example"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    assert namespace["decision"].action in {"sell", "hold", "buy", "hedge"}
    assert (tmp_path / "state.json").exists()


def test_readme_trading_system_example_runs(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(blocks[1], "README.md", "exec"), namespace)
    system = namespace["system"]
    assert system.settled == 60 - 51  # 10 decisions after the warm-up, the last one still open
    assert namespace["decision"].backend == "aer"
    assert system.health_check()["cache"]["misses"] >= 1
    assert capsys.readouterr().out.count("\n") >= 10


def test_readme_has_exactly_two_setup_commands():
    bash = re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S)
    assert len(bash) == 2
    assert all(b.strip().startswith("python3 -m venv .venv") for b in bash)
    ci = (README.parent / ".ci" / "run").read_text()
    assert "python -m pytest -q" in bash[1] and ".venv/bin/python -m pytest -q" in ci


def test_readme_own_expert_example_runs(tmp_path, monkeypatch):
    """"Writing your own expert": the momentum expert, fragment = twin to 1e-9 (asserted in the
    block), decided end to end on the exact twin and on Aer with five experts, saved and loaded."""
    section = README.read_text().split("## Writing your own expert", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    decisions = namespace["decisions"]
    assert {d.backend for d in decisions.values()} == {"exact", "aer"}
    momentum = namespace["momentum"]
    for d in decisions.values():
        assert set(d.expert_positions) == {"lmsr", "prospect", "hedge", "abstain", "momentum"}
        assert d.components["momentum"]["exact_read_probability"] == momentum.twin(namespace["p_up"])[1]
        assert d.circuit is None or d.circuit.plan["memory"] == 3
    # the exact read probability is the tanh rule computed here from the returns
    r = float(namespace["returns"][-20:].sum())
    assert decisions["exact"].components["momentum"]["read_probability"] == pytest.approx(
        (1 + math.tanh(r / 0.05)) / 2, rel=1e-12)
    # Aer samples the read qubit: within 5 standard errors of the exact value at 2048 shots
    p = decisions["exact"].components["momentum"]["read_probability"]
    assert abs(decisions["aer"].components["momentum"]["read_probability"] - p) < 5 * (p * (1 - p) / 2048) ** 0.5
    assert namespace["qar"].experts.names[-1] == "momentum"
    assert (tmp_path / "state.json").exists()
