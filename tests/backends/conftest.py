"""Shared fixtures: small parameterized circuits with several named classical registers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from qiskit.circuit import ClassicalRegister, Parameter, QuantumCircuit, QuantumRegister

from qar_qiskit.plan.allocation import AllocationPlan

TOKEN = "planted-SECRET-token-123"


@dataclass(frozen=True)
class SmallTick:
    """A test double with a TickCircuit's attributes (circuit, parameters, plan) for small circuits."""

    circuit: QuantumCircuit
    parameters: tuple
    plan: Any


def small_circuit(n_market: int = 2, n_decision: int = 3) -> QuantumCircuit:
    n = n_market + n_decision
    q = QuantumRegister(n, "q")
    market, decision = ClassicalRegister(n_market, "market"), ClassicalRegister(n_decision, "decision")
    qc = QuantumCircuit(q, market, decision)
    th = [Parameter(f"t{i}") for i in range(n)]
    for i in range(n):
        qc.ry(th[i], i)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure(q[:n_market], market)
    qc.measure(q[n_market:], decision)
    return qc


@pytest.fixture
def small_tick():
    qc = small_circuit()
    # parameters in a deliberately non-alphabetical order, as a TickCircuit may have them
    params = tuple(reversed(qc.parameters))
    return SmallTick(qc, params, AllocationPlan(regime="stable"))


@pytest.fixture
def basis_values():
    """Row 0: all zeros -> |0...0>; row 1: all pi -> alternating pattern (see tests)."""
    return np.array([[0.0] * 5, [np.pi] * 5])


@pytest.fixture
def planted_token(monkeypatch):
    monkeypatch.setenv("QISKIT_IBM_TOKEN", TOKEN)
    return TOKEN
