"""TickInputs.with_angles: the cheap per-tick copy equals a full, validated construction."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from qar_qiskit.circuits.inputs import TickInputs
from qar_qiskit.errors import InputError
from tests.circuits.test_fragments import random_inputs, random_plan


def test_with_angles_equals_full_construction():
    rng = np.random.default_rng(4)
    base = random_inputs(rng, random_plan(rng, "volatile"))
    beta, delta = rng.uniform(-1, 1, (4, 3)), rng.uniform(-1, 1, (4, 3))
    fast = base.with_angles(beta, delta)
    full = TickInputs(**{**{f.name: getattr(base, f.name) for f in dataclasses.fields(base)},
                         "size_risk_angles": beta, "feedback_angles": delta})
    for f in dataclasses.fields(base):
        a, b = getattr(fast, f.name), getattr(full, f.name)
        if isinstance(a, np.ndarray):
            # a full construction renormalises the distributions again: equal to the last bit
            assert np.allclose(a, b, rtol=0, atol=1e-15) and not a.flags.writeable, f.name
        else:
            assert a == b, f.name
    beta[0, 0] = 99.0  # the copy does not alias the caller's array
    assert fast.size_risk_angles[0, 0] != 99.0


@pytest.mark.parametrize("field,value", [("size_risk_angles", np.full((4, 3), np.nan)),
                                         ("feedback_angles", np.zeros((3, 3)))])
def test_with_angles_validates_the_new_angles(field, value):
    rng = np.random.default_rng(5)
    base = random_inputs(rng, random_plan(rng, "volatile"))
    args = {"size_risk_angles": np.zeros((4, 3)), "feedback_angles": np.zeros((4, 3)), field: value}
    with pytest.raises(InputError, match=field):
        base.with_angles(**args)
