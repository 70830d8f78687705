"""Parameter values are bound by name: a plug-in whose own angle order differs from Qiskit's
name-sorted ``circuit.parameters`` gets its angles on Aer, and what cannot be bound by name is
refused naming the expert."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter

from qar_qiskit import QAR
from qar_qiskit.errors import InputError
from qar_qiskit.experts.parameters import fragment_values
from tests.experts.plugins import MeanReversionExpert, NaturalOrderExpert, WrongTwinExpert

SHOTS = 8192
#: 30 days of +1.27%: the mean return is 1.27 scale, so p_buy = 1 / (1 + e^1.27) = 0.219 and
#: p_strong = 0.1 + 0.8 tanh(1.27) = 0.783 (twin [0.781, 0, 0.048, 0.171]).
RETURNS = np.full(30, 0.0127)
TICK = {"price": 100.0, "volatility": 0.15, "trend_clarity": 0.8, "volume_normalized": 1.0}


def test_parameter_names_differ_from_the_natural_order():
    qc = MeanReversionExpert().circuit(2)
    assert [p.name for p in qc.parameters] == ["phi_0", "theta_buy"]  # Qiskit sorts by name


def test_aer_samples_the_twin_of_a_plugin_whose_names_are_not_sorted():
    """Before values were bound by name, this expert's angles (returned as an array in its own
    order, ``NaturalOrderExpert``) were bound crosswise on Aer: measured [0.222, 0, 0.610, 0.168]
    against the twin [0.781, 0, 0.048, 0.172] (8192 shots, seed 11, main on 2026-12-06)."""
    expert = MeanReversionExpert()
    qar = QAR(backend="aer", shots=SHOTS, seed=11, experts=[expert, "abstain"])
    d = qar.decide(TICK, returns_history=RETURNS)
    assert d.backend == "aer"
    twin = np.asarray(d.components["meanrev"]["exact_distribution"])
    p_buy, p_strong = expert.inputs(RETURNS, 2, None)
    assert np.allclose(twin, [1 - p_buy, 0, p_buy * (1 - p_strong), p_buy * p_strong], atol=1e-12)
    measured = np.asarray(d.components["meanrev"]["distribution"])
    # 5 sigma per outcome (binomial, 8192 shots); an outcome of probability 0 is never sampled
    bound = 5 * np.sqrt(twin * (1 - twin) / SHOTS)
    assert np.all(np.abs(measured - twin) <= bound + 1e-12), (measured.round(4), twin.round(4))
    # the crosswise binding (p_buy <-> p_strong) is > 20 sigma away from this
    assert abs(measured[2] + measured[3] - p_buy) < abs(p_strong - p_buy) / 10


def test_an_array_for_several_parameters_is_refused_naming_the_expert():
    with pytest.raises(InputError, match=r"expert 'meanrev_array': parameter_values returned 2 value\(s\) as an "
                                         r"array for the fragment's 2 parameters \(phi_0, theta_buy\); return a "
                                         r"mapping"):
        QAR(backend="exact", experts=[NaturalOrderExpert(), "abstain"])


def test_a_twin_that_disagrees_with_its_circuit_is_refused_at_resolve():
    # at the flat history p_buy = 1/2, p_strong = 0.1: circuit [0.5, 0, 0.45, 0.05]; the twin swaps
    # the last two outcomes
    with pytest.raises(InputError) as err:
        QAR(backend="exact", experts=[WrongTwinExpert(), "abstain"])
    assert str(err.value) == ("expert 'wrongtwin' (2 qubits, input point 'flat'): the fragment does not prepare "
                              "its twin: circuit [0.5, 0, 0.45, 0.05] vs twin [0.5, 0, 0.05, 0.45]")


class _Values(MeanReversionExpert):
    """Returns whatever ``data`` is (the mapping under test)."""

    def parameter_values(self, data):
        return data


PARAMS = MeanReversionExpert().circuit(2).parameters


@pytest.mark.parametrize("values,fragment", [
    ({"theta_buy": 1.0}, r"missing values for \[phi_0\], unknown parameters \[none\]"),
    ({"theta_buy": 1.0, "phi_0": 0.5, "psi": 2.0}, r"missing values for \[none\], unknown parameters \[psi\]"),
    ({"theta_buy": 1.0, "phi": 0.5}, r"missing values for \[phi_0\], unknown parameters \[phi\]"),
    ({"theta_buy": 1.0, "phi_0": 0.5, PARAMS[0]: 0.5}, r"parameter 'phi_0' is given twice"),
    ({"theta_buy": 1.0, 3: 0.5}, r"a key must be a Parameter or a parameter name, got 3"),
    ({"theta_buy": 1.0, "phi_0": float("nan")}, r"values must be finite, got non-finite values for \[phi_0\]"),
    ({"theta_buy": "x", "phi_0": 0.5}, r"values must be real numbers, not for \[theta_buy\]"),
])
def test_values_that_cannot_be_bound_by_name_are_refused(values, fragment):
    with pytest.raises(InputError, match=r"expert 'meanrev': parameter_values.*" + fragment):
        fragment_values(_Values(), values, PARAMS)


def test_parameters_and_names_bind_in_the_order_asked():
    theta = Parameter("theta_buy")  # another object with the same name
    out = fragment_values(_Values(), {theta: 1.0, "phi_0": 0.25}, PARAMS)
    assert out.tolist() == [0.25, 1.0]  # PARAMS order: phi_0, theta_buy
    one = QuantumCircuit(1)
    one.ry(Parameter("t"), 0)
    assert fragment_values(_Values(), np.array([0.5]), one.parameters).tolist() == [0.5]  # one parameter
