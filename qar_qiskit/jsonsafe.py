"""The one NaN-safe JSON conversion: strict JSON from numpy-laden results.

``json.dumps`` writes ``NaN`` and ``Infinity`` by default, which is not JSON (RFC 8259 has no
such numbers; ``json.loads`` accepts them, most other readers refuse), and it cannot write
numpy scalars or arrays. :func:`json_safe` returns plain Python data that
``json.dumps(..., allow_nan=False)`` always accepts.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["json_safe"]


def json_safe(value: Any) -> Any:
    """``value`` as strict-JSON data.

    Mappings become dicts with string keys, lists, tuples and numpy arrays become lists, numpy
    scalars become Python numbers, non-finite floats (NaN, ±inf) become ``None``; ``None``,
    strings, booleans and integers stay as they are; anything else becomes ``str(value)``.
    """
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_safe(v) for v in value]
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return str(value)
