"""Crash safety of ``QAR.save``: SIGKILL at random moments never leaves a mixed or corrupt file.

A worker process continues the saved state and saves it after every decision and outcome; it is
killed with SIGKILL at a random (seeded) moment, 50 times. After each kill the file must load
with ``QAR.load`` and hold exactly the last state whose save returned, or the state whose save
was in flight (compared by the payload checksum the worker reported before writing).
"""

from __future__ import annotations

import random

from qar_qiskit.system.persistence import _checksum, read_state
from qar_qiskit.system.qar import QAR
from tests.crash_harness import ForkServer

KILLS = 50


def test_state_file_survives_sigkill(tmp_path):
    path = tmp_path / "state.json"
    rng = random.Random(20261122)
    server = ForkServer("state", path)
    committed = None  # (tick index, digest) of the last save that returned
    in_flight_kills = new_state_kills = 0
    try:
        for round_no in range(KILLS):
            reports = server.round(seed=1000 + round_no, rng=rng, wait_for_write=round_no % 5 != 0)
            pending = None
            for event, index, digest in reports:
                if event == "begin":
                    pending = (index, digest)
                else:
                    assert pending == (index, digest), (reports, pending)
                    committed, pending = pending, None
            allowed = {committed, pending} - {None}
            if not path.exists():  # the old state: none yet
                assert committed is None, "a saved state file disappeared"
                continue
            assert allowed, "a file appeared before any save began"
            payload = read_state(path)  # parses, checksum verified, schema known
            found = (payload["tick_index"], _checksum(payload))
            assert found in allowed, (round_no, found, allowed)
            loaded = QAR.load(path)
            assert loaded.tick_index == found[0]
            if pending is not None:
                in_flight_kills += 1
                if found == pending:
                    new_state_kills += 1
                    committed = pending  # the next worker continues from what is on disk
    finally:
        server.close()
    # not vacuous: the state moved on between kills, and kills landed during saves
    assert committed is not None and committed[0] >= 10 and in_flight_kills >= 5, (committed, in_flight_kills)
    # leftover temp files of interrupted saves are all that a kill may leave behind
    assert {p.name for p in tmp_path.iterdir() if not p.name.endswith(".tmp")} == {"state.json"}
    print(f"state: {KILLS} kills survived, {in_flight_kills} during a save "
          f"({new_state_kills} found the new state), final tick index {committed[0]}")
