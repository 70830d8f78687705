"""Where a single-seed backtest falls among the seeds of a sweep on the same conditions.

One backtest on a sampled backend is one seed: one draw of the shot noise along one learning
path. The spread over seeds comes from a sweep (``qar sweep SPEC --out DIR``; the packaged
``sweep-sp500`` is the headline on the docs' benchmarks page). Its ``summary.json`` keeps, per configuration, each
seed's net Sharpe ratio (``sharpe_by_seed``), their mean with its Student-t 95% interval
(``sharpe``) and the ``conditions`` the cells ran on (:mod:`qar_qiskit.sweep.summary`).
:func:`load_spread` reads it (``qar backtest --spread DIR``) and :func:`placement` says where one
run's net Sharpe ratio falls among the seeds of the entry whose conditions are the run's: data
source, first and last decision day, backend, shots, cost, overrides and base config.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from qar_qiskit.errors import InputError

__all__ = ["Spread", "load_spread", "conditions", "placement"]

#: How to get a spread for a run that has none.
HOW_TO = ("run a sweep over seeds on this run's conditions (the S&P 500 headline on the docs' benchmarks page: "
          "`qar sweep sweep-sp500 --out DIR`), then `qar backtest ... --spread DIR`")


class _Conditions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    source: str
    first_day: str
    last_day: str
    backend: str
    shots: Optional[int]
    cost_bps: float
    overrides: dict[str, Any]
    config: Optional[str]


class _Sharpe(BaseModel):
    model_config = ConfigDict(extra="ignore")

    mean: Optional[float]
    low: Optional[float]
    high: Optional[float]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    label: str
    seeds: list[int]
    sharpe: _Sharpe
    sharpe_by_seed: dict[int, Optional[float]]
    conditions: _Conditions


_ENTRIES = TypeAdapter(list[_Entry])


@dataclass(frozen=True)
class Spread:
    """A sweep's ``summary.json`` entries (``folder``: the sweep folder, as given)."""

    folder: str
    entries: tuple[_Entry, ...]


def load_spread(folder: Union[str, Path]) -> Spread:
    """Read ``summary.json`` of the sweep in ``folder``.

    Raises:
        InputError: no such folder, no ``summary.json``, or one that is not valid JSON or lacks
            the per-seed figures (one line naming the problem).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"--spread {folder}: no such folder (give the --out folder of a "
                         "`qar sweep` run)")
    path = folder / "summary.json"
    if not path.is_file():
        raise InputError(f"--spread {folder}: no summary.json (not a finished `qar sweep` "
                         "folder; `qar sweep SPEC --resume --out DIR` finishes one)")
    try:
        entries = _ENTRIES.validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        if err["type"] == "json_invalid":
            raise InputError(f"{path}: not valid JSON ({err['msg']})") from None
        raise InputError(f"{path}: {where or 'top level'}: {err['msg']} (written by an older "
                         "`qar sweep`? `qar sweep SPEC --resume --out DIR` rewrites it)") from None
    return Spread(str(folder), tuple(entries))


def conditions(run: dict) -> dict:
    """The conditions of a ``metrics.json`` ``run`` section that a sweep entry must share
    (``qar backtest`` has no overrides; its config is ``run.config``, None = packaged)."""
    return {"source": run.get("source"), "first_day": run.get("first_day"),
            "last_day": run.get("last_day"), "backend": run.get("backend"),
            "shots": run.get("shots"), "cost_bps": run.get("cost_bps"), "overrides": {},
            "config": run.get("config")}


def _same(key: str, a: Any, b: Any) -> bool:
    if key == "config" and a is not None and b is not None:
        return Path(a).resolve() == Path(b).resolve()
    if key == "cost_bps" and a is not None and b is not None:
        return float(a) == float(b)
    return a == b


def _mismatch(want: dict, entry: _Entry) -> list[str]:
    have = entry.conditions.model_dump()
    return [f"{k} {v!r} (sweep {have[k]!r})" for k, v in want.items() if not _same(k, v, have[k])]


def _seed_list(seeds: list[int]) -> str:
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"seeds {seeds[0]}-{seeds[-1]}"
    return ("seed " if len(seeds) == 1 else "seeds ") + ", ".join(map(str, seeds))


def _where(x: float, entry: _Entry) -> str:
    values = [v for v in entry.sharpe_by_seed.values() if v is not None]
    n, lo_s, hi_s = len(values), min(values), max(values)
    if x < lo_s:
        return f"below all {n} seeds (lowest {lo_s:.2f})"
    if x > hi_s:
        return f"above all {n} seeds (highest {hi_s:.2f})"
    s = entry.sharpe
    text = f"within the seeds' range {lo_s:.2f} to {hi_s:.2f}"
    if s.low is None or s.high is None or s.mean is None:
        return text
    side = "below" if x < s.low else "above" if x > s.high else "inside"
    return (text + f", {side} the 95% interval of their mean [{s.low:.2f}, {s.high:.2f}] "
            f"(mean {s.mean:.2f})")


def placement(run: dict, sharpe_net: Optional[float], spread: Optional[Spread] = None) -> str:
    """One to three sentences: the run's seed, that it is one draw, and where its net Sharpe
    ratio falls among the seeds of ``spread``'s entry on the run's :func:`conditions` (below
    all, above all, or within their range and inside/outside the Student-t 95% interval of
    their mean); without a matching entry, why not (the mismatching conditions of the closest
    entry) and how to get one.

    Args:
        run: a ``metrics.json`` ``run`` section.
        sharpe_net: the run's net Sharpe ratio (None when undefined).
        spread: a sweep's entries (:func:`load_spread`), or None.
    """
    seed = run.get("seed")
    text = (f"This run is one seed ({seed}) of a sampled backend: one draw of the shot noise "
            "along one learning path.")
    if spread is None:
        return text + f" For the spread over seeds, {HOW_TO}."
    want = conditions(run)
    if not spread.entries:
        return text + f" The sweep {spread.folder} has no finished cells; {HOW_TO}."
    misses = [(_mismatch(want, e), e) for e in spread.entries]
    diff, entry = min(misses, key=lambda m: len(m[0]))
    if diff:
        return (text + f" The sweep {spread.folder} has no entry on this run's conditions "
                f"(closest, {entry.label}: {', '.join(diff)}); for its spread, {HOW_TO}.")
    among = "one of" if seed in entry.seeds else "not one of"
    text += (f" The sweep {spread.folder} ran {_seed_list(entry.seeds)} on this run's "
             f"conditions ({entry.label}); seed {seed} is {among} them.")
    if sharpe_net is None or not any(v is not None for v in entry.sharpe_by_seed.values()):
        return text + " There is no net Sharpe ratio to place among them."
    return text + f" Its net Sharpe ratio {sharpe_net:.2f} is {_where(sharpe_net, entry)}."

