"""Packaged example configs and backend profiles resolve by name (issue #15, part 6)."""

from __future__ import annotations

import json

import pytest
import yaml

from qar_qiskit.backends.registry import load_profile
from qar_qiskit.config import default_config_path, load_config
from qar_qiskit.errors import ConfigError
from qar_qiskit.resources import CONFIG_DIR, PROFILE_DIR, packaged_names
from tests.properties import assert_cli_error, run_cli


def test_packaged_files_are_inside_the_package():
    package = default_config_path().parent
    # profiles: qar_qiskit/profiles in a wheel, the checkout's top-level backends/ otherwise
    assert CONFIG_DIR.parent == package and PROFILE_DIR in (package / "profiles", package.parent / "backends")
    assert packaged_names([CONFIG_DIR]) == ["noisy-small"]
    assert packaged_names([PROFILE_DIR]) == ["aer", "aer-noisy-torino", "ibm"]


def test_config_by_name_is_the_packaged_file():
    by_name = load_config("noisy-small")
    assert by_name == load_config(CONFIG_DIR / "noisy-small.yaml")
    assert by_name.backend.name == "aer-noisy:FakeTorino" and by_name.quantum_resources.total_qubits == 17


def test_checkout_style_relative_path_works_from_anywhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_config("configs/noisy-small.yaml") == load_config("noisy-small")


def test_a_file_wins_over_a_packaged_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = yaml.safe_load(default_config_path().read_text())
    data["backend"]["shots"] = 77
    (tmp_path / "noisy-small").write_text(yaml.safe_dump(data))
    assert load_config("noisy-small").backend.shots == 77


@pytest.mark.parametrize("name", ["nosuch", "configs/nosuch.yaml", "../config.yaml"])
def test_unknown_config_lists_the_packaged_names(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"not found.*packaged: noisy-small"):
        load_config(name)


def test_profiles_by_name_and_unknown_profile():
    assert load_profile("aer-noisy-torino").name == "aer-noisy:FakeTorino"
    assert load_profile("aer.yaml").name == "aer"
    with pytest.raises(ConfigError, match=r"not found.*packaged: aer, aer-noisy-torino, ibm"):
        load_profile("torino")


def test_cli_names_the_packaged_configs_on_a_bad_name(tmp_path):
    tick = tmp_path / "t.json"
    tick.write_text(json.dumps({"price": 100.0, "volatility": 0.2}))
    code, out, err = run_cli(["--config", "small", "decide", "--tick", str(tick), "--backend", "exact"])
    assert_cli_error(code, out, err, "'small'", "noisy-small")
    code, out, err = run_cli(["--config", "noisy-small", "decide", "--tick", str(tick), "--backend", "aer",
                              "--shots", "64", "--json"])
    assert code == 0, err
    assert json.loads(out)["circuit"]["num_qubits"] == 17  # the small plans: 4 + 2 + 5 + 2 + 1 + 2 + 1
