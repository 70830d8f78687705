"""Property-based tests of the ``qar`` command line (issue #7).

In process, through the console entry point's error handling (``qar_qiskit.cli._errors.run``,
what ``qar_qiskit.cli:main`` runs): random argument lists and random option values and input
files for each command either succeed or end with a non-zero exit code and exactly one
``error: ...`` line on stderr, never a traceback. A rejected state file is left byte-identical.
A few cases run the installed ``qar`` script in a subprocess.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import event
from hypothesis import strategies as st

from qar_qiskit.data.loader import MIN_ROWS
from tests.data.test_loader_properties import any_content as any_csv_content
from tests.properties import assert_cli_error, cli_outcome_ok, json_values, qar_script, run_cli, variants
from tests.system.test_persistence_properties import damaged_bytes, saved_state
from tests.test_config_properties import DUMPER, valid_configs, yaml_text
from tests.test_tick_properties import valid_ticks

FAKE_SERVICE = "tests.backends.fake_service:make_service"
ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def sandbox():
    """A fresh working folder and job store, and the fake IBM service (nothing leaves the sandbox)."""
    old = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            yield Path(tmp), {"QAR_JOB_STORE": str(Path(tmp) / "jobs.json"),
                              "QAR_IBM_SERVICE_FACTORY": FAKE_SERVICE, "FAKE_IBM_JOBS": tmp}
        finally:
            os.chdir(old)


def _write(path: Path, content) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content, default=str), encoding="utf-8")
    return path


# -- random argument lists ----------------------------------------------------------------------

COMMANDS = ["decide", "circuits", "draw", "status", "result", "check-not-a-command", "help"]
OPTIONS = ["--tick", "--backend", "-b", "--shots", "--seed", "--state", "--json", "--help", "--config",
           "-c", "--store", "--wait", "--out", "-o", "--data", "--csv", "--start", "--end", "--mode",
           "--optimization-level", "--", "-", "--no-progress", "--profile"]
token = st.one_of(st.sampled_from(COMMANDS + OPTIONS), st.text(max_size=8),
                  st.integers(-5, 10**6).map(str), st.sampled_from(["market", "bell_phi_plus", "nan", "-1", "0"]))


def check_random_arguments(args):
    with sandbox() as (tmp, env):
        cli_outcome_ok(*run_cli(args, env))


test_random_arguments, test_random_arguments_slow = variants(
    check_random_arguments,
    st.lists(token, max_size=6).filter(lambda a: not a or a[0] not in ("backtest", "backends", "check",
                                                                        "submit", "circuits"))
    | st.lists(token, max_size=4).map(lambda a: ["circuits", "draw", *a]).filter(lambda a: "export" not in a))


# -- qar decide: tick file, options, config and state -------------------------------------------

valid_tick_dicts = valid_ticks()
good_tick_files = st.one_of(
    valid_tick_dicts.map(lambda d: json.dumps(d, default=str)),
    valid_tick_dicts.map(lambda d: yaml.safe_dump({k: (v.isoformat() if isinstance(v, datetime) else v)
                                                   for k, v in d.items()})))
bad_tick_files = st.one_of(json_values.map(json.dumps), st.binary(max_size=64), yaml_text)
bad_backends = st.one_of(st.sampled_from(["bogus", "", "aer-noisy:", "ibm:", "ibm:nope", "aer-noisy:FakeNothing",
                                          "EXACT", " exact"]),
                         st.text(max_size=6).filter(lambda t: not t.strip().lower().startswith(("aer", "ibm"))))
good_numbers = st.one_of(st.none(), st.integers(0, 4096).map(str))
bad_numbers = st.one_of(st.integers(-3, 10**7).map(str), st.integers(-10**20, 10**20).map(str),
                        st.sampled_from([str(2**63), str(-2**63), "1e308", "5e-324", "-1e20"]),
                        st.text(max_size=5), st.sampled_from(["1e3", "0x10", "-1"]))
numbers = st.one_of(good_numbers, bad_numbers)
# the parts of a decide call; each case spoils none, one or (chaos) any number of them
PARTS = ("tick", "path", "backend", "shots", "seed", "config", "state")


@st.composite
def decide_cases(draw):
    mode = draw(st.sampled_from(["good", "one", "one", "chaos"]))
    spoilt = {draw(st.sampled_from(PARTS))} if mode == "one" else set(PARTS) if mode == "chaos" else set()

    def pick(part, good, bad):
        return draw(st.one_of(good, bad) if part in spoilt else good)

    state = pick("state", st.sampled_from(["none", "missing", "good"]), st.sampled_from(["damaged", "garbage"]))
    config = pick("config", st.sampled_from(["none", "valid"]), st.just("garbage"))
    return {
        "tick": pick("tick", good_tick_files, bad_tick_files),
        "tick_path": pick("path", st.sampled_from(["tick.json", "tick.yaml"]), st.sampled_from(["missing.json", "."])),
        "options": {"--backend": pick("backend", st.just("exact"), bad_backends),
                    "--shots": pick("shots", good_numbers.filter(lambda v: v != "0"), bad_numbers),
                    "--seed": pick("seed", good_numbers, bad_numbers)},
        "json": draw(st.booleans()), "state": state,
        "state_bytes": draw(damaged_bytes()) if state == "damaged" else draw(st.binary(max_size=40)),
        "config": config,
        # the decision must run on the exact twin: a valid config's own backend is overridden by --backend,
        # except in chaos mode where --backend may be bad (then the config is not reached)
        "config_text": yaml.dump(draw(valid_configs())[0], Dumper=DUMPER) if config == "valid" else draw(yaml_text),
    }


def check_decide(case):
    with sandbox() as (tmp, env):
        tick_path = tmp / case["tick_path"]
        if case["tick_path"] != "missing.json" and not tick_path.is_dir():
            _write(tick_path, case["tick"])
        args = []
        if case["config"] != "none":
            args += ["--config", str(_write(tmp / "config.yaml", case["config_text"]))]
        args += ["decide", "--tick", str(tick_path)]
        for opt, value in case["options"].items():
            if value is not None:
                args += [opt, value]
        if case["json"]:
            args.append("--json")
        state, before = tmp / "state.json", None
        if case["state"] != "none":
            args += ["--state", str(state)]
            if case["state"] != "missing":
                before = {"good": saved_state()[0], "damaged": case["state_bytes"],
                          "garbage": case["state_bytes"]}[case["state"]]
                state.write_bytes(before)
        code, out, err = run_cli(args, env)
        event(f"exit {code}: {err.replace(str(tmp), 'TMP')[:40]}")  # --hypothesis-show-statistics
        if cli_outcome_ok(code, out, err):
            if case["json"]:
                assert json.loads(out)["action"] in ("sell", "hold", "buy", "hedge")
            else:
                assert out.startswith("decision ")
        elif before is not None:
            assert state.read_bytes() == before  # a rejected or unused state file is left as it was


test_decide, test_decide_slow = variants(check_decide, decide_cases())


# -- qar backtest: CSV files and dates ------------------------------------------------------------

dates = st.one_of(st.none(), st.dates().map(str), st.text(max_size=10), st.sampled_from(["2021-02-30", "2021-13-01"]))


def check_backtest(content, start, end, shots, data):
    with sandbox() as (tmp, env):
        csv = _write(tmp / "prices.csv", content)
        args = ["backtest", "--csv", str(csv), "--backend", "exact", "--out", str(tmp / "report"), "--no-progress"]
        for opt, value in (("--start", start), ("--end", end), ("--shots", shots), ("--data", data)):
            if value is not None:
                args += [opt, value]
        cli_outcome_ok(*run_cli(args, env))


test_backtest, test_backtest_slow = variants(
    check_backtest, any_csv_content(), dates, dates, numbers,
    st.one_of(st.none(), st.sampled_from(["sp500", "vix", "bogus"])),
    slow_examples=1_000)  # a valid file runs a whole backtest (~1 s); the other CLI properties take 10,000


# -- qar status / result: job ids and job store files ------------------------------------------------

def check_jobs(command, job_id, store_content, wait, as_json):
    with sandbox() as (tmp, env):
        store = _write(tmp / "store.json", store_content)
        before = store.read_bytes()
        args = [command, job_id, "--store", str(store)]
        if command == "result" and wait is not None:
            args += ["--wait", wait]
        if as_json:
            args.append("--json")
        code, out, err = run_cli(args, env)
        if not cli_outcome_ok(code, out, err):
            assert store.read_bytes() == before  # a failed query writes nothing


# Well-formed stores, and damage that JobStore handles today. Malformed records and a non-integer
# version are not handled yet: see tests/backends/test_jobstore_damage.py (xfail, with the location).
records = st.fixed_dictionaries({"job_id": st.sampled_from(["j1", "j2"]), "status": st.sampled_from(
    ["QUEUED", "DONE", "ERROR", "CANCELLED", "RUNNING", "weird"]), "backend": st.text(max_size=5),
    "submitted_at": st.text(max_size=5)},
    optional={"local": st.booleans(), "registers": json_values, "rows": json_values, "error": st.text(max_size=5),
              "shots": json_values})
store_contents = st.one_of(
    st.binary(max_size=40), json_values.filter(lambda v: not isinstance(v, dict)).map(json.dumps),
    st.builds(lambda recs, v: json.dumps({"version": v, "jobs": {r["job_id"]: r for r in recs}}),
              st.lists(records, max_size=2), st.integers(-1, 3)),
    st.builds(lambda recs, cut: json.dumps({"jobs": {r["job_id"]: r for r in recs}})[:cut],
              st.lists(records, min_size=1, max_size=2), st.integers(0, 40)))

test_jobs, test_jobs_slow = variants(
    check_jobs, st.sampled_from(["status", "result"]), st.one_of(st.sampled_from(["j1", "j2"]), st.text(max_size=6)),
    store_contents, st.one_of(st.none(), st.sampled_from(["0", "0.01", "-1", "nan", "x"])), st.booleans())


# -- the installed console script, in a subprocess -------------------------------------------------

def _script(*args, cwd, env_extra=None):
    script = qar_script()
    if script is None:
        pytest.skip("the qar console script is not installed next to this interpreter")
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env_extra or {})}
    return subprocess.run([script, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_console_script_bad_inputs_are_one_line(tmp_path):
    """Usage errors, bad files and a damaged state file: one line, exit 2, nothing changed."""
    tick = _write(tmp_path / "tick.json", {"price": 100.0, "volatility": 0.2})
    binary = _write(tmp_path / "tick.bin", b"\xff\xfe\x00garbage")
    state = tmp_path / "state.json"
    damaged = saved_state()[0][:-40]
    state.write_bytes(damaged)
    env = {"QAR_JOB_STORE": str(tmp_path / "jobs.json")}
    cases = [
        (["decide", "--tick", str(tick), "--shots", "many"], ["--shots", "qar decide --help"]),
        (["frobnicate"], ["No such command"]),
        (["decide", "--tick", str(tmp_path / "missing.json")], ["missing.json"]),
        (["decide", "--tick", str(binary), "--backend", "exact"], ["UTF-8"]),
        (["decide", "--tick", str(tick), "--backend", "exact", "--state", str(state)], [str(state), "damaged"]),
        (["status", "nope"], ["unknown job id 'nope'"]),
    ]
    for args, fragments in cases:
        out = _script(*args, cwd=tmp_path, env_extra=env)
        assert out.returncode == 2, (args, out.stderr)
        assert_cli_error(out.returncode, out.stdout, out.stderr, *fragments)
    assert state.read_bytes() == damaged


def test_console_script_no_arguments_prints_help(tmp_path):
    out = _script(cwd=tmp_path)
    assert out.returncode == 2 and "Usage" in out.stdout and "Traceback" not in out.stderr


# found by test_decide: unconstructible YAML (a traceback), deep nesting and non-UTF-8 tick files
@pytest.mark.parametrize("content", ["x: 2020-02-30", "[" * 5000, b"\xff\xfe price: 1"], ids=["date", "deep", "binary"])
def test_unreadable_tick_file_is_one_line_naming_it(tmp_path, content):
    tick = _write(tmp_path / "tick.yaml", content)
    code, out, err = run_cli(["decide", "--tick", str(tick), "--backend", "exact"],
                             {"QAR_JOB_STORE": str(tmp_path / "jobs.json")})
    assert_cli_error(code, out, err, str(tick))


# found by test_backtest: a file that loads (>= MIN_ROWS = 30 rows) but has no more days than the
# feature warm-up (50) indexed past the end of the data (a traceback) instead of a one-line error.
def test_backtest_shorter_than_the_warmup_is_one_line(tmp_path):
    path = tmp_path / "short.csv"
    # with a volume column the warm-up is the 50-day volume window: more than the file's 30 rows
    path.write_text("date,close,volume\n"
                    + "".join(f"2021-01-{d:02d},{100 + d},1000\n" for d in range(1, MIN_ROWS + 1)))
    code, out, err = run_cli(["backtest", "--csv", str(path), "--backend", "exact", "--out", str(tmp_path / "o")],
                             {"QAR_JOB_STORE": str(tmp_path / "jobs.json")})
    assert_cli_error(code, out, err, str(path), "warm-up")
