"""The README's headline: the spread over seeds that a single-seed backtest is one draw from.

One backtest on a sampled backend is one seed: one draw of the shot noise along one learning
path. The README's headline is the sweep ``qar sweep sweep-sp500`` (the packaged spec
``qar_qiskit/sweeps/sweep-sp500.yaml``): seeds 0-9 on ``aer`` with the default config's 1024
shots, S&P 500 decision days 1999-03-17 .. 2018-12-28, net of 5 bp per unit traded. Its figures
below are those of that sweep's ``summary.md`` as the README quotes them (run 2026-12-03,
``--workers 1``); :func:`placement` says where one run's net Sharpe ratio falls among them when
the run has the headline's data, period, backend, shots and costs.
"""

from __future__ import annotations

from typing import Optional

__all__ = ["HEADLINE", "placement"]

#: The headline sweep: its conditions and its net Sharpe ratios over the 10 seeds.
HEADLINE = {
    "command": "qar sweep sweep-sp500 --out reports/sweep-sp500",
    "source": "sp500",
    "backend": "aer",
    "shots": 1024,
    "cost_bps": 5.0,
    "first_day": "1999-03-17",
    "last_day": "2018-12-28",
    "seeds": tuple(range(10)),
    # mean, Student-t 95% interval of the mean, and lowest / highest seed
    "sharpe_net": {"mean": 0.12, "interval": (0.07, 0.18), "min": 0.00, "max": 0.28},
}


def _conditions(run: dict) -> dict:
    return {"source": run.get("source"), "backend": run.get("backend"), "shots": run.get("shots"),
            "cost_bps": run.get("cost_bps"), "first_day": run.get("first_day"),
            "last_day": run.get("last_day")}


def placement(run: dict, sharpe_net: Optional[float]) -> str:
    """One or two sentences: the run's seed, and where its net Sharpe ratio falls among the
    headline's seeds (only when ``run``, a ``metrics.json`` ``run`` section, has the headline's
    conditions; otherwise how to get the spread for this run's conditions).
    """
    seed = run.get("seed")
    h = HEADLINE
    seeds = f"seeds {h['seeds'][0]}-{h['seeds'][-1]}"
    among = "one of" if seed in h["seeds"] else "not one of"
    text = (f"This run is one seed ({seed}) of a sampled backend: one draw of the shot noise along "
            f"one learning path. The README's headline is {len(h['seeds'])} seeds ({seeds}, "
            f"`{h['command']}`); seed {seed} is {among} them.")
    want = {k: h[k] for k in _conditions(run)}
    if _conditions(run) != want or sharpe_net is None:
        diff = ", ".join(f"{k} {run.get(k)!r} (headline {v!r})" for k, v in want.items()
                         if run.get(k) != v)
        return (text + f" Its spread does not apply here ({diff or 'no Sharpe ratio'}); a sweep "
                "over seeds on this run's data, period and backend (`qar sweep`, `seeds: 10`) "
                "gives it.")
    s = h["sharpe_net"]
    lo, hi = s["interval"]
    if sharpe_net < s["min"]:
        where = f"below all {len(h['seeds'])} seeds (lowest {s['min']:.2f})"
    elif sharpe_net > s["max"]:
        where = f"above all {len(h['seeds'])} seeds (highest {s['max']:.2f})"
    else:
        side = "below" if sharpe_net < lo else "above" if sharpe_net > hi else "inside"
        where = (f"within the seeds' range {s['min']:.2f} to {s['max']:.2f}, {side} the 95% "
                 f"interval of their mean [{lo:.2f}, {hi:.2f}] (mean {s['mean']:.2f})")
    return text + f" Its net Sharpe ratio {sharpe_net:.2f} is {where}."
