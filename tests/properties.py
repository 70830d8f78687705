"""Shared pieces of the property-based tests (issue #7): Hypothesis profiles and checks.

Every property runs twice:

* in the default selection under the ``qar-ci`` profile, at :data:`CI_EXAMPLES` (500) inputs
  each (issue #17: every property at >= 500 examples in CI);
* as a ``slow``-marked twin named ``<test>_slow`` under the ``qar-slow`` profile, with at
  least :data:`SLOW_EXAMPLES` inputs per entry point. Run them with
  ``pytest -m slow --hypothesis-show-statistics tests`` (the default ``addopts`` deselect them).

``QAR_HYPOTHESIS_PROFILE=qar-slow`` (or any registered profile) changes the default profile;
``QAR_HYPOTHESIS_EXAMPLES=N`` the CI sample size.

Every test of a ``*properties*`` module runs with its address space capped at
:data:`MEMORY_CAP_BYTES` (tests/conftest.py), so an input that exhausts memory is a failing
example (a ``MemoryError``) rather than a runner killed by the kernel.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Callable, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qar_qiskit.errors import QARError

CI_EXAMPLES = int(os.environ.get("QAR_HYPOTHESIS_EXAMPLES", "500"))
SLOW_EXAMPLES = 10_000
#: ``QAR_SLOW_MAX_EXAMPLES=N`` caps every slow twin at N inputs (a reduced slow run, e.g. on a busy machine).
SLOW_CAP = int(os.environ.get("QAR_SLOW_MAX_EXAMPLES", "0")) or None
#: ``RLIMIT_AS`` of the property tests: 4 GiB. A test process with Qiskit, Aer and the suite
#: loaded maps ~1.5 GiB and ~2.0 GiB after an Aer decision (VmSize, measured 2026-12-03).
MEMORY_CAP_BYTES = int(os.environ.get("QAR_TEST_MEMORY_CAP", 4 << 30))

_SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
             HealthCheck.function_scoped_fixture]

settings.register_profile("qar-ci", max_examples=CI_EXAMPLES, deadline=None,
                          suppress_health_check=_SUPPRESS, print_blob=True)
settings.register_profile("qar-slow", max_examples=SLOW_EXAMPLES, deadline=None,
                          suppress_health_check=_SUPPRESS, print_blob=True)
settings.load_profile(os.environ.get("QAR_HYPOTHESIS_PROFILE", "qar-ci"))


def variants(prop: Callable, *strategies, ci_examples: int | None = None,
             slow_examples: int = SLOW_EXAMPLES, **kw_strategies):
    """``(test, test_slow)``: ``prop`` under ``@given(...)`` at the CI and the slow sample size.

    Assign both at module level: ``test_x, test_x_slow = variants(check_x, strategy)``.
    """
    ci = settings(settings.default, max_examples=ci_examples) if ci_examples else settings.default
    fast = ci(given(*strategies, **kw_strategies)(prop))
    slow_examples = min(slow_examples, SLOW_CAP) if SLOW_CAP else slow_examples
    slow = settings(settings.get_profile("qar-slow"), max_examples=slow_examples)(
        given(*strategies, **kw_strategies)(prop))
    return fast, pytest.mark.slow(slow)


def assert_names(exc: BaseException, *fragments: str, kind: type = QARError) -> str:
    """``exc`` is a project error (``kind``) whose message contains every fragment."""
    assert isinstance(exc, kind), f"{type(exc).__name__} is not a {kind.__name__}: {exc!r}"
    msg = str(exc)
    for fragment in fragments:
        assert fragment in msg, f"{fragment!r} not named in {msg!r}"
    assert exc.__cause__ is None or isinstance(exc.__cause__, QARError), repr(exc.__cause__)
    return msg


def raises_named(fn: Callable, *fragments: str, kind: type = QARError) -> str:
    """Call ``fn``; it must raise ``kind`` naming every fragment (any other exception fails)."""
    try:
        fn()
    except kind as exc:
        return assert_names(exc, *fragments, kind=kind)
    raise AssertionError(f"no {kind.__name__} raised (fragments {fragments})")


# -- values of every JSON/YAML type, for fields that must reject (or coerce) them ----------------

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-10**30, max_value=10**30),
    st.floats(), st.text(max_size=12),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


# -- the CLI in-process, through the console entry point's error handling -----------------------

def run_cli(args: Sequence[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run ``qar ARGS`` in this process as ``qar_qiskit.cli:main`` does; ``(code, stdout, stderr)``.

    Any exception that the entry point lets through propagates (a traceback in real life).
    """
    from qar_qiskit.cli import _errors, app

    out, err = io.StringIO(), io.StringIO()
    code: int | str | None = 0
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                _errors.run(app, list(args))
            except SystemExit as exc:
                code = exc.code
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if code is None:
        code = 0
    assert isinstance(code, int), f"exit code {code!r}"
    return code, out.getvalue(), err.getvalue()


def assert_cli_error(code: int, stdout: str, stderr: str, *fragments: str) -> str:
    """A failed run: non-zero exit, exactly one ``error: ...`` line on stderr, no traceback."""
    assert code != 0, (code, stdout, stderr)
    assert "Traceback" not in stdout + stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), repr(stderr)
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return lines[0]


def cli_outcome_ok(code: int, stdout: str, stderr: str) -> bool:
    """Either success, help (no arguments), or a one-line error; returns True on success."""
    assert "Traceback" not in stdout + stderr, stderr
    if code == 0:
        return True
    if not stderr and "Usage" in stdout:  # no_args_is_help: the help, exit 2
        return False
    assert_cli_error(code, stdout, stderr)
    return False


def qar_script() -> str | None:
    """The installed console script ``qar`` next to this interpreter (None if not installed)."""
    path = os.path.join(os.path.dirname(sys.executable), "qar")
    return path if os.path.exists(path) else None
