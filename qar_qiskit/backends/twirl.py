"""Pauli-twirled device noise and its importance-sampled simulation (the default of ``aer-noisy``).

**Twirled noise.** Aer's device noise model (``NoiseModel.from_backend``) attaches to every gate
``g`` on qubits ``q`` a channel ``E_{g,q}`` (depolarizing gate error composed with thermal
relaxation for the gate's duration). Its Pauli twirl is the Pauli channel

.. math:: T(E)(\\rho) = \\sum_P p_P\\, P \\rho P, \\qquad
          p_P = \\sum_k |\\mathrm{tr}(P K_k)|^2 / d^2,

with ``K_k`` the Kraus operators of ``E`` and ``d = 2**n`` (the diagonal of the channel's chi
matrix in the Pauli basis; Wallman & Emerson, PRA 94, 052325 (2016)). Hardware gate twirling
(``twirling.enable_gates`` of IBM's Sampler, on by default for hardware jobs here:
:mod:`qar_qiskit.backends.ibm_options`) makes a device's averaged noise exactly this channel.

**Where it is exact / its bias.** For Pauli noise (a depolarizing error) the twirl is the channel
itself. Twirling drops the non-unital part of amplitude damping (relaxation pushes ``|1>``
towards ``|0>``; twirled, it flips ``|0>`` and ``|1>`` symmetrically) and turns coherent errors
into stochastic ones, so relative to the untwirled device model the estimator has a *bias*:
measured 0.0078 TVD on the default trending decision cone, FakeFez (exact density matrices of
both models, ``benchmarks/bench_noisy_estimator.py``, 2026-12-07).
Relative to a twirled device it is unbiased.

**Importance sampling.** With ``e_l = 1 - p_I`` the error probability of noise location ``l``,
the output distribution of the twirled circuit is, exactly,

.. math:: p = P_0\\, p_{\\text{ideal}} + (1 - P_0)\\, \\mathbb{E}[\\,p_{\\text{ideal}}(C)
          \\mid C \\text{ has at least one error}\\,], \\qquad P_0 = \\prod_l (1 - e_l),

where ``C`` is a random error configuration (location ``l`` errs with probability ``e_l``, with
Pauli ``P`` with probability ``p_P / e_l``) and ``p_ideal(C)`` is the noiseless output of the
circuit with ``C``'s Paulis inserted as gates (one statevector pass, exact probabilities). The
expectation is estimated from ``M`` configurations drawn from the conditional law (the first
error location drawn from ``e_k prod_{j<k}(1-e_j) / (1-P_0)``, later ones independently), so the
estimate is unbiased with standard error ``(1 - P_0) sigma / sqrt(M)``. Readout errors are then
applied to the distribution with each measured bit's assignment matrix (exact: no control flow
reads a bit, each written once), and the shots are drawn from it with a seeded generator: same
seed, same counts. Mid-circuit measurements whose qubit is used again are deferred to an ancilla
(``CX`` onto a fresh qubit measured at the end: the principle of deferred measurement).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from qiskit.circuit import CircuitInstruction, QuantumCircuit, QuantumRegister
from qiskit.circuit.library import CXGate, PauliGate

from qar_qiskit.backends.circuit_info import CONTROL_FLOW_OPS
from qar_qiskit.errors import BackendError

__all__ = ["pauli_twirl", "PauliTable", "DeferredCircuit", "TwirledSampler", "DEFAULT_SAMPLES", "ESTIMATOR_AER_OPTIONS",
           "apply_readout"]

#: Error configurations per group and tick (``M``; the decision group runs 4x:
#: ``noisy.DECISION_SAMPLE_FACTOR``). Measured by ``benchmarks/bench_noisy_estimator.py``
#: (trending, FakeFez, 1024 shots, 2026-12-07): decision TVD to the exact full-noise distribution
#: 1.36x the shot noise at M = 32 (4 ticks), 1.09x with the decision group at 128 (3 ticks).
DEFAULT_SAMPLES = 32
#: Cost per tick is ``M + 1`` statevector passes per group (the configurations' passes start at
#: their first error: :meth:`TwirledSampler.distributions`). Process CPU seconds of one trending
#: tick's groups on FakeFez at M = 32 (2026-12-07, load 2.5, ``TwirledSampler.distributions``):
#: market 0.10, memory+decision 0.39, lmsr 0.80, prospect 1.27, hedge 0.65, buffer 0.49 (3.7 s;
#: 5.3 s before the prefix sharing, at load 6.3). M = 128 took about 4x as long (2026-12-06), so
#: M is the same for every group.
#: Aer options of the estimator's ideal statevector passes. One thread: on the shared 2-core
#: machine (load 2.2, 2026-12-06) 33 passes of the 17-18 qubit trending cones took 1.3-1.6 s on
#: one thread and 3.0-4.9 s on two (12-qubit decision cone 0.59 vs 0.37 s); Aer's default
#: fusion (up to 5 qubits) was within noise of fusion_max_qubit=4 and 2x faster than 3.
ESTIMATOR_AER_OPTIONS: dict[str, Any] = {"max_parallel_threads": 1}

#: Up to this width the passes share the ideal prefix (32 saved 20-qubit states: 512 MiB).
SHARE_MAX_QUBITS = 20

_PAULI_CHARS = "IXYZ"


def _pauli_labels(n: int) -> list[str]:
    """Labels of the ``4**n`` Paulis, index ``i``'s base-4 digit ``k`` = qubit ``k`` (I, X, Y, Z)."""
    out = []
    for i in range(4 ** n):
        chars = [_PAULI_CHARS[(i >> (2 * k)) & 3] for k in range(n)]
        out.append("".join(reversed(chars)))  # Qiskit labels: right-most character = qubit 0
    return out


def pauli_twirl(error: Any) -> np.ndarray:
    """Pauli-twirl probabilities ``p_P`` (index as :func:`_pauli_labels`) of a channel.

    Args:
        error: anything ``qiskit.quantum_info.Kraus`` accepts (an Aer ``QuantumError``, a
            ``SuperOp``, a unitary...).

    Returns:
        ``(4**n,)`` probabilities, summing to 1 for a trace-preserving channel.
    """
    from qiskit.quantum_info import Kraus, Pauli, SuperOp

    channel = error.to_quantumchannel() if hasattr(error, "to_quantumchannel") else error
    kraus = Kraus(SuperOp(channel))
    n = kraus.num_qubits
    d = 2 ** n
    mats = np.stack([np.asarray(k) for k in kraus.data])  # (K, d, d)
    probs = np.empty(4 ** n)
    for i, label in enumerate(_pauli_labels(n)):
        p = Pauli(label).to_matrix()
        coeff = np.einsum("ij,kji->k", p, mats) / d  # tr(P K_k) / d
        probs[i] = float(np.sum(np.abs(coeff) ** 2))
    return probs


@dataclass(frozen=True)
class _Location:
    error: float  # 1 - p_I
    cumulative: np.ndarray  # cumulative conditional probabilities of the non-identity Paulis
    labels: tuple[str, ...]  # their labels


class PauliTable:
    """The twirled Pauli channel of every ``(gate, qubits)`` of a (sub-)device's noise model.

    Built once per set of active qubits from ``basic_device_gate_errors(target=...)`` (the gate
    errors ``NoiseModel.from_backend`` uses).
    """

    def __init__(self, channels: dict[tuple[str, tuple[int, ...]], np.ndarray]):
        self.channels = {k: np.asarray(v, dtype=float) for k, v in channels.items()}
        self._locations: dict[tuple[str, tuple[int, ...]], _Location] = {}
        for key, probs in self.channels.items():
            n = int(round(np.log(len(probs)) / np.log(4)))
            labels = _pauli_labels(n)
            err = float(max(0.0, 1.0 - probs[0]))
            rest = np.clip(probs[1:], 0.0, None)
            cum = np.cumsum(rest) / rest.sum() if rest.sum() > 0 else np.ones(len(rest))
            self._locations[key] = _Location(err, cum, tuple(labels[1:]))

    @classmethod
    def from_target(cls, target, *, scale: float = 1.0) -> PauliTable:
        """The twirled gate errors of ``target`` (``scale`` multiplies every error probability:
        a deliberately wrong model, used to show a test's power)."""
        from qiskit_aer.noise.device import basic_device_gate_errors

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            errors = basic_device_gate_errors(target=target)
        channels = {}
        for name, qubits, error in errors:
            probs = pauli_twirl(error)
            if scale != 1.0:
                probs = probs * scale
                probs[0] = 1.0 - probs[1:].sum()
                if probs[0] < 0:
                    raise BackendError(f"scale {scale}: error probabilities above 1")
            channels[(name, tuple(int(q) for q in qubits))] = probs
        return cls(channels)

    def location(self, name: str, qubits: tuple[int, ...]) -> _Location | None:
        loc = self._locations.get((name, qubits))
        return loc if loc is not None and loc.error > 0 else None

    def noise_model(self, basis_gates: list[str] | None = None):
        """The twirled channels as an Aer ``NoiseModel`` of Pauli errors (exact references)."""
        from qiskit_aer.noise import NoiseModel, pauli_error

        model = NoiseModel(basis_gates=basis_gates)
        for (name, qubits), probs in self.channels.items():
            terms = [(label, float(p)) for label, p in zip(_pauli_labels(len(qubits)), probs) if p > 0]
            model.add_quantum_error(pauli_error(terms), name, list(qubits))
        return model


class DeferredCircuit:
    """A measured circuit as a measurement-free body plus the qubit each clbit is read from.

    A measurement whose qubit is used again becomes ``CX(qubit -> ancilla)`` with a fresh ancilla
    read at the end (deferred measurement: same joint distribution when no control flow reads
    the bit); terminal measurements read their qubit. Requires each clbit written once by a
    ``measure`` and no control flow (:class:`BackendError` otherwise).

    Attributes:
        num_qubits: circuit qubits + ancillas.
        body: ``(operation, qubit indices)`` in order (barriers dropped).
        clbits: the measured clbits, ascending.
        read: the qubit each of :attr:`clbits` is read from (an ancilla for deferred ones).
        measured_qubit: the circuit qubit each of :attr:`clbits` measured (for readout errors).
        splits: body positions of the deferred measurements' ``CX`` (for :mod:`dm_reference`).
    """

    def __init__(self, circuit: QuantumCircuit):
        ops = []
        for ins in circuit.data:
            name = ins.operation.name
            if name in CONTROL_FLOW_OPS or getattr(ins.operation, "condition", None) is not None:
                raise BackendError("control flow reads a classical bit; the estimator needs circuits without it")
            if name == "barrier":
                continue
            ops.append((ins.operation, [circuit.find_bit(q).index for q in ins.qubits],
                        [circuit.find_bit(c).index for c in ins.clbits]))
        last_use: dict[int, int] = {}
        for k, (_op, qs, _) in enumerate(ops):
            for q in qs:
                last_use[q] = k
        n = circuit.num_qubits
        body, read, measured, splits = [], {}, {}, []
        for k, (op, qs, cs) in enumerate(ops):
            if op.name == "measure":
                (q,), (c,) = qs, cs
                if c in read:
                    raise BackendError(f"clbit {c} is written twice; the estimator needs each written once")
                measured[c] = q
                if last_use[q] > k:
                    splits.append(len(body))
                    body.append((CXGate(), [q, n]))
                    read[c] = n
                    n += 1
                else:
                    read[c] = q
            elif cs:
                raise BackendError(f"{op.name} writes a classical bit; the estimator reads bits from measure only")
            else:
                body.append((op, qs))
        self.num_qubits = n
        self.body = body
        self.clbits = sorted(read)
        self.read = [read[c] for c in self.clbits]
        self.measured_qubit = [measured[c] for c in self.clbits]
        self.splits = splits
        self.parameters = list(circuit.parameters)

    def circuit(self, insert: dict[int, list[tuple[str, tuple[int, ...]]]] | None = None) -> QuantumCircuit:
        """The body with Pauli gates inserted after positions ``insert`` and the read qubits'
        probabilities saved (``save_probabilities``, bit ``j`` = clbit :attr:`clbits` ``[j]``)."""
        import qiskit_aer  # noqa: F401 - registers save_probabilities

        qc = QuantumCircuit(QuantumRegister(self.num_qubits, "q"))
        qubits = qc.qubits
        insert = insert or {}
        for k, (op, qs) in enumerate(self.body):
            qc._append(CircuitInstruction(op, [qubits[i] for i in qs], ()))
            for label, qargs in insert.get(k, ()):
                qc._append(CircuitInstruction(PauliGate(label), [qubits[i] for i in qargs], ()))
        qc.save_probabilities(self.read, label="probabilities")
        return qc

    def to_clbit_values(self) -> np.ndarray:
        """Clbit-integer of each index of a :attr:`clbits`-ordered probability vector."""
        idx = np.arange(2 ** len(self.clbits), dtype=np.int64)
        out = np.zeros_like(idx)
        for j, c in enumerate(self.clbits):
            out |= ((idx >> j) & 1) << c
        return out


def _vector(data, size: int) -> np.ndarray:
    vec = np.zeros(size)
    if isinstance(data, dict):
        for key, v in data.items():
            vec[int(key, 16) if isinstance(key, str) else int(key)] = v
    else:
        vec[:] = np.asarray(data)
    return vec


def _set_statevector(psi: np.ndarray, n: int):
    """Aer's ``set_statevector`` for a state Aer itself saved (its validity check skipped)."""
    from qiskit.circuit import Instruction
    from qiskit_aer.library import SetStatevector

    inst = SetStatevector.__new__(SetStatevector)
    Instruction.__init__(inst, "set_statevector", n, 0, [psi])
    return inst


def apply_readout(probs: np.ndarray, p01: np.ndarray, p10: np.ndarray) -> np.ndarray:
    """``probs`` (bit ``j`` = index bit ``j``) after independent readout flips per bit:
    ``P(record 1 | 0) = p01[j]``, ``P(record 0 | 1) = p10[j]``."""
    n = len(p01)
    t = np.asarray(probs, dtype=float).reshape((2,) * n) if n else np.asarray(probs, dtype=float)
    for j in range(n):
        a = np.array([[1 - p01[j], p10[j]], [p01[j], 1 - p10[j]]])  # a[record, true]
        axis = n - 1 - j  # C order: the last axis is bit 0
        t = np.moveaxis(np.tensordot(a, t, axes=([1], [axis])), 0, axis)
    return t.reshape(-1)


class TwirledSampler:
    """The importance-sampled twirled-noise distribution of one group circuit (module docstring).

    Args:
        circuit: the group's compacted circuit (measured, no control flow).
        table: the sub-device's :class:`PauliTable`.
        readout: the group's :class:`~qar_qiskit.backends.readout.ClassicalReadout` (per clbit).
        aer_options: options of the ideal statevector simulator.
    """

    def __init__(self, circuit: QuantumCircuit, table: PauliTable, readout, aer_options: dict | None = None):
        from qiskit_aer import AerSimulator

        self.deferred = DeferredCircuit(circuit)
        self.circuit_parameters = list(circuit.parameters)
        locs = []
        for k, (op, qs) in enumerate(self.deferred.body):
            loc = table.location(op.name, tuple(qs))
            if loc is not None:
                locs.append((k, tuple(qs), loc))
        self.locations = locs
        self.errors = np.array([loc.error for _, _, loc in locs])
        self.p0 = float(np.exp(np.sum(np.log1p(-self.errors)))) if len(locs) else 1.0
        # P(first error at k) = e_k prod_{j<k} (1 - e_j), normalised by 1 - P0
        survive = np.concatenate([[1.0], np.cumprod(1.0 - self.errors)[:-1]]) if len(locs) else np.array([])
        first = self.errors * survive
        self._first_cdf = np.cumsum(first) / first.sum() if first.sum() > 0 else first
        self.ideal = self.deferred.circuit()
        self.values = self.deferred.to_clbit_values()
        index = {c: j for j, c in enumerate(readout.clbits)} if readout is not None else {}
        n = len(self.deferred.clbits)
        self.p01 = np.array([readout.p_flip_from_0[index[c]] if c in index else 0.0 for c in self.deferred.clbits])
        self.p10 = np.array([readout.p_flip_from_1[index[c]] if c in index else 0.0 for c in self.deferred.clbits])
        assert len(self.p01) == n
        opts = {"max_parallel_threads": 1, **(aer_options or {})}
        self.simulator = AerSimulator(method="statevector", **opts)

    def configurations(self, m: int, rng: np.random.Generator) -> list[dict[int, list[tuple[str, tuple[int, ...]]]]]:
        """``m`` error configurations conditioned on at least one error (body position -> Paulis)."""
        out = []
        if not self.locations or m <= 0:
            return out
        firsts = np.searchsorted(self._first_cdf, rng.random(m), side="right")
        firsts = np.minimum(firsts, len(self.locations) - 1)
        for f in firsts:
            errs = np.flatnonzero(rng.random(len(self.locations)) < self.errors)
            chosen = [int(f)] + [int(j) for j in errs if j > f]
            config: dict[int, list] = {}
            for j in chosen:
                pos, qs, loc = self.locations[j]
                p = int(np.searchsorted(loc.cumulative, rng.random(), side="right"))
                config.setdefault(pos, []).append((loc.labels[min(p, len(loc.labels) - 1)], qs))
            out.append(config)
        return out

    def distributions(self, bound: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
        """``(B, 2**clbits)`` estimated output distributions (readout errors included) per row of
        ``bound`` (``(B, P)`` values of :attr:`circuit_parameters`).

        The configurations share the ideal circuit up to their first error: one ideal pass saves
        the state at every configuration's first error position, and each configuration's pass
        starts there (``set_statevector``), so only the part after its first error is simulated.
        """
        configs = self.configurations(m, rng)
        rows = []
        for values in np.atleast_2d(bound):
            probs = self._probabilities(values, configs)
            mix = self.p0 * probs[0]
            if configs:
                mix = mix + (1.0 - self.p0) * probs[1:].mean(axis=0)
            rows.append(apply_readout(mix, self.p01, self.p10))
        out = np.clip(np.stack(rows), 0.0, None)
        return out / out.sum(axis=1, keepdims=True)

    def _probabilities(self, values: np.ndarray, configs: list[dict]) -> np.ndarray:
        """``(1 + len(configs), 2**clbits)``: the ideal pass, then one per configuration."""
        import qiskit_aer  # noqa: F401 - registers save_statevector / set_statevector

        qc = self.ideal
        if self.circuit_parameters:
            qc = qc.assign_parameters(dict(zip(self.circuit_parameters, values)), strict=False)
        body = [ins for ins in qc.data if ins.operation.name != "save_probabilities"]
        n = self.deferred.num_qubits
        share = n <= SHARE_MAX_QUBITS  # saved states cost M * 2**n * 16 bytes
        firsts = sorted({min(c) for c in configs}) if share else []
        ideal = QuantumCircuit(QuantumRegister(n, "q"))
        marks = set(firsts)
        for k, ins in enumerate(body):
            ideal._append(CircuitInstruction(ins.operation,
                                             [ideal.qubits[qc.find_bit(q).index] for q in ins.qubits], ()))
            if k in marks:
                ideal.save_statevector(label=f"s{k}")
        ideal.save_probabilities(self.deferred.read, label="probabilities")
        first = self.simulator.run(ideal, shots=1).result()
        if not first.success:
            raise BackendError(f"estimator: statevector simulation failed: {first.status}")
        data = first.data(0)
        circuits = []
        index = {q: i for i, q in enumerate(qc.qubits)}
        for config in configs:
            f = min(config) if share else -1
            ec = QuantumCircuit(QuantumRegister(n, "q"))
            if share:
                ec.append(_set_statevector(np.asarray(data[f"s{f}"]), n), ec.qubits)
            for k in range(max(f, 0), len(body)):
                if k > f:
                    ins = body[k]
                    ec._append(CircuitInstruction(ins.operation, [ec.qubits[index[q]] for q in ins.qubits], ()))
                for label, qargs in config.get(k, ()):
                    ec._append(CircuitInstruction(PauliGate(label), [ec.qubits[i] for i in qargs], ()))
            ec.save_probabilities(self.deferred.read, label="probabilities")
            circuits.append(ec)
        size = 2 ** len(self.deferred.clbits)
        out = np.zeros((1 + len(circuits), size))
        out[0] = _vector(data["probabilities"], size)
        if circuits:
            result = self.simulator.run(circuits, shots=1).result()
            if not result.success:
                raise BackendError(f"estimator: statevector simulation failed: {result.status}")
            for i in range(len(circuits)):
                out[1 + i] = _vector(result.data(i)["probabilities"], size)
        return out

    def sample(self, bound: np.ndarray, shots: int, m: int,
               rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per row ``(clbit values, counts)`` of ``shots`` drawn from :meth:`distributions`."""
        out = []
        for dist in self.distributions(bound, m, rng):
            drawn = rng.multinomial(shots, dist)
            keep = np.flatnonzero(drawn)
            out.append((self.values[keep], drawn[keep].astype(np.int64)))
        return out
