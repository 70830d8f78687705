"""The README's Python example runs as written (in a temporary directory)."""

import re
from pathlib import Path

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
