"""Drawings: one labelled box per fragment on named registers, and still the circuit that runs."""

from __future__ import annotations

import matplotlib.image as mpimg
import pytest
from qiskit import QuantumCircuit
from qiskit.converters import circuit_to_dag
from typer.testing import CliRunner

from qar_qiskit.circuits.composer import compose_tick_circuit
from qar_qiskit.circuits.draw import TICK_FRAGMENTS, drawing, fragment_drawing, tick_drawing
from qar_qiskit.circuits.export import build
from qar_qiskit.cli import app
from qar_qiskit.errors import InputError
from qar_qiskit.plan.allocation import COMPONENTS, AllocationPlan

runner = CliRunner()
SPLIT = ("market", "lmsr", "prospect", "hedge")  # split where the decision reads them
LABELS = {*(f"{n} head" for n in SPLIT), *(f"{n} tail" for n in SPLIT), "memory", "decision", "feedback", "buffer"}


def _on_one_register(drawn: QuantumCircuit, tick) -> QuantumCircuit:
    """``drawn`` (named registers) rebuilt on the tick circuit's register ``q`` and its cregs."""
    index = {}
    for reg in drawn.qregs:
        for k, qubit in enumerate(reg):
            index[qubit] = tick.qubits[reg.name][k]
    src = tick.circuit
    out = QuantumCircuit(*src.qregs, *src.cregs, global_phase=drawn.global_phase)
    clbit = {c: src.clbits[i] for i, c in enumerate(drawn.clbits)}
    for inst in drawn.data:
        out.append(inst.operation, [src.qubits[index[q]] for q in inst.qubits], [clbit[c] for c in inst.clbits])
    return out


@pytest.mark.parametrize("regime", ["stable", "crisis"])
def test_tick_drawing_boxes_every_fragment_and_opens_into_the_running_circuit(regime):
    tick = compose_tick_circuit(AllocationPlan(regime=regime))
    drawn = tick_drawing(tick)
    boxes = [inst.operation for inst in drawn.data if inst.operation.name not in ("measure", "barrier")]
    assert {b.label for b in boxes} == LABELS and len(boxes) == len(LABELS)
    # the registers are named for the components, each as wide as the plan says
    assert [(r.name, r.size) for r in drawn.qregs] == [(n, s) for n, s in AllocationPlan(regime=regime).sizes().items()
                                                       if s]
    assert drawn.count_ops()["measure"] == tick.circuit.count_ops()["measure"] == AllocationPlan(regime=regime).total
    # opening the boxes once gives back exactly the circuit that runs (same DAG), not a look-alike
    opened = _on_one_register(drawn.decompose(reps=1), tick)
    assert circuit_to_dag(opened) == circuit_to_dag(tick.circuit)


def test_a_wrong_regrouping_would_fail_the_dag_check():
    tick = compose_tick_circuit(AllocationPlan())
    opened = _on_one_register(tick_drawing(tick).decompose(reps=1), tick)
    opened.x(0)
    assert circuit_to_dag(opened) != circuit_to_dag(tick.circuit)


def test_fragment_drawing_is_one_box_on_the_qubits_the_composer_wires_it_to():
    plan = AllocationPlan()
    drawn = drawing("decision")
    assert len(drawn.data) == 1 and drawn.data[0].operation.label == "decision"
    names = [f"{drawn.find_bit(q).registers[0][0].name}_{drawn.find_bit(q).registers[0][1]}"
             for q in drawn.data[0].qubits]
    # the decision fragment's qubits: [decision 0..4, memory 0..1, LMSR top, prospect ancilla, Hedge top]
    expected = [*(f"decision_{i}" for i in range(5)), "memory_0", "memory_1", f"lmsr_{plan.lmsr - 1}",
                f"prospect_{plan.prospect - 1}", f"hedge_{plan.hedge - 1}"]
    assert names == expected
    # the box holds the exported fragment, gate for gate (its own Parameter objects aside)
    box, exported = drawn.data[0].operation.definition, build("decision")
    assert [(i.operation.name, [box.find_bit(q).index for q in i.qubits]) for i in box.data] == \
        [(i.operation.name, [exported.find_bit(q).index for q in i.qubits]) for i in exported.data]
    assert box.num_parameters == exported.num_parameters > 0


@pytest.mark.parametrize("name", sorted(TICK_FRAGMENTS))
def test_every_tick_fragment_draws_as_one_labelled_box(name):
    drawn = drawing(name)
    assert [inst.operation.label for inst in drawn.data] == [name]
    text = str(drawn.draw("text", fold=-1, idle_wires=False))
    assert name in text and "q_0" not in text


def test_text_drawing_names_fragments_and_registers():
    text = str(drawing("tick_default").draw("text", fold=-1, idle_wires=False))
    for label in LABELS:
        assert label in text
    for reg in COMPONENTS:
        assert f"{reg}_0:" in text
    assert "q_0" not in text and "Ry" not in text  # no inlined gates, no anonymous register
    detailed = str(drawing("tick_default", decompose=1).draw("text", fold=-1))
    assert "market head" not in detailed and "market_0:" in detailed
    assert len(detailed) > 5 * len(text)  # the gates that run, on the same named qubits


def test_other_circuits_are_drawn_as_they_are_and_bad_arguments_are_named():
    assert drawing("ghz_3") == build("ghz_3")
    with pytest.raises(InputError, match="decompose"):
        drawing("ghz_3", decompose=-1)
    with pytest.raises(InputError, match="valid names"):
        drawing("nope")
    with pytest.raises(InputError, match="not a fragment of the tick"):
        fragment_drawing("ghz_3", build("ghz_3"), compose_tick_circuit(AllocationPlan()))


def _png_size(path) -> tuple[int, int]:
    height, width = mpimg.imread(path).shape[:2]
    return width, height


def test_cli_png_drawings_are_a_readable_size(tmp_path):
    # before (2026-12-03): decision 1104 x 4463 px, tick_default 1815 x 72374 px of inlined gates
    sizes = {}
    for name, extra in [("decision", []), ("tick_default", []), ("decision_d1", ["--decompose", "1"])]:
        out = tmp_path / f"{name}.png"
        result = runner.invoke(app, ["circuits", "draw", name.removesuffix("_d1"), *extra, "--out", str(out)])
        assert result.exit_code == 0, result.output
        sizes[name] = _png_size(out)
    assert max(sizes["decision"]) <= 800
    assert max(sizes["tick_default"]) <= 2500
    assert sizes["decision_d1"][0] > 3 * sizes["decision"][0]  # --decompose shows the detail


def test_cli_text_drawing_regime_and_errors(tmp_path):
    result = runner.invoke(app, ["circuits", "draw", "tick_default", "--regime", "crisis",
                                 "--out", str(tmp_path / "t.txt")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "t.txt").read_text()
    assert "buffer" in text and "decision_4:" in text and "qar_tick_crisis" not in text
    result = runner.invoke(app, ["circuits", "draw", "decision", "--regime", "crisis"])
    assert isinstance(result.exception, InputError) and "--regime" in str(result.exception)
    result = runner.invoke(app, ["circuits", "draw", "tick_default", "--regime", "euphoric"])
    assert result.exit_code != 0 and "unknown regime" in str(result.exception)
    result = runner.invoke(app, ["circuits", "draw", "memory", "--decompose", "1"])
    assert result.exit_code == 0 and "memory_0:" in result.output and "market_1:" in result.output
