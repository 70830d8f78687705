"""The IBM token never leaves the environment variable (issue #7, part 3).

A random token ``qar-test-token-<hex>`` is planted in ``QISKIT_IBM_TOKEN``. The whole IBM path
runs in qiskit-ibm-runtime's local testing mode behind the fake service (tests/backends/
fake_service.py): ``qar submit`` of a market tick, ``qar status``, ``qar result`` (text and
JSON), a job fetched by id as from hardware, ``qar decide`` on an IBM backend with a state file
(plain and gzip), ``qar backends``, and the issue #13 paths: ``qar submit --dry-run`` (also on
``ibm:least-busy``), a tagged submission, ``qar result --tag`` / ``qar status`` of a job known
only to IBM (not in the store); then failing authentication, both the fake service
quoting the token in its error and the real ``QiskitRuntimeService`` refusing it offline.

The token must not appear in any file written (job store, lock, state files, anything under
``$HOME`` and ``$TMPDIR``), on stdout or stderr, in any log record (DEBUG and up, including
qiskit-ibm-runtime's), or in any exception text, chained exception or traceback frame local.
Each flow runs in process (caplog sees the log records) and through the installed ``qar``.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import secrets
import subprocess
import tempfile
import traceback
from pathlib import Path

import pytest

from qar_qiskit.errors import BackendError
from tests.properties import assert_cli_error, qar_script, run_cli

FACTORY = "tests.backends.fake_service:make_service"
ROOT = Path(__file__).resolve().parents[2]
TICK = {"price": 4500.0, "volatility": 0.14, "trend_clarity": 0.8, "volume_normalized": 1.0}
REMOTE_COUNTS = [{"market": {"0000": 50, "0011": 14}, "decision": {"01000": 64}}]


@pytest.fixture
def token(monkeypatch, tmp_path):
    """A fresh planted token, and a sandbox: $HOME, $TMPDIR and the job store under tmp_path."""
    value = f"qar-test-token-{secrets.token_hex(12)}"
    for name in ("home", "tmpdir", "jobs"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("QISKIT_IBM_TOKEN", value)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmpdir"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmpdir"))
    monkeypatch.setenv("QAR_JOB_STORE", str(tmp_path / "jobs.json"))
    monkeypatch.setenv("QAR_IBM_SERVICE_FACTORY", FACTORY)
    monkeypatch.setenv("FAKE_IBM_JOBS", str(tmp_path / "jobs"))
    monkeypatch.setenv("QISKIT_IBM_RUNTIME_LOG_LEVEL", "DEBUG")
    monkeypatch.delenv("FAKE_IBM_AUTH_FAIL", raising=False)
    return value


def _files_with(root: Path, secret: str) -> list[str]:
    """Every file under ``root`` whose bytes (or gunzipped bytes) contain ``secret``."""
    needle = secret.encode()
    hits = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError):
                pass
        if needle in raw:
            hits.append(str(path))
    return hits


def _exception_texts(exc: BaseException) -> str:
    """Message, repr, formatted traceback and string frame locals of ``exc`` and its chain."""
    parts, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        parts += [str(exc), repr(exc), *map(repr, exc.args), "".join(traceback.format_exception(exc))]
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename != __file__:  # this test's own frames hold the token
                parts += [v for v in tb.tb_frame.f_locals.values() if isinstance(v, str)]
            tb = tb.tb_next
        exc = exc.__cause__ or exc.__context__
    return "\n".join(parts)


def _remote_job(tmp_path: Path, store: Path, job_id: str) -> None:
    """A job that looks submitted to hardware earlier: a store record plus the fake service's spec."""
    (tmp_path / "jobs" / f"{job_id}.json").write_text(json.dumps({"status": "DONE", "counts": REMOTE_COUNTS}))
    data = json.loads(store.read_text()) if store.exists() else {"version": 1, "jobs": {}}
    data["jobs"][job_id] = {"job_id": job_id, "backend": "ibm:fake_torino", "plan": None,
                            "parameter_values": [[0.0]], "shots": 64, "registers": ["market", "decision"],
                            "rows": 1, "submitted_at": "2026-01-01T00:00:00+00:00", "status": "QUEUED",
                            "local": False, "sampler": "client-side"}
    store.write_text(json.dumps(data))


def test_token_never_leaks_in_process(token, tmp_path, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    for name in ("qiskit_ibm_runtime", "qar_qiskit", "qiskit"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    tick = tmp_path / "tick.json"
    tick.write_text(json.dumps(TICK))
    store = tmp_path / "jobs.json"
    outputs = []

    def qar(*args, ok=True):
        code, out, err = run_cli(list(args))
        outputs.append(out + err)
        if ok:
            assert code == 0, (args, err)
        else:
            assert_cli_error(code, out, err)
        return out

    # the full path: submit a market tick, status, result, a job fetched by id, decide with state
    job_id = qar("submit", "--tick", str(tick), "--backend", "ibm:aer_mps", "--shots", "256").split()[0]
    assert "DONE" in qar("status", job_id)
    assert json.loads(qar("result", job_id, "--json"))["results"][0]["shots"] == 256
    qar("result", job_id)
    _remote_job(tmp_path, store, "hw-job-1")
    assert "DONE" in qar("status", "hw-job-1")
    assert "decision" in qar("result", "hw-job-1")
    for state in ("state.json", "state.json.gz"):
        assert qar("decide", "--tick", str(tick), "--backend", "ibm:aer_mps", "--shots", "128",
                   "--state", str(tmp_path / state)).startswith("decision ")
    qar("backends")
    assert len(json.loads(store.read_text())["jobs"]) == 2
    # issue #13: dry runs (nothing stored), a tagged job, jobs found on IBM by tag or id only
    report = json.loads(qar("submit", "--tick", str(tick), "--backend", "ibm:least-busy", "--dry-run", "--json",
                            "--layout-trials", "1"))
    assert report["backend"] == "ibm:fake_fez" and report["isa"]["esp"] > 0
    assert "nothing was sent" in qar("submit", "--tick", str(tick), "--backend", "ibm:aer_mps", "--dry-run")
    tagged = qar("submit", "--tick", str(tick), "--backend", "ibm:aer_mps", "--shots", "64",
                 "--tag", "exp-1").split()[0]
    assert "exp-1" in json.loads(store.read_text())["jobs"][tagged]["tags"]
    (tmp_path / "jobs" / "hw-tag.json").write_text(json.dumps(
        {"status": "DONE", "counts": REMOTE_COUNTS, "tags": ["qar", "exp-2"], "usage": 1.5}))
    (tmp_path / "jobs" / "hw-id.json").write_text(json.dumps({"status": "DONE", "counts": REMOTE_COUNTS}))
    assert json.loads(qar("result", "--tag", "exp-2", "--json"))["usage_s"] == 1.5
    assert "DONE" in qar("status", "hw-id")
    assert len(json.loads(store.read_text())["jobs"]) == 5

    # failing authentication: the fake service quotes the token in its error ...
    monkeypatch.setenv("FAKE_IBM_AUTH_FAIL", "1")
    qar("submit", "--tick", str(tick), "--backend", "ibm:aer_mps", ok=False)
    _remote_job(tmp_path, store, "hw-job-2")
    qar("status", "hw-job-2", ok=False)
    qar("result", "hw-job-2", ok=False)
    qar("result", "--tag", "exp-2", ok=False)
    qar("result", "hw-unknown", ok=False)
    qar("submit", "--tick", str(tick), "--backend", "ibm:least-busy", "--dry-run", ok=False)
    from qar_qiskit.backends import make_executor

    with pytest.raises(BackendError) as auth:
        make_executor("ibm:aer_mps")
    assert "authentication failed" in str(auth.value)
    assert auth.value.__cause__ is None and auth.value.__context__ is None
    exception_text = _exception_texts(auth.value)
    monkeypatch.delenv("FAKE_IBM_AUTH_FAIL")
    # ... and the real QiskitRuntimeService refuses the token (offline here)
    monkeypatch.delenv("QAR_IBM_SERVICE_FACTORY")
    from qar_qiskit.backends.ibm import get_service

    with pytest.raises(BackendError) as real:
        get_service()
    exception_text += _exception_texts(real.value)
    code, out, err = run_cli(["submit", "--tick", str(tick), "--backend", "ibm:ibm_fez"])
    outputs.append(out + err)
    assert code == 2 and err.splitlines()[-1].startswith("error: ") and "authentication failed" in err

    assert token not in "\n".join(outputs), "token on stdout/stderr"
    assert token not in caplog.text, "token in a log record"
    assert all(token not in str(r.args) and token not in r.getMessage() for r in caplog.records)
    assert token not in exception_text, "token in an exception"
    assert _files_with(tmp_path, token) == [], "token in a file"
    assert caplog.records, "no log records were captured: the check would be vacuous"


def test_token_never_leaks_through_the_console_script(token, tmp_path):
    script = qar_script()
    if script is None:
        pytest.skip("the qar console script is not installed next to this interpreter")
    tick = tmp_path / "tick.json"
    tick.write_text(json.dumps(TICK))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    outputs = []

    def qar(*args, ok=True, **extra):
        out = subprocess.run([script, *args], cwd=tmp_path, env={**env, **extra}, capture_output=True,
                             text=True, timeout=120)
        outputs.append(out.stdout + out.stderr)
        if ok:
            assert out.returncode == 0, (args, out.stderr)
        else:
            assert_cli_error(out.returncode, out.stdout, out.stderr)
        return out.stdout

    job_id = qar("submit", "--tick", str(tick), "--backend", "ibm:aer_mps", "--shots", "128").split()[0]
    assert "DONE" in qar("status", job_id)
    assert json.loads(qar("result", job_id, "--json"))["results"]
    assert "nothing was sent" in qar("submit", "--tick", str(tick), "--backend", "ibm:aer_mps", "--dry-run")
    qar("submit", "--tick", str(tick), "--backend", "ibm:aer_mps", ok=False, FAKE_IBM_AUTH_FAIL="1")
    qar("result", "--tag", "qar", ok=False, FAKE_IBM_AUTH_FAIL="1")
    real = {k: v for k, v in env.items() if k != "QAR_IBM_SERVICE_FACTORY"}
    out = subprocess.run([script, "submit", "--tick", str(tick), "--backend", "ibm:ibm_fez"], cwd=tmp_path,
                         env=real, capture_output=True, text=True, timeout=120)
    outputs.append(out.stdout + out.stderr)
    # qiskit-ibm-runtime logs a warning line of its own before the error line
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert out.stderr.splitlines()[-1].startswith("error: ") and "authentication failed" in out.stderr

    assert token not in "\n".join(outputs)
    assert _files_with(tmp_path, token) == []
