"""IBM Runtime service access and credentials (shared by :mod:`.ibm`, :mod:`.jobstore` and :mod:`.jobs`).

Credentials: the token comes only from the environment variable ``QISKIT_IBM_TOKEN`` or from a
saved account (``QiskitRuntimeService.save_account``); never from a config file, never logged.
Every error raised here passes through :func:`redact`, and authentication failures are
re-raised outside the ``except`` block so no chained exception can carry the token either.
"""

from __future__ import annotations

import importlib
import os
from typing import Any, Callable

from qar_qiskit.errors import BackendError

__all__ = ["redact", "get_service", "has_ibm_credentials", "default_service_factory", "TOKEN_ENV",
           "SERVICE_FACTORY_ENV", "CHANNEL"]

TOKEN_ENV = "QISKIT_IBM_TOKEN"
SERVICE_FACTORY_ENV = "QAR_IBM_SERVICE_FACTORY"
CHANNEL = "ibm_quantum_platform"


def redact(text: Any, *secrets: str | None) -> str:
    """``text`` with the IBM token (env var) and any given secrets replaced by ``***``."""
    out = str(text)
    for secret in (os.environ.get(TOKEN_ENV), *secrets):
        if secret and len(secret) >= 4:
            out = out.replace(secret, "***")
    return out


def _load_factory(path: str) -> Callable[..., Any]:
    module, _, attr = path.partition(":")
    try:
        return getattr(importlib.import_module(module), attr or "make_service")
    except (ImportError, AttributeError) as exc:
        raise BackendError(f"{SERVICE_FACTORY_ENV}={path!r} cannot be loaded: {type(exc).__name__}") from None


def default_service_factory(channel: str = CHANNEL, instance: str | None = None):
    """``QiskitRuntimeService`` from ``QISKIT_IBM_TOKEN`` or the saved account."""
    from qiskit_ibm_runtime import QiskitRuntimeService

    kwargs: dict[str, Any] = {"channel": channel}
    if instance:
        kwargs["instance"] = instance
    token = os.environ.get(TOKEN_ENV)
    if token:
        kwargs["token"] = token
    return QiskitRuntimeService(**kwargs)


def get_service(service=None, service_factory=None, *, channel: str = CHANNEL, instance: str | None = None):
    """Resolve the runtime service: explicit object, factory, env factory, or the real one.

    Authentication problems become a :class:`BackendError` whose text never holds the token.
    """
    if service is not None:
        return service
    if service_factory is None and os.environ.get(SERVICE_FACTORY_ENV):
        service_factory = _load_factory(os.environ[SERVICE_FACTORY_ENV])
    factory = service_factory or default_service_factory
    failure = None
    try:
        return factory(channel=channel, instance=instance)
    except BackendError:
        raise
    except Exception as exc:
        failure = f"{type(exc).__name__}: {redact(exc)}"
    # Raised outside the ``except`` block so the original exception (whose text or traceback
    # locals may hold the token) is neither ``__cause__`` nor ``__context__`` of ours.
    source = f"${TOKEN_ENV}" if os.environ.get(TOKEN_ENV) else "the saved account"
    raise BackendError(
        f"IBM Quantum authentication failed (channel {channel!r}, credentials from {source}): {failure}"
    )


def has_ibm_credentials() -> bool:
    """True when ``QISKIT_IBM_TOKEN`` is set or a saved account exists (nothing is printed)."""
    if os.environ.get(TOKEN_ENV) or os.environ.get(SERVICE_FACTORY_ENV):
        return True
    try:
        from qiskit_ibm_runtime import QiskitRuntimeService

        return bool(QiskitRuntimeService.saved_accounts())
    except Exception:
        return False
