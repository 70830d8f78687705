"""The sweep spec (YAML, validated by pydantic) and its grid of cells.

A spec names the grid; every combination is one *cell*, one backtest::

    data: [sp500, nasdaq, other.csv, {path: prices.csv, close_column: SP500, name: mine}]
    start: 2005-01-03          # or `windows: [{start: ..., end: ...}, ...]`
    end: 2009-12-31            # or `walk_forward: {start: ..., end: ..., years: 2}`
    backends: [aer, exact]
    shots: [256, 1024]         # optional (config default); ignored by `exact`
    seeds: 10                  # a count (seeds 0..9) or a list; default 1 (seed 0)
    cost_bps: [5]              # optional, default [5]
    overrides:                 # dotted config keys -> lists of values
      learning.learning_rate: [0.05, 0.1]
    config: my-config.yaml     # optional base config
    baselines: false           # also run the exact twin / experts alone in every cell

The ``exact`` backend samples nothing, so its cells drop ``shots`` and keep one seed (the first)
instead of repeating identical runs. Everything that can be checked before a cell runs is
checked by :func:`load_spec` (unknown keys, empty lists, unknown data or unreadable CSVs,
dates, backends, every override combination against the config model), and the first problem
ends the sweep with one :class:`~qar_qiskit.errors.InputError` naming the field.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import itertools
import json
from pathlib import Path
from typing import Annotated, Any, Optional, Union

import numpy as np
import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from qar_qiskit.backtest.metrics import DEFAULT_COST_BPS
from qar_qiskit.errors import ConfigError, InputError, QARError
from qar_qiskit.resources import PACKAGE_DIR, resolve

#: Sweep specs shipped with the package (``qar sweep NAME``).
SPEC_DIR = PACKAGE_DIR / "sweeps"


def _date(value):
    if isinstance(value, _dt.date):
        value = value.isoformat()[:10]
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD)")
    try:
        return str(np.datetime64(value.strip(), "D"))
    except ValueError:
        raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD)") from None


DateStr = Annotated[str, BeforeValidator(_date)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class CsvSource(_Strict):
    """A CSV data source (the path must be readable on every worker)."""

    path: str
    name: Optional[str] = None
    date_column: Optional[str] = None
    close_column: Optional[str] = None
    volume_column: Optional[str] = None

    @property
    def label(self) -> str:
        return self.name or Path(self.path).name.split(".")[0]


class Window(_Strict):
    start: Optional[DateStr] = None
    end: Optional[DateStr] = None


class WalkForward(_Strict):
    """Consecutive, non-overlapping test windows of ``years`` calendar years."""

    start: DateStr
    end: DateStr
    years: int = Field(ge=1, le=50)


class SweepSpec(_Strict):
    data: list[Union[str, CsvSource]] = Field(min_length=1)
    start: Optional[DateStr] = None
    end: Optional[DateStr] = None
    windows: Optional[list[Window]] = Field(None, min_length=1)
    walk_forward: Optional[WalkForward] = None
    backends: list[str] = Field(["aer"], min_length=1)
    shots: list[Optional[int]] = Field([None], min_length=1)
    seeds: Union[int, list[int]] = Field(1, validate_default=True)  # no `seeds:`: seed 0
    cost_bps: list[float] = Field([DEFAULT_COST_BPS], min_length=1)
    overrides: dict[str, list[Any]] = Field(default_factory=dict)
    config: Optional[str] = None
    baselines: bool = False

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, v):
        seeds = list(range(v)) if isinstance(v, int) else list(v)
        if not seeds:
            raise ValueError("need at least one seed (a count >= 1 or a non-empty list)")
        if any(s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
            raise ValueError("seeds must be distinct integers >= 0")
        return seeds

    @field_validator("shots")
    @classmethod
    def _shots(cls, v):
        if any(s is not None and s < 1 for s in v):
            raise ValueError("shots must be >= 1")
        return v

    @field_validator("cost_bps")
    @classmethod
    def _costs(cls, v):
        if any(c < 0 for c in v):
            raise ValueError("cost_bps must be >= 0")
        return v

    @field_validator("overrides")
    @classmethod
    def _overrides(cls, v):
        for key, values in v.items():
            if not values:
                raise ValueError(f"{key}: empty list of values (the grid would be empty)")
        return v

    def window_list(self, dates=None) -> list[tuple[Optional[str], Optional[str]]]:
        """The test windows as ``(start, end)`` date strings (``None`` = the data's end).

        A backtest window decides on the trading days ``t`` in ``[start, end)`` and realises
        ``r_{t+1}`` up to ``end`` (see :func:`~qar_qiskit.backtest.runner.run_backtest`).
        Walk-forward windows ``[s_k, s_{k+1})`` are calendar years; given the data's trading
        ``dates``, each window but the last ends on the first trading day on or after
        ``s_{k+1}`` (the close that realises the return of its last decision day), so the next
        window's first decision is on that day and consecutive windows cover every daily return
        exactly once. Without ``dates`` the calendar windows end the day before ``s_{k+1}``.
        """
        given = [self.windows is not None, self.walk_forward is not None,
                 self.start is not None or self.end is not None]
        if sum(given) > 1:
            raise ValueError("give one of start/end, windows or walk_forward")
        if self.windows is not None:
            return [(w.start, w.end) for w in self.windows]
        if self.walk_forward is not None:
            wf = self.walk_forward
            lo, hi = np.datetime64(wf.start, "D"), np.datetime64(wf.end, "D")
            out, s = [], lo
            while s <= hi:
                y = s.astype(object)
                try:
                    nxt = np.datetime64(y.replace(year=y.year + wf.years), "D")
                except ValueError:  # 29 February
                    nxt = np.datetime64(y.replace(year=y.year + wf.years, day=28), "D")
                out.append((str(s), str(min(nxt - 1, hi))))
                s = nxt
            return out if dates is None else _chain(out, np.asarray(dates, dtype="datetime64[D]"))
        return [(self.start, self.end)]


def _chain(windows: list[tuple[str, str]], dates: np.ndarray) -> list[tuple[str, str]]:
    """End each window but the last on the first trading day on or after the next start."""
    out = []
    for (lo, hi), (nxt, _) in zip(windows, windows[1:]):
        i = int(np.searchsorted(dates, np.datetime64(nxt, "D"), "left"))
        out.append((lo, str(dates[i]) if i < dates.size else hi))
    return out + windows[-1:]


def cell_id(coords: dict) -> str:
    """12 hex digits of the SHA-256 of the cell's coordinates (canonical JSON)."""
    text = json.dumps(coords, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def config_key(coords: dict) -> str:
    """The *configuration* of a cell: its coordinates without the seed (and without the data
    and window, which are what the configuration is tried on)."""
    keep = {k: coords[k] for k in ("backend", "shots", "cost_bps", "overrides")}
    return cell_id(keep)


def _fail(source: str, exc: Exception) -> InputError:
    if isinstance(exc, ValidationError):
        exc = QARError.from_validation(exc)
    return InputError(f"sweep spec {source}: {exc}")


def load_spec(path: Union[str, Path]) -> tuple[SweepSpec, list[dict]]:
    """Read and validate a spec; returns it and its cells (dicts with ``id`` and coordinates).

    Args:
        path: a YAML file, or the name of a spec packaged in :data:`SPEC_DIR`
            (``sweep-sp500``: ``qar_qiskit/sweeps/sweep-sp500.yaml``); an existing file wins.

    Raises:
        InputError: the first problem found, naming the field (an unknown name lists the
            packaged specs); nothing has run yet.
    """
    try:
        p = resolve(path, [SPEC_DIR], "sweep spec")
    except ConfigError as exc:
        raise InputError(str(exc)) from None
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"sweep spec {p}: cannot read it ({' '.join(str(exc).split())})") from None
    if not isinstance(raw, dict):
        raise InputError(f"sweep spec {p}: the top level must be a mapping")
    return parse_spec(raw, str(p), base=p.parent)


def parse_spec(raw: dict, source: str = "<spec>", base: Path = Path(".")) -> tuple[SweepSpec, list[dict]]:
    """Validate a spec mapping and expand its grid (see :func:`load_spec`)."""
    from qar_qiskit.config import load_config
    from qar_qiskit.sweep.cell import load_source, nested

    try:
        spec = SweepSpec.model_validate(raw)
        spec.window_list()  # one of start/end, windows or walk_forward
    except (ValidationError, ValueError) as exc:
        raise _fail(source, exc) from None
    config = None
    if spec.config is not None:
        config = str((base / spec.config) if not Path(spec.config).is_absolute() else spec.config)
    sources, source_windows = [], []
    for i, item in enumerate(spec.data):
        if isinstance(item, str) and item.strip().lower().endswith((".csv", ".csv.gz", ".gz")):
            item = CsvSource(path=item)  # a CSV path given as a plain string
        src = item if isinstance(item, str) else item.model_copy(update={
            "path": str(base / item.path) if not Path(item.path).is_absolute() else item.path})
        try:
            data = load_source(src.model_dump() if not isinstance(src, str) else src)
            windows = spec.window_list(data.dates)
            for lo, hi in windows:
                for what, d in (("start", lo), ("end", hi)):
                    if d is not None and not data.dates[0] <= np.datetime64(d, "D") <= data.dates[-1]:
                        raise InputError(f"{what} {d} is outside the data "
                                         f"({data.first_date} to {data.last_date})")
        except (QARError, ValueError) as exc:
            raise InputError(f"sweep spec {source}: data[{i}]: {exc}") from None
        sources.append(src if isinstance(src, str) else src.model_dump())
        source_windows.append(windows)
    keys = list(spec.overrides)
    combos = [dict(zip(keys, vals)) for vals in itertools.product(*spec.overrides.values())]
    for backend in spec.backends:
        for combo in combos:
            try:
                load_config(config, overrides=nested({**combo, "backend.name": backend}))
            except (ConfigError, ValueError) as exc:
                field = f"overrides {combo}" if combo else "backends"
                raise InputError(f"sweep spec {source}: {field}: {exc}") from None
    cells, seen = [], set()
    for src, src_windows in zip(sources, source_windows):
        for (lo, hi), backend, shots, seed, cost, combo in itertools.product(
                src_windows, spec.backends, spec.shots, spec.seeds, spec.cost_bps, combos):
            exact = backend == "exact"
            coords = {"data": src, "start": lo, "end": hi, "backend": backend,
                      "shots": None if exact else shots, "seed": spec.seeds[0] if exact else seed,
                      "cost_bps": float(cost), "overrides": combo, "config": config,
                      "baselines": spec.baselines}
            cid = cell_id(coords)
            if cid not in seen:
                seen.add(cid)
                cells.append({"id": cid, "config_key": config_key(coords), **coords})
    return spec, cells
