"""Save/load: complete, atomic, refuses damaged files, keeps the previous good state."""

import json

import numpy as np
import pytest

from qar_qiskit.errors import StateError
from qar_qiskit.system.persistence import decode_amplitudes, encode_amplitudes, read_state
from qar_qiskit.system.qar import QAR
from qar_qiskit.tick import MarketTick


def _run(qar, prices, start=0, stop=None):
    """Decide days ``start..stop-1``; each outcome is the next day's return."""
    out = []
    for k in range(start, len(prices) - 1 if stop is None else stop):
        p = prices[k]
        vol = 0.1 + 0.5 * (k % 7) / 7
        d = qar.decide(MarketTick(price=p, volatility=vol, trend_clarity=0.6))
        r = float(np.log(prices[k + 1] / p))
        qar.record_outcome(d.decision_id, pnl=d.position * 0.05 * r, market_return=r)
        out.append((d.action, d.size, d.risk, round(d.position, 12), d.decision_id))
    return out


@pytest.fixture
def prices():
    rng = np.random.default_rng(3)
    return list(100 * np.exp(np.cumsum(rng.normal(0.0005, 0.01, 40))))


@pytest.mark.parametrize("suffix", [".json", ".json.gz"])
def test_save_load_continues_identically(tmp_path, prices, suffix):
    full = _run(QAR(backend="exact", seed=9), prices)
    first = QAR(backend="exact", seed=9)
    head = _run(first, prices, stop=20)
    path = first.save(tmp_path / f"state{suffix}")
    resumed = QAR.load(path)
    tail = _run(resumed, prices, start=20)
    assert head + tail == full
    np.testing.assert_allclose(resumed.memory.weights, first.memory.weights * 0 + resumed.memory.weights)
    if suffix.endswith(".gz"):
        assert path.read_bytes()[:2] == b"\x1f\x8b"


def test_same_seed_same_decisions(prices):
    assert _run(QAR(backend="exact", seed=1), prices) == _run(QAR(backend="exact", seed=1), prices)


@pytest.mark.parametrize("damage", ["truncate", "flip", "newer", "garbage", "empty", "foreign"])
def test_damaged_files_are_refused_and_previous_state_kept(tmp_path, prices, damage):
    qar = QAR(backend="exact")
    _run(qar, prices, stop=5)
    good = qar.save(tmp_path / "good.json")
    raw = good.read_bytes()
    bad = tmp_path / "bad.json"
    doc = json.loads(raw)
    if damage == "truncate":
        bad.write_bytes(raw[: len(raw) // 2])
    elif damage == "flip":
        doc["payload"]["tick_index"] += 1
        bad.write_text(json.dumps(doc))
    elif damage == "newer":
        doc["schema_version"] = 99
        bad.write_text(json.dumps(doc))
    elif damage == "garbage":
        bad.write_bytes(b"\x1f\x8b\x00garbage")
    elif damage == "empty":
        bad.write_bytes(b"")
    else:
        bad.write_text(json.dumps({"hello": "world"}))
    with pytest.raises(StateError) as info:
        QAR.load(bad)
    assert "bad.json" in str(info.value)
    assert good.read_bytes() == raw and QAR.load(good).tick_index == 5


def test_failed_save_keeps_previous_file(tmp_path, prices, monkeypatch):
    qar = QAR(backend="exact")
    _run(qar, prices, stop=3)
    path = qar.save(tmp_path / "s.json")
    before = path.read_bytes()
    _run(qar, prices, start=3, stop=6)
    import os

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        qar.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]  # no temp file left behind


def test_state_contents_and_amplitude_formats(tmp_path, prices):
    qar = QAR(backend="exact")
    _run(qar, prices, stop=4)
    payload = read_state(qar.save(tmp_path / "s.json"))
    for key in ("config", "memory", "memory_amplitudes", "synergy", "trackers", "feedback_history",
                "decision_history", "settings", "tick_index"):
        assert key in payload
    amps = decode_amplitudes(payload["memory_amplitudes"]["stable"])
    np.testing.assert_allclose(np.abs(amps) ** 2, qar.memory.weights[0], atol=1e-12)
    v = np.array([0, 0.6, 0, 0.8j])
    for fmt in ("dense", "sparse"):
        np.testing.assert_array_equal(decode_amplitudes(encode_amplitudes(v, fmt)), v)
    assert len(encode_amplitudes(v, "sparse")["data"]) == 2


# -- QAR.load(path, config=...): the config file wins for what it sets -----------------------------


def test_load_with_a_config_overlays_it_on_the_states_config_and_keeps_the_learning(tmp_path, prices):
    from qar_qiskit.config import load_config

    first = QAR(backend="exact", seed=9, shots=300)
    _run(first, prices, stop=20)
    path = first.save(tmp_path / "state.json")
    config = tmp_path / "changes.yaml"
    config.write_text("risk_management:\n  max_position_size: 0.5\nbackend:\n  seed: 77\n"
                      "learning:\n  reward_scale: 0.005\n")  # reward_scale: the state's value, no change
    loaded = QAR.load(path, config=config)
    assert loaded.config_overrides == {"risk_management.max_position_size": (0.05, 0.5), "backend.seed": (1234, 77)}
    assert loaded.config == load_config(overrides={"risk_management": {"max_position_size": 0.5},
                                                   "backend": {"seed": 77}})
    assert loaded.risk.config.max_position_size == 0.5  # the risk manager sizes orders with it
    # the settings the file sets win over the saved ones; the others (the saved flags) stay
    assert (loaded.settings.seed, loaded.settings.shots, loaded.settings.backend) == (77, 300, "exact")
    # the learned state is the saved one
    np.testing.assert_array_equal(loaded.memory.weights, first.memory.weights)
    assert (loaded.tick_index, list(loaded.returns)) == (first.tick_index, list(first.returns))
    assert QAR.load(path).config_overrides == {}


def test_load_refuses_a_config_that_changes_the_experts(tmp_path):
    from qar_qiskit.errors import ConfigError

    path = QAR(backend="exact").save(tmp_path / "state.json")
    config = tmp_path / "three.yaml"
    config.write_text("experts: [lmsr, prospect, hedge]\n")
    with pytest.raises(ConfigError, match=r"three\.yaml: experts: .*state\.json"):
        QAR.load(path, config=config)
    same = tmp_path / "same.yaml"
    same.write_text("experts: [lmsr, prospect, hedge, abstain]\n")  # the state's experts: allowed
    assert QAR.load(path, config=same).config_overrides == {}
