"""Property-based tests of the state loader (``QAR.load`` / ``read_state``).

* Any damage to a saved file's bytes is a :class:`StateError` naming the file (or, when the
  damage missed everything the checksum covers, the very same state).
* A file whose payload was edited and re-checksummed is refused with a :class:`StateError`
  naming the file and the field, or loads into a QAR that works (decide, learn, save, load).
* A rejected file changes nothing: the previously saved file stays byte-identical and the QAR
  object in memory keeps its state.
* Valid states (random decisions and outcomes) round-trip exactly, plain and gzip.
"""

from __future__ import annotations

import copy
import functools
import gzip
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import strategies as st

from qar_qiskit.errors import StateError
from qar_qiskit.system.persistence import _checksum, _payload, read_state
from qar_qiskit.system.qar import QAR
from qar_qiskit.tick import MarketTick
from tests.properties import assert_names, json_values, variants
from tests.test_tick_properties import valid_ticks


def _run(qar: QAR, steps) -> None:
    """Decide on each tick; record the outcome of the decisions whose ``settle`` flag is set."""
    for tick, settle, market_return in steps:
        d = qar.decide(tick)
        if settle:
            qar.record_outcome(d.decision_id, pnl=d.position * 0.05 * market_return, market_return=market_return)


FIXED_STEPS = [(MarketTick(price=100 + i, volatility=0.05 + 0.15 * i, trend_clarity=0.2 + 0.1 * i,
                           volume_normalized=0.8 + 0.3 * i), i % 3 != 2, 0.01 * (-1) ** i) for i in range(6)]


@functools.cache
def saved_state() -> tuple[bytes, dict]:
    """A state with settled and pending decisions: its file bytes and its document."""
    qar = QAR(backend="exact", seed=5)
    _run(qar, FIXED_STEPS)
    with tempfile.TemporaryDirectory() as tmp:
        raw = qar.save(Path(tmp) / "state.json").read_bytes()
    return raw, json.loads(raw)


def _snapshot(qar: QAR) -> str:
    return json.dumps(_payload(qar), sort_keys=True)  # everything, settings included


class Scene:
    """A QAR in memory with its state saved in ``good``, and a ``bad`` file to load."""

    def __init__(self, tmp: Path):
        raw, _ = saved_state()
        self.good = tmp / "good.json"
        self.good.write_bytes(raw)
        self.qar = QAR.load(self.good)
        self.before = _snapshot(self.qar)
        self.bad = tmp / "bad.json"

    def load_bad(self, content: bytes):
        """``QAR.load(bad)``: the loaded QAR, or the StateError (anything else propagates)."""
        self.bad.write_bytes(content)
        try:
            loaded = QAR.load(self.bad)
        except StateError as exc:
            assert_names(exc, str(self.bad))
            loaded = exc
        # nothing else changed: the good file, and the object in memory
        assert self.good.read_bytes() == saved_state()[0]
        assert _snapshot(self.qar) == self.before
        return loaded


def _works(qar: QAR, tmp: Path) -> None:
    """A loaded QAR decides, settles its pending decisions, saves and loads again."""
    d = qar.decide(MarketTick(price=101.0, volatility=0.3, trend_clarity=0.5))
    for decision_id in [*list(qar.learner.pending)]:
        qar.record_outcome(decision_id, pnl=0.0001, market_return=0.002)
    assert d.decision_id not in qar.learner.pending
    again = QAR.load(qar.save(tmp / "again.json"))
    assert _snapshot(again) == _snapshot(qar)


# -- damaged bytes ---------------------------------------------------------------------------------

@st.composite
def damaged_bytes(draw) -> bytes:
    raw, _ = saved_state()
    if draw(st.booleans()):
        raw = gzip.compress(raw, mtime=0)
    for _ in range(draw(st.integers(1, 4))):
        if not raw:
            break
        pos = draw(st.integers(0, len(raw) - 1))
        op = draw(st.sampled_from(["flip", "drop", "insert", "truncate", "zero"]))
        if op == "flip":
            raw = raw[:pos] + bytes([raw[pos] ^ draw(st.integers(1, 255))]) + raw[pos + 1:]
        elif op == "drop":
            raw = raw[:pos] + raw[pos + draw(st.integers(1, 64)):]
        elif op == "insert":
            raw = raw[:pos] + draw(st.binary(min_size=1, max_size=8)) + raw[pos:]
        elif op == "zero":
            raw = raw[:pos] + b"\0" * draw(st.integers(1, 64)) + raw[pos + 64:]
        else:
            raw = raw[:pos]
    return raw


def check_damaged_file_is_refused(content):
    with tempfile.TemporaryDirectory() as tmp:
        scene = Scene(Path(tmp))
        loaded = scene.load_bad(content)
        if not isinstance(loaded, StateError):  # the damage missed the payload (e.g. saved_at)
            assert read_state(scene.bad) == saved_state()[1]["payload"]
            assert _snapshot(loaded) == scene.before


test_damaged_file_is_refused, test_damaged_file_is_refused_slow = variants(
    check_damaged_file_is_refused,
    st.one_of(damaged_bytes(), st.binary(max_size=200),
              json_values.map(lambda v: json.dumps(v).encode()),
              st.sampled_from([b"", b"\x1f\x8b", b"[" * 5000,
                               b'{"schema": "qar-qiskit/state", "x": ' + b"1" * 4500 + b"}"])))


# -- edited, re-checksummed payloads ---------------------------------------------------------------

def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node[:3]):
            yield from _paths(value, (*path, i))


PAYLOAD_PATHS = tuple(p for p in _paths(saved_state()[1]["payload"]) if p)


def _edit(payload: dict, path: tuple, op: str, value) -> dict:
    out = copy.deepcopy(payload)
    node = out
    for key in path[:-1]:
        node = node[key]
    last = path[-1]
    if op == "delete":
        del node[last]
    elif op == "rename" and isinstance(node, dict):
        node[str(value)[:8] + "_"] = node.pop(last)
    elif op == "append" and isinstance(node[last], list):
        node[last].append(value)
    else:
        node[last] = value
    return out


def _document(payload: dict, changes: dict | None = None) -> bytes:
    base = {"schema": "qar-qiskit/state", "schema_version": 1, "saved_at": "2026-01-01T00:00:00+00:00",
            "checksum": _checksum(payload), "payload": payload}
    base.update(changes or {})
    return json.dumps(base).encode()


edit_values = st.one_of(json_values, st.integers(min_value=-10**20, max_value=10**20),
                        st.floats(allow_nan=False, allow_infinity=False),
                        st.lists(st.integers(0, 3), min_size=3, max_size=4),
                        st.lists(st.floats(-1, 1), min_size=4, max_size=4))


def check_edited_payload_is_refused_or_works(path, op, value):
    payload = saved_state()[1]["payload"]
    edited = _edit(payload, path, op, value)
    try:
        document = _document(edited)
    except ValueError:  # NaN or infinity: no checksum covers it, the file must be refused
        document = json.dumps({**json.loads(_document(payload)), "payload": edited}).encode()
        path = ("checksum",)
    with tempfile.TemporaryDirectory() as tmp:
        scene = Scene(Path(tmp))
        loaded = scene.load_bad(document)
        assert not (path == ("checksum",) and not isinstance(loaded, StateError))
        if isinstance(loaded, StateError):
            # names the file and the part of the payload that is wrong
            assert_names(loaded, str(scene.bad), str(path[0]))
        else:
            _works(loaded, Path(tmp))


test_edited_payload_is_refused_or_works, test_edited_payload_is_refused_or_works_slow = variants(
    check_edited_payload_is_refused_or_works, st.sampled_from(PAYLOAD_PATHS),
    st.sampled_from(["set", "set", "delete", "rename", "append"]), edit_values)


def check_edited_document_is_refused(key, value):
    payload = saved_state()[1]["payload"]
    with tempfile.TemporaryDirectory() as tmp:
        scene = Scene(Path(tmp))
        loaded = scene.load_bad(_document(payload, {key: value}))
        if not isinstance(loaded, StateError):
            assert key == "saved_at" or (key == "schema_version" and isinstance(value, int)
                                         and not isinstance(value, bool) and value <= 1)
            assert _snapshot(loaded) == scene.before


test_edited_document_is_refused, test_edited_document_is_refused_slow = variants(
    check_edited_document_is_refused,
    st.sampled_from(["schema", "schema_version", "checksum", "payload", "saved_at"]),
    st.one_of(json_values, st.integers(-5, 5)))


# -- valid states round-trip --------------------------------------------------------------------

steps = st.lists(st.tuples(valid_ticks().map(MarketTick.parse), st.booleans(),
                           st.floats(-0.1, 0.1, allow_nan=False)), min_size=0, max_size=4)


def check_valid_state_round_trips(history, seed, suffix):
    qar = QAR(backend="exact", seed=seed)
    _run(qar, history)
    with tempfile.TemporaryDirectory() as tmp:
        path = qar.save(Path(tmp) / f"state{suffix}")
        loaded = QAR.load(path)
        assert _snapshot(loaded) == _snapshot(qar)
        _works(loaded, Path(tmp))


test_valid_state_round_trips, test_valid_state_round_trips_slow = variants(
    check_valid_state_round_trips, steps, st.integers(0, 2**31), st.sampled_from([".json", ".json.gz"]))


# Found by the properties: ``math.log(price / last_price)`` overflowed to inf for two valid prices
# (the state could not be saved) or underflowed to 0; QAR now uses log(price) - log(last_price).
@pytest.mark.parametrize("first, second", [(1e-300, 1e300), (1e308, 1e-308), (5e-324, 101.0)])
def test_extreme_price_ratio_keeps_state_saveable(tmp_path, first, second):
    qar = QAR(backend="exact")
    qar.decide(MarketTick(price=first, volatility=0.1))
    qar.decide(MarketTick(price=second, volatility=0.1))
    assert _snapshot(QAR.load(qar.save(tmp_path / "s.json"))) == _snapshot(qar)


def test_long_learning_state_round_trips(tmp_path):
    """Found by the edited-payload property: after ~100 consistent outcomes at learning_rate 10 an
    expert's log-weight trails the best by more than 745, its weight underflows to 0, and
    ``LearningMemory.from_dict`` (qar_qiskit/learning/memory.py) refused the state ``save`` wrote."""
    from qar_qiskit.config import load_config

    qar = QAR(load_config(overrides={"learning": {"learning_rate": 10}, "backend": {"name": "exact"}}))
    for i in range(110):
        d = qar.decide(MarketTick(price=100 + 0.5 * i, volatility=0.12, trend_clarity=0.85))
        qar.record_outcome(d.decision_id, pnl=0.001, market_return=0.01)
    log_w = qar.memory._log_w
    assert log_w.max() - log_w.min() > 745
    assert _snapshot(QAR.load(qar.save(tmp_path / "s.json"))) == _snapshot(qar)
