"""Plug-in experts for the tests: a distribution expert on n qubits and a one-qubit tilt."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter

from qar_qiskit.circuits.encoding import amplitude_angles, amplitude_prep
from qar_qiskit.experts import Expert


@dataclass(frozen=True)
class ReversionExpert(Expert):
    """Mean reversion on ``n`` qubits: a softmax over return bins of ``-(recent mean)``, so the
    top half (the read qubit) is likelier after a fall. Data: the 2**n distribution."""

    name: str = "reversion"
    min_qubits: int = 1
    max_qubits: int = 3
    lookback: int = 10
    scale: float = 0.01

    def inputs(self, returns, n_qubits, config):
        m = float(np.mean(np.asarray(returns, dtype=float)[-self.lookback:])) if len(returns) else 0.0
        centres = np.linspace(-1.0, 1.0, 1 << n_qubits)
        logits = -centres * m / self.scale
        p = np.exp(logits - logits.max())
        return p / p.sum()

    def circuit(self, n_qubits):
        qc, _ = amplitude_prep(n_qubits, f"{self.name}_a")
        qc.name = self.name
        return qc

    def parameter_values(self, data):
        # element i of the ParameterVector "<name>_a" takes cascade angle i
        return {f"{self.name}_a[{i}]": angle for i, angle in enumerate(amplitude_angles(data))}

    def twin(self, data):
        return np.asarray(data, dtype=float)

    def size_risk(self, data, p_read, edge_gain):
        s = self.conviction(p_read, edge_gain)
        return s, 1.0 - s, 0.5


@dataclass(frozen=True)
class GuardExpert(Expert):
    """A protecting one-qubit expert: hedge with probability ``p`` (data), else hold."""

    name: str = "guard"
    side: str = "protect"

    def inputs(self, returns, n_qubits, config):
        return float(np.clip(np.std(np.asarray(returns, dtype=float)[-20:]) * 40.0, 0.05, 0.95)) if len(returns) else 0.5

    def circuit(self, n_qubits):
        qc = QuantumCircuit(1, name=self.name)
        qc.ry(Parameter("guard_theta"), 0)
        return qc

    def parameter_values(self, p):
        return np.array([2.0 * np.arcsin(np.sqrt(p))])  # one parameter: an array is accepted

    def twin(self, p):
        return np.array([1.0 - p, p])

    def size_risk(self, p, p_read, edge_gain):
        return p, p, 1.0 - p
