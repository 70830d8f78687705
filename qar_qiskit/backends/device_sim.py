"""Per active-qubit-set simulators of a fake device: sub-target, Aer simulators, mthree calibration.

Used by :class:`~qar_qiskit.backends.noisy.NoisyAerExecutor` (see its module docstring for why the
noise model is built per set of active physical qubits, and for the readout handling).
"""

from __future__ import annotations

import time
import warnings

from qiskit.circuit import QuantumCircuit
from qiskit.providers import BackendV2, Options
from qiskit.transpiler import Target

from qar_qiskit.backends.readout import ClassicalReadout, post_readout_map, tensored_readout_inversion

__all__ = ["sub_target", "ActiveSet", "SubDevice", "DENSITY_MATRIX_MAX_QUBITS", "gpu_options"]


def gpu_options(aer_options: dict, widest: int) -> dict:
    """``aer_options`` with ``device`` checked: ``GPU`` (profile ``aer: {device: GPU}``) needs a
    qiskit-aer built with CUDA (the ``qiskit-aer-gpu`` package) and turns on Aer's batched shots
    (``batched_shots_gpu``) for every trajectory group up to ``widest`` qubits (Aer's default
    limit is 16; the light-cone groups are up to ``widest`` wide). ``CPU`` or no device: unchanged.

    Raises:
        ConfigError: an unknown device, or GPU on a qiskit-aer without GPU support.
    """
    from qiskit_aer import AerSimulator

    from qar_qiskit.errors import ConfigError

    device = str(aer_options.get("device", "CPU")).upper()
    if device == "CPU":
        return {k: v for k, v in aer_options.items() if k != "device"}
    available = AerSimulator().available_devices()
    if device not in available:
        raise ConfigError(f"aer.device: {device!r} is not available to this qiskit-aer (it offers "
                          f"{', '.join(available)}); for GPU install qiskit-aer-gpu in place of qiskit-aer "
                          "(pip uninstall qiskit-aer && pip install 'qar-qiskit[gpu]') on a CUDA machine")
    return {"batched_shots_gpu": True, "batched_shots_gpu_max_qubits": widest, **aer_options, "device": device}

#: Up to this many qubits a simulation uses the density matrix (exact, one pass).
DENSITY_MATRIX_MAX_QUBITS = 10


def sub_target(full: Target, active: list[int]) -> Target:
    """A Target holding only ``active`` qubits' instructions, calibrations and properties."""
    index = {p: i for i, p in enumerate(active)}
    qprops = full.qubit_properties
    target = Target(
        num_qubits=len(active),
        dt=full.dt,
        qubit_properties=[qprops[p] for p in active] if qprops else None,
        description=f"sub-target of {len(active)} qubits",
    )
    for name in full.operation_names:
        op = full.operation_from_name(name)
        props = full[name]
        if props is None or None in props:
            target.add_instruction(op, name=name)
            continue
        sub = {tuple(index[q] for q in qargs): p for qargs, p in props.items() if all(q in index for q in qargs)}
        if sub:
            target.add_instruction(op, sub, name=name)
    return target


class SubDevice(BackendV2):
    """A BackendV2 exposing a sub-target (only used to build Aer's noise model and M3)."""

    def __init__(self, target: Target, name: str):
        super().__init__(name=name)
        self._target = target

    @property
    def target(self) -> Target:
        return self._target

    @property
    def max_circuits(self):
        return None

    @classmethod
    def _default_options(cls):
        return Options()

    def run(self, run_input, **options):  # pragma: no cover - never called
        raise NotImplementedError


# --------------------------------------------------------------------------------------------


class ActiveSet:
    """Simulators (+ mitigator) for one set of active physical qubits, built once.

    ``simulator`` runs the circuits. For statevector trajectories it carries the device's gate,
    relaxation and measurement-duration errors but *not* its readout errors, and uses Aer's shot
    branching; the readout errors are then applied to the sampled outcomes
    (:class:`~qar_qiskit.backends.readout.ClassicalReadout`, exact when no control flow reads a
    clbit and each is written once). ``full_simulator`` carries every error, readout included,
    without shot branching: it runs the other circuits and the mthree calibration. For the other methods the
    two are the same simulator.
    """

    def __init__(self, device, active: list[int], method: str, aer_options: dict, mitigation: str,
                 cal_shots: int, seed: int | None):
        from qiskit_aer import AerSimulator
        from qiskit_aer.noise import NoiseModel

        self.active = active
        self.sub = SubDevice(sub_target(device.target, active), f"{device.name}[{len(active)}q]")
        self.method = method
        # "twirled": the estimator (qar_qiskit.backends.twirl) samples; Aer only calibrates mthree
        self.pauli_table = None
        if method == "twirled":
            from qar_qiskit.backends.twirl import PauliTable

            self.pauli_table = PauliTable.from_target(self.sub.target)
            method = "density_matrix" if len(active) <= DENSITY_MATRIX_MAX_QUBITS else "matrix_product_state"
        opts = dict(aer_options)
        if method == "matrix_product_state":
            opts.setdefault("mps_sample_measure_algorithm", "mps_probabilities")
        else:
            opts = {k: v for k, v in opts.items() if not k.startswith("mps_")}
        t0 = time.perf_counter()
        # Shot branching with Aer's own readout errors is wrong in qiskit-aer 0.18.2: it drops
        # readout errors on |1> (X then measure on FakeTorino's qubit 29: P(0) 11/40000 with
        # branching, 486/40000 without, 477/40000 on density_matrix; tests/backends/test_executors.py).
        full_opts = {**opts, "shot_branching_enable": False, "shot_branching_sampling_enable": False}
        self.full_simulator = AerSimulator.from_backend(self.sub, method=method, **full_opts)
        self.classical_readout = method == "statevector" or self.pauli_table is not None
        if method == "statevector":
            quantum_noise = NoiseModel.from_backend(self.sub, readout_error=False)
            branching = {"shot_branching_enable": True, "shot_branching_sampling_enable": True, **opts}
            self.simulator = AerSimulator.from_backend(self.sub, method=method, noise_model=quantum_noise,
                                                       **branching)
        else:
            self.simulator = self.full_simulator
        self.build_s = time.perf_counter() - t0
        self.readout_errors = [self._measure_error(i) for i in range(len(active))]
        self.mitigation = mitigation
        self.mitigator = None
        self.mitigation_note = ""
        if mitigation == "m3":
            # The calibration circuits are product states (X or nothing, then measure): MPS
            # simulates them exactly at bond dimension 1. Statevector trajectories of them cost
            # 2**n per gate and shot (a 24-qubit calibration at 4000 shots ran for minutes).
            cal_sim = (self.full_simulator if method == "density_matrix" or len(active) <= DENSITY_MATRIX_MAX_QUBITS
                       else AerSimulator.from_backend(self.sub, method="matrix_product_state", **{
                           k: v for k, v in full_opts.items() if not k.startswith("fusion")}))
            try:
                import mthree

                mit = mthree.M3Mitigation(cal_sim)
                if seed is not None:  # reproducible calibration: mthree runs without a seed
                    cal_sim.set_options(seed_simulator=int(seed))
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        mit.cals_from_system(qubits=list(range(len(active))), shots=cal_shots, async_cal=False)
                finally:
                    cal_sim.set_options(seed_simulator=None)
                if mit.faulty_qubits:  # P(1|0) >= P(0|0): mthree's own check; its correction would blow up
                    self.mitigation = "tensored"
                    self.mitigation_note = (f"mthree flagged faulty qubits {sorted(mit.faulty_qubits)}; "
                                            "tensored inversion used")
                else:
                    self.mitigator = mit
            except Exception as exc:  # documented fallback
                self.mitigation = "tensored"
                self.mitigation_note = f"mthree unavailable ({type(exc).__name__}); tensored inversion used"

    def readout_for(self, circuit: QuantumCircuit) -> ClassicalReadout | None:
        """The classical readout of ``circuit`` on :attr:`simulator`, or ``None`` when the circuit
        must run on :attr:`full_simulator` (not statevector, or a clbit that control flow reads or
        that is written twice: :func:`~qar_qiskit.backends.readout.post_readout_map`)."""
        if not self.classical_readout or circuit.num_clbits > 63:
            return None
        clbit_qubit = post_readout_map(circuit)
        return None if clbit_qubit is None else ClassicalReadout.from_target(self.sub.target, clbit_qubit)

    def _measure_error(self, i: int) -> float:
        props = self.sub.target["measure"].get((i,)) if "measure" in self.sub.target.operation_names else None
        return float(props.error) if props is not None and props.error is not None else 0.0

    def mitigate(self, counts: dict[str, dict[str, int]],
                 reg_qubits: dict[str, list[int]]) -> dict[str, dict[str, float]]:
        out = {}
        for name, c in counts.items():
            qubits = reg_qubits[name]
            if any(q < 0 for q in qubits):  # an unmeasured bit: nothing to invert
                out[name] = {k: v / max(1, sum(c.values())) for k, v in c.items()}
                continue
            if self.mitigator is not None:
                quasi = self.mitigator.apply_correction(c, qubits)
                out[name] = {k: float(v) for k, v in quasi.items()}
            else:
                out[name] = tensored_readout_inversion(c, [self.readout_errors[q] for q in qubits])
        return out


