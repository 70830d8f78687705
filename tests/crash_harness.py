"""Kill-at-random harness for the crash-safety tests (issue #7, part 2).

Starting a Python process that imports Qiskit takes seconds, so one subprocess, the *fork
server*, imports everything once and forks a fresh *worker* process per round. The test kills
each worker with SIGKILL at a random (seeded) moment and then checks the file the worker was
writing. Workers report each write before and after it, one ``os.write`` per line::

    <pid> begin <id> <digest>     about to write the state/record <id> whose content hashes to <digest>
    <pid> end <id> <digest>       the write returned

Workers:

* ``state``: continue the QAR state in the file (``QAR.load``; a new ``QAR(backend="exact")`` the
  first time), then loop: decide, record the outcome, ``save(path)``. ``<id>`` is the tick index
  and ``<digest>`` the state's checksum.
* ``jobs``: a :class:`~qar_qiskit.backends.jobs.JobStore` at ``$QAR_JOB_STORE``; loop: add the
  next record ``job-<n>`` (n = records already stored). ``<id>`` is ``n``.

Run as ``python -m tests.crash_harness KIND PATH``; commands on stdin: ``fork SEED``,
``reap PID``, ``quit``.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _emit(line: str) -> None:
    os.write(1, (line + "\n").encode())  # one write: lines from several processes do not interleave


def _state_worker(path: Path, seed: int) -> None:
    from qar_qiskit.system.persistence import _checksum, _payload
    from qar_qiskit.system.qar import QAR
    from qar_qiskit.tick import MarketTick

    pid = os.getpid()
    rng = random.Random(seed)
    qar = QAR.load(path) if path.exists() else QAR(backend="exact", seed=seed)
    while True:
        tick = MarketTick(price=100.0 * (1 + rng.uniform(-0.2, 0.2)), volatility=rng.uniform(0.05, 0.9),
                          trend_clarity=rng.random(), volume_normalized=rng.uniform(0.5, 3.0))
        decision = qar.decide(tick)
        r = rng.gauss(0.0, 0.01)
        qar.record_outcome(decision.decision_id, pnl=decision.position * 0.05 * r, market_return=r)
        digest = _checksum(_payload(qar))
        _emit(f"{pid} begin {qar.tick_index} {digest}")
        qar.save(path)
        _emit(f"{pid} end {qar.tick_index} {digest}")


def job_record(n: int, size: int) -> dict:
    """The ``n``-th record a jobs worker adds (``size`` bytes of filler make writes longer)."""
    return {"job_id": f"job-{n:06d}", "n": n, "status": "QUEUED", "backend": "ibm:fake_torino",
            "filler": "x" * size}


def _jobs_worker(seed: int) -> None:
    from qar_qiskit.backends.jobs import JobStore

    pid = os.getpid()
    rng = random.Random(seed)
    store = JobStore()  # $QAR_JOB_STORE
    n = len(store.all())
    while True:
        _emit(f"{pid} begin {n} -")
        store.add(job_record(n, rng.randint(0, 4000)))
        _emit(f"{pid} end {n} -")
        n += 1


def serve(kind: str, path: str) -> None:
    """The fork server: import once, then fork a worker per ``fork SEED`` command."""
    if kind == "state":
        import qar_qiskit.system.persistence  # noqa: F401
        import qar_qiskit.system.qar  # noqa: F401
    else:
        import qar_qiskit.backends.jobs  # noqa: F401
    _emit("ready")
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "fork":
            pid = os.fork()
            if pid == 0:
                try:
                    if kind == "state":
                        _state_worker(Path(path), int(arg))
                    else:
                        _jobs_worker(int(arg))
                finally:
                    os._exit(1)
            _emit(f"pid {pid}")
        elif cmd == "reap":
            _, status = os.waitpid(int(arg), 0)
            _emit(f"reaped {arg} {status}")
        elif cmd == "quit":
            return


class ForkServer:
    """The test's side: start the server, fork workers, kill them, read their reports."""

    def __init__(self, kind: str, path: Path, env: dict[str, str] | None = None, timeout: float = 60.0):
        full_env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1",
                    "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", **(env or {})}
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.crash_harness", kind, str(path)], cwd=ROOT,
                                     env=full_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        self.timeout = timeout
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.expect(lambda line: line == "ready")

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def next_line(self, timeout: float | None = None) -> str:
        try:
            line = self.lines.get(timeout=self.timeout if timeout is None else timeout)
        except queue.Empty:
            raise AssertionError("the fork server stopped answering") from None
        if line is None:
            raise AssertionError(f"the fork server exited: {self.proc.stderr.read()[-2000:]}")
        return line

    def expect(self, match, seen: list[str] | None = None) -> str:
        """Read lines until one satisfies ``match``; the others go to ``seen``."""
        while True:
            line = self.next_line()
            if match(line):
                return line
            if seen is not None:
                seen.append(line)

    def send(self, command: str) -> None:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def round(self, seed: int, rng: random.Random, *, wait_for_write: bool) -> list[tuple[str, int, str]]:
        """Fork a worker, SIGKILL it at a random moment, reap it; its ``(event, id, digest)`` reports.

        With ``wait_for_write`` the kill comes 0-25 ms after the worker's first report (it is in
        its write loop); otherwise 0-60 ms after the fork (possibly while it loads the file).
        """
        self.send(f"fork {seed}")
        seen: list[str] = []
        pid = int(self.expect(lambda line: line.startswith("pid "), seen).split()[1])
        if wait_for_write:
            seen.append(self.expect(lambda line: line.startswith(f"{pid} begin"), seen))
            time.sleep(rng.uniform(0.0, 0.025))
        else:
            time.sleep(rng.uniform(0.0, 0.06))
        os.kill(pid, signal.SIGKILL)
        self.send(f"reap {pid}")
        status_line = self.expect(lambda line: line.startswith(f"reaped {pid} "), seen)
        status = int(status_line.split()[2])
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, status_line
        reports = []
        for line in seen:
            parts = line.split()
            if len(parts) == 4 and parts[0] == str(pid) and parts[1] in ("begin", "end"):
                reports.append((parts[1], int(parts[2]), parts[3]))
        return reports

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
