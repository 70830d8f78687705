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


def test_huge_budget_materialises_nothing_per_qubit():
    """Issue #17: a budget of 10^9 qubits held ``list(range(10**9))`` (22 GB resident)."""
    import tracemalloc

    tracemalloc.start()
    try:
        pool = QubitPool(10**9)
        with pool.allocate(3, "lmsr") as block:
            assert block.indices == (0, 1, 2) and pool.free_count == 10**9 - 3
            assert block.qubits[2] is pool.register[2] or block.qubits[2] == pool.register[2]
        assert pool.free_count == 10**9 and pool.check() == []
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, peak  # bytes: nothing proportional to the budget


@pytest.mark.parametrize("total", [2**63, 10**20, 0, -3, 2.0, True])
def test_impossible_budget_is_a_resource_error(total):
    with pytest.raises(ResourceError, match="total_qubits"):
        QubitPool(total)


def test_matches_a_set_model_of_the_lowest_free_indices():
    """Random acquire/release against a reference model: the n lowest free indices, reset marks."""
    rng = random.Random(17)
    pool, free, used, held = QubitPool(12), set(range(12)), set(), []
    for _ in range(2000):
        if held and (rng.random() < 0.5 or not free):
            block = held.pop(rng.randrange(len(held)))
            pool.release(block)
            free |= set(block.indices)
            used |= set(block.indices)
        else:
            n = rng.randint(1, 5)
            if n > len(free):
                with pytest.raises(ResourceError):
                    pool.acquire(n, "x")
                continue
            block = pool.acquire(n, "x")
            expected = sorted(free)[:n]
            assert list(block.indices) == expected
            assert set(block.needs_reset) == set(expected) & used
            free -= set(expected)
            held.append(block)
        assert pool.free_count == len(free) and pool.check() == []
