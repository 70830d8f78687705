"""Exact classical twins of the circuit fragments (plain numpy/scipy).

Every fragment in :mod:`qar_qiskit.circuits` prepares a distribution that one of these
functions computes in closed form; tests compare the two, and the twins are also the
``exact`` backend and the fallback when a quantum backend fails.

* :mod:`~qar_qiskit.classical.lmsr` -- Hanson (2003) logarithmic market scoring rule.
* :mod:`~qar_qiskit.classical.prospect` -- Tversky & Kahneman (1992) cumulative prospect theory.
* :mod:`~qar_qiskit.classical.hedge` -- Freund & Schapire (1997) Hedge.
* :mod:`~qar_qiskit.classical.regime` -- fuzzy market-regime analysis (seed regime ranges).
* :mod:`~qar_qiskit.classical.stats` -- shot-noise statistics (Wilson, BHC bound, chi-square).
"""

from qar_qiskit.classical.hedge import (
    HedgeResult,
    hedge_ratio_losses,
    hedge_ratios,
    hedge_weights,
    optimal_eta,
    regret_bound,
)
from qar_qiskit.classical.lmsr import (
    bin_centers,
    lmsr_cost,
    lmsr_prices,
    lmsr_trade_cost,
    lmsr_worst_case_loss,
    recency_quantities,
)
from qar_qiskit.classical.prospect import (
    CPTParams,
    certainty_equivalent,
    cpt_decision_weights,
    cpt_value,
    cpt_weight,
    value_function,
)
from qar_qiskit.classical.regime import (
    DEFAULT_REGIME_RANGES,
    FEATURES,
    REGIMES,
    RegimeAnalysis,
    fuzzy_membership,
    normalized_entropy,
    regime_analysis,
    regime_memberships,
    regime_probabilities,
)
from qar_qiskit.classical.stats import (
    chi_square_pvalue,
    shot_noise_tvd_bound,
    wilson_interval,
)

# --- decision model (qar_qiskit/classical/decision.py): the lead adds its re-export here ---

__all__ = [
    # lmsr
    "lmsr_prices",
    "lmsr_cost",
    "lmsr_trade_cost",
    "lmsr_worst_case_loss",
    "bin_centers",
    "recency_quantities",
    # prospect
    "CPTParams",
    "value_function",
    "cpt_weight",
    "cpt_decision_weights",
    "cpt_value",
    "certainty_equivalent",
    # hedge
    "HedgeResult",
    "hedge_weights",
    "optimal_eta",
    "regret_bound",
    "hedge_ratios",
    "hedge_ratio_losses",
    # regime
    "REGIMES",
    "FEATURES",
    "DEFAULT_REGIME_RANGES",
    "RegimeAnalysis",
    "fuzzy_membership",
    "regime_memberships",
    "regime_probabilities",
    "normalized_entropy",
    "regime_analysis",
    # stats
    "wilson_interval",
    "shot_noise_tvd_bound",
    "chi_square_pvalue",
]
