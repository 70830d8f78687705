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
        return (float(np.clip(np.std(np.asarray(returns, dtype=float)[-20:]) * 40.0, 0.05, 0.95))
                if len(returns) else 0.5)

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


@dataclass(frozen=True)
class MeanReversionExpert(Expert):
    """Mean reversion on two qubits, parameters ``theta_buy`` and ``phi_0`` (not in Qiskit's
    name-sorted order: ``phi_0`` sorts first).

    Data ``(p_buy, p_strong)``: ``p_buy = 1 / (1 + exp(m / scale))`` (likelier after a fall, ``m``
    the mean return over ``lookback`` days) sets the read qubit 1 by ``RY(theta_buy)``; given a
    buy, qubit 0 flags a strong signal w.p. ``p_strong = 0.1 + 0.8 |tanh(m / scale)|`` by
    ``CRY(phi_0)``. Twin (index ``q0 + 2 q1``): ``[1 - p_buy, 0, p_buy (1 - p_strong), p_buy p_strong]``.
    """

    name: str = "meanrev"
    min_qubits: int = 2
    max_qubits: int = 2
    lookback: int = 10
    scale: float = 0.01

    def inputs(self, returns, n_qubits, config):
        r = np.asarray(returns, dtype=float)[-self.lookback:]
        z = float(np.mean(r)) / self.scale if r.size else 0.0
        return 1.0 / (1.0 + np.exp(z)), 0.1 + 0.8 * abs(np.tanh(z))

    def circuit(self, n_qubits):
        qc = QuantumCircuit(2, name=self.name)
        qc.ry(Parameter("theta_buy"), 1)  # sets the read qubit first
        qc.cry(Parameter("phi_0"), 1, 0)
        return qc

    def angles(self, data) -> tuple[float, float]:
        """``(theta_buy, phi_0)``: the natural order of the expert's own angle map."""
        p_buy, p_strong = data
        return 2.0 * np.arcsin(np.sqrt(p_buy)), 2.0 * np.arcsin(np.sqrt(p_strong))

    def parameter_values(self, data):
        theta_buy, phi_0 = self.angles(data)
        return {"theta_buy": theta_buy, "phi_0": phi_0}

    def twin(self, data):
        p_buy, p_strong = data
        return np.array([1.0 - p_buy, 0.0, p_buy * (1.0 - p_strong), p_buy * p_strong])

    def size_risk(self, data, p_read, edge_gain):
        s = self.conviction(p_read, edge_gain)
        return s, s, data[1]


@dataclass(frozen=True)
class NaturalOrderExpert(MeanReversionExpert):
    """The same expert returning its angles as an array in its own order (theta_buy, phi_0): what a
    plug-in did before values were bound by name, and what bound them crosswise on Aer."""

    name: str = "meanrev_array"

    def parameter_values(self, data):
        return np.array(self.angles(data))


@dataclass(frozen=True)
class WrongTwinExpert(MeanReversionExpert):
    """A twin that disagrees with its circuit: the strong flag's two outcomes swapped."""

    name: str = "wrongtwin"

    def twin(self, data):
        p_buy, p_strong = data
        return np.array([1.0 - p_buy, 0.0, p_buy * p_strong, p_buy * (1.0 - p_strong)])


@dataclass(frozen=True)
class FailingExpert(MeanReversionExpert):
    """Raises ``ZeroDivisionError`` in the method named ``fail_in`` (``"inputs"``, ``"twin"``, ...)."""

    name: str = "failing"
    fail_in: str = "parameter_values"

    def _maybe_fail(self, method: str) -> None:
        if method == self.fail_in:
            _ = 1 / 0  # a real ZeroDivisionError, raised inside the plug-in

    def inputs(self, returns, n_qubits, config):
        self._maybe_fail("inputs")
        return super().inputs(returns, n_qubits, config)

    def circuit(self, n_qubits):
        self._maybe_fail("circuit")
        return super().circuit(n_qubits)

    def parameter_values(self, data):
        self._maybe_fail("parameter_values")
        return super().parameter_values(data)

    def twin(self, data):
        self._maybe_fail("twin")
        return super().twin(data)

    def size_risk(self, data, p_read, edge_gain):
        self._maybe_fail("size_risk")
        return super().size_risk(data, p_read, edge_gain)

    def read(self, distribution):
        self._maybe_fail("read")
        return super().read(distribution)

    def report(self, data, measured, exact):
        self._maybe_fail("report")
        return super().report(data, measured, exact)
