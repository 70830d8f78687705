"""Day-by-day backtests of a QAR on daily prices, with their report.

    from qar_qiskit.backtest import run_backtest
    from qar_qiskit.data.loader import load_dataset
    result = run_backtest(load_dataset("sp500"), "2008-01-01", "2008-12-31", backend="exact",
                          out_dir="reports/backtest-2008", baselines=False)
    result.metrics["strategy"]["net"]["sharpe"]

:func:`run_backtest` (:mod:`~qar_qiskit.backtest.runner`) returns a :class:`BacktestResult`
and takes any :class:`DecisionMaker` (:mod:`~qar_qiskit.backtest.result`). The runner is loaded
on first use of ``run_backtest``, so importing a submodule (``backtest.metrics`` for the CLI's
defaults) does not import the runner and its dependencies.
"""

from __future__ import annotations

from qar_qiskit.backtest.result import BacktestResult, DecisionMaker

__all__ = ["run_backtest", "BacktestResult", "DecisionMaker"]


def __getattr__(name: str):
    if name == "run_backtest":  # loaded on first use: the CLI imports backtest.metrics at startup
        from qar_qiskit.backtest.runner import run_backtest

        return run_backtest
    raise AttributeError(f"module 'qar_qiskit.backtest' has no attribute {name!r}")
