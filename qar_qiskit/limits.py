"""Upper bounds of the config's size- and count-like settings (issue #17), each with its reason.

:mod:`qar_qiskit.config` declares its fields with these bounds and re-exports them, so
``from qar_qiskit.config import MAX_SHOTS`` keeps working.
"""

from __future__ import annotations

#: Qubit budget and every qubit range: a plan is at most ``total_qubits`` wide, and 64 is the
#: width the ``aer`` backend accepts (``backends/aer.py: AER_MAX_QUBITS``). A 58-qubit plan with
#: the widest expert registers the rule below allows (LMSR, prospect, Hedge 9 each) and a 20-qubit
#: buffer: first aer decision 361 s (building and transpiling), then 0.72 s a tick, peak RSS
#: 496 MiB (measured 2026-12-03, shared 2-core machine).
MAX_TOTAL_QUBITS = 64
#: Per-algorithm ``max_qubits``: the seeds' ranges.
MAX_LMSR_QUBITS, MAX_PROSPECT_QUBITS, MAX_HEDGE_QUBITS = 12, 10, 15
#: Widest expert register a plan may get (the planner gives the other experts their minimums,
#: so LMSR can get min(max_qubits, algorithm_pool max - prospect min - hedge min)). An n-qubit
#: amplitude encoding has 2^n angles, each a sum of up to 2^(n-1) parameters, and building and
#: transpiling it grows ~5x per qubit: first aer decision with a 9-qubit LMSR register 77 s /
#: 300 MiB peak, 10 qubits > 400 s (stopped at 500 MiB), 12 qubits > 6 min and 4.3 GiB
#: (measured 2026-12-03 on this 2-core machine, shared). The defaults' widest is 6 (prospect).
MAX_REGISTER_QUBITS = 9
#: Days of returns the Hedge weights run over: 20 years of trading days (the shipped data's
#: span). The Hedge twin holds ~8 float64 arrays of lookback x 2^hedge cells: the peak was
#: 10.4 GB at 5040 x 2^15 (measured 2026-12-03), ~63 B a cell, so ~160 MB at 5040 x 2^9.
MAX_LOOKBACK = 5040
#: Decisions, outcomes and rewards kept in memory and in the saved state (history_size,
#: memory_depth, tracker_history, feedback_memory): 1.1 KB per decision in memory (history,
#: pending and settled records, trackers; half of them settled) and 0.4 KB of state file
#: (measured 2026-12-03, tracemalloc over 2000 exact decisions), so 100,000 keep ~100 MiB / 40 MB.
MAX_HISTORY = 100_000
#: Transpile-cache entries: a cached default-plan tick circuit with its binding pickles to
#: 0.14-0.17 MiB (measured 2026-12-03), so 1000 entries stay within a few hundred MiB.
MAX_CACHE_SIZE = 1000
#: Shots per circuit (the bound this field already had): the counts hold at most one entry per
#: distinct outcome, so at most 10^6 entries per register.
MAX_SHOTS = 1_000_000
#: Seeds: the transpiler (Rust) and Aer take unsigned 64-bit seeds; 2^63 - 1 fits both and NumPy.
MAX_SEED = 2**63 - 1
#: One backend call longer than a day is hung (hardware queues go through qar submit / result).
MAX_TIMEOUT_S = 86_400.0
