"""Every config key means what it says: the code reads it, and removed keys are refused by name."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from qar_qiskit.config import REMOVED_KEYS, QARConfig, default_config_path, load_config, parse_config
from qar_qiskit.errors import ConfigError

PACKAGE = Path(__file__).resolve().parents[1] / "qar_qiskit"
#: Modules that declare or check the settings; a key only they mention is not "read".
DECLARING = {"config.py", "config_resources.py", "config_removed.py", "limits.py"}
#: Fields read through a helper of the config model itself rather than by attribute elsewhere.
READ_VIA_HELPER = {
    # MarketRegimes.ranges() -> regime_analysis(...) in classical/regime.py
    "volatility", "trend_clarity", "volume_normalized",
    # QubitRange / Interval ends: read as .min/.max by the planner, .as_tuple() by ranges()
    "min", "max", "low", "high",
}
#: Fields another branch of issue 15 wires up (remove the entry when it merges): none left.
PENDING: dict[str, str] = {}


def _fields(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for name, info in model.model_fields.items():
        sub = info.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            out += _fields(sub, f"{prefix}{name}.")
        out.append((f"{prefix}{name}", name))
    return out


def _attributes_read() -> set[str]:
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if path.name in DECLARING and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names.add(node.value)  # getattr(algos, "lmsr") and friends
    return names


def test_every_config_key_is_read_by_the_code():
    read = _attributes_read()
    unread = [dotted for dotted, leaf in _fields(QARConfig)
              if leaf not in read and leaf not in READ_VIA_HELPER and leaf not in PENDING]
    assert unread == [], f"config keys nothing reads: {unread} (wire them up or add them to REMOVED_KEYS)"


def test_the_check_would_catch_an_unread_key():
    # the walk does see a key the package does not read: update_frequency was one until removed
    assert "update_frequency" not in _attributes_read()
    assert "cache_size" in _attributes_read()


def _defaults() -> dict:
    return yaml.safe_load(default_config_path().read_text())


def _with(data: dict, dotted: str, value) -> dict:
    node = data
    *parents, leaf = dotted.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value
    return data


@pytest.mark.parametrize("dotted", sorted(REMOVED_KEYS))
def test_removed_key_is_refused_by_name(dotted, tmp_path):
    old = tmp_path / "old.yaml"
    old.write_text(yaml.safe_dump(_with(_defaults(), dotted, [2, 3] if "ranges" in dotted else 10)))
    with pytest.raises(ConfigError) as info:
        load_config(old)
    text = str(info.value)
    assert str(old) in text and f"{dotted}: this setting was removed" in text and "delete it" in text
    # the message says why (not just "extra inputs are not permitted")
    assert REMOVED_KEYS[dotted] in text


def test_every_removed_key_is_named_at_once():
    data = _defaults()
    for dotted in REMOVED_KEYS:
        _with(data, dotted, 1)
    with pytest.raises(ConfigError) as info:
        parse_config(data, "old.yaml")
    assert all(dotted in str(info.value) for dotted in REMOVED_KEYS)


def test_removed_keys_are_gone_from_the_model_and_shipped_files():
    dotted = {d for d, _ in _fields(QARConfig)}
    assert not set(REMOVED_KEYS) & dotted
    root = PACKAGE.parent
    for path in [root / "config.yaml", default_config_path(), *sorted((PACKAGE / "configs").glob("*.yaml"))]:
        load_config(path)  # would raise on a removed key


def test_saved_state_with_removed_keys_still_loads(tmp_path):
    # a state saved before the keys went: its embedded config has them and its checksum is valid
    # (editing the file would break it), and the keys never changed what the program did: it loads
    from qar_qiskit import QAR
    from qar_qiskit.system.persistence import _checksum

    state = tmp_path / "state.json"
    QAR(backend="exact").save(state)
    doc = json.loads(state.read_text())
    for dotted in REMOVED_KEYS:
        _with(doc["payload"]["config"], dotted, [2, 3] if "ranges" in dotted else 10)
    doc["checksum"] = _checksum(doc["payload"])
    state.write_text(json.dumps(doc))
    loaded = QAR.load(state)
    assert loaded.config == load_config()  # flags live in the run settings, not the config
    assert loaded.settings.backend == "exact"


def test_cache_size_sizes_the_transpile_cache():
    from qar_qiskit import QAR
    from qar_qiskit.backends.cache import TranspileCache

    config = load_config(overrides={"performance": {"cache_size": 7}})
    assert QAR(config).executor.cache.maxsize == 7
    assert QAR(config, profile="aer").executor.cache.maxsize == 7
    # a cache built without a config takes the config's default, not a number of its own
    assert TranspileCache().maxsize == load_config().performance.cache_size == 1000


def test_docs_config_md_describes_every_key_and_every_removed_key():
    text = (PACKAGE.parent / "docs" / "config.md").read_text(encoding="utf-8")
    fields = _fields(QARConfig)
    leaves = [(d, leaf) for d, leaf in fields if not any(o.startswith(d + ".") for o, _ in fields)]
    missing = [d for d, leaf in leaves
               if leaf not in {"min", "max", "low", "high"} and f"`{leaf}`" not in text and f"`{d}`" not in text
               and f".{leaf}`" not in text]
    assert missing == []
    assert all(f"`{dotted}`" in text for dotted in REMOVED_KEYS)
