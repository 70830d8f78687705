"""Saving and loading the complete QAR state.

The state is versioned JSON (``.json``) or gzip-compressed JSON (``.json.gz``), with a SHA-256
checksum over its payload. Writes are atomic: the bytes go to a temporary file in the same
folder, are fsync'ed, and replace the target with ``os.replace``; a crash leaves either the old
or the new file, never a mix (a killed writer may leave a stray ``.<name>.*.tmp`` file beside it).
A damaged, truncated, foreign or newer-version file is refused with :class:`StateError` and
nothing already loaded or saved is touched; so is a payload that passes the checksum but does not
fit the schema (``_Payload``: types, ranges and shapes of every field), with the field named.

Amplitudes use the seeds' two formats: ``dense`` (a list of ``[re, im]``) and ``sparse``
(``{"index": [re, im]}`` for the non-zero entries); both load.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError, field_validator

from qar_qiskit.errors import InputError, QARError, StateError
from qar_qiskit.settings import RunSettings
from qar_qiskit.system.learner import Learner

SCHEMA = "qar-qiskit/state"
SCHEMA_VERSION = 1

#: Largest amplitude vector a state file may declare (the memory register has 4 amplitudes).
MAX_AMPLITUDES = 1 << 16


def encode_amplitudes(vector, fmt: str = "dense"):
    """Amplitude vector -> the seeds' dense or sparse JSON form."""
    v = np.asarray(vector, dtype=complex).ravel()
    if fmt == "dense":
        return {"format": "dense", "n": int(v.size), "data": [[float(z.real), float(z.imag)] for z in v]}
    if fmt == "sparse":
        return {"format": "sparse", "n": int(v.size),
                "data": {str(i): [float(z.real), float(z.imag)] for i, z in enumerate(v) if abs(z) > 0}}
    raise StateError(f"amplitude format must be 'dense' or 'sparse', got {fmt!r}")


def decode_amplitudes(obj) -> np.ndarray:
    """Inverse of :func:`encode_amplitudes` (either format)."""
    try:
        n = obj["n"]
        if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= MAX_AMPLITUDES:
            raise StateError(f"amplitudes: n must be an integer in [0, {MAX_AMPLITUDES}], got {n!r}")
        out = np.zeros(n, dtype=complex)
        if obj["format"] == "dense":
            if len(obj["data"]) != n:
                raise StateError("dense amplitudes: length does not match n")
            for i, (re, im) in enumerate(obj["data"]):
                out[i] = complex(_real(re), _real(im))
        elif obj["format"] == "sparse":
            for key, (re, im) in obj["data"].items():
                index = int(key)
                if not 0 <= index < n:
                    raise StateError(f"sparse amplitudes: index {key!r} is outside [0, {n})")
                out[index] = complex(_real(re), _real(im))
        else:
            raise StateError(f"unknown amplitude format {obj['format']!r}")
    except StateError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as exc:
        raise StateError(f"amplitudes are malformed ({type(exc).__name__}: {exc})") from None
    if not np.all(np.isfinite(out)):
        raise StateError("amplitudes are malformed (not finite)")
    return out


def _real(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


# -- the payload's schema (what load_state accepts) ---------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


_Count = Annotated[StrictInt, Field(ge=0)]
_Bit = Annotated[StrictInt, Field(ge=0, le=1)]
_Expert = Annotated[StrictStr, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]  # check_state_experts: the set
_RegimeName = Literal["stable", "trending", "volatile", "crisis"]


def _vector(n: int, lo: float | None = None, hi: float | None = None):
    return Annotated[list[Annotated[float, Field(ge=lo, le=hi)]], Field(min_length=n, max_length=n)]


class _MemoryState(_Strict):  # (4 regimes, n experts); check_state_experts checks n
    learning_rate: float = Field(gt=0, le=10)  # the bounds of learning.learning_rate
    log_weights: Annotated[list[list[float]], Field(min_length=4, max_length=4)]
    cumulative_reward: Annotated[list[list[float]], Field(min_length=4, max_length=4)]
    learner_reward: _vector(4)
    updates: _Count


class _SynergyState(_Strict):
    co_success: list[list[float]]
    count: _Count


class _PendingState(_Strict):
    regime_probabilities: _vector(4, 0.0, 1.0)
    dominant_index: Annotated[StrictInt, Field(ge=0, le=3)]
    position: float
    expert_positions: dict[_Expert, float]
    bits: Annotated[list[_Bit], Field(min_length=3, max_length=3)]
    day: StrictStr

    @field_validator("regime_probabilities")
    @classmethod
    def _distribution(cls, value: list) -> list:
        if abs(sum(value) - 1.0) > 1e-6:  # as LearningMemory.update requires
            raise ValueError(f"probabilities sum to {sum(value)}, not 1")
        return value


class _FeedbackState(_Strict):
    regime: Annotated[StrictInt, Field(ge=0, le=3)]
    bits: Annotated[list[_Bit], Field(min_length=3, max_length=3)]
    outcome: float


class _Payload(_Strict):
    """The payload of a state file; unknown top-level keys are ignored (forward compatible)."""

    model_config = ConfigDict(extra="ignore", strict=True, allow_inf_nan=False, frozen=True)

    experts: Optional[list[_Expert]] = None  # None: a file from before experts were recorded
    config: dict[str, Any]
    tick_index: _Count
    last_price: Optional[Annotated[float, Field(gt=0)]]
    returns: list[float]
    memory: _MemoryState
    memory_amplitudes: dict[_RegimeName, dict[str, Any]]
    synergy: _SynergyState
    trackers: dict[_Expert, list[float]]
    feedback_history: list[_FeedbackState]
    decision_history: list[dict[str, Any]]
    pending: dict[str, _PendingState]
    settled: list[StrictStr]
    risk_daily_pnl: dict[str, float]
    risk_last_day: Optional[StrictStr] = None
    settings: Optional[dict[str, Any]] = None  # absent in files written before RunSettings

    @field_validator("feedback_history", mode="before")
    @classmethod
    def _triples(cls, value):
        """Stored as ``[regime, bits, outcome]`` triples."""
        if not isinstance(value, list):
            return value
        return [dict(zip(("regime", "bits", "outcome"), item)) if isinstance(item, list) and len(item) == 3
                else item for item in value]


def _payload(qar) -> dict:
    """The payload of ``qar``'s state: its own state dict (config, settings, tick state and the
    learner's :meth:`~qar_qiskit.system.learner.Learner.to_dict`) and the memory's amplitudes."""
    amps = qar.learner.memory.amplitudes
    return {
        **qar.state_dict(),
        "memory_amplitudes": {r: encode_amplitudes(amps[i], "sparse" if np.count_nonzero(amps[i]) < 2 else "dense")
                              for i, r in enumerate(("stable", "trending", "volatile", "crisis"))},
    }


def _checksum(payload: dict) -> str:
    canon = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canon.encode()).hexdigest()


def save_state(qar, path, compress: bool | None = None) -> Path:
    """Write ``qar``'s state atomically; ``compress`` defaults to a ``.gz`` suffix."""
    path = Path(path)
    compress = path.suffix == ".gz" if compress is None else compress
    payload = _payload(qar)
    doc = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION,
           "saved_at": datetime.now(timezone.utc).isoformat(), "checksum": _checksum(payload),
           "payload": payload}
    data = json.dumps(doc, sort_keys=True, allow_nan=False).encode()
    if compress:
        data = gzip.compress(data, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def read_state(path) -> dict:
    """Read and verify a state file; return its payload (raises :class:`StateError`)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise StateError(f"state file not found: {path}") from None
    except OSError as exc:
        raise StateError(f"cannot read state file {path}: {exc.strerror}") from None
    try:
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        doc = json.loads(raw.decode("utf-8"))
    # ValueError covers JSONDecodeError, UnicodeDecodeError and an integer literal over Python's
    # digit limit; RecursionError a document nested too deeply.
    except (OSError, EOFError, zlib.error, ValueError, RecursionError) as exc:
        raise StateError(f"{path}: damaged or truncated state file ({type(exc).__name__})") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise StateError(f"{path}: not a qar-qiskit state file")
    version = doc.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise StateError(f"{path}: schema_version is missing")
    if version > SCHEMA_VERSION:
        raise StateError(f"{path}: schema_version {version} is newer than this qar-qiskit supports ({SCHEMA_VERSION})")
    payload = doc.get("payload")
    try:
        ok = isinstance(payload, dict) and doc.get("checksum") == _checksum(payload)
    except (ValueError, TypeError, RecursionError):  # NaN/Infinity (json.loads accepts them)
        ok = False
    if not ok:
        raise StateError(f"{path}: checksum mismatch: the file was damaged or edited")
    return payload


@dataclass(frozen=True, eq=False)
class SavedState:
    """A verified and validated state file, ready to rebuild a QAR from.

    Attributes:
        config: the saved config.
        settings: the saved run settings (None in files written before settings were stored:
            the config's backend section then holds them).
        learner_state: the validated learning state (:meth:`learner_for` rebuilds it for an
            expert set: its memory columns, trackers and synergy are per expert).
        tick_index, last_price, returns, decision_history: the tick state.
        path: the file it came from (for error messages).
    """

    path: str
    config: Any
    settings: Optional[RunSettings]
    learner_state: dict[str, Any]
    tick_index: int
    last_price: Optional[float]
    returns: list[float]
    decision_history: list[dict[str, Any]]

    def learner_for(self, experts) -> Learner:
        """The saved :class:`Learner` for ``experts`` (an :class:`~qar_qiskit.experts.ExpertSet`).

        Raises:
            StateError: the state was saved with other experts (naming both lists), or its
                memory weights are not a finite (4, n) array.
        """
        try:
            return Learner.from_dict(self.config, self.learner_state, experts)
        except StateError as exc:
            raise StateError(f"{self.path}: {exc}") from None
        except InputError as exc:
            raise StateError(f"{self.path}: memory: {exc}") from None


#: Config keys a learned state depends on: a config file loaded with a state may not change them
#: (the memory's columns, trackers and synergy are per expert; the modules register the experts).
STATE_BOUND_KEYS = ("experts", "expert_modules")


def overlay_state_config(state: SavedState, config_path) -> tuple[SavedState, dict[str, tuple[Any, Any]]]:
    """The state with a config file merged onto its saved config: the file wins for what it sets.

    The file is an overlay (:func:`qar_qiskit.config.overlay`) onto the *state's* config, not the
    packaged defaults; the learned state (memory, trackers, pending outcomes) is kept. The saved
    run settings take the values of the keys the file changes (:func:`settings_with_config_keys`).

    Args:
        state: a loaded state (:func:`load_state`).
        config_path: a config file or packaged config name.

    Returns:
        ``(state, changed)``: the state with the merged config, and ``{dotted key: (state's value,
        file's value)}`` for each key whose value the file changed (file order).

    Raises:
        ConfigError: the file is invalid (as :func:`~qar_qiskit.config.load_config`), or it changes
            a key the learned state depends on (:data:`STATE_BOUND_KEYS`); the message names both
            files and the key.
    """
    import dataclasses

    from qar_qiskit.config import leaf_keys, overlay, parse_config, read_config_file, refuse_removed_keys, value_at
    from qar_qiskit.errors import ConfigError
    from qar_qiskit.settings import settings_with_config_keys

    src, changes = read_config_file(config_path)
    refuse_removed_keys(changes, str(src))
    before = state.config.model_dump(mode="json")
    config = parse_config(overlay(before, changes), str(src))
    after = config.model_dump(mode="json")
    changed: dict[str, tuple[Any, Any]] = {}
    for key in leaf_keys(changes):
        if value_at(before, key) != value_at(after, key):
            changed[key] = (value_at(before, key), value_at(after, key))
    for key in STATE_BOUND_KEYS:
        if key in changed:
            old, new = changed[key]
            raise ConfigError(f"{src}: {key}: {new} differs from {old} in the state {state.path}, whose learning "
                              f"is per expert; remove {key} from {src.name} or start a new state file")
    settings = None if state.settings is None else settings_with_config_keys(state.settings, config, changed)
    return dataclasses.replace(state, config=config, settings=settings), changed


def load_state(path) -> SavedState:
    """Read, verify and validate a state file (raises :class:`StateError` naming the field)."""
    from qar_qiskit.config import parse_config

    raw = read_state(path)
    try:
        p = _Payload.model_validate(raw)
    except ValidationError as exc:
        raise StateError(f"{path}: malformed state: {QARError.from_validation(exc)}") from None
    except RecursionError:
        raise StateError(f"{path}: malformed state (nested too deeply)") from None
    try:
        config = parse_config(p.config, "config", drop_removed=True)  # keys that changed nothing
        settings = None if p.settings is None else RunSettings.from_dict(p.settings, "settings")
        for regime, obj in p.memory_amplitudes.items():
            try:
                decode_amplitudes(obj)  # validates the stored amplitudes
            except StateError as exc:
                raise StateError(f"memory_amplitudes.{regime}: {exc}") from None
        data = p.model_dump()
        if p.experts is not None and tuple(p.experts) != tuple(config.experts):
            raise StateError(f"config.experts: {list(config.experts)} disagrees with the experts the state "
                             f"was saved with, {list(p.experts)}")
    except ValidationError as exc:
        raise StateError(f"{path}: malformed state: {QARError.from_validation(exc)}") from None
    except QARError as exc:
        raise StateError(f"{path}: {exc}") from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, ArithmeticError) as exc:
        raise StateError(f"{path}: malformed state ({type(exc).__name__}: {exc})") from None
    return SavedState(path=str(path), config=config, settings=settings, learner_state=data, tick_index=p.tick_index,
                      last_price=p.last_price, returns=list(p.returns), decision_history=list(p.decision_history))
