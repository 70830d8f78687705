"""Suite-wide setup: the Hypothesis profiles of the property-based tests (see tests/properties.py)
and the address-space cap under which every property module runs (issue #17)."""

import resource

import pytest

import tests.properties  # noqa: F401  (registers and loads the qar-ci / qar-slow profiles)
from tests.properties import MEMORY_CAP_BYTES


@pytest.fixture(autouse=True)
def _address_space_cap(request):
    """In ``*properties*`` modules, cap the process's address space (``RLIMIT_AS``) during each test.

    An input that makes the code allocate without bound then fails as a ``MemoryError`` with
    its example printed, instead of the kernel's out-of-memory killer ending the runner (issue
    #17: a saved state with ``total_qubits: 10**9`` grew a test process to 22 GB). Only the soft
    limit is lowered, and it is restored after the test.
    """
    if "properties" not in request.module.__name__:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = MEMORY_CAP_BYTES if hard == resource.RLIM_INFINITY else min(MEMORY_CAP_BYTES, hard)
    if soft != resource.RLIM_INFINITY and soft <= cap:
        yield  # already at or below the cap
        return
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
