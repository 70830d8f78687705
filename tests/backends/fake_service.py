"""A stand-in for ``QiskitRuntimeService`` used by the backend tests (also in subprocesses).

* ``backend(name)`` returns a fake device from qiskit-ibm-runtime's fake provider, so the
  client-side Sampler runs in local testing mode.
* ``job(job_id)`` returns a :class:`FakeRemoteJob` described by ``$FAKE_IBM_JOBS/<id>.json``
  (``{"status": "DONE"|"RUNNING"|"ERROR"|"CANCELLED", "counts": [{reg: {bits: n}}], "error": str}``),
  standing in for a hardware job fetched by id from a later process.
* ``backend("aer_mps")`` is a noiseless ``AerSimulator`` (matrix product state): local testing
  mode runs it directly, so the full 23-25 qubit tick circuit can go through the IBM path here
  (a routed 25-qubit tick on a fake device's noise model needs more memory than a test has).
* ``backend(name, use_fractional_gates=True)`` on a Heron fake (``fake_fez``, ``fake_torino``)
  returns a fresh fake device whose target is :func:`~qar_qiskit.backends.compile.with_fractional_gates`
  of the original (``rzz``/``rx`` at the CZ/SX errors), as ``QiskitRuntimeService`` returns a
  fractional target for a Heron device; other devices refuse, as the real service does.
* ``least_busy(min_num_qubits=..., operational=..., simulator=...)`` picks among the fake
  devices by the queue lengths in ``$FAKE_IBM_QUEUES`` (JSON ``{name: pending jobs}``) and
  records its keyword arguments in ``least_busy_calls``.
* ``jobs(job_tags=[...], limit=..., descending=...)`` lists the ``$FAKE_IBM_JOBS`` specs that
  carry all the tags (newest first by the spec's ``created``), as ``QiskitRuntimeService.jobs``.
* ``make_service`` is the factory named by ``QAR_IBM_SERVICE_FACTORY``; with
  ``$FAKE_IBM_AUTH_FAIL`` set it fails like a rejected token, quoting the token (as a careless
  library might) so the tests can check that it is redacted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from qiskit.primitives import BitArray, DataBin, PrimitiveResult, SamplerPubResult

FAKES = {"fake_torino": "FakeTorino", "fake_fez": "FakeFez", "fake_sherbrooke": "FakeSherbrooke"}
HERON = {"FakeTorino", "FakeFez"}
DEFAULT_QUEUES = {"fake_torino": 3, "fake_fez": 1, "fake_sherbrooke": 7}


class FakeRemoteJob:
    def __init__(self, job_id: str, spec: dict):
        self._id = job_id
        self.spec = spec

    def job_id(self) -> str:
        return self._id

    def status(self) -> str:
        return self.spec["status"]

    @property
    def tags(self) -> list:
        return list(self.spec.get("tags", []))

    def usage(self) -> float:
        return float(self.spec.get("usage", 0.0))

    def backend(self):
        return self.spec.get("backend", "fake_torino")

    def error_message(self) -> str:
        return self.spec.get("error", "")

    def result(self, timeout=None):
        status = self.spec["status"]
        if status == "RUNNING":
            raise TimeoutError("still running")
        if status != "DONE":
            raise RuntimeError(self.spec.get("error", "job failed"))
        rows = self.spec["counts"]
        shots = sum(next(iter(rows[0].values())).values())
        data = {}
        for reg in rows[0]:
            nbits = len(next(iter(rows[0][reg])))
            arrays = [BitArray.from_counts(r[reg], num_bits=nbits).array for r in rows]
            data[reg] = BitArray(np.stack(arrays), nbits)
        assert all(d.num_shots == shots for d in data.values())
        return PrimitiveResult([SamplerPubResult(DataBin(**data, shape=(len(rows),)))])


class FakeService:
    is_local = True

    def __init__(self, channel: str = "ibm_quantum_platform", instance=None):
        self.channel = channel
        self._devices = {}
        self.least_busy_calls = []

    def backend(self, name: str, use_fractional_gates: bool = False):
        if use_fractional_gates:
            cls_name = FAKES.get(name, name)
            if cls_name not in HERON:
                raise ValueError(f"Backend '{name}' does not support fractional gates, "
                                 "but use_fractional_gates was set to True.")
            key = f"{cls_name}+fractional"
            if key not in self._devices:
                import qiskit_ibm_runtime.fake_provider as fp

                from qar_qiskit.backends.compile import with_fractional_gates

                dev = getattr(fp, cls_name)()
                dev._target = with_fractional_gates(dev.target)
                self._devices[key] = dev
            return self._devices[key]
        if name == "aer_mps":
            if name not in self._devices:
                from qiskit_aer import AerSimulator

                self._devices[name] = AerSimulator(method="matrix_product_state",
                                                   mps_sample_measure_algorithm="mps_probabilities",
                                                   max_parallel_threads=1)
            return self._devices[name]
        cls_name = FAKES.get(name, name if name in FAKES.values() else None)
        if cls_name is None:
            raise KeyError(f"No backend matches the criteria: {name}")
        if cls_name not in self._devices:
            import qiskit_ibm_runtime.fake_provider as fp

            self._devices[cls_name] = getattr(fp, cls_name)()
        return self._devices[cls_name]

    def backends(self):
        return [self.backend(n) for n in ("fake_torino", "fake_fez")]

    def least_busy(self, min_num_qubits=None, instance=None, filters=None, use_fractional_gates=False, **kwargs):
        self.least_busy_calls.append({"min_num_qubits": min_num_qubits, **kwargs})
        queues = json.loads(os.environ.get("FAKE_IBM_QUEUES") or json.dumps(DEFAULT_QUEUES))
        candidates = [(n, name) for name, n in queues.items()
                      if self.backend(name).num_qubits >= (min_num_qubits or 0)]
        if not candidates:
            raise KeyError("No backend matches the criteria.")
        return self.backend(min(candidates)[1])

    def jobs(self, job_tags=None, limit=10, descending=True, **kwargs):
        folder = Path(os.environ.get("FAKE_IBM_JOBS", "."))
        found = []
        for path in folder.glob("*.json"):
            spec = json.loads(path.read_text())
            if set(job_tags or []) <= set(spec.get("tags", [])):
                found.append((spec.get("created", ""), FakeRemoteJob(path.stem, spec)))
        found.sort(key=lambda pair: pair[0], reverse=descending)
        return [job for _, job in found][:limit]

    def job(self, job_id: str):
        path = Path(os.environ.get("FAKE_IBM_JOBS", ".")) / f"{job_id}.json"
        if not path.exists():
            raise KeyError(f"Job not found: {job_id}")
        return FakeRemoteJob(job_id, json.loads(path.read_text()))


def make_service(channel: str = "ibm_quantum_platform", instance=None):
    if os.environ.get("FAKE_IBM_AUTH_FAIL"):
        token = os.environ.get("QISKIT_IBM_TOKEN", "")
        raise PermissionError(f"401 Unauthorized: invalid token {token!r} for {channel}")
    return FakeService(channel, instance)
