"""The index orders every part of the package shares (circuit codes, twins, reports, state).

Regime ``r``, expert ``a`` and decision ``d = A + 4 S + 16 K`` (action, size, risk) are indices
into these tuples everywhere: the market register's code, the memory register's rows and
columns, the decision register's bits, the classical twins' arrays and the saved state.
:data:`EXPERTS` names the default expert set (the built-ins); a QAR's own set, in memory order,
is ``qar.experts.names`` (``qar_qiskit.experts``).
"""

from __future__ import annotations

__all__ = ["REGIMES", "EXPERTS", "ACTIONS", "SIZES", "RISKS"]

REGIMES: tuple[str, ...] = ("stable", "trending", "volatile", "crisis")
EXPERTS: tuple[str, ...] = ("lmsr", "prospect", "hedge", "abstain")  # the default set
ACTIONS: tuple[str, ...] = ("sell", "hold", "buy", "hedge")
SIZES: tuple[str, ...] = ("small", "medium", "large", "max")
RISKS: tuple[str, ...] = ("conservative", "aggressive")
