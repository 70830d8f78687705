"""Shared helpers of the benchmark scripts: machine description, seeded ticks, TVD statistics.

Not a benchmark itself (``run_all.py`` skips files starting with ``_``).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from qar_qiskit.backends.counts import counts_vector  # noqa: E402,F401
from qar_qiskit.backends.counts import margin_resolvable as resolvable
from qar_qiskit.circuits.market import REGIME_CODES  # noqa: E402  (valid market-register codes)
from qar_qiskit.jsonsafe import json_safe as finite_json  # noqa: E402  (strict JSON: NaN/inf -> null)
from qar_qiskit.labels import REGIMES  # noqa: E402

TRADING_DAYS = 252


def _version(module: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:  # noqa: BLE001 - an absent package is reported as None
        return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git() -> dict:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return {"commit": head or None, "dirty": bool(dirty)}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def machine_info() -> dict:
    """Date, platform, CPU count and the versions that matter for the numbers."""
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        affinity = None
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": affinity,
        "python": platform.python_version(),
        "qiskit": _version("qiskit"),
        "qiskit_aer": _version("qiskit-aer"),
        "qiskit_ibm_runtime": _version("qiskit-ibm-runtime"),
        "mthree": _version("mthree"),
        "numpy": _version("numpy"),
        "qar_qiskit": _version("qar-qiskit"),
        "git": _git(),
    }


# ---------------------------------------------------------------------------------------------
# seeded ticks


@dataclass(frozen=True)
class SeededTick:
    """One synthetic tick whose dominant regime is known, and its return history."""

    regime: str
    index: int
    seed: int
    tick: object  # MarketTick
    returns: np.ndarray  # daily log returns, oldest first


def seeded_ticks(per_regime: int, seed: int = 2024, history: int = 120, qar=None,
                 regimes=REGIMES) -> list[SeededTick]:
    """``per_regime`` ticks for each regime in ``regimes`` (default all four), drawn from the
    config's regime ranges.

    Volatility, trend clarity and normalised volume are drawn uniformly from the middle 60% of
    the regime's configured ranges; the return history is Gaussian with the tick's daily
    volatility and a drift drawn per tick (so LMSR, prospect and Hedge see different pasts). A
    draw is kept only if ``QAR.analyse`` names the intended regime as dominant (redrawn otherwise).
    Deterministic in ``seed``.
    """
    from qar_qiskit.system.qar import QAR
    from qar_qiskit.tick import MarketTick

    qar = qar if qar is not None else QAR(backend="exact")
    ranges = qar.config.market_regimes.ranges()
    out: list[SeededTick] = []
    for r_index, regime in enumerate(REGIMES):
        if regime not in regimes:
            continue
        rng = np.random.default_rng([seed, r_index])
        kept = 0
        for _ in range(1000):
            if kept == per_regime:
                break
            fields = {}
            for name in ("volatility", "trend_clarity", "volume_normalized"):
                lo, hi = ranges[regime][name]
                fields[name] = float(rng.uniform(lo + 0.2 * (hi - lo), hi - 0.2 * (hi - lo)))
            daily = fields["volatility"] / math.sqrt(TRADING_DAYS)
            drift = float(rng.normal(0.0, 0.5 * daily))
            returns = rng.normal(drift, daily, history)
            price = float(100.0 * math.exp(returns.sum()))
            tick = MarketTick(price=price, trend=drift * TRADING_DAYS, **fields)
            if qar.analyse(tick).dominant != regime:
                continue
            out.append(SeededTick(regime, kept, seed, tick, returns))
            kept += 1
        if kept < per_regime:  # pragma: no cover - ranges that never give the regime
            raise RuntimeError(f"could not draw {per_regime} {regime} ticks from the config ranges")
    return out


# ---------------------------------------------------------------------------------------------
# statistics


def tvd(p, q) -> float:
    """Total variation distance ``0.5 * sum |p - q|`` (quasi-distributions allowed)."""
    return 0.5 * float(np.abs(np.asarray(p, dtype=float) - np.asarray(q, dtype=float)).sum())


def expected_tvd(probabilities, shots: int) -> float:
    r"""Exact expected TVD between the empirical distribution of ``shots`` samples and ``p``.

    Each count is binomial, :math:`X_i \sim B(n, p_i)`, and :math:`E[\mathrm{TVD}] =
    \frac{1}{2n}\sum_i E|X_i - n p_i|`. De Moivre's closed form of the binomial mean absolute
    deviation: :math:`E|X - np| = 2\,\nu\,(1-p)\,\Pr[X = \nu]` with :math:`\nu = \lfloor np
    \rfloor + 1` (Diaconis & Zabell 1991, "Closed form summation for classical distributions").
    For large ``n`` this is :math:`\approx \frac12\sum_i \sqrt{2 p_i (1-p_i) / (\pi n)}`.
    """
    from scipy.stats import binom

    p = np.clip(np.asarray(probabilities, dtype=float), 0.0, 1.0)
    n = int(shots)
    total = 0.0
    for pi in p:
        if pi <= 0.0 or pi >= 1.0:
            continue
        nu = math.floor(n * pi) + 1
        if nu > n:
            continue
        total += 2.0 * nu * (1.0 - pi) * float(binom.pmf(nu, n, pi))
    return total / (2.0 * n)


def multinomial_tvd_quantile(probabilities, shots: int, q: float = 0.99, samples: int = 4000,
                             seed: int = 0) -> float:
    """The ``q`` quantile of the TVD of a ``shots``-sample multinomial draw (Monte Carlo)."""
    p = np.clip(np.asarray(probabilities, dtype=float), 0.0, None)
    p = p / p.sum()
    draws = np.random.default_rng(seed).multinomial(int(shots), p, size=samples) / float(shots)
    return float(np.quantile(0.5 * np.abs(draws - p).sum(axis=1), q))


def quasi_vector(dist: dict, n_bits: int) -> np.ndarray:
    """``{"01011": q, ...}`` (MSB-first bit strings) -> a dense little-endian-index vector."""
    return counts_vector(dist, n_bits, "quasi", integer=False)


def field(obj, name: str):
    """``obj.name`` or ``obj[name]`` (Decision sub-objects may be models or plain dicts)."""
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def nearest_probability(quasi) -> np.ndarray:
    """The closest probability vector (L2) to a quasi-probability vector.

    Smolin, Gambetta & Smith, PRL 108, 070502 (2012), as implemented by
    ``qiskit.result.QuasiDistribution.nearest_probability_distribution``.
    """
    from qiskit.result import QuasiDistribution

    q = np.asarray(quasi, dtype=float)
    if not np.all(np.isfinite(q)):
        return np.full(q.size, np.nan)
    total = q.sum()
    nearest = QuasiDistribution({i: float(v) for i, v in enumerate(q / total) if v != 0.0}
                                ).nearest_probability_distribution()
    out = np.zeros(q.size)
    for i, v in nearest.items():
        out[int(i)] = v
    return out


def finite_mean(values):
    """(mean of the finite values or None, number of non-finite values)."""
    vals = [float(v) for v in values]
    ok = [v for v in vals if math.isfinite(v)]
    return (float(np.mean(ok)) if ok else None), len(vals) - len(ok)


def fmt_ms(seconds) -> str:
    return "n/a" if seconds is None else f"{1000 * seconds:.1f} ms"


def fmt(value, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:.{digits}f}"
    return str(value)


def write_report(out: Path, stem: str, report: dict, md: str) -> None:
    """Write ``<out>/<stem>.json`` (NaN-safe) and ``<out>/<stem>.md``, and print the markdown."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(finite_json(report), indent=1) + "\n")
    (out / f"{stem}.md").write_text(md)
    print(md)
