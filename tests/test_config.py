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
