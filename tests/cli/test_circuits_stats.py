"""``qar circuits stats``: light-cone figures per plan and register, checked against an
independent transpilation and ESP computed here from the device target."""

from __future__ import annotations

import json
import math

from qiskit.transpiler import generate_preset_pass_manager
from qiskit_ibm_runtime.fake_provider import FakeFez
from typer.testing import CliRunner

from qar_qiskit.backends.compile import DEFAULT_LAYOUT_TRIALS
from qar_qiskit.circuits.composer import compose_tick_circuit
from qar_qiskit.cli import app
from qar_qiskit.config import load_config
from qar_qiskit.plan.planner import plan_for_regime

runner = CliRunner()


def test_stats_json_matches_an_independent_transpilation():
    out = runner.invoke(app, ["circuits", "stats", "--backend", "aer-noisy:FakeFez", "--regime", "trending",
                              "--optimization-level", "3", "--json"])
    assert out.exit_code == 0, out.output
    (row,) = json.loads(out.stdout)
    assert row["regime"] == "trending" and row["backend"] == "aer-noisy:FakeFez"
    fez = FakeFez()
    plan = plan_for_regime(load_config(None), "trending")
    t = fez.target
    whole = row["circuit"]
    # the executor keeps the best of its layout trials (seeds 11, 12, ...): the reported whole
    # circuit must be exactly one of those transpilations, figures recomputed here from the target
    candidates = []
    for k in range(DEFAULT_LAYOUT_TRIALS):
        isa = generate_preset_pass_manager(optimization_level=3, backend=fez, seed_transpiler=11 + k).run(
            compose_tick_circuit(plan).circuit)
        ops = [(i.operation.name, tuple(isa.find_bit(q).index for q in i.qubits)) for i in isa.data
               if i.operation.name not in ("barrier", "delay")]
        figures = (sum(1 for _, q in ops if len(q) == 2), len({q for _, qs in ops for q in qs}),
                   math.prod(1 - (t[n][q].error or 0.0) for n, q in ops))
        candidates.append((figures, isa, ops))
    match = [(isa, ops) for (two, nq, esp), isa, ops in candidates
             if two == whole["two_qubit_gates"] and nq == whole["qubits"]
             and math.isclose(esp, whole["esp"], rel_tol=1e-9)]
    assert match, (whole, [c[0] for c in candidates])
    isa, ops = match[0]
    assert set(row["registers"]) == {r.name for r in isa.cregs}
    for s in row["registers"].values():
        assert 0 < s["qubits"] <= whole["qubits"] and s["two_qubit_gates"] <= whole["two_qubit_gates"]
        assert whole["esp"] <= s["esp"] <= 1 and s["depth"] <= whole["depth"]
        assert set(s["physical_qubits"]) <= {q for _, qs in ops for q in qs}


def test_stats_table_and_bad_backend():
    out = runner.invoke(app, ["circuits", "stats", "-b", "aer-noisy:FakeFez", "-r", "stable", "-O", "1"])
    assert out.exit_code == 0, out.output
    assert "plan stable" in out.stdout and "decision" in out.stdout and "ESP" in out.stdout
    bad = runner.invoke(app, ["circuits", "stats", "--backend", "aer"])
    assert bad.exit_code != 0 and "no device target" in str(bad.exception or bad.output)


def test_isa_out_writes_the_circuit_the_figures_describe(tmp_path):
    """--isa-out: one QPY file per plan; reloaded, it gives the same circuit figures and every
    register's cone ESP (recomputed here from the file and FakeFez's target)."""
    from qar_qiskit.backends.compile import register_esps
    from qar_qiskit.backends.cone_report import load_isa
    from tests.backends.test_ibm_offline import isa_figures

    out = runner.invoke(app, ["circuits", "stats", "-b", "aer-noisy:FakeFez", "-r", "volatile", "-O", "1",
                              "--isa-out", str(tmp_path / "isa"), "--json"])
    assert out.exit_code == 0, out.output
    (row,) = json.loads(out.stdout)
    assert row["isa_file"].endswith("aer-noisy_FakeFez-volatile.qpy")
    isa = load_isa(row["isa_file"])
    t = FakeFez().target
    two_q, esp = isa_figures(isa, t)
    assert two_q == row["circuit"]["two_qubit_gates"] and math.isclose(esp, row["circuit"]["esp"], rel_tol=1e-9)
    again = register_esps(isa, t)
    assert {k: again[k]["esp"] for k in row["registers"]} == {k: v["esp"] for k, v in row["registers"].items()}
    assert set(row["registers"]) == {r.name for r in isa.cregs}
