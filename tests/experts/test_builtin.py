"""The built-ins' decision components: measured outputs next to the exact ones, named as such."""

from __future__ import annotations

import numpy as np
import pytest

from qar_qiskit import QAR

SHOTS = 1000
RETURNS = np.random.default_rng(1).normal(0.0, 0.01, 60)
TICK = {"price": 100.0, "volatility": 0.15, "trend_clarity": 0.8, "volume_normalized": 1.0}


def _components(backend: str) -> dict:
    d = QAR(backend=backend, shots=SHOTS, seed=3).decide(TICK, returns_history=RETURNS)
    assert d.backend == backend
    return d.components


def test_lmsr_and_hedge_report_measured_and_exact_on_aer():
    c = _components("aer")
    lmsr, hedge = c["lmsr"], c["hedge"]
    # p_up: the measured top-qubit marginal, a multiple of 1/shots, within 5 sigma of the exact one
    p, exact = lmsr["p_up"], lmsr["exact_p_up"]
    assert p * SHOTS == pytest.approx(round(p * SHOTS), abs=1e-9)
    assert exact == pytest.approx(sum(lmsr["exact_probabilities"][len(lmsr["exact_probabilities"]) // 2:]), abs=1e-12)
    assert abs(p - exact) <= 5 * np.sqrt(exact * (1 - exact) / SHOTS)
    assert p != exact  # the exact value is not a multiple of 1/shots
    # expected hedge ratio E[h] = sum_k w_k k / (2^m - 1): of the measured weights, within 5 sigma
    w, w_exact = np.asarray(hedge["weights"]), np.asarray(hedge["exact_weights"])
    ratios = np.arange(w.size) / (w.size - 1)
    assert np.allclose(w * SHOTS, np.round(w * SHOTS), atol=1e-9)
    assert hedge["expected_ratio"] == pytest.approx(float(w @ ratios), abs=1e-12)
    assert hedge["exact_expected_ratio"] == pytest.approx(float(w_exact @ ratios), abs=1e-12)
    sigma = np.sqrt((w_exact @ ratios**2 - (w_exact @ ratios) ** 2) / SHOTS)
    assert abs(hedge["expected_ratio"] - hedge["exact_expected_ratio"]) <= 5 * sigma


def test_on_the_exact_backend_measured_equals_exact():
    c = _components("exact")
    assert c["lmsr"]["p_up"] == c["lmsr"]["exact_p_up"]
    assert c["hedge"]["expected_ratio"] == c["hedge"]["exact_expected_ratio"]
    assert c["prospect"]["normalised_value"] == c["prospect"]["exact_normalised_value"]
