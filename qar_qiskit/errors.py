"""The package's exception hierarchy. Every expected failure is a :class:`QARError`."""

from __future__ import annotations


class QARError(Exception):
    """Base class: an expected error with a message that names the problem."""

    @staticmethod
    def from_validation(exc) -> "ConfigError":
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
