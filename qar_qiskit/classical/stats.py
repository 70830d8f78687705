"""Sampling statistics used to compare measured counts with the classical twins.

* :func:`wilson_interval` -- score interval for a binomial proportion (Wilson 1927).
* :func:`shot_noise_tvd_bound` -- a high-probability bound on the total variation distance
  between an empirical distribution of ``shots`` samples and the true distribution
  (Bretagnolle--Huber--Carol inequality).
* :func:`chi_square_pvalue` -- Pearson goodness of fit with sparse bins merged.

Input validation lives in :mod:`qar_qiskit.validation`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as _scipy_stats

from qar_qiskit.errors import InputError
from qar_qiskit.validation import as_distribution, as_float, as_float_array, as_int

__all__ = ["wilson_interval", "shot_noise_tvd_bound", "chi_square_pvalue"]


def wilson_interval(successes, n, z=1.96):
    r"""Wilson score interval for a binomial proportion.

    With :math:`\hat p = s/n`:

    .. math::
        \frac{\hat p + z^2/(2n)}{1 + z^2/n} \pm
        \frac{z}{1 + z^2/n}\sqrt{\frac{\hat p(1-\hat p)}{n} + \frac{z^2}{4n^2}}

    Reference: E. B. Wilson (1927), "Probable inference, the law of succession, and
    statistical inference", J. Amer. Statist. Assoc. 22:209-212.

    Args:
        successes: number of successes, integer in ``[0, n]``.
        n: number of trials, integer ``>= 0``. ``n == 0`` returns the uninformative
            interval ``(0.0, 1.0)``.
        z: standard normal quantile (1.96 for a two-sided 95% interval), ``> 0``.

    Returns:
        ``(low, high)`` as floats, clipped to ``[0, 1]``.

    Raises:
        InputError: if an argument is not finite, negative, or ``successes > n``.
    """
    n = as_int("n", n, minimum=0)
    s = as_int("successes", successes, minimum=0, maximum=n)
    z = as_float("z", z, positive=True)
    if n == 0:
        return (0.0, 1.0)
    p = s / n
    z2 = z * z
    denom = 1.0 + z2 / n
    center = (p + z2 / (2.0 * n)) / denom
    half = (z / denom) * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    low = 0.0 if s == 0 else max(0.0, center - half)
    high = 1.0 if s == n else min(1.0, center + half)
    return (float(low), float(high))


def shot_noise_tvd_bound(probabilities, shots, confidence=0.99):
    r"""Upper bound on the TVD between ``shots`` samples and the true distribution.

    Bretagnolle--Huber--Carol inequality for the multinomial L1 deviation: with :math:`k`
    the support size (number of outcomes with non-zero probability; outcomes of probability
    zero are never sampled) and :math:`n` the number of shots,

    .. math:: P(\lVert \hat p - p \rVert_1 \ge \varepsilon) \le 2^k e^{-n\varepsilon^2/2},

    so with probability at least ``confidence``

    .. math::
        \mathrm{TVD}(\hat p, p) = \tfrac12\lVert \hat p - p\rVert_1 <
        \tfrac12\sqrt{\frac{2\,(k\ln 2 + \ln(1/(1-\mathrm{confidence})))}{n}}.

    References: J. Bretagnolle & C. Huber (1978); see also A. W. van der Vaart &
    J. A. Wellner (1996), "Weak Convergence and Empirical Processes", Prop. A.6.6.

    Args:
        probabilities: the true distribution (1-D, non-negative, sums to 1 within 1e-6).
        shots: number of samples, integer ``>= 1``.
        confidence: probability with which the bound holds, in ``(0, 1)``.

    Returns:
        The bound as a float in ``[0, 1]`` (0.0 for a point mass: the samples are exact).

    Raises:
        InputError: on an invalid distribution, ``shots < 1`` or confidence outside (0, 1).
    """
    p = as_distribution("probabilities", probabilities, atol=1e-6)
    shots = as_int("shots", shots, minimum=1)
    confidence = as_float("confidence", confidence)
    if not 0.0 < confidence < 1.0:
        raise InputError(f"confidence: must be in (0, 1), got {confidence!r}")
    k = int(np.count_nonzero(p > 0))
    if k <= 1:
        return 0.0
    eps = math.sqrt(2.0 * (k * math.log(2.0) - math.log1p(-confidence)) / shots)
    return float(min(1.0, eps / 2.0))


def chi_square_pvalue(counts, probabilities):
    r"""Pearson chi-square goodness-of-fit p-value of ``counts`` against ``probabilities``.

    Statistic :math:`\chi^2 = \sum_i (O_i - E_i)^2 / E_i` with :math:`E_i = n p_i`, compared
    with a chi-square law of (number of bins - 1) degrees of freedom
    (``scipy.stats.chisquare``). Bins whose expected count is below 5 are merged into one
    bin; if that merged bin still expects fewer than 5 counts it is merged into the
    smallest remaining bin. Outcomes of probability 0 are dropped, except that an observed
    count on such an outcome makes the fit impossible: the p-value is then 0.0. When a
    single bin remains, there is nothing to test and the p-value is 1.0.

    Reference: K. Pearson (1900), Philosophical Magazine 50:157-175.

    Args:
        counts: observed counts per outcome (1-D, non-negative, same length as
            ``probabilities``).
        probabilities: the hypothesised distribution (non-negative, sums to 1 within 1e-6).

    Returns:
        The p-value as a float in ``[0, 1]``.

    Raises:
        InputError: on negative/NaN counts, a length mismatch, no counts at all, or an
            invalid distribution.
    """
    obs = as_float_array("counts", counts, ndim=1, nonneg=True, allow_empty=False)
    p = as_distribution("probabilities", probabilities, atol=1e-6)
    if obs.shape != p.shape:
        raise InputError(
            f"counts: length {obs.shape[0]} does not match probabilities length {p.shape[0]}"
        )
    n = float(obs.sum())
    if n <= 0:
        raise InputError("counts: total count must be > 0")
    zero = p == 0
    if np.any(obs[zero] > 0):
        return 0.0
    obs = obs[~zero]
    exp = n * p[~zero] / p[~zero].sum()

    small = exp < 5.0
    if np.any(small):
        big_obs, big_exp = list(obs[~small]), list(exp[~small])
        m_obs, m_exp = float(obs[small].sum()), float(exp[small].sum())
        if m_exp < 5.0 and big_exp:
            j = int(np.argmin(big_exp))
            big_obs[j] += m_obs
            big_exp[j] += m_exp
        else:
            big_obs.append(m_obs)
            big_exp.append(m_exp)
        obs, exp = np.asarray(big_obs), np.asarray(big_exp)
    if obs.size <= 1:
        return 1.0
    exp = exp * (obs.sum() / exp.sum())  # exact equality of totals for scipy's check
    result = _scipy_stats.chisquare(obs, exp)
    return float(result.pvalue)
