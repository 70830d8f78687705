"""Exceptions raised inside an expert's methods name the expert and the method.

Every method of the :class:`~qar_qiskit.experts.base.Expert` contract is wrapped when a class
defines it (``Expert.__init_subclass__``): an exception that is not already one of the
package's (:class:`~qar_qiskit.errors.QARError`, which names its field) becomes an
:class:`~qar_qiskit.errors.ExpertError` ``expert 'reversion' failed in parameter_values:
ZeroDivisionError: division by zero``, with the original as its ``__cause__``. Wherever the
method is called from (the tick's inputs, the composer, the reader, the report), the message
says whose code failed and where; ``qar --debug`` prints the chained traceback.
"""

from __future__ import annotations

import functools

from qar_qiskit.errors import ExpertError, QARError

__all__ = ["CONTRACT_METHODS", "guard", "guard_methods"]

#: The methods of the contract that the package calls on an expert.
CONTRACT_METHODS = ("qubit_range", "read_qubit", "inputs", "fields", "data", "check", "circuit",
                    "parameter_values", "twin", "p_read", "read", "outputs", "report", "protection",
                    "size_risk", "conviction")


def guard(method: str, fn):
    """``fn`` (an expert method) with its unexpected exceptions turned into :class:`ExpertError`."""
    if getattr(fn, "_expert_guarded", False):
        return fn

    @functools.wraps(fn)
    def guarded(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except (QARError, ExpertError):
            raise
        except Exception as exc:  # the expert's own bug: name it
            raise ExpertError(getattr(self, "name", type(self).__name__), method, exc) from exc

    guarded._expert_guarded = True
    return guarded


def guard_methods(cls) -> None:
    """Wrap the contract methods that ``cls`` itself defines (plain functions only)."""
    for method in CONTRACT_METHODS:
        fn = cls.__dict__.get(method)
        if callable(fn) and not isinstance(fn, (staticmethod, classmethod, property)):
            setattr(cls, method, guard(method, fn))
