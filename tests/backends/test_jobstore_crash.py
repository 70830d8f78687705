"""Crash safety of the IBM job store: SIGKILL at random moments never loses or mangles records.

A worker process opens ``JobStore()`` at ``$QAR_JOB_STORE`` and adds records ``job-<n>`` in a
loop under the store's file lock with atomic replace; it is killed with SIGKILL at a random
(seeded) moment, 50 times. After each kill the store must parse and hold exactly the records
``job-0 .. job-(k-1)`` (a prefix), where ``k`` counts the adds that returned, plus possibly the
one in flight; the next worker must get the lock (the kernel drops a dead holder's lock).
"""

from __future__ import annotations

import json
import random

from qar_qiskit.backends.jobs import JobStore
from tests.crash_harness import ForkServer

KILLS = 50


def test_job_store_survives_sigkill(tmp_path):
    path = tmp_path / "jobs.json"
    rng = random.Random(7)
    server = ForkServer("jobs", path, env={"QAR_JOB_STORE": str(path)})
    done = 0  # records whose add returned
    in_flight_kills = 0
    try:
        for round_no in range(KILLS):
            reports = server.round(seed=round_no, rng=rng, wait_for_write=round_no % 5 != 0)
            pending = None
            for event, n, _ in reports:
                if event == "begin":
                    assert n == done, (reports, done)
                    pending = n
                else:
                    assert n == pending
                    done, pending = n + 1, None
            allowed = {done} | ({pending + 1} if pending is not None else set())
            if not path.exists():
                assert done == 0
                continue
            data = json.loads(path.read_text())  # parses
            jobs = data["jobs"]
            k = len(jobs)
            assert k in allowed, (round_no, k, allowed)
            assert sorted(jobs) == [f"job-{i:06d}" for i in range(k)]  # a prefix, nothing mixed
            for job_id, record in jobs.items():
                assert record["n"] == int(job_id[4:]) and record["job_id"] == job_id
                assert record["filler"] == "x" * len(record["filler"])
            assert len(JobStore(path).all()) == k
            if pending is not None:
                in_flight_kills += 1
            done = k  # the next worker continues from what is on disk
    finally:
        server.close()
    assert done >= 10 and in_flight_kills >= 5, (done, in_flight_kills)  # not vacuous
    print(f"job store: {KILLS} kills survived, {in_flight_kills} during an add, {done} records")
