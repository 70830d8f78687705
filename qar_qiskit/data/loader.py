"""Daily price data: the packaged data sets and user CSV files (numpy + csv/gzip only).

The packaged data sets (``sp500``, ``nasdaq``, ``vix``) are the ones published in the ``arch``
package's data module, exported once by ``scripts/export_arch_data.py``; see
``qar_qiskit/data/README.md`` for their provenance.

:func:`load_csv` accepts any daily CSV (optionally gzip-compressed) with a date column and a
close column. Header names are matched case-insensitively, ignoring surrounding spaces and
treating ``_``/``-``/space alike:

* date: ``date`` (or ``datetime``, ``timestamp``, ``time``, ``day``);
* close: ``close`` (or ``price``); ``adj close`` / ``adj_close`` / ``adjclose`` is used only
  when there is no close column (recorded in :attr:`PriceData.notes`);
* optional: ``open``, ``high``, ``low``, ``volume`` (``vol``).

Other headers (e.g. ``Date,SP500``) are named with ``date_column`` / ``close_column`` /
``volume_column`` (CLI ``--date-column`` / ``--close-column`` / ``--volume-column``).

Dates may be ISO ``YYYY-MM-DD`` (a time part after ``T`` or a space is ignored),
``YYYY/MM/DD``, ``YYYYMMDD`` or US ``M/D/YYYY`` (the format of the raw files in ``arch``).
Rows are numbered from 1 for the first data row (the header is not a row); messages also give
the physical line number.

Fields are separated by commas; a file separated by ``;``, tabs or ``|`` is rejected with a
message naming its delimiter. Rejected with :class:`~qar_qiskit.errors.InputError` naming the
file and the row/column: a missing date or close column, an unparseable date, a non-numeric, NaN, infinite, zero or
negative price, a negative or non-numeric volume, duplicate dates, dates that are neither
strictly ascending nor strictly descending (strictly descending files are reversed, and the
reversal is noted), an empty file, and fewer than :data:`MIN_ROWS` rows.

A file without a volume column, or whose volume is zero on every row (e.g. index quotes from
some vendors), gets ``volume=None``; the features then use ``volume_normalized = 1.0``.
"""

from __future__ import annotations

import csv
import datetime as _dt
import gzip
import io
import math
import re
import zlib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Optional, Union

import numpy as np

from qar_qiskit.errors import InputError

#: Fewest data rows a CSV must have (the default feature windows need 50 days of history).
MIN_ROWS = 30

#: Packaged data sets: name -> (file, description).
DATASETS: dict[str, tuple[str, str]] = {
    "sp500": ("sp500.csv.gz", "S&P 500 index, daily OHLCV (arch.data.sp500)"),
    "nasdaq": ("nasdaq.csv.gz", "NASDAQ Composite index, daily OHLCV (arch.data.nasdaq)"),
    "vix": ("vix.csv.gz", "CBOE VIX index level, daily close (arch.data.vix)"),
}

_ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("date", "datetime", "timestamp", "time", "day"),
    "close": ("close", "price"),
    "adj_close": ("adj close", "adjclose", "adjusted close"),
    "open": ("open",),
    "high": ("high",),
    "low": ("low",),
    "volume": ("volume", "vol"),
}


@dataclass(frozen=True, eq=False)
class PriceData:
    """A daily price history, sorted by strictly increasing date.

    Attributes:
        dates: ``datetime64[D]`` array of trading days.
        close: closing prices (float64, finite, > 0).
        open, high, low: optional float64 arrays of the same length (None when absent).
        volume: optional float64 array (None when the source has no usable volume; the
            features then use ``volume_normalized = 1.0``).
        adj_close: optional adjusted close (float64), kept for reference.
        source: where the data came from (a data-set name or a file path).
        notes: human-readable remarks made while loading (reversal, missing volume, ...).
    """

    dates: np.ndarray
    close: np.ndarray
    open: Optional[np.ndarray] = None
    high: Optional[np.ndarray] = None
    low: Optional[np.ndarray] = None
    volume: Optional[np.ndarray] = None
    adj_close: Optional[np.ndarray] = None
    source: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        n = len(self.dates)
        if self.dates.dtype != np.dtype("datetime64[D]"):
            raise TypeError("PriceData.dates must be datetime64[D]")
        for name in ("close", "open", "high", "low", "volume", "adj_close"):
            arr = getattr(self, name)
            if arr is not None and len(arr) != n:
                raise ValueError(f"PriceData.{name} has {len(arr)} values for {n} dates")
        if n > 1 and not np.all(np.diff(self.dates) > np.timedelta64(0, "D")):
            raise ValueError("PriceData.dates must be strictly increasing")

    def __len__(self) -> int:
        return len(self.dates)

    @property
    def first_date(self) -> np.datetime64:
        """The first trading day."""
        return self.dates[0]

    @property
    def last_date(self) -> np.datetime64:
        """The last trading day."""
        return self.dates[-1]


# --------------------------------------------------------------------------------------------
# parsing helpers
# --------------------------------------------------------------------------------------------

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_YMD_SLASH = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:[T ].*)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: .*)?$")


def _parse_date(text: str) -> Optional[np.datetime64]:
    """Parse one date string to ``datetime64[D]``; None when it is not a valid date."""
    s = text.strip()
    for pattern, order in ((_ISO, "ymd"), (_YMD_SLASH, "ymd"), (_COMPACT, "ymd"), (_US, "mdy")):
        m = pattern.match(s)
        if m:
            a, b, c = (int(g) for g in m.groups())
            y, mo, d = (a, b, c) if order == "ymd" else (c, a, b)
            try:
                return np.datetime64(_dt.date(y, mo, d), "D")
            except ValueError:
                return None
    return None


def _shown(name: str) -> str:
    """A header name as it appears in a message: one line, control characters escaped."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in name)


def _norm_header(name: str) -> str:
    s = name.strip().strip('"').strip("'").strip().lower().lstrip("\ufeff")
    return re.sub(r"[\s_\-]+", " ", s).strip()


def _find_columns(header: list[str], where: str,
                  columns: Optional[dict[str, Optional[str]]] = None) -> dict[str, int]:
    normed = [_norm_header(h) for h in header]
    shown = ", ".join(_shown(h) for h in header)
    named = {k: v for k, v in (columns or {}).items() if v is not None}
    cols: dict[str, int] = {}
    for key, name in named.items():
        if _norm_header(name) not in normed:
            raise InputError(f"{where}: --{key}-column {name!r} is not in the header "
                             f"(header: {shown})")
        cols[key] = normed.index(_norm_header(name))
    for key, aliases in _ALIASES.items():
        if key in cols or (key == "adj_close" and "close" in named):
            continue
        for alias in aliases:
            if alias in normed:
                cols[key] = normed.index(alias)
                break
    if "date" not in cols:
        raise InputError(f"{where}: no date column (header: {shown}; name it with "
                         "--date-column)")
    if "close" not in cols and "adj_close" not in cols:
        raise InputError(
            f"{where}: no close column (need 'close', or 'adj close'/'adj_close'; "
            f"header: {shown}; name it with --close-column)"
        )
    return cols


#: Delimiters a one-field header is checked for (``csv.Sniffer`` names the one used).
_OTHER_DELIMITERS = ";\t|"


def _check_delimiter(header: list[str], where: str) -> None:
    """A header that is one comma-less field holding ``;``, tab or ``|``: the file uses another
    delimiter than the comma this loader reads; say which."""
    if len(header) != 1:
        return
    try:
        found = csv.Sniffer().sniff(header[0], delimiters=_OTHER_DELIMITERS).delimiter
    except csv.Error:  # none of them in the header
        return
    name = {"\t": "tab"}.get(found, repr(found))
    raise InputError(f"{where}: the header {_shown(header[0])!r} is one field: the file looks "
                     f"{name}-separated, but CSV files are read comma-separated (delimiter ','); "
                     "save it with ',' between fields")


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or type(exc).__name__})") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"{path}: damaged gzip file ({exc})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _parse_rows(
    text: str, where: str, *, allow_missing: bool = False, min_rows: int = MIN_ROWS,
    columns: Optional[dict[str, Optional[str]]] = None,
) -> PriceData:
    """Parse CSV text into :class:`PriceData` (see the module docstring for the rules).

    With ``allow_missing`` (used for the packaged VIX, which has empty values on market
    holidays), a row whose price fields are all empty is dropped and counted in the notes.
    """
    if not text.strip():
        raise InputError(f"{where}: empty file")
    reader = csv.reader(io.StringIO(text))
    try:
        return _parse_reader(reader, where, allow_missing, min_rows, columns)
    except csv.Error as exc:  # e.g. a field over csv.field_size_limit()
        raise InputError(f"{where}: line {reader.line_num}: malformed CSV ({exc})") from None


def _parse_reader(reader, where: str, allow_missing: bool, min_rows: int,
                  columns: Optional[dict[str, Optional[str]]] = None) -> PriceData:
    header: Optional[list[str]] = None
    for row in reader:
        if any(f.strip() for f in row):
            header = row
            break
    if header is None:
        raise InputError(f"{where}: empty file")
    _check_delimiter(header, where)
    cols = _find_columns(header, where, columns)
    notes: list[str] = []
    price_key = "close"
    if "close" not in cols:
        price_key = "adj_close"
        notes.append("no close column: using the adjusted close as the price")
    price_cols = [k for k in ("open", "high", "low", "close", "adj_close") if k in cols]
    need = max(cols.values()) + 1

    dates: list[np.datetime64] = []
    values: dict[str, list[float]] = {k: [] for k in price_cols}
    volume: list[float] = []
    rows_of: list[tuple[int, int]] = []  # (row number, line number) per kept row
    dropped = 0
    n_row = 0
    for row in reader:
        line = reader.line_num
        if not any(f.strip() for f in row):
            continue
        n_row += 1
        at = f"{where}: row {n_row} (line {line})"
        if len(row) < need:
            raise InputError(f"{at}: has {len(row)} fields, the header needs at least {need}")
        date = _parse_date(row[cols["date"]])
        if date is None:
            raise InputError(f"{at}, column '{_shown(header[cols['date']])}': "
                             f"cannot parse date {row[cols['date']]!r}")
        if allow_missing and all(not row[cols[k]].strip() for k in price_cols):
            dropped += 1
            continue
        parsed: dict[str, float] = {}
        for k in price_cols:
            cell = row[cols[k]].strip()
            col = _shown(header[cols[k]].strip())
            try:
                v = float(cell)
            except ValueError:
                raise InputError(f"{at}, column '{col}': not a number: {cell!r}") from None
            if not math.isfinite(v):
                raise InputError(f"{at}, column '{col}': {cell!r} is not a finite price")
            if v <= 0.0:
                raise InputError(f"{at}, column '{col}': price must be > 0, got {cell}")
            parsed[k] = v
        if "volume" in cols:
            cell = row[cols["volume"]].strip()
            col = _shown(header[cols["volume"]].strip())
            try:
                v = float(cell)
            except ValueError:
                raise InputError(f"{at}, column '{col}': volume is not a number: {cell!r}") \
                    from None
            if not math.isfinite(v) or v < 0.0:
                raise InputError(f"{at}, column '{col}': volume must be finite and >= 0, "
                                 f"got {cell}")
            volume.append(v)
        dates.append(date)
        for k in price_cols:
            values[k].append(parsed[k])
        rows_of.append((n_row, line))

    if n_row == 0:
        raise InputError(f"{where}: empty file (a header but no data rows)")
    if dropped:
        notes.append(f"dropped {dropped} rows with no value (market holidays)")

    d = np.array(dates, dtype="datetime64[D]")
    order = np.arange(len(d))
    if len(d) > 1:
        step = np.diff(d).astype(np.int64)
        dup = np.flatnonzero(step == 0)
        if dup.size:
            (r1, l1), (r2, l2) = rows_of[dup[0]], rows_of[dup[0] + 1]
            raise InputError(
                f"{where}: duplicate date {d[dup[0]]} at rows {r1} and {r2} "
                f"(lines {l1} and {l2})"
            )
        if np.all(step < 0):
            order = order[::-1]
            notes.append("dates were strictly descending: reversed to ascending order")
        elif not np.all(step > 0):
            bad = int(np.flatnonzero(step < 0)[0]) + 1
            r, ln = rows_of[bad]
            raise InputError(
                f"{where}: row {r} (line {ln}): date {d[bad]} is earlier than the previous "
                f"row's {d[bad - 1]}; dates must be sorted (ascending, or strictly descending)"
            )
    if len(d) < min_rows:
        raise InputError(f"{where}: only {len(d)} data rows; at least {min_rows} are needed")

    def arr(key: str) -> Optional[np.ndarray]:
        if key not in values:
            return None
        a = np.asarray(values[key], dtype=np.float64)[order]
        a.flags.writeable = False
        return a

    vol: Optional[np.ndarray] = None
    if "volume" in cols:
        vol = np.asarray(volume, dtype=np.float64)[order]
        if not np.any(vol > 0):
            vol = None
            notes.append("volume is zero on every row: treated as missing "
                         "(volume_normalized = 1.0)")
        else:
            vol.flags.writeable = False
    else:
        notes.append("no volume column: volume_normalized = 1.0 on every day")
    d = d[order]
    d.flags.writeable = False
    close = arr(price_key)
    if close is None:  # the header check above makes this unreachable; kept for the type
        raise InputError(f"{where}: no {price_key} column")
    return PriceData(
        dates=d, close=close, open=arr("open"), high=arr("high"), low=arr("low"),
        volume=vol, adj_close=arr("adj_close") if price_key == "close" else None,
        source=where, notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------


def load_csv(path: Union[str, Path], *, date_column: Optional[str] = None,
             close_column: Optional[str] = None,
             volume_column: Optional[str] = None) -> PriceData:
    """Load a daily CSV (plain or gzip) with a date and a close column.

    Args:
        path: the file.
        date_column, close_column, volume_column: header names to use instead of the usual
            aliases (e.g. ``close_column="SP500"`` for a ``Date,SP500`` file); matched like the
            aliases (case, spaces, ``_``/``-`` ignored). A name not in the header is an error.

    Returns:
        The validated, date-ascending :class:`PriceData` (``source`` = the path).

    Raises:
        InputError: the file is missing, empty, too short or malformed; the message names
            the file and the row number and/or column.
    """
    p = Path(path)
    columns = {"date": date_column, "close": close_column, "volume": volume_column}
    return _parse_rows(_read_text(p), str(p), columns=columns)


def load_dataset(name: str) -> PriceData:
    """Load a packaged data set: ``"sp500"``, ``"nasdaq"`` or ``"vix"``.

    ``sp500`` and ``nasdaq``: 5031 trading days, 1999-01-04 to 2018-12-31, OHLC, adjusted
    close and volume. ``vix``: the VIX level as ``close`` (no OHLC, no volume), 2014-01-03 to
    2019-01-03; the 46 market holidays that the source marks as missing are dropped
    (1259 days remain).

    Raises:
        InputError: unknown name.
    """
    key = name.strip().lower()
    if key not in DATASETS:
        raise InputError(f"unknown data set {name!r}; choose one of: {', '.join(DATASETS)}")
    filename, _ = DATASETS[key]
    ref = resources.files("qar_qiskit.data").joinpath(filename)
    text = gzip.decompress(ref.read_bytes()).decode("ascii")
    data = _parse_rows(text, filename, allow_missing=(key == "vix"))
    return replace(data, source=key)


def slice_dates(
    data: PriceData,
    start: Union[str, np.datetime64, _dt.date, None] = None,
    end: Union[str, np.datetime64, _dt.date, None] = None,
) -> PriceData:
    """The rows with ``start <= date <= end`` (both inclusive; None = open end).

    Raises:
        InputError: an unparseable date, ``start > end``, or no rows in the range.
    """
    lo = _as_date(start, "start") if start is not None else None
    hi = _as_date(end, "end") if end is not None else None
    if lo is not None and hi is not None and lo > hi:
        raise InputError(f"start {lo} is after end {hi}")
    mask = np.ones(len(data), dtype=bool)
    if lo is not None:
        mask &= data.dates >= lo
    if hi is not None:
        mask &= data.dates <= hi
    if not mask.any():
        raise InputError(
            f"{data.source}: no rows between {lo or 'start'} and {hi or 'end'} "
            f"(data covers {data.first_date} to {data.last_date})"
        )

    def cut(a: Optional[np.ndarray]) -> Optional[np.ndarray]:
        return None if a is None else a[mask]

    return PriceData(
        dates=data.dates[mask], close=data.close[mask], open=cut(data.open),
        high=cut(data.high), low=cut(data.low), volume=cut(data.volume),
        adj_close=cut(data.adj_close), source=data.source, notes=data.notes,
    )


def _as_date(value, what: str) -> np.datetime64:
    if isinstance(value, np.datetime64):
        return value.astype("datetime64[D]")
    if isinstance(value, _dt.datetime):
        return np.datetime64(value.date(), "D")
    if isinstance(value, _dt.date):
        return np.datetime64(value, "D")
    parsed = _parse_date(str(value))
    if parsed is None:
        raise InputError(f"{what} date {value!r} is not a date (use YYYY-MM-DD)")
    return parsed
