"""Config loading: packaged defaults, the repository copy, and errors that name the field."""

from pathlib import Path

import pytest
import yaml

from qar_qiskit.config import default_config_path, load_config, parse_config
from qar_qiskit.errors import ConfigError
from qar_qiskit.resources import CONFIG_DIR

ROOT = Path(__file__).resolve().parents[1]


def _defaults() -> dict:
    return yaml.safe_load(default_config_path().read_text())


def test_packaged_defaults_load_with_seed_values():
    cfg = load_config()
    assert cfg.quantum_resources.total_qubits == 25
    r = cfg.resource_allocation.dynamic_ranges
    assert (r.algorithm_pool.min, r.algorithm_pool.max) == (10, 15)
    assert (r.entanglement_buffer.min, r.entanglement_buffer.max) == (2, 4)
    a = cfg.algorithms
    assert (a.lmsr.min_qubits, a.lmsr.max_qubits) == (3, 12)
    assert (a.prospect.min_qubits, a.prospect.max_qubits) == (4, 10)
    assert (a.hedge.min_qubits, a.hedge.max_qubits) == (3, 15)
    assert cfg.learning.learning_rate == 0.1 and cfg.learning.memory_depth == 100
    assert cfg.market_regimes.stable.feedback_memory == 50
    assert cfg.market_regimes.stable.coherence_preservation == 0.95
    assert cfg.market_regimes.volatile.feedback_memory == 10
    assert cfg.market_regimes.volatile.coherence_preservation == 0.7
    assert cfg.market_regimes.crisis.feedback_memory == 5
    assert cfg.market_regimes.crisis.defensive_bias == 0.9
    assert cfg.market_regimes.crisis.risk_suppression == 0.95
    rm = cfg.risk_management
    assert (rm.max_position_size, rm.max_daily_loss, rm.crisis_threshold) == (0.05, 0.02, 0.7)
    assert cfg.performance.cache_size == 1000 and cfg.performance.persistence_interval == 300


def test_repository_config_equals_packaged_copy():
    assert (ROOT / "config.yaml").read_text() == default_config_path().read_text()


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda d: d["resource_allocation"]["dynamic_ranges"].__setitem__("algorithm_pool", [16, 15]),
         "resource_allocation.dynamic_ranges.algorithm_pool"),
        (lambda d: d["backend"].__setitem__("shotz", 10), "backend.shotz"),
        (lambda d: d["backend"].__setitem__("shots", "many"), "backend.shots"),
        (lambda d: d["backend"].__setitem__("name", "quantum-cloud"), "backend.name"),
        (lambda d: d["risk_management"].__setitem__("max_position_size", -0.1),
         "risk_management.max_position_size"),
        (lambda d: d["algorithms"]["lmsr"].__setitem__("min_qubits", 13), "algorithms.lmsr"),
        (lambda d: d["quantum_resources"].__setitem__("total_qubits", 20), "quantum_resources.total_qubits"),
        (lambda d: d["market_regimes"]["crisis"].__setitem__("volatility", [1.0, 0.7]),
         "market_regimes.crisis.volatility"),
        (lambda d: d["market_regimes"].pop("trending"), "market_regimes.trending"),
        (lambda d: d["learning"].__setitem__("learning_rate", float("nan")), "learning.learning_rate"),
    ],
)
def test_errors_name_the_field(mutate, field):
    data = _defaults()
    mutate(data)
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    assert field in str(info.value)


def test_bad_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("backend: [unclosed\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(bad)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("42\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(scalar)


def test_overrides_merge():
    cfg = load_config(overrides={"backend": {"shots": 100, "name": "exact"}})
    assert cfg.backend.shots == 100 and cfg.backend.name == "exact"
    assert cfg.backend.seed == 1234


def test_noisy_small_config_is_an_overlay_of_marked_changes():
    """qar_qiskit/configs/noisy-small.yaml gives only the keys it changes, each marked "noisy-small",
    and loading it is config.yaml with those values replaced."""
    small = yaml.safe_load((CONFIG_DIR / "noisy-small.yaml").read_text())
    base = _defaults()

    def leaves(d, path=()):
        for k, v in d.items():
            if isinstance(v, dict):
                yield from leaves(v, path + (k,))
            else:
                yield path + (k,), v

    a, b = dict(leaves(small)), dict(leaves(base))
    assert a.keys() <= b.keys()
    assert {".".join(k) for k in a} == {
        "quantum_resources.total_qubits", "resource_allocation.dynamic_ranges.algorithm_pool",
        "algorithms.lmsr.min_qubits", "algorithms.prospect.min_qubits", "algorithms.hedge.min_qubits",
        "backend.name", "backend.shots",
    }
    assert all(a[k] != b[k] for k in a)  # every key it gives changes something
    marked = [line for line in (CONFIG_DIR / "noisy-small.yaml").read_text().splitlines()
              if "# noisy-small" in line]
    assert len(marked) == len(a)
    # the loaded config: the defaults with exactly these leaves replaced
    full = dict(b)
    full.update(a)
    nested: dict = {}
    for key, value in full.items():
        node = nested
        for part in key[:-1]:
            node = node.setdefault(part, {})
        node[key[-1]] = value
    assert load_config(CONFIG_DIR / "noisy-small.yaml") == parse_config(nested)


def test_noisy_small_config_gives_small_plans():
    from qar_qiskit.plan.planner import all_plans

    cfg = load_config(CONFIG_DIR / "noisy-small.yaml")
    assert cfg.backend.name.startswith("aer-noisy:")
    plans = all_plans(cfg)
    # 4 market + 2 memory + 5 decision + 2 buffer + the algorithms' minima 1 + 2 + 1
    assert {r: p.total for r, p in plans.items()} == {r: 17 for r in plans}


# -- config files are overlays on the packaged defaults -------------------------------------------


def test_a_file_with_only_the_experts_is_a_complete_config(tmp_path):
    path = tmp_path / "experts.yaml"
    path.write_text("expert_modules: []\nexperts: [lmsr, prospect, hedge, abstain]\n")
    assert load_config(path) == load_config()  # the rest is the packaged defaults


def test_an_overlay_merges_mappings_and_replaces_lists_and_scalars(tmp_path):
    path = tmp_path / "overlay.yaml"
    path.write_text("resource_allocation:\n  priority:\n    stable: [hedge]\n"
                    "market_regimes:\n  crisis:\n    defensive_bias: 0.5\n")
    cfg, base = load_config(path), load_config()
    assert cfg.resource_allocation.priority.stable == ("hedge",)  # the list replaces the default's 4 names
    assert cfg.resource_allocation.priority.trending == base.resource_allocation.priority.trending
    assert cfg.resource_allocation.dynamic_ranges == base.resource_allocation.dynamic_ranges
    assert cfg.market_regimes.crisis.defensive_bias == 0.5
    # the sibling keys of the changed one keep their defaults
    assert cfg.market_regimes.crisis.risk_suppression == base.market_regimes.crisis.risk_suppression
    assert cfg.market_regimes.crisis.volatility == base.market_regimes.crisis.volatility
    assert cfg.model_copy(update={"resource_allocation": base.resource_allocation,
                                  "market_regimes": base.market_regimes}) == base


def test_overlay_leaves_its_inputs_alone():
    from qar_qiskit.config import overlay

    base, changes = {"a": {"b": 1, "c": [1, 2]}}, {"a": {"c": [3]}, "d": 4}
    assert overlay(base, changes) == {"a": {"b": 1, "c": [3]}, "d": 4}
    assert base == {"a": {"b": 1, "c": [1, 2]}} and changes == {"a": {"c": [3]}, "d": 4}


def test_an_overlay_with_a_removed_key_is_refused(tmp_path):
    path = tmp_path / "old.yaml"
    path.write_text("learning:\n  update_frequency: 10\n")
    with pytest.raises(ConfigError, match=r"old\.yaml: learning\.update_frequency: this setting was removed"):
        load_config(path)


@pytest.mark.parametrize("text, wrong, right", [
    ("backend:\n  shotz: 10\n", "backend.shotz", "backend.shots"),
    ("risk_managment:\n  max_position_size: 0.1\n", "risk_managment", "risk_management"),
    ("market_regimes:\n  stable:\n    volatilty: [0.0, 0.2]\n", "market_regimes.stable.volatilty",
     "market_regimes.stable.volatility"),
    ("algorithms:\n  hedge:\n    lookbak: 30\n", "algorithms.hedge.lookbak", "algorithms.hedge.lookback"),
])
def test_an_unknown_key_names_the_closest_valid_key(tmp_path, text, wrong, right):
    path = tmp_path / "typo.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert f"{wrong}: unknown key; did you mean {right}?" in str(info.value)


def test_an_unknown_key_with_nothing_close_says_only_unknown(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("backend:\n  zzzzzz: 1\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "backend.zzzzzz: unknown key" in str(info.value) and "did you mean" not in str(info.value)


@pytest.mark.parametrize("overrides", [
    {},                                                                             # pool min 10: 13 + 10 = 23
    {"resource_allocation": {"dynamic_ranges": {"entanglement_buffer": [3, 4]}}},   # buffer 3: 24
    {"algorithms": {"lmsr": {"min_qubits": 6}}},                                    # minimums 6 + 4 + 3 = 13: 26
    {"resource_allocation": {"dynamic_ranges": {"algorithm_pool": [4, 15]}},
     "algorithms": {"lmsr": {"min_qubits": 1}, "prospect": {"min_qubits": 2}, "hedge": {"min_qubits": 1}}},  # 17
])
def test_a_budget_error_names_total_qubits_and_the_smallest_total_that_works(overrides):
    import re

    with pytest.raises(ConfigError) as info:
        load_config(overrides={**overrides, "quantum_resources": {"total_qubits": 12}})
    message = str(info.value)
    assert "quantum_resources.total_qubits: 12 cannot hold" in message
    smallest = int(re.search(r"set quantum_resources.total_qubits to at least (\d+)", message).group(1))
    # the value it names works, and one qubit less does not
    assert load_config(overrides={**overrides, "quantum_resources": {"total_qubits": smallest}})
    with pytest.raises(ConfigError, match="total_qubits"):
        load_config(overrides={**overrides, "quantum_resources": {"total_qubits": smallest - 1}})


def test_docstring_examples_run():
    import doctest

    import qar_qiskit.config
    import qar_qiskit.system.qar
    import qar_qiskit.tick

    for module in (qar_qiskit.config, qar_qiskit.tick, qar_qiskit.system.qar):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0, module.__name__


def test_the_package_exports_what_a_user_needs():
    import qar_qiskit
    from qar_qiskit.errors import ConfigError as Direct

    assert qar_qiskit.ConfigError is Direct and qar_qiskit.QAR.from_config and qar_qiskit.tick_fields_table
    assert all(hasattr(qar_qiskit, name) for name in qar_qiskit.__all__)
