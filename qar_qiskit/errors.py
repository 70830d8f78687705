"""The package's exception hierarchy. Every expected failure is a :class:`QARError`."""

from __future__ import annotations


class QARError(Exception):
    """Base class: an expected error with a message that names the problem."""

    @staticmethod
    def from_validation(exc) -> ConfigError:
        """Summarise a pydantic ``ValidationError`` as one line naming each bad field."""
        parts = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err.get("loc", ()))
            msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            parts.append(f"{loc}: {msg}" if loc else msg)
        return ConfigError("; ".join(parts))


class ConfigError(QARError, ValueError):
    """A config file or value is invalid (message names the field)."""


class InputError(QARError, ValueError):
    """A market tick, CSV row or CLI argument is invalid (message names field/row/column)."""


class ResourceError(QARError, RuntimeError):
    """The qubit pool cannot satisfy an allocation (message says requested vs free)."""


class BackendError(QARError, RuntimeError):
    """A backend is unknown, unreachable, refused the job, or returned malformed data."""


class JobError(QARError, RuntimeError):
    """An IBM job is unknown, failed, was cancelled or timed out."""


class StateError(QARError, ValueError):
    """A saved state file is damaged, truncated, or from a newer schema version."""


class ExpertError(RuntimeError):
    """A plug-in expert's own method raised (message: ``expert 'name' failed in method: Type: ...``).

    Deliberately not a :class:`QARError`: a bug in an expert is not a backend failure, so the
    resilient executor neither retries it nor falls back to the exact twin, and the CLI still
    prints it as one line (``qar --debug`` shows the traceback). The original exception is its
    ``__cause__``.

    Attributes:
        expert: the expert's name.
        method: the contract method that raised (``inputs``, ``parameter_values``, ...).
    """

    def __init__(self, expert: str, method: str, exc: BaseException) -> None:
        self.expert, self.method = expert, method
        super().__init__(f"expert {expert!r} failed in {method}: {type(exc).__name__}: {exc}")
