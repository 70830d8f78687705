"""The README's Python example runs as written (in a temporary directory), and its two setup
commands are the ones CI runs."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) == 1, "the README has one Python example (the rest is in docs/)"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    assert namespace["decision"].action in {"sell", "hold", "buy", "hedge"}
    assert (tmp_path / "state.json").exists()


def test_readme_has_exactly_two_setup_commands():
    bash = re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S)
    assert len(bash) == 2
    assert all(b.strip().startswith("python3 -m venv .venv") for b in bash)
    assert bash[0].strip() == (
        "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/qar backtest --out reports/backtest-sp500")
    assert bash[1].strip() == (
        "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest -q")
    ci = (README.parent / ".ci" / "run").read_text()
    assert bash[1].strip() in ci, ".ci/run must run the README's test command exactly"
