"""Gate twirling is on by default for IBM jobs without fractional gates (what ``aer-noisy`` models)."""

from __future__ import annotations

import pytest

from qar_qiskit.backends import make_executor
from qar_qiskit.backends.ibm_options import default_twirling
from qar_qiskit.errors import ConfigError
from tests.backends.fake_service import FakeService


@pytest.mark.parametrize("given, fractional, expected", [
    ({}, False, {"enable_gates": True}),
    ({}, True, {}),
    ({"enable_gates": False}, False, {"enable_gates": False}),  # an explicit choice wins
    ({"num_randomizations": 8}, False, {"num_randomizations": 8, "enable_gates": True}),
])
def test_default_twirling(given, fractional, expected):
    assert default_twirling(given, fractional) == expected


def test_hardware_job_twirls_gates_unless_fractional():
    plain = make_executor("ibm:fake_fez", service=FakeService(), fractional_gates=False)
    assert not plain.fractional and plain.options_dict(100, None)["twirling"] == {"enable_gates": True}
    auto = make_executor("ibm:fake_fez", service=FakeService())
    if auto.fractional:  # loaded with fractional gates: IBM refuses gate twirling with them
        assert "twirling" not in auto.options_dict(100, None)
    off = make_executor("ibm:fake_fez", service=FakeService(), fractional_gates=False,
                        twirling={"enable_gates": False})
    assert off.options_dict(100, None)["twirling"] == {"enable_gates": False}
    with pytest.raises(ConfigError, match="twirling.enable_gates"):
        make_executor("ibm:fake_fez", service=FakeService(), fractional_gates=True, twirling={"enable_gates": True})
