"""`qar backends` lists the backend profiles with the description each profile file gives."""

import yaml
from typer.testing import CliRunner

from qar_qiskit.cli import app
from qar_qiskit.resources import PROFILE_DIR


def test_backends_lists_every_profile_with_its_description(tmp_path, monkeypatch):
    extra = tmp_path / "profiles"
    extra.mkdir()
    (extra / "mine.yaml").write_text("name: aer\ndescription: my own noiseless profile\nshots: 64\n")
    (extra / "broken.yaml").write_text("name: aer\nshotz: 64\n")
    monkeypatch.setenv("QAR_BACKEND_PROFILES", str(extra))
    result = CliRunner().invoke(app, ["backends"])
    assert result.exit_code == 0, result.output
    profiles = result.output.split("profiles (--profile NAME):", 1)[1]
    for path in sorted(PROFILE_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        line = next(ln for ln in profiles.splitlines() if ln.split()[:1] == [path.stem])
        assert data["name"] in line and data["description"] in line
    assert "my own noiseless profile" in profiles
    # a broken profile is named with its error; the listing goes on
    broken = next(ln for ln in profiles.splitlines() if ln.split()[:1] == ["broken"])
    assert "shotz" in broken


def test_profiles_live_in_the_top_level_backends_folder_once():
    # in a checkout the profiles are the repository's backends/ folder (the wheel ships it as
    # qar_qiskit/profiles, tests/test_wheel.py); no second copy inside the package
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    assert PROFILE_DIR.resolve() == (root / "backends").resolve()
    assert {p.name for p in PROFILE_DIR.glob("*.yaml")} == {"aer.yaml", "aer-noisy-torino.yaml", "ibm.yaml"}
    assert not (root / "qar_qiskit" / "profiles").exists()
