"""A stand-in for ``QiskitRuntimeService`` used by the backend tests (also in subprocesses).

* ``backend(name)`` returns a fake device from qiskit-ibm-runtime's fake provider, so the
  client-side Sampler runs in local testing mode.
* ``job(job_id)`` returns a :class:`FakeRemoteJob` described by ``$FAKE_IBM_JOBS/<id>.json``
  (``{"status": "DONE"|"RUNNING"|"ERROR"|"CANCELLED", "counts": [{reg: {bits: n}}], "error": str}``),
  standing in for a hardware job fetched by id from a later process.
* ``backend("aer_mps")`` is a noiseless ``AerSimulator`` (matrix product state): local testing
  mode runs it directly, so the full 23-25 qubit tick circuit can go through the IBM path here
  (a routed 25-qubit tick on a fake device's noise model needs more memory than a test has).
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


class FakeRemoteJob:
    def __init__(self, job_id: str, spec: dict):
        self._id = job_id
        self.spec = spec

    def job_id(self) -> str:
        return self._id

    def status(self) -> str:
        return self.spec["status"]

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

    def backend(self, name: str):
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
