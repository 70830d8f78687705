"""The sweep summary: ``summary.md``, ``summary.json`` and fan plots of equity over seeds.

Per asset and window, per *configuration* (backend, shots, cost, overrides; the seeds are the
repetitions), all net of costs:

* mean and Student-t 95% interval over seeds of CAGR, Sharpe, max drawdown and turnover
  (:func:`qar_qiskit.backtest.stats.mean_interval`);
* PSR against SR* = 0 of each seed's daily net returns, with their skewness and kurtosis (Bailey
  & López de Prado 2012), averaged over seeds;
* the deflated Sharpe ratio (Bailey & López de Prado 2014) of each seed's returns against the
  best-of-N benchmark, N = the number of configurations tried on that asset and window and
  ``V[SR]`` the variance of their mean daily Sharpe ratios; averaged over seeds. With one
  configuration it equals the PSR.

Each ``summary.json`` entry also keeps each seed's net Sharpe ratio (``sharpe_by_seed``, seed ->
value) and the ``conditions`` a single backtest must share to be one draw of those seeds (data
source, first and last decision day, backend, resolved shots, cost, overrides, base config), which
``qar backtest --spread DIR`` reads (:mod:`qar_qiskit.backtest.headline`).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from qar_qiskit.backtest import stats
from qar_qiskit.backtest.plots import _pyplot
from qar_qiskit.sweep.store import SweepStore

MAX_FANS = 24


def _series(store: SweepStore, cid: str) -> dict[str, np.ndarray]:
    with open(store.cells / cid / "decisions.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {"pnl_net": np.array([float(r["pnl_net"]) for r in rows]),
            "return_next": np.array([float(r["return_next"]) for r in rows]),
            "dates": np.array([r["date"] for r in rows], dtype="datetime64[D]")}


def _ci(d: dict, pct: bool = True) -> str:
    if d["mean"] is None:
        return "n/a"
    f = (lambda v: f"{100 * v:.2f}%") if pct else (lambda v: f"{v:.2f}")
    return f(d["mean"]) + ("" if d["low"] is None else f" [{f(d['low'])}, {f(d['high'])}]")


def _mean(values) -> float | None:
    v = [x for x in values if x is not None]
    return float(np.mean(v)) if v else None


def _label(r: dict) -> str:
    over = json.loads(r["overrides"]) if r["overrides"] else {}
    parts = [r["backend"]] + ([f"{r['shots']} shots"] if r.get("shots") else [])
    parts += [f"{r['cost_bps']:g} bp"] + [f"{k}={v}" for k, v in over.items()]
    return ", ".join(parts)


def _conditions(store: SweepStore, row: dict, config: str | None) -> dict:
    """What a cell was run on, from its own ``metrics.json`` (the resolved shots, the data's
    source as the backtest names it) and its row (the overrides)."""
    run = json.loads((store.cells / row["id"] / "metrics.json").read_text(encoding="utf-8"))["run"]
    return {**{k: run[k] for k in ("source", "first_day", "last_day", "backend", "shots",
                                   "cost_bps")},
            "overrides": json.loads(row["overrides"]) if row["overrides"] else {},
            "config": config}


def summarise(store: SweepStore, ids: set[str] | None = None,
              cell_configs: dict[str, str | None] | None = None) -> list[dict]:
    """One entry per (asset, window, configuration) with the statistics of the module docstring
    (only the cells in ``ids`` when given: a folder resumed with a changed spec keeps old cells;
    ``cell_configs``: cell id -> the spec's base config path, None for the packaged config)."""
    rows = [r for r in store.rows() if r.get("status") == "ok" and (ids is None or r["id"] in ids)]
    groups: dict[tuple, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        groups[(r["data"], r["start"], r["end"])][r["config_key"]].append(r)
    out = []
    for (data, start, end), configs in sorted(groups.items(), key=lambda kv: str(kv[0])):
        series = {r["id"]: _series(store, r["id"]) for rs in configs.values() for r in rs}
        trial_srs = [_mean(r["sr_daily_net"] for r in rs) for rs in configs.values()]
        for key, rs in configs.items():
            rs = sorted(rs, key=lambda r: r["seed"])
            dsr = [stats.deflated_sharpe(series[r["id"]]["pnl_net"], trial_srs) for r in rs]
            out.append({
                "data": data, "start": start, "end": end, "config_key": key,
                "label": _label(rs[0]), "cost_bps": float(rs[0]["cost_bps"]),
                "seeds": [r["seed"] for r in rs], "cells": [r["id"] for r in rs],
                "first_day": rs[0]["first_day"], "last_day": rs[0]["last_day"],
                "sharpe_by_seed": {str(r["seed"]): r["sharpe_net"] for r in rs},
                "conditions": _conditions(store, rs[0], (cell_configs or {}).get(rs[0]["id"])),
                **{m: stats.mean_interval([r[f"{m}_net"] for r in rs])
                   for m in ("cagr", "sharpe", "max_drawdown", "turnover")},
                "psr": _mean(r["psr_net"] for r in rs),
                "skewness": _mean(r["skewness_net"] for r in rs),
                "kurtosis": _mean(r["kurtosis_net"] for r in rs),
                "dsr": _mean(d["dsr"] for d in dsr), "dsr_trials": len(configs),
                "dsr_sr_star_daily": dsr[0]["sr_star"],
                "bh_cagr_net": rs[0]["bh_cagr_net"], "bh_sharpe_net": rs[0]["bh_sharpe_net"],
                "agreement_action_resolvable": _mean(r["agreement_action_resolvable"] for r in rs),
            })
    return out


def _fan(store: SweepStore, entry: dict, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 5))
    curves = []
    for cid in entry["cells"]:
        s = _series(store, cid)
        eq = np.cumprod(1.0 + s["pnl_net"])
        curves.append(eq)
        ax.plot(s["dates"].astype(object), eq, color="#1f77b4", lw=0.6, alpha=0.5)
    c = np.vstack(curves)
    ax.plot(s["dates"].astype(object), np.median(c, axis=0), color="black", lw=1.4,
            label=f"median of {len(curves)} seeds")
    if len(curves) > 1:
        ax.fill_between(s["dates"].astype(object), c.min(axis=0), c.max(axis=0), color="#1f77b4",
                        alpha=0.15, label="range over seeds")
    cost = entry["cost_bps"] * 1e-4  # buy-and-hold pays the entry once
    bh = np.cumprod(1.0 + s["return_next"] - np.r_[cost, np.zeros(s["return_next"].size - 1)])
    ax.plot(s["dates"].astype(object), bh, color="#8c564b", lw=1.0, label="buy and hold")
    ax.set_yscale("log")
    plain = plt.FuncFormatter(lambda v, _: f"{v:.3g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.set_title(f"{entry['data']}: {entry['label']} (net of costs)")
    ax.set_ylabel("equity (start = 1, log scale)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_summary(store: SweepStore, cells: list[dict]) -> Path:
    """Write summary.md, summary.json and the fan plots into the sweep folder."""
    ids = {c["id"] for c in cells}
    entries = summarise(store, ids, {c["id"]: c.get("config") for c in cells})
    all_rows = [r for r in store.rows() if r["id"] in ids]
    failed = [r for r in all_rows if r.get("status") == "failed"]
    (store.out / "summary.json").write_text(json.dumps(entries, indent=1, default=str))
    n_ok = len(all_rows) - len(failed)
    lines = [
        "# Sweep summary", "",
        f"{len(cells)} cells in the grid: {n_ok} done, {len(failed)} failed, "
        f"{len(cells) - len(all_rows)} not run. Every figure is net of the cell's transaction "
        "cost; intervals are Student-t 95% intervals of the mean over seeds; PSR is against "
        "SR* = 0 on daily net returns (Bailey & López de Prado 2012), mean over seeds; DSR "
        "deflates it over the N configurations tried on the same asset and window (Bailey & "
        "López de Prado 2014).", "",
    ]
    by_asset: dict[str, list[dict]] = defaultdict(list)
    for e in entries:
        by_asset[e["data"]].append(e)
    fan = 0
    for asset, es in by_asset.items():
        lines += [f"## {asset}", "",
                  "| window | configuration | seeds | CAGR | Sharpe | max drawdown | turnover | "
                  "PSR | skew | kurtosis | DSR (N) | buy and hold CAGR / Sharpe |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for e in es:
            f = lambda v, d=2: "n/a" if v is None else f"{v:.{d}f}"  # noqa: E731
            lines.append(
                f"| {e['first_day']} .. {e['last_day']} | {e['label']} | {len(e['seeds'])} | "
                f"{_ci(e['cagr'])} | {_ci(e['sharpe'], False)} | {_ci(e['max_drawdown'])} | "
                f"{_ci(e['turnover'], False)} | {f(e['psr'], 3)} | {f(e['skewness'])} | "
                f"{f(e['kurtosis'])} | {f(e['dsr'], 3)} ({e['dsr_trials']}) | "
                f"{100 * e['bh_cagr_net']:.2f}% / {e['bh_sharpe_net']:.2f} |")
        lines.append("")
        for e in es:
            if fan < MAX_FANS:
                name = f"fan-{asset}-{e['config_key']}-{e['first_day']}.png"
                _fan(store, e, store.out / name)
                lines += [f"![{asset} {e['label']}]({name})", ""]
                fan += 1
    if failed:
        lines += ["## Failed cells", "", "| cell | data | backend | seed | error |", "|---|---|---|---:|---|"]
        lines += [f"| {r['id']} | {r['data']} | {r['backend']} | {r['seed']} | "
                  f"{str(r['error']).replace('|', '/')} |" for r in failed]
        lines.append("")
    path = store.out / "summary.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
