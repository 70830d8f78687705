"""Two-qubit gate count and depth of every fragment after transpiling for IBM Torino.

Run: ``python benchmarks/bench_circuits.py --out DIR`` (writes ``bench_circuits.json`` and
``bench_circuits.md``).

1. Every named circuit of :mod:`qar_qiskit.circuits.export` (entanglement/teleport fragments,
   the tick fragments and the composed default tick circuit), *parameterized* as in
   production (transpiled once per plan, bound per tick), after
   ``generate_preset_pass_manager(optimization_level=L, backend=FakeTorino())`` for L = 1, 2, 3.
   Column ``all-to-all L3``: the same basis (cz, rz, sx, x) without a coupling map, i.e. the
   logical cost before routing; the difference to L3 is the heavy-hex routing overhead.
2. The amplitude fragments (LMSR, Hedge, prospect register + ancilla) at n = 3..6 qubits,
   bound to seeded random parameter values, side by side with Qiskit's non-parameterized
   ``StatePreparation`` of exactly the same state (the bound fragment's statevector), both
   through the same pass manager. ``fidelity`` checks that the transpiled fragment still
   prepares the state (layout and routing permutations undone).

Two-qubit gates are the ISA's 2-qubit operations (``cz`` on Torino); depth is the circuit
depth of the ISA circuit (all operations, measurements included).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import qiskit  # noqa: E402
from _common import write_report  # noqa: E402
from qiskit import QuantumCircuit  # noqa: E402
from qiskit.circuit.library import StatePreparation  # noqa: E402
from qiskit.quantum_info import Statevector  # noqa: E402
from qiskit.transpiler import generate_preset_pass_manager  # noqa: E402
from qiskit_ibm_runtime.fake_provider import FakeTorino  # noqa: E402

from qar_qiskit.circuits.export import build, circuit_names  # noqa: E402

LEVELS = (1, 2, 3)
SEED = 1234
AMPLITUDE_SIZES = (3, 4, 5, 6)


def two_qubit_count(circuit: QuantumCircuit) -> int:
    """Number of operations acting on exactly two qubits (control-flow blocks recursed)."""
    total = 0
    for inst in circuit.data:
        op = inst.operation
        blocks = getattr(op, "blocks", ())
        if blocks:
            total += sum(two_qubit_count(b) for b in blocks)
        elif len(inst.qubits) == 2 and op.name != "barrier":
            total += 1
    return total


def metrics(circuit: QuantumCircuit, pms: dict) -> dict:
    out = {"qubits": circuit.num_qubits, "parameters": circuit.num_parameters}
    for level, pm in pms.items():
        if level == "a2a":
            isa = pm.run(circuit)
            out["all_to_all_L3"] = {"two_qubit": two_qubit_count(isa), "depth": isa.depth()}
            continue
        t0 = time.perf_counter()
        isa = pm.run(circuit)
        out[f"L{level}"] = {
            "two_qubit": two_qubit_count(isa),
            "depth": isa.depth(),
            "transpile_ms": round(1000 * (time.perf_counter() - t0), 1),
        }
    return out


def _fragment(kind: str, n: int) -> QuantumCircuit:
    if kind == "lmsr":
        from qar_qiskit.circuits.lmsr import lmsr_circuit

        return lmsr_circuit(n)
    if kind == "hedge":
        from qar_qiskit.circuits.hedge import hedge_circuit

        return hedge_circuit(n)
    from qar_qiskit.circuits.prospect import prospect_circuit

    return prospect_circuit(n)  # n - 1 outcome qubits + the value ancilla


def _fidelity(isa: QuantumCircuit, target: Statevector) -> float:
    """|<target|ψ>|² of the transpiled circuit restricted to its virtual qubits."""
    layout = isa.layout
    n = target.num_qubits
    # final_index_layout: virtual qubit i ends on physical qubit final[i]
    final = layout.final_index_layout()
    # Simulate only the active physical qubits.
    active = sorted(set(final) | {q for inst in isa.data for q in
                                  (isa.find_bit(b).index for b in inst.qubits)})
    index = {p: k for k, p in enumerate(active)}
    small = QuantumCircuit(len(active))
    for inst in isa.data:
        small.append(inst.operation, [index[isa.find_bit(b).index] for b in inst.qubits])
    sv = Statevector(small)
    # Ancilla qubits end in |0>: take the amplitudes where they are 0, ordered by virtual qubit.
    amps = np.zeros(2**n, dtype=complex)
    for i in range(2**n):
        j = sum(((i >> v) & 1) << index[final[v]] for v in range(n))
        amps[i] = sv.data[j]
    return float(abs(np.vdot(target.data, amps)) ** 2)


def amplitude_rows(pms: dict, rng: np.random.Generator) -> list[dict]:
    rows = []
    for kind in ("lmsr", "hedge", "prospect"):
        for n in AMPLITUDE_SIZES:
            frag = _fragment(kind, n)
            values = rng.uniform(0.1, np.pi - 0.1, frag.num_parameters)
            bound = frag.assign_parameters(dict(zip(frag.parameters, values)))
            target = Statevector(bound)
            prep = QuantumCircuit(n, name="state_preparation")
            prep.append(StatePreparation(target.data), range(n))
            row = {"fragment": kind, "n": n, "ours_parameterized": metrics(frag, pms),
                   "ours_bound": metrics(bound, pms), "state_preparation": metrics(prep, pms)}
            row["fidelity_L3"] = round(_fidelity(pms[3].run(bound), target), 12)
            row["fidelity_L3"] = min(row["fidelity_L3"], 1.0)
            rows.append(row)
    return rows


def markdown(report: dict) -> str:
    lines = [
        "# Circuit benchmark: two-qubit gates / depth on FakeTorino",
        "",
        f"qiskit {report['qiskit']}, qiskit-ibm-runtime {report['qiskit_ibm_runtime']}, "
        f"seed {report['seed']}. Cells are `2q gates / depth`.",
        "",
        "## Named circuits (parameterized, as transpiled once per plan)",
        "",
        "| circuit | qubits | params | L1 | L2 | L3 | all-to-all L3 | L3 transpile ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in report["circuits"].items():
        cells = " | ".join(f"{m[f'L{lv}']['two_qubit']} / {m[f'L{lv}']['depth']}" for lv in LEVELS)
        a2a = m["all_to_all_L3"]
        lines.append(f"| {name} | {m['qubits']} | {m['parameters']} | {cells} | "
                     f"{a2a['two_qubit']} / {a2a['depth']} | {m['L3']['transpile_ms']} |")
    lines += [
        "",
        "## Amplitude fragments vs Qiskit StatePreparation (same state, seeded random values)",
        "",
        "`ours` = the fragment (parameterized / bound); `SP` = `StatePreparation` of the bound "
        "fragment's statevector. The prospect fragment includes its value ancilla (n - 1 "
        "outcome qubits + 1).",
        "",
        "| fragment | n | ours param L1 / L2 / L3 | ours bound L3 | SP L1 / L2 / L3 "
        "| all-to-all L3: ours param / SP | fidelity (ours bound, L3) |",
        "|---|---:|---|---|---|---|---:|",
    ]

    def cell(m, lv):
        return f"{m[f'L{lv}']['two_qubit']}/{m[f'L{lv}']['depth']}"

    for r in report["amplitude"]:
        ours = ", ".join(cell(r["ours_parameterized"], lv) for lv in LEVELS)
        sp = ", ".join(cell(r["state_preparation"], lv) for lv in LEVELS)
        a2a = (f"{r['ours_parameterized']['all_to_all_L3']['two_qubit']} / "
               f"{r['state_preparation']['all_to_all_L3']['two_qubit']}")
        lines.append(f"| {r['fragment']} | {r['n']} | {ours} | {cell(r['ours_bound'], 3)} | {sp} "
                     f"| {a2a} | {r['fidelity_L3']:.9f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--skip", nargs="*", default=[], help="circuit names to leave out")
    args = parser.parse_args(argv)

    import qiskit_ibm_runtime

    backend = FakeTorino()
    pms = {lv: generate_preset_pass_manager(optimization_level=lv, backend=backend,
                                            seed_transpiler=SEED) for lv in LEVELS}
    pms["a2a"] = generate_preset_pass_manager(
        optimization_level=3, basis_gates=["cz", "rz", "sx", "x"], seed_transpiler=SEED
    )
    report = {
        "qiskit": qiskit.__version__,
        "qiskit_ibm_runtime": qiskit_ibm_runtime.__version__,
        "python": platform.python_version(),
        "backend": backend.name,
        "seed": SEED,
        "circuits": {},
    }
    t0 = time.perf_counter()
    for name in circuit_names():
        if name in args.skip:
            continue
        report["circuits"][name] = metrics(build(name), pms)
        print(f"{name}: {report['circuits'][name]['L3']}", flush=True)
    report["amplitude"] = amplitude_rows(pms, np.random.default_rng(SEED))
    report["total_s"] = round(time.perf_counter() - t0, 1)
    write_report(args.out, "bench_circuits", report, markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
