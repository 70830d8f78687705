"""Input validation shared by the twins, the circuit inputs and the pipeline.

Each helper converts a value and raises :class:`qar_qiskit.errors.InputError` with a message
that names the offending argument.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from qar_qiskit.errors import InputError

__all__ = ["as_float_array", "as_float", "as_int", "as_distribution"]


def as_float_array(name, value, *, ndim=None, shape=None, nonneg=False, allow_empty=True, copy=False):
    """Convert ``value`` to a float64 array; raise InputError naming ``name`` if it is bad.

    ``ndim``/``shape`` require that many dimensions / that exact shape; ``copy`` always copies
    (for values kept in frozen objects).
    """
    try:
        arr = np.array(value, dtype=float) if copy else np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: expected numbers, got {value!r}") from exc
    if ndim is not None and arr.ndim != ndim:
        raise InputError(f"{name}: expected a {ndim}-D array, got shape {arr.shape}")
    if shape is not None and arr.shape != tuple(shape):
        raise InputError(f"{name}: need shape {tuple(shape)}, got {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise InputError(f"{name}: must not be empty")
    if arr.size and not np.all(np.isfinite(arr)):
        raise InputError(f"{name}: contains NaN or infinite values")
    if nonneg and arr.size and np.any(arr < 0):
        raise InputError(f"{name}: must be >= 0, got minimum {arr.min()!r}")
    return arr


def as_float(name, value, *, positive=False, nonneg=False, lo=None, hi=None):
    """Convert ``value`` to a finite float; raise InputError naming ``name`` if it is bad."""
    if isinstance(value, (bool, np.bool_)):
        raise InputError(f"{name}: expected a number, got {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: expected a number, got {value!r}") from exc
    if not math.isfinite(x):
        raise InputError(f"{name}: must be finite, got {x!r}")
    if positive and not x > 0:
        raise InputError(f"{name}: must be > 0, got {x!r}")
    if nonneg and not x >= 0:
        raise InputError(f"{name}: must be >= 0, got {x!r}")
    if lo is not None and x < lo:
        raise InputError(f"{name}: must be >= {lo}, got {x!r}")
    if hi is not None and x > hi:
        raise InputError(f"{name}: must be <= {hi}, got {x!r}")
    return x


def as_int(name, value, *, minimum=None, maximum=None):
    """Convert ``value`` to an int (integral floats accepted); raise InputError if bad."""
    if isinstance(value, (bool, np.bool_)):
        raise InputError(f"{name}: expected an integer, got {value!r}")
    if isinstance(value, numbers.Integral):
        n = int(value)
    else:
        try:
            x = float(value)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{name}: expected an integer, got {value!r}") from exc
        if not math.isfinite(x) or x != int(x):
            raise InputError(f"{name}: expected an integer, got {value!r}")
        n = int(x)
    if minimum is not None and n < minimum:
        raise InputError(f"{name}: must be >= {minimum}, got {n}")
    if maximum is not None and n > maximum:
        raise InputError(f"{name}: must be <= {maximum}, got {n}")
    return n


def as_distribution(name, value, *, atol=1e-9):
    """A 1-D, non-negative probability vector summing to 1 within ``atol``."""
    p = as_float_array(name, value, ndim=1, nonneg=True, allow_empty=False)
    total = float(p.sum())
    if abs(total - 1.0) > atol:
        raise InputError(f"{name}: must sum to 1 (tolerance {atol:g}), sums to {total!r}")
    return p


# ---------------------------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------------------------
