"""A damaged job store is a StateError naming the store file, never a bare exception.

Found by the CLI property tests (tests/cli/test_cli_properties.py::test_jobs), which keep to the
damage first handled; the second set (bad version, binary, malformed records or results, deep
nesting) was found by those tests and is handled by ``JobStore._read`` now.
"""

from __future__ import annotations

import json

import pytest

from qar_qiskit.backends.jobs import JobStore, job_result, job_status
from qar_qiskit.errors import StateError
from tests.properties import assert_cli_error, raises_named, run_cli

FACTORY = "tests.backends.fake_service:make_service"

HANDLED = {
    "not-json": "{not json",
    "truncated": json.dumps({"version": 1, "jobs": {"j1": {"job_id": "j1", "status": "DONE"}}})[:20],
    "list": "[1, 2]",
    "jobs-not-a-mapping": json.dumps({"jobs": [1]}),
    "newer-version": json.dumps({"version": 9, "jobs": {}}),
}
MALFORMED = {
    "version-text": json.dumps({"version": "", "jobs": {}}),
    "version-list": json.dumps({"version": [1], "jobs": {}}),
    "binary": b"\xff\xfe\x00",
    "record-not-a-mapping": json.dumps({"jobs": {"j1": 5}}),
    "record-without-status": json.dumps({"jobs": {"j1": {"job_id": "j1"}}}),
    "status-not-text": json.dumps({"jobs": {"j1": {"job_id": "j1", "status": [1]}}}),
    "results-malformed": json.dumps({"jobs": {"j1": {"job_id": "j1", "status": "DONE", "results": [1]}}}),
    "nested-too-deeply": "[" * 5000,
}


def _check(tmp_path, monkeypatch, content):
    monkeypatch.setenv("QAR_IBM_SERVICE_FACTORY", FACTORY)
    path = tmp_path / "jobs.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = path.read_bytes()
    for query in (job_status, job_result):
        raises_named(lambda q=query: q("j1", store=JobStore(path)), str(path), kind=StateError)
    assert path.read_bytes() == before


def _check_cli(tmp_path, content):
    """``qar status`` and ``qar result`` on the damaged store: one line naming the store."""
    path = tmp_path / "cli-jobs.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    for command in ("status", "result"):
        code, out, err = run_cli([command, "j1", "--store", str(path)], {"QAR_IBM_SERVICE_FACTORY": FACTORY})
        assert_cli_error(code, out, err, str(path))


@pytest.mark.parametrize("name", sorted(HANDLED))
def test_damaged_store_is_a_state_error(tmp_path, monkeypatch, name):
    _check(tmp_path, monkeypatch, HANDLED[name])
    _check_cli(tmp_path, HANDLED[name])


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_store_is_a_state_error(tmp_path, monkeypatch, name):
    _check(tmp_path, monkeypatch, MALFORMED[name])
    _check_cli(tmp_path, MALFORMED[name])


def test_finished_record_without_backend_still_shows_its_status(tmp_path):
    """A record with only ``job_id`` and ``status`` (older stores) prints its status, no traceback."""
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps({"jobs": {"j1": {"job_id": "j1", "status": "DONE"}}}))
    code, out, err = run_cli(["status", "j1", "--store", str(path)], {"QAR_IBM_SERVICE_FACTORY": FACTORY})
    assert code == 0 and "j1" in out and "DONE" in out and "Traceback" not in err, (code, out, err)
