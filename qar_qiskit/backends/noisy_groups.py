"""The pieces a noisy tick is made of: one simulation group per set of jointly sampled registers,
the cached prepared circuit that holds them, their seeds, and the shot equalisation of a row.

Split from :mod:`qar_qiskit.backends.noisy` (the executor) to keep each module small.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qiskit.circuit import QuantumCircuit

from qar_qiskit.backends.base import PreparedCircuit
from qar_qiskit.backends.device_sim import ActiveSet
from qar_qiskit.backends.readout import ClassicalReadout
from qar_qiskit.backends.twirl import TwirledSampler

__all__ = ["NoisyPrepared", "group_seed"]


@dataclass(eq=False)
class _Group:
    """One simulation of a tick: a group of registers on its light cone (or the whole circuit)."""

    registers: tuple[str, ...]  # the registers sampled by this simulation
    owned: tuple[str, ...]  # the registers whose counts this group reports
    physical: tuple[int, ...]  # the cone's physical qubits
    circuit: QuantumCircuit  # compacted onto ``physical``
    columns: np.ndarray  # indices into the ISA circuit's parameters of ``circuit.parameters``
    qubits: dict[str, list[int]]  # register -> measured compact qubit per bit
    readout: ClassicalReadout | None
    entry: ActiveSet
    cone: bool  # True: a light cone; False: the whole circuit
    sampler: TwirledSampler | None = None  # the estimator's (method "twirled")

    def describe(self) -> dict[str, Any]:
        out = {"registers": list(self.registers), "qubits": len(self.physical), "method": self.entry.method,
               "physical_qubits": list(self.physical)}
        if self.sampler is not None:
            out["error_free_probability"] = self.sampler.p0
        return out


@dataclass(eq=False)
class NoisyPrepared(PreparedCircuit):
    """A cached noisy-device circuit plus its simulations.

    Attributes:
        active: the ISA circuit's active physical qubits.
        groups: the simulations per set of jointly sampled registers (``()``: none asked for).
        compact, registers, readout: the single-simulation view when there is one group: its
            compacted circuit, its register -> compact qubits map and its classical readout.
    """

    active: tuple[int, ...] = ()
    groups: dict[tuple[str, ...], list[_Group]] = field(default_factory=dict)
    compact: QuantumCircuit | None = None
    registers: dict[str, list[int]] | None = None
    readout: ClassicalReadout | None = None


def group_seed(seed: int | None, k: int) -> int | None:
    """Seed of simulation group ``k``: the run's seed for group 0, else drawn from
    ``numpy.random.SeedSequence([seed, k])`` (deterministic, independent streams)."""
    if seed is None or k == 0:
        return seed
    return int(np.random.SeedSequence([int(seed) % 2**63, k]).generate_state(1, np.uint64)[0] % 2**63)


@dataclass(frozen=True, eq=False)
class _WholeCircuit:
    """The whole compacted circuit in the shape of a :class:`~qar_qiskit.backends.lightcone.Cone`."""

    registers: tuple[str, ...]
    qubits: tuple[int, ...]
    circuit: QuantumCircuit


def _equal_shots(row: dict[str, dict[str, int]], rng: np.random.Generator) -> dict[str, dict[str, int]]:
    """Each register's counts thinned to the smallest total by drawing without replacement."""
    target = min(sum(c.values()) for c in row.values())
    out = {}
    for name, counts in row.items():
        keys = list(counts)
        drawn = rng.multivariate_hypergeometric(np.array([counts[k] for k in keys], dtype=np.int64), target)
        out[name] = {k: int(v) for k, v in zip(keys, drawn) if v}
    return out
