import random
import threading

import pytest

from qar_qiskit.errors import ResourceError
from qar_qiskit.plan.pool import QubitPool


def test_allocate_and_release_on_exception():
    pool = QubitPool(25)
    with pytest.raises(RuntimeError):
        with pool.allocate(5, "lmsr") as block:
            assert len(block) == 5 and pool.free_count == 20
            assert all(q in pool.register for q in block.qubits)
            raise RuntimeError("boom")
    assert pool.free_count == 25 and pool.check() == []


def test_over_allocation_message_says_requested_and_free():
    pool = QubitPool(10)
    with pool.allocate(7, "hedge"):
        with pytest.raises(ResourceError, match=r"requested 4 qubits but only 3 of 10 are free"):
            with pool.allocate(4, "lmsr"):
                pass
    assert pool.statistics()["denied"] == {"lmsr": 1}


@pytest.mark.parametrize("n", [0, -1, 2.5, True])
def test_invalid_requests(n):
    with pytest.raises(ResourceError):
        QubitPool(5).acquire(n, "x")


def test_reused_qubits_are_marked_for_reset():
    pool = QubitPool(4)
    with pool.allocate(2, "a") as first:
        assert first.needs_reset == ()
    with pool.allocate(3, "b") as second:
        assert set(second.needs_reset) == set(first.indices)
        assert len(set(second.indices) - set(first.indices)) == 1


def test_statistics_and_history():
    pool = QubitPool(8)
    with pool.allocate(3, "lmsr"):
        with pool.allocate(2, "lmsr"):
            pass
    stats = pool.statistics()["components"]["lmsr"]
    assert stats == {"allocations": 2, "qubits": 5, "peak": 5, "held": 0}
    assert [h["action"] for h in pool.history()] == ["allocate", "allocate", "release", "release"]


def test_eight_threads_never_overallocate_or_share():
    pool = QubitPool(25)
    owner: dict[int, int] = {}
    lock = threading.Lock()
    errors: list[str] = []
    peak = [0]

    def worker(tid: int) -> None:
        rng = random.Random(tid)
        for _ in range(300):
            n = rng.randint(1, 9)
            try:
                with pool.allocate(n, f"c{tid}") as block:
                    with lock:
                        for i in block.indices:
                            if i in owner:
                                errors.append(f"qubit {i} held by {owner[i]} and {tid}")
                            owner[i] = tid
                        peak[0] = max(peak[0], len(owner))
                    with lock:
                        for i in block.indices:
                            del owner[i]
            except ResourceError:
                pass

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert peak[0] <= 25
    assert pool.free_count == 25 and pool.check() == [] and pool.holders() == {}
