"""Light-cone statistics of every plan of a config on a device (``qar circuits stats``, the benchmark).

Above the executors: it builds the executor a spec names (its pass manager, seed and layout
trials) and reads the cones of the ISA circuit that executor would run, through
:mod:`qar_qiskit.backends.lightcone` (which stays below the executors).

``isa_out``: the ISA circuits described are also written as QPY files (:func:`save_isa`), one
per plan, so anyone can reload the exact circuit (``qiskit.qpy.load``) and recompute the figures
(:func:`register_esps`).

A register's *cone ESP* is the estimated success probability of its backward light cone: the
product of ``1 - error`` over the gates and measurements its measured bits can depend on, with
the device target's own error rates (:mod:`qar_qiskit.backends.lightcone`). It is what that
register's readout sees of the device's noise, so it compares compilations register by register
(the whole circuit's ESP mixes registers that never see each other's errors).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from qar_qiskit.backends.compile import register_esps
from qar_qiskit.backends.registry import make_executor
from qar_qiskit.circuits.composer import compose_tick_circuit
from qar_qiskit.errors import BackendError, InputError
from qar_qiskit.plan.planner import all_plans, plan_for_regime

__all__ = ["plan_stats", "stats_table", "save_isa", "load_isa"]


def save_isa(isa, directory: str | Path, name: str) -> Path:
    """Write ``isa`` to ``directory/<name>.qpy`` (QPY, Qiskit's binary circuit format); returns the path."""
    from qiskit import qpy

    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--isa-out: {folder} exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name) + ".qpy")
    with path.open("wb") as fh:
        qpy.dump(isa, fh)
    return path


def load_isa(path: str | Path):
    """The circuit of a QPY file :func:`save_isa` wrote."""
    from qiskit import qpy

    with Path(path).open("rb") as fh:
        return qpy.load(fh)[0]



def plan_stats(config, backend: str, *, regime: str | None = None, optimization_level: int = 3,
               method: str = "causal", isa_out: str | Path | None = None) -> list[dict]:
    """Cone statistics of every regime's plan (or one regime's) transpiled for ``backend``.

    Args:
        config: a :class:`~qar_qiskit.config.QARConfig`.
        backend: an executor spec with a device target (``aer-noisy:FakeFez``, ``ibm:ibm_fez``);
            the ISA circuit is the one that executor would run (its pass manager and seed).
        regime: one regime, or ``None`` for all four.
        optimization_level: the preset pass manager's level.
        method: ``"causal"`` or ``"commutation"`` (see :func:`~qar_qiskit.backends.lightcone.register_cone`).
        isa_out: a folder to write each plan's ISA circuit to (``<backend>-<regime>.qpy``).

    Returns:
        One JSON-ready row per plan: backend, regime, plan sizes, ``registers`` (name ->
        :meth:`ConeStats.as_dict`), ``circuit`` (the whole circuit's), ``compile_s`` and, with
        ``isa_out``, ``isa_file``.

    Raises:
        BackendError: a backend without a device target (``aer``, ``exact``).
        ConfigError: an unknown regime.
    """
    executor = make_executor(backend, optimization_level=optimization_level)
    target = None if executor.is_exact else executor.device_target()
    if target is None:
        raise BackendError(f"backend: {backend!r} has no device target to take error rates from; "
                           "use aer-noisy:<FakeDevice> or ibm:<name>")
    plans = {regime: plan_for_regime(config, regime)} if regime else all_plans(config)
    rows = []
    for name, plan in plans.items():
        t0 = time.perf_counter()
        isa = executor.transpile_uncached(compose_tick_circuit(plan), optimization_level)
        seconds = time.perf_counter() - t0
        stats = register_esps(isa, target, method=method)
        whole = stats.pop("*")
        row = {"backend": executor.name, "regime": name, "optimization_level": optimization_level,
               "cone": method, "plan": plan.sizes(), "plan_qubits": plan.total,
               "registers": stats, "circuit": whole, "compile_s": round(seconds, 2)}
        if isa_out is not None:
            row["isa_file"] = str(save_isa(isa, isa_out, f"{executor.name}-{name}"))
        rows.append(row)
    return rows


def stats_table(rows: list[dict]) -> str:
    """The rows of :func:`plan_stats` as a readable text table."""
    lines = []
    for row in rows:
        sizes = ", ".join(f"{k} {v}" for k, v in row["plan"].items() if v)
        lines.append(f"{row['backend']}  plan {row['regime']} ({row['plan_qubits']} qubits: {sizes}), "
                     f"optimization level {row['optimization_level']}, {row['cone']} light cones")
        lines.append(f"  {'register':<10}{'qubits':>7}{'2q gates':>10}{'depth':>7}{'ESP':>8}")
        for name, s in [*row["registers"].items(), ("circuit", row["circuit"])]:
            lines.append(f"  {name:<10}{s['qubits']:>7}{s['two_qubit_gates']:>10}{s['depth']:>7}{s['esp']:>8.3f}")
        if row.get("isa_file"):
            lines.append(f"  ISA circuit written to {row['isa_file']}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
