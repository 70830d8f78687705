"""Imported through a config's ``expert_modules``: registers an expert whose
``parameter_values`` divides by zero (the CLI's one-line error and ``--debug`` traceback)."""

from qar_qiskit.experts import register_expert
from tests.experts.plugins import FailingExpert

register_expert(FailingExpert(name="failing_pv", fail_in="parameter_values"))
