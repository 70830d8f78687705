"""Saving and loading the complete QAR state.

The state is versioned JSON (``.json``) or gzip-compressed JSON (``.json.gz``), with a SHA-256
checksum over its payload. Writes are atomic: the bytes go to a temporary file in the same
folder, are fsync'ed, and replace the target with ``os.replace``; a crash leaves either the old
or the new file, never a mix. A damaged, truncated, foreign or newer-version file is refused
with :class:`StateError` and nothing already loaded or saved is touched.

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
from collections import deque
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from qar_qiskit.errors import QARError, StateError

SCHEMA = "qar-qiskit/state"
SCHEMA_VERSION = 1


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
        n = int(obj["n"])
        out = np.zeros(n, dtype=complex)
        if obj["format"] == "dense":
            if len(obj["data"]) != n:
                raise StateError("dense amplitudes: length does not match n")
            for i, (re, im) in enumerate(obj["data"]):
                out[i] = complex(re, im)
        elif obj["format"] == "sparse":
            for key, (re, im) in obj["data"].items():
                out[int(key)] = complex(re, im)
        else:
            raise StateError(f"unknown amplitude format {obj['format']!r}")
    except StateError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise StateError(f"amplitudes are malformed ({exc})") from None
    return out


def _payload(qar) -> dict:
    amps = qar.memory.amplitudes
    return {
        "config": qar.config.model_dump(mode="json"),
        "tick_index": qar.tick_index,
        "last_price": qar.last_price,
        "returns": list(qar.returns),
        "memory": qar.memory.to_dict(),
        "memory_amplitudes": {r: encode_amplitudes(amps[i], "sparse" if np.count_nonzero(amps[i]) < 2 else "dense")
                              for i, r in enumerate(("stable", "trending", "volatile", "crisis"))},
        "synergy": {"co_success": qar.synergy.co_success.tolist(), "count": qar.synergy.count},
        "trackers": {name: list(t.rewards) for name, t in qar.trackers.items()},
        "feedback_history": [[h.regime, list(h.bits), h.outcome] for h in qar.feedback_history],
        "decision_history": list(qar.decision_history),
        "pending": {k: {"regime_probabilities": list(p.regime_probabilities), "dominant_index": p.dominant_index,
                        "position": p.position, "expert_positions": p.expert_positions, "bits": list(p.bits),
                        "day": p.day} for k, p in qar._pending.items()},
        "settled": list(qar._settled),
        "risk_daily_pnl": dict(qar.risk.daily_pnl),
        "risk_last_day": qar.risk._last_day,
        "pool": qar.pool.statistics(),
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
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StateError(f"{path}: damaged or truncated state file ({type(exc).__name__})") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise StateError(f"{path}: not a qar-qiskit state file")
    version = doc.get("schema_version")
    if not isinstance(version, int):
        raise StateError(f"{path}: schema_version is missing")
    if version > SCHEMA_VERSION:
        raise StateError(f"{path}: schema_version {version} is newer than this qar-qiskit supports ({SCHEMA_VERSION})")
    payload = doc.get("payload")
    if not isinstance(payload, dict) or doc.get("checksum") != _checksum(payload):
        raise StateError(f"{path}: checksum mismatch: the file was damaged or edited")
    return payload


def load_state(path, cls, **kwargs):
    """Build a new ``cls`` (QAR) from a state file."""
    from qar_qiskit.config import parse_config
    from qar_qiskit.learning.feedback import FeedbackRecord
    from qar_qiskit.learning.memory import LearningMemory
    from qar_qiskit.system.qar import _Pending

    p = read_state(path)
    try:
        config = parse_config(p["config"], f"{path}: config")
        qar = cls(config, **kwargs)
        qar.tick_index = int(p["tick_index"])
        qar.last_price = None if p["last_price"] is None else float(p["last_price"])
        qar.returns.extend(float(x) for x in p["returns"])
        qar.memory = LearningMemory.from_dict(p["memory"])
        qar.synergy.co_success = np.asarray(p["synergy"]["co_success"], dtype=float).reshape(3, 3)
        qar.synergy.count = int(p["synergy"]["count"])
        for name, rewards in p["trackers"].items():
            qar.trackers[name].rewards.extend(float(r) for r in rewards)
        qar.feedback_history.extend(FeedbackRecord(int(r), tuple(int(b) for b in bits), float(o))
                                    for r, bits, o in p["feedback_history"])
        qar.decision_history.extend(p["decision_history"])
        for k, v in p["pending"].items():
            qar._pending[k] = _Pending(tuple(v["regime_probabilities"]), int(v["dominant_index"]), float(v["position"]),
                                       {a: float(x) for a, x in v["expert_positions"].items()},
                                       tuple(int(b) for b in v["bits"]), str(v["day"]))
        qar._settled.extend(p["settled"])
        qar.risk.daily_pnl.update({k: float(v) for k, v in p["risk_daily_pnl"].items()})
        qar.risk._last_day = p.get("risk_last_day")
        for r, obj in p["memory_amplitudes"].items():
            decode_amplitudes(obj)  # validates the stored amplitudes
    except QARError as exc:
        raise StateError(f"{path}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise StateError(f"{path}: malformed state ({type(exc).__name__}: {exc})") from None
    return qar
