"""IBM Runtime service access and credentials (shared by :mod:`.ibm`, :mod:`.jobstore` and :mod:`.jobs`).

Credentials: the token comes only from the environment variable ``QISKIT_IBM_TOKEN`` or from a
saved account (``QiskitRuntimeService.save_account``); never from a config file, never logged.
Every error raised here passes through :func:`redact`, and authentication failures are
re-raised outside the ``except`` block so no chained exception can carry the token either.

Which service an ``ibm:NAME`` executor talks to (:func:`service_for_backend`), first match wins:

1. an explicit ``service=`` object or ``service_factory=`` callable (tests, notebooks);
2. the **service-factory hook**: the environment variable ``QAR_IBM_SERVICE_FACTORY`` set to
   ``"package.module:callable"``; the callable is called as ``factory(channel=..., instance=...)``
   and returns an object with the ``QiskitRuntimeService`` methods qar uses (``backend(name,
   use_fractional_gates=...)``, ``backends()``, ``least_busy(...)``, ``job(id)``,
   ``jobs(job_tags=...)``). It reaches new processes (``qar`` commands, sweep workers), e.g.
   ``QAR_IBM_SERVICE_FACTORY=qar_qiskit.backends.ibm_service:OfflineService`` serves the fake
   devices offline;
3. a fake device name (``ibm:fake_fez``, ``ibm:FakeFez``: a device of
   ``qiskit_ibm_runtime.fake_provider``): :class:`OfflineService`, no account needed; jobs run in
   local testing mode and ``qar submit --dry-run`` only compiles;
4. the real ``QiskitRuntimeService`` with ``QISKIT_IBM_TOKEN`` or the saved account. Without
   either, one :class:`BackendError` line says how to set credentials or use a fake device.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

from qar_qiskit.errors import BackendError

__all__ = ["redact", "get_service", "service_for_backend", "has_ibm_credentials", "default_service_factory",
           "OfflineService", "fake_device_class", "TOKEN_ENV", "SERVICE_FACTORY_ENV", "CHANNEL", "NO_CREDENTIALS"]

TOKEN_ENV = "QISKIT_IBM_TOKEN"
SERVICE_FACTORY_ENV = "QAR_IBM_SERVICE_FACTORY"
CHANNEL = "ibm_quantum_platform"
#: The one-line advice when an IBM device is asked for without credentials.
NO_CREDENTIALS = (f"no IBM Quantum credentials: set ${TOKEN_ENV} or save an account "
                  "(QiskitRuntimeService.save_account(channel='ibm_quantum_platform', token=...)), "
                  "or use a fake device offline (--backend ibm:fake_fez or aer-noisy:FakeFez)")


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


def fake_device_class(name: str):
    """The ``qiskit_ibm_runtime.fake_provider`` class of ``name`` (``FakeFez`` or ``fake_fez``), else ``None``."""
    import qiskit_ibm_runtime.fake_provider as fp
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    name = (name or "").strip()
    if not name.lower().startswith("fake"):
        return None
    for attr in dir(fp):
        cls = getattr(fp, attr)
        if (isinstance(cls, type) and issubclass(cls, FakeBackendV2) and cls is not FakeBackendV2
                and (attr == name or getattr(cls, "backend_name", None) == name)):
            return cls
    return None


class OfflineService:
    """A service of the fake devices of ``qiskit_ibm_runtime.fake_provider``; no account, no network.

    ``backend(name)`` accepts the class name (``FakeFez``) or the device name (``fake_fez``) and
    returns a new fake device: the client-side Sampler runs it in local testing mode. The fake
    devices have no fractional gates, so ``use_fractional_gates=True`` is refused (as the real
    service refuses it for a device without them). Usable as the service-factory hook:
    ``QAR_IBM_SERVICE_FACTORY=qar_qiskit.backends.ibm_service:OfflineService``.
    """

    is_local = True

    def __init__(self, channel: str = CHANNEL, instance: str | None = None):
        self.channel = channel
        self.instance = instance

    def backend(self, name: str, use_fractional_gates: bool = False):
        cls = fake_device_class(name)
        if cls is None:
            raise BackendError(f"unknown fake device {name!r}; use a qiskit_ibm_runtime.fake_provider device "
                               "such as fake_fez, fake_marrakesh, fake_kingston, fake_torino, fake_nighthawk")
        if use_fractional_gates:
            raise ValueError(f"fake device {name!r} has no fractional gates")
        return cls()

    def backends(self, **_: Any) -> list:
        return []

    def least_busy(self, **_: Any):
        raise BackendError("ibm:least-busy: the offline service has no queues; name a fake device (ibm:fake_fez)")

    def job(self, job_id: str):
        raise BackendError(f"job {job_id}: fake devices run in local testing mode; their jobs are not kept remotely")

    def jobs(self, **_: Any) -> list:
        return []


def service_for_backend(backend_name: str, service=None, service_factory=None, *, channel: str = CHANNEL,
                        instance: str | None = None):
    """The service for ``ibm:<backend_name>`` (module docstring: explicit, hook, fake device, real account)."""
    if service is None and service_factory is None and not os.environ.get(SERVICE_FACTORY_ENV) \
            and fake_device_class(backend_name) is not None:
        return OfflineService(channel, instance)
    return get_service(service, service_factory, channel=channel, instance=instance)


def get_service(service=None, service_factory=None, *, channel: str = CHANNEL, instance: str | None = None):
    """Resolve the runtime service: explicit object, factory, env factory, or the real one.

    Authentication problems become a :class:`BackendError` whose text never holds the token.
    """
    if service is not None:
        return service
    if service_factory is None and os.environ.get(SERVICE_FACTORY_ENV):
        service_factory = _load_factory(os.environ[SERVICE_FACTORY_ENV])
    if service_factory is None and not has_ibm_credentials():
        raise BackendError(NO_CREDENTIALS)
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
