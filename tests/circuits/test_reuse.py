"""Qubit reuse keeps the outcome distribution and reports the width saved."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from qiskit import QuantumCircuit, transpile
from qiskit_aer import AerSimulator

from qar_qiskit.circuits.entanglement import bell_pair, ghz, weak_bell
from qar_qiskit.circuits.reuse import register_names, reuse_qubits, without_reuse
from qar_qiskit.errors import InputError

SHOTS = 8000
THETA_W, THETA_R = 1.0, 2.0


def _x() -> QuantumCircuit:
    qc = QuantumCircuit(1, name="flip")
    qc.x(0)
    return qc


def _ry() -> QuantumCircuit:
    qc = QuantumCircuit(1, name="coin")
    qc.ry(THETA_R, 0)
    return qc


def fragments():
    # Widths 2, 3, 1, 2, 1. The deterministic X right after the GHZ fails without the reset.
    return [bell_pair("phi+"), ghz(3), _x(), weak_bell(THETA_W), _ry()]


def textbook_marginals() -> list[dict[str, float]]:
    """Per fragment, the textbook Z-basis distribution (bitstrings fragment qubit 0 last)."""
    cw, sw = math.cos(THETA_W / 2) ** 2, math.sin(THETA_W / 2) ** 2
    cr, sr = math.cos(THETA_R / 2) ** 2, math.sin(THETA_R / 2) ** 2
    return [
        {"00": 0.5, "11": 0.5},
        {"000": 0.5, "111": 0.5},
        {"1": 1.0},
        {"00": cw, "11": sw},
        {"0": cr, "1": sr},
    ]


def joint_textbook() -> dict[tuple[str, ...], float]:
    out = {(): 1.0}
    for marg in textbook_marginals():
        out = {k + (b,): p * q for k, p in out.items() for b, q in marg.items()}
    return out


def run(qc, seed):
    sim = AerSimulator(seed_simulator=seed)
    counts = sim.run(transpile(qc, sim), shots=SHOTS).result().get_counts()
    # Registers print last-first, separated by spaces: reverse to fragment order.
    return Counter({tuple(reversed(k.split())): v for k, v in counts.items()})


def test_widths_reported():
    res = reuse_qubits(fragments())
    circuit, without, with_ = res  # unpacks as a plain tuple
    assert (without, with_) == (2 + 3 + 1 + 2 + 1, 3)
    assert res.width_saved == 6
    assert circuit.num_qubits == 3
    assert without_reuse(fragments()).num_qubits == 9
    # Every qubit a fragment used is reset before the next one: 2 + 3 + 1 + 2 resets.
    assert circuit.count_ops()["reset"] == 8
    assert [c.name for c in circuit.cregs] == register_names(fragments())


def test_outcome_distribution_equals_no_reuse_within_shot_noise():
    """Joint distribution over all 5 registers: reuse vs no-reuse vs the textbook product.

    Bound: for an outcome of probability p, a count fraction has sigma = sqrt(p(1-p)/N);
    the difference of two independent runs has sigma*sqrt(2). We allow 5 sigma (+1/N slack).
    """
    reuse = run(reuse_qubits(fragments()).circuit, seed=101)
    plain = run(without_reuse(fragments()), seed=202)
    exact = joint_textbook()
    for outcome in set(reuse) | set(plain):
        assert outcome in exact, f"impossible outcome {outcome}"
    for outcome, p in exact.items():
        sigma = math.sqrt(p * (1 - p) / SHOTS)
        f_reuse, f_plain = reuse[outcome] / SHOTS, plain[outcome] / SHOTS
        assert abs(f_reuse - f_plain) <= 5 * math.sqrt(2) * sigma + 1 / SHOTS, outcome
        assert abs(f_reuse - p) <= 5 * sigma + 1 / SHOTS, outcome
    # The deterministic fragment after the GHZ really saw a reset qubit in every shot.
    assert all(k[2] == "1" for k in reuse)


def test_rejects_bad_fragments():
    measured = QuantumCircuit(1, 1)
    measured.measure(0, 0)
    with pytest.raises(InputError, match="classical"):
        reuse_qubits([bell_pair(), measured])
    with pytest.raises(InputError, match="empty"):
        reuse_qubits([])
    from qiskit.circuit import Parameter

    with pytest.raises(InputError, match="bind"):
        reuse_qubits([weak_bell(Parameter("t"))])
