"""qar-qiskit: Quantum Agentic Reasoning on Qiskit.

Market data → regime analysis → qubit allocation plan → one composed parameterized circuit →
execution (exact twin, Aer, noisy fake IBM device, IBM Runtime) → per-register readout →
decision → learning. Every circuit has an exact classical twin it is tested against.

    from qar_qiskit import QAR, MarketTick
    qar = QAR()                      # packaged defaults
    qar = QAR.from_config("my.yaml", backend="aer", shots=1024, seed=7)  # a file of changes only
    decision = qar.decide(MarketTick(price=100.0, volatility=0.15))
    qar.save("state.json"); qar = QAR.load("state.json", config="my.yaml")

What a user needs is importable from here: :class:`QAR`, :class:`MarketTick` (and
:func:`tick_fields_table`, its fields as a Markdown table), :class:`Decision`,
:func:`load_config` and :class:`QARConfig`, :class:`QuantumTradingSystem` (raw bars in, orders
out), and the errors (:class:`QARError` and its :class:`ConfigError`, :class:`InputError`,
:class:`StateError`).
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: name -> module it lives in; imported on first use, so ``import qar_qiskit.config`` (and the
#: CLI's --help) stays light.
_EXPORTS = {
    "QAR": "qar_qiskit.system.qar",
    "QuantumTradingSystem": "qar_qiskit.system.trading",
    "MarketTick": "qar_qiskit.tick",
    "tick_fields_table": "qar_qiskit.tick",
    "Decision": "qar_qiskit.decision.model",
    "load_config": "qar_qiskit.config",
    "QARConfig": "qar_qiskit.config",
    "QARError": "qar_qiskit.errors",
    "ConfigError": "qar_qiskit.errors",
    "InputError": "qar_qiskit.errors",
    "StateError": "qar_qiskit.errors",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'qar_qiskit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
