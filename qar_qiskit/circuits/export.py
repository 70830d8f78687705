"""Named circuits of the package, exported as OpenQASM 3 and drawn by ``qar circuits``.

Every fragment is registered here under a stable name; :func:`export_all` writes
``<name>.qasm`` (``qiskit.qasm3.dumps``) for each one. Parameterized fragments are exported
with their parameters as OpenQASM 3 ``input float[64]`` declarations, i.e. exactly the
structure that is transpiled once per plan and bound every tick. The golden copies live in the
repository's top-level ``circuits/`` folder; regenerate them with
``qar circuits export circuits/`` whenever a fragment changes (a test fails when they are stale).

The tick fragments (market, memory, each built-in expert's ``Expert.circuit`` — LMSR,
prospect, hedge —, decision, feedback, the four entanglement-buffer patterns and the composed
tick circuit) are built at the sizes of the default :class:`AllocationPlan`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from qiskit import QuantumCircuit, qasm3
from qiskit.circuit import Parameter

from qar_qiskit.errors import InputError

#: Header written on top of every exported file (a comment; not part of the circuit).
HEADER = (
    "// qar-qiskit circuit {name}: {description}\n"
    "// regenerate: qar circuits export circuits/\n"
)


@dataclass(frozen=True)
class CircuitEntry:
    """One exported circuit: its name, a one-line description and a zero-argument builder."""

    name: str
    description: str
    build: Callable[[], QuantumCircuit]


def _ent(func: str, *args) -> Callable[[], QuantumCircuit]:
    def build() -> QuantumCircuit:
        from qar_qiskit.circuits import entanglement

        return getattr(entanglement, func)(*args)

    return build


def _weak_bell() -> QuantumCircuit:
    from qar_qiskit.circuits.entanglement import weak_bell

    return weak_bell(Parameter("theta"))


def _teleport(kind: str) -> Callable[[], QuantumCircuit]:
    def build() -> QuantumCircuit:
        from qar_qiskit.circuits import teleport

        return getattr(teleport, f"teleport_{kind}")()

    return build


def _reuse_demo() -> QuantumCircuit:
    from qar_qiskit.circuits.entanglement import bell_pair, ghz
    from qar_qiskit.circuits.reuse import reuse_qubits

    return reuse_qubits([bell_pair("phi+"), ghz(3)]).circuit


def _plan():
    from qar_qiskit.plan.allocation import AllocationPlan

    return AllocationPlan()


def _tick_fragment(module: str, func: str) -> Callable[[], QuantumCircuit]:
    """Builder for the other tick fragments: ``qar_qiskit.circuits.<module>.<func>()``."""

    def build() -> QuantumCircuit:
        return getattr(importlib.import_module(f"qar_qiskit.circuits.{module}"), func)()

    return build


def _experts():
    """The built-in experts with a register (their fragments at the default plan's sizes)."""
    from qar_qiskit.experts.registry import default_experts

    return default_experts().with_register


def _expert_fragment(expert) -> Callable[[], QuantumCircuit]:
    def build() -> QuantumCircuit:
        return expert.circuit(_plan().expert_sizes()[expert.name])

    return build


def _pattern(regime: str) -> Callable[[], QuantumCircuit]:
    def build() -> QuantumCircuit:
        from qar_qiskit.circuits.patterns import pattern_circuit

        return pattern_circuit(regime, _plan().buffer)

    return build


def _tick_default() -> QuantumCircuit:
    from qar_qiskit.circuits.composer import compose_tick_circuit

    return compose_tick_circuit(_plan()).circuit


def _entries() -> list[CircuitEntry]:
    e = CircuitEntry
    return [
        e("bell_phi_plus", "Bell state (|00> + |11>)/sqrt2", _ent("bell_pair", "phi+")),
        e("bell_phi_minus", "Bell state (|00> - |11>)/sqrt2", _ent("bell_pair", "phi-")),
        e("bell_psi_plus", "Bell state (|01> + |10>)/sqrt2", _ent("bell_pair", "psi+")),
        e("bell_psi_minus", "Bell state (|01> - |10>)/sqrt2", _ent("bell_pair", "psi-")),
        e("ghz_3", "3-qubit GHZ state (|000> + |111>)/sqrt2", _ent("ghz", 3)),
        e("ghz_4", "4-qubit GHZ state (crisis risk broadcast on a 4-qubit buffer)", _ent("ghz", 4)),
        e("cluster_4", "4-qubit linear cluster state (H on all, CZ on neighbours)",
          _ent("cluster", 4)),
        e("weak_bell", "cos(theta/2)|00> + sin(theta/2)|11>, input theta", _weak_bell),
        e("teleport_dynamic", "teleportation: Bell measurement + if_test X/Z corrections",
          _teleport("dynamic")),
        e("teleport_deferred", "teleportation, deferred measurement (controlled X/Z)",
          _teleport("deferred")),
        e("reuse_bell_ghz", "qubit reuse: Bell pair then GHZ(3) on 3 qubits, measure + reset",
          _reuse_demo),
        e("market", "market register: regime amplitudes and phases on codes 0000/0011/0101/1111",
          _tick_fragment("market", "market_circuit")),
        e("memory", "learning memory: sqrt(w[r, a]) per regime, controlled by the market register",
          _tick_fragment("memory", "memory_circuit")),
        *(e(x.name, x.description or f"{x.name} expert register", _expert_fragment(x)) for x in _experts()),
        e("decision", "decision register mapped from the experts, selected by the memory",
          _tick_fragment("decision", "decision_circuit")),
        e("feedback", "regime feedback: RY/CRY on size and risk qubits from the regime qubits",
          _tick_fragment("feedback", "feedback_circuit")),
        *(
            e(f"pattern_{r}", f"entanglement-buffer pattern for regime {r} (default buffer size)",
              _pattern(r))
            for r in ("stable", "trending", "volatile", "crisis")
        ),
        e("tick_default", "composed tick circuit of the default AllocationPlan", _tick_default),
    ]


def entries() -> dict[str, CircuitEntry]:
    """Name -> entry, in export order."""
    return {entry.name: entry for entry in _entries()}


def circuit_names() -> list[str]:
    """The valid circuit names, in export order."""
    return list(entries())


def build(name: str) -> QuantumCircuit:
    """Build the circuit registered as ``name``.

    Raises:
        InputError: unknown name (the message lists the valid names).
    """
    table = entries()
    if name not in table:
        raise InputError(f"unknown circuit {name!r}; valid names: {', '.join(table)}")
    return table[name].build()


def to_qasm3(circuit: QuantumCircuit) -> str:
    """OpenQASM 3 text of ``circuit`` (``qiskit.qasm3.dumps``; if_test blocks become ``if``)."""
    return qasm3.dumps(circuit)


def render(name: str) -> str:
    """The exact text :func:`export_all` writes for ``name``: header comment + OpenQASM 3."""
    entry = entries().get(name)
    if entry is None:
        build(name)  # raises the InputError with the valid names
    text = to_qasm3(entry.build())
    if not text.endswith("\n"):
        text += "\n"
    return HEADER.format(name=name, description=entry.description) + text


def export_all(directory: str | Path, names: Iterable[str] | None = None) -> list[Path]:
    """Write ``<name>.qasm`` for every registered circuit (or for ``names``) into ``directory``.

    The directory is created if needed; existing files of the same names are overwritten,
    other files are left alone. Output is deterministic (same code -> same bytes).

    Returns:
        The written paths, in export order.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    selected = list(names) if names is not None else circuit_names()
    written = []
    for name in selected:
        text = render(name)
        path = out / f"{name}.qasm"
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written
