"""An expert's parameter values, bound by parameter name (no ordering convention).

:meth:`Expert.parameter_values <qar_qiskit.experts.base.Expert.parameter_values>` returns a
mapping ``{Parameter or parameter name: value}``; :func:`fragment_values` checks it against the
fragment's parameters and lays it out in the order the caller asks for (the composer: the
fragment's ``circuit.parameters``). A plug-in whose values were read positionally in Qiskit's
name-sorted order bound ``theta_buy``'s angle to ``phi_0`` and the other way round on every
sampling backend (the exact backend, which uses the twin, looked right); a mapping cannot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from qiskit.circuit import Parameter

from qar_qiskit.errors import InputError

__all__ = ["fragment_values"]


def _names(items) -> str:
    return ", ".join(map(str, items)) or "none"


def fragment_values(expert, data, parameters: Sequence[Parameter]) -> np.ndarray:
    """``expert.parameter_values(data)`` as floats in the order of ``parameters``.

    Args:
        expert: the :class:`~qar_qiskit.experts.base.Expert`.
        data: its data for the tick (what its ``inputs`` made).
        parameters: the fragment's parameters in the order wanted (the composer passes the
            fragment's ``circuit(n).parameters``).

    Returns:
        1-D float array, ``out[j]`` the value of ``parameters[j]``.

    Raises:
        InputError: naming the expert: an array for a fragment with other than one parameter,
            a key that is neither a ``Parameter`` nor a ``str``, the same parameter twice,
            missing, unknown or non-finite values.
    """
    values = expert.parameter_values(data)
    names = [p.name for p in parameters]
    if isinstance(values, dict) and len(values) == len(names):  # every name a key: nothing to report
        try:
            out = np.array([values[n] for n in names], dtype=float)
        except (KeyError, TypeError, ValueError):
            out = None  # the checks below name the problem
        if out is not None and np.all(np.isfinite(out)):
            return out
    where = f"expert {expert.name!r}: parameter_values"
    if not isinstance(values, Mapping):
        flat = np.asarray(values, dtype=float).reshape(-1)
        if len(names) != 1 or flat.size != 1:
            raise InputError(f"{where} returned {flat.size} value(s) as an array for the fragment's "
                             f"{len(names)} parameters ({_names(names)}); return a mapping "
                             "{Parameter or parameter name: value} (values are bound by name)")
        values = {names[0]: flat[0]}
    by_name: dict[str, object] = {}
    for key, value in values.items():
        name = key.name if isinstance(key, Parameter) else key
        if not isinstance(name, str):
            raise InputError(f"{where}: a key must be a Parameter or a parameter name, got {key!r}")
        if name in by_name:
            raise InputError(f"{where}: parameter {name!r} is given twice")
        by_name[name] = value
    missing = [n for n in names if n not in by_name]
    unknown = sorted(set(by_name) - set(names))
    if missing or unknown:
        raise InputError(f"{where}: missing values for [{_names(missing)}], unknown parameters "
                         f"[{_names(unknown)}]; the fragment's parameters are [{_names(names)}]")
    try:
        out = np.array([by_name[n] for n in names], dtype=float)
    except (TypeError, ValueError):
        bad = [n for n in names if not isinstance(by_name[n], (int, float, np.integer, np.floating))]
        raise InputError(f"{where}: values must be real numbers, not for [{_names(bad)}]") from None
    if not np.all(np.isfinite(out)):
        bad = [n for n, v in zip(names, out) if not np.isfinite(v)]
        raise InputError(f"{where}: values must be finite, got non-finite values for [{_names(bad)}]")
    return out
