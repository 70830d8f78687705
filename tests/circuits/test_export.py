"""OpenQASM 3 exports: golden files up to date, parseable, and the `qar circuits` commands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from qiskit import qasm3
from qiskit.quantum_info import Operator, Statevector
from typer.testing import CliRunner

from qar_qiskit.circuits.export import build, circuit_names, export_all, render
from qar_qiskit.cli import app
from qar_qiskit.errors import InputError

GOLDEN = Path(__file__).resolve().parents[2] / "circuits"
STALE = "circuits/ is stale: run `qar circuits export circuits/`"
MY_FRAGMENTS = ["bell_phi_plus", "ghz_3", "cluster_4", "weak_bell", "teleport_dynamic",
                "teleport_deferred", "reuse_bell_ghz"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """A fresh export through the CLI (`qar circuits export DIR`)."""
    out = tmp_path_factory.mktemp("qasm") / "out"
    result = CliRunner().invoke(app, ["circuits", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {len(circuit_names())} circuits" in result.output
    return out


def test_golden_exports_are_up_to_date(exported):
    fresh = {p.name: p.read_bytes() for p in exported.glob("*.qasm")}
    golden = {p.name: p.read_bytes() for p in GOLDEN.glob("*.qasm")}
    missing = sorted(set(fresh) - set(golden))
    extra = sorted(set(golden) - set(fresh))
    changed = sorted(n for n in set(fresh) & set(golden) if fresh[n] != golden[n])
    assert not (missing or extra or changed), (
        f"{STALE} (missing {missing}, no longer exported {extra}, changed {changed})"
    )


def test_every_name_exported_and_documented(exported):
    names = circuit_names()
    assert sorted(p.stem for p in exported.glob("*.qasm")) == sorted(names)
    readme = (GOLDEN / "README.md").read_text(encoding="utf-8")
    undocumented = [n for n in names if f"`{n}.qasm`" not in readme]
    assert not undocumented, f"circuits/README.md does not describe {undocumented}"


def test_required_fragments_are_registered():
    required = {"market", "memory", "lmsr", "prospect", "hedge", "decision", "feedback",
                "tick_default", *MY_FRAGMENTS}
    assert required <= set(circuit_names())


@pytest.mark.parametrize("name", ["bell_phi_plus", "bell_psi_minus", "ghz_3", "cluster_4",
                                  "teleport_deferred", "pattern_volatile"])
def test_roundtrip_same_unitary(exported, name):
    loaded = qasm3.loads((exported / f"{name}.qasm").read_text())
    assert Operator(loaded).equiv(Operator(build(name)))


def test_weak_bell_roundtrip_parameter():
    loaded = qasm3.loads(render("weak_bell"))
    (theta,) = loaded.parameters
    assert theta.name == "theta"
    sv = Statevector(loaded.assign_parameters({theta: 1.3}))
    assert np.allclose(sv.data, [np.cos(0.65), 0, 0, np.sin(0.65)], atol=1e-9)


def test_dynamic_teleport_exports_if_blocks():
    text = render("teleport_dynamic")
    assert "bell_meas[0] = measure source[0];" in text
    assert "if (bell_meas[1]) {" in text and "if (bell_meas[0]) {" in text
    loaded = qasm3.loads(text)
    assert loaded.count_ops().get("if_else") == 2


def test_reuse_export_has_reset():
    text = render("reuse_bell_ghz")
    assert text.count("reset ") == 2 and "qubit[3]" in text


def test_unknown_name_lists_valid_names():
    with pytest.raises(InputError) as info:
        build("nope")
    msg = str(info.value)
    assert "\n" not in msg and "ghz_3" in msg and "tick_default" in msg


# --- CLI -------------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_draw_text():
    result = runner.invoke(app, ["circuits", "draw", "ghz_3"])
    assert result.exit_code == 0, result.output
    assert result.output.count("┤ X ├") == 2 and "┤ H ├" in result.output


def test_cli_draw_unknown_name_is_input_error():
    result = runner.invoke(app, ["circuits", "draw", "nope"])
    assert result.exit_code != 0
    assert isinstance(result.exception, InputError)
    assert "valid names" in str(result.exception) and "bell_phi_plus" in str(result.exception)


def test_cli_draw_png_and_text_file(tmp_path):
    png = tmp_path / "t.png"
    result = runner.invoke(app, ["circuits", "draw", "teleport_dynamic", "--out", str(png)])
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    txt = tmp_path / "t.txt"
    result = runner.invoke(app, ["circuits", "draw", "bell_phi_plus", "--out", str(txt)])
    assert result.exit_code == 0 and "┤ H ├" in txt.read_text(encoding="utf-8")


def test_cli_export_writes_headers(exported):
    for name in MY_FRAGMENTS:
        assert (exported / f"{name}.qasm").read_text().startswith(f"// qar-qiskit circuit {name}:")


def test_export_all_subset_and_file_not_dir(tmp_path):
    paths = export_all(tmp_path / "sub", names=["ghz_3"])
    assert [p.name for p in paths] == ["ghz_3.qasm"]
    assert paths[0].read_text() == render("ghz_3")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = runner.invoke(app, ["circuits", "export", str(blocker)])
    assert isinstance(result.exception, InputError)
