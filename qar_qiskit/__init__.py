"""qar-qiskit: Quantum Agentic Reasoning on Qiskit.

Market data → regime analysis → qubit allocation plan → one composed parameterized circuit →
execution (exact twin, Aer, noisy fake IBM device, IBM Runtime) → per-register readout →
decision → learning. Every circuit has an exact classical twin it is tested against.

    from qar_qiskit import QAR, MarketTick
    qar = QAR()                      # packaged defaults
    decision = qar.decide(MarketTick(price=100.0, volatility=0.15))
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["QAR", "QuantumTradingSystem", "MarketTick", "Decision", "load_config", "__version__"]


def __getattr__(name: str):
    # Lazy imports keep `import qar_qiskit.config` (and the CLI's --help) light.
    if name == "QAR":
        from qar_qiskit.system.qar import QAR

        return QAR
    if name == "QuantumTradingSystem":
        from qar_qiskit.system.trading import QuantumTradingSystem

        return QuantumTradingSystem
    if name == "Decision":
        from qar_qiskit.decision.model import Decision

        return Decision
    if name == "MarketTick":
        from qar_qiskit.tick import MarketTick

        return MarketTick
    if name == "load_config":
        from qar_qiskit.config import load_config

        return load_config
    raise AttributeError(f"module 'qar_qiskit' has no attribute {name!r}")
