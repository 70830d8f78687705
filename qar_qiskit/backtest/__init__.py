"""Day-by-day backtests of a QAR on daily prices, with their report.

    from qar_qiskit.backtest import run_backtest
    from qar_qiskit.data.loader import load_dataset
    result = run_backtest(load_dataset("sp500"), "2008-01-01", "2008-12-31", backend="exact",
                          out_dir="reports/backtest-2008", baselines=False)
    result.metrics["strategy"]["net"]["sharpe"]

:func:`run_backtest` (:mod:`~qar_qiskit.backtest.runner`) returns a :class:`BacktestResult`
and takes any :class:`DecisionMaker` (:mod:`~qar_qiskit.backtest.result`). Names are loaded
lazily, as in :mod:`qar_qiskit.circuits`, so importing a submodule (``backtest.metrics`` for the
CLI's defaults) does not import the runner and its dependencies.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "run_backtest": "runner",
    "BacktestResult": "result",
    "DecisionMaker": "result",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'qar_qiskit.backtest' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"qar_qiskit.backtest.{module}"), name)
    globals()[name] = value
    return value
