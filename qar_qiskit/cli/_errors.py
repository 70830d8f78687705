"""Expected errors end the CLI with one line and exit code 2, never a traceback.

An exception raised inside an expert's own code (:class:`~qar_qiskit.errors.ExpertError`, naming
the expert and the method) is one line too. With the global ``--debug`` option the full
traceback (with the chained original exception) is printed instead of the line, for these
errors and for any other.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn, Optional

import typer

from qar_qiskit.errors import ExpertError, QARError

try:  # typer >= 0.20 vendors click as typer._click
    from typer._click import exceptions as _click_exc
except ImportError:  # pragma: no cover - older typer on top of click
    from click import exceptions as _click_exc


def one_line(message: str) -> str:
    """``message`` on one line: line breaks become spaces, other control characters are escaped.

    Messages quote user input (a YAML key, a CSV header, a file name), which may hold line
    breaks or terminal escape sequences; the CLI prints exactly one line per error.
    """
    text = " ".join(part.strip() for part in str(message).splitlines() if part.strip())
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


_DEBUG = {"on": False}


def set_debug(on: bool) -> None:
    """Print tracebacks instead of one-line errors (the root ``--debug`` option sets it)."""
    _DEBUG["on"] = bool(on)


def _fail(message: str, code: int = 2, trace: bool = True) -> NoReturn:
    if trace and _DEBUG["on"] and sys.exc_info()[0] is not None:
        traceback.print_exc(file=sys.stderr)
    else:
        typer.echo(f"error: {one_line(message)}", err=True)
    sys.exit(code)


def _show_help_error(exc) -> None:
    """What Typer's standalone mode prints for ``no_args_is_help`` (the help, not an error)."""
    try:
        from typer import rich_utils

        rich_utils.rich_format_error(exc)
    except ImportError:  # pragma: no cover - Typer without rich
        exc.show()


def run(app: typer.Typer, args: Optional[Sequence[str]] = None) -> None:
    """Run ``app`` (on ``args``, default ``sys.argv[1:]``); every expected error is one line.

    Typer runs in non-standalone mode so that usage errors (unknown option, bad value) are
    printed here as ``error: ...`` with a pointer to ``--help`` instead of a multi-line box.
    A :class:`QARError`, an :class:`ExpertError`, a pydantic ``ValidationError``, an ``OSError``
    (missing or unreadable file), a file that is not UTF-8 text and input nested too deeply end
    with exit code 2; with ``--debug`` each prints its traceback instead of the line (usage
    errors stay one line), and so does any other exception.
    """
    from pydantic import ValidationError

    set_debug(False)  # the root callback turns it on for this run
    try:
        rv = app(args=list(args) if args is not None else None, standalone_mode=False)
    except (QARError, ExpertError) as exc:
        _fail(str(exc))
    except ValidationError as exc:
        _fail(str(QARError.from_validation(exc)))
    except _click_exc.UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            _show_help_error(exc)
            sys.exit(exc.exit_code)
        hint = ""
        ctx = getattr(exc, "ctx", None)
        if ctx is not None and ctx.command.get_help_option(ctx) is not None:
            hint = f" (see '{ctx.command_path} {ctx.help_option_names[0]}')"
        _fail(exc.format_message() + hint, exc.exit_code, trace=False)
    except _click_exc.ClickException as exc:
        _fail(exc.format_message(), exc.exit_code, trace=False)
    except typer.Abort:
        _fail("aborted", 1, trace=False)
    except UnicodeDecodeError as exc:
        _fail(f"input is not UTF-8 text ({exc.reason} at byte {exc.start})")
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename is not None else ""
        _fail(f"{exc.strerror or type(exc).__name__}{where}")
    except RecursionError:
        _fail("input is nested too deeply")
    except Exception:
        if not _DEBUG["on"]:
            raise  # an unexpected error: Python's traceback, as before
        _fail("unexpected error")
    if isinstance(rv, int) and not isinstance(rv, bool) and rv:
        sys.exit(rv)  # typer.Exit(code) in non-standalone mode returns the code
