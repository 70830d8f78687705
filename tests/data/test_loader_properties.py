"""Property-based tests of the CSV loader (``qar_qiskit.data.loader.load_csv``).

Generated valid files (any supported date format and header spelling, column order, extra
columns, blank lines, CRLF, BOM, quotes, gzip, ascending or descending) load with exactly their
values; one corrupted row is an :class:`InputError` naming the file and that row; any other
content loads or is an :class:`InputError` naming the file.
"""

from __future__ import annotations

import datetime as dt
import gzip
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

from qar_qiskit.data.loader import MIN_ROWS, PriceData, load_csv
from qar_qiskit.errors import InputError
from tests.properties import assert_names, raises_named, variants

DATE_FORMATS = {
    "iso": lambda d: d.isoformat(),
    "iso-time": lambda d: f"{d.isoformat()}T16:00:00",
    "iso-space-time": lambda d: f"{d.isoformat()} 00:00:00",
    "slash": lambda d: f"{d.year:04d}/{d.month}/{d.day:02d}",
    "compact": lambda d: f"{d.year:04d}{d.month:02d}{d.day:02d}",
    "us": lambda d: f"{d.month}/{d.day}/{d.year:04d}",
}
HEADERS = {
    "date": ["date", "Date", " DATE ", "datetime", "Timestamp", "time", "day"],
    "close": ["close", "Close", "CLOSE ", "price", "Price"],
    "adj_close": ["adj close", "Adj Close", "adj_close", "adj-close", "AdjClose", "adjusted close"],
    "open": ["open", "Open"], "high": ["high", "High"], "low": ["low", "LOW"],
    "volume": ["volume", "Volume", "vol"],
}


@dataclass
class Table:
    """A generated CSV: columns, the cells of each row, and what the loader must return."""

    header: list[str]
    rows: list[list[str]]
    dates: list[dt.date]  # in file order
    close: list[float]
    volume: list[float] | None
    price_key: str
    line_end: str = "\n"
    bom: bool = False
    gz: bool = False
    blank_every: int = 0
    quote: bool = False

    def text(self) -> str:
        def fmt(row):
            return ",".join(f'"{c}"' if self.quote else c for c in row)

        lines = [fmt(self.header)]
        for i, row in enumerate(self.rows):
            if self.blank_every and i % self.blank_every == 0:
                lines.append("")
            lines.append(fmt(row))
        return ("\ufeff" if self.bom else "") + self.line_end.join(lines) + self.line_end

    def write(self, folder: Path, text: str | None = None) -> Path:
        data = (self.text() if text is None else text).encode("utf-8")
        path = folder / ("prices.csv.gz" if self.gz else "prices.csv")
        path.write_bytes(gzip.compress(data) if self.gz else data)
        return path


prices = st.floats(min_value=1e-6, max_value=1e9, allow_nan=False, allow_infinity=False)
price_text = st.sampled_from([repr, lambda x: f"{x:.6g}", lambda x: f"{x:e}", lambda x: f" {x!r} "])


@st.composite
def tables(draw, min_rows: int = MIN_ROWS, max_rows: int = MIN_ROWS + 30) -> Table:
    n = draw(st.integers(min_rows, max_rows))
    start = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2090, 1, 1)))
    gaps = draw(st.lists(st.integers(1, 5), min_size=n - 1, max_size=n - 1))
    dates = [start]
    for g in gaps:
        dates.append(dates[-1] + dt.timedelta(days=g))
    if draw(st.booleans()):
        dates = dates[::-1]
    date_fmt = DATE_FORMATS[draw(st.sampled_from(sorted(DATE_FORMATS)))]
    use_adj = draw(st.integers(0, 3))  # 0: adj close only, 1: close + adj, else close
    columns = ["date"] + (["adj_close"] if use_adj == 0 else ["close", "adj_close"] if use_adj == 1 else ["close"])
    columns += draw(st.lists(st.sampled_from(["open", "high", "low", "volume", "extra"]), unique=True))
    columns = draw(st.permutations(columns))
    header = [draw(st.sampled_from(HEADERS[c])) if c in HEADERS else "notes" for c in columns]
    fmt = draw(price_text)
    values = {c: draw(st.lists(prices, min_size=n, max_size=n)) for c in ("close", "adj_close", "open", "high", "low")}
    all_zero_volume = draw(st.integers(0, 5)) == 0
    volume = [0.0] * n if all_zero_volume else [float(v) for v in draw(
        st.lists(st.integers(0, 10**12), min_size=n, max_size=n))]
    rows = []
    for i in range(n):
        row = []
        for c in columns:
            if c == "date":
                row.append(date_fmt(dates[i]))
            elif c == "volume":
                row.append(str(int(volume[i])))
            elif c == "extra":
                row.append(draw(st.sampled_from(["", "x", "n/a", "1.5"])))
            else:
                row.append(fmt(values[c][i]))
        rows.append(row)
    price_key = "adj_close" if use_adj == 0 else "close"
    close = [float(fmt(v)) for v in values[price_key]]
    has_volume = "volume" in columns and any(v > 0 for v in volume)
    return Table(header, rows, dates, close, volume if has_volume else None, price_key,
                 line_end=draw(st.sampled_from(["\n", "\r\n"])), bom=draw(st.booleans()),
                 gz=draw(st.booleans()), blank_every=draw(st.sampled_from([0, 0, 3, 7])),
                 quote=draw(st.booleans()))


def _expected_order(table: Table) -> np.ndarray:
    return np.arange(len(table.dates))[::-1] if table.dates[0] > table.dates[-1] else np.arange(len(table.dates))


def check_valid_csv_loads_exactly(table):
    with tempfile.TemporaryDirectory() as tmp:
        path = table.write(Path(tmp))
        data = load_csv(path)
    assert isinstance(data, PriceData) and len(data) == len(table.rows)
    order = _expected_order(table)
    expect_dates = np.array([np.datetime64(table.dates[i], "D") for i in order])
    np.testing.assert_array_equal(data.dates, expect_dates)
    np.testing.assert_array_equal(data.close, np.array(table.close)[order])
    if table.volume is None:
        assert data.volume is None
    else:
        np.testing.assert_array_equal(data.volume, np.array(table.volume)[order])
    assert data.source == str(path)


test_valid_csv_loads_exactly, test_valid_csv_loads_exactly_slow = variants(
    check_valid_csv_loads_exactly, tables())


# -- one corrupted row: an InputError naming the file and the row --------------------------------

BAD_DATES = ["2021-13-01", "2021-02-30", "not-a-date", "", "13/45/2020", "2020-1", "0000-01-01", "99999999",
             "2020/02/30"]
BAD_PRICES = ["", "abc", "nan", "NaN", "inf", "-inf", "0", "0.0", "-1", "-1e-9", "1e999", "--1", "0x10"]


@st.composite
def corrupted(draw):
    table = draw(tables())
    # ascending files only, so the out-of-order row is the corrupted one
    if table.dates[0] > table.dates[-1]:
        order = list(range(len(table.dates)))[::-1]
        table.rows = [table.rows[i] for i in order]
        table.dates = [table.dates[i] for i in order]
        table.close = [table.close[i] for i in order]
        table.volume = None if table.volume is None else [table.volume[i] for i in order]
    n = len(table.rows)
    i = draw(st.integers(1, n - 1))
    date_col = next(k for k, h in enumerate(table.header) if h.strip().lower() in
                    ("date", "datetime", "timestamp", "time", "day"))
    price_cols = [k for k, h in enumerate(table.header) if h.strip().lower().replace("_", " ").replace("-", " ")
                  in ("close", "price", "adj close", "adjclose", "adjusted close", "open", "high", "low")]
    kinds = ["date", "price", "short", "duplicate", "order"]
    if any(h.strip().lower() in ("volume", "vol") for h in table.header):
        kinds.append("volume")
    kind = draw(st.sampled_from(kinds))
    row = list(table.rows[i])
    expect = [f"row {i + 1} "]
    if kind == "date":
        row[date_col] = draw(st.sampled_from(BAD_DATES))
        expect.append("date")
    elif kind == "price":
        k = draw(st.sampled_from(price_cols))
        row[k] = draw(st.sampled_from(BAD_PRICES))
        expect.append(f"column '{table.header[k].strip()}'")
    elif kind == "volume":
        k = next(k for k, h in enumerate(table.header) if h.strip().lower() in ("volume", "vol"))
        row[k] = draw(st.sampled_from(["-1", "abc", "nan", "inf", "-0.5"]))
        expect.append("volume")
    elif kind == "short":  # fewer fields than the last column the loader reads
        matched = [date_col, *price_cols] + [k for k, h in enumerate(table.header)
                                             if h.strip().lower() in ("volume", "vol")]
        row = row[: max(matched)]
        expect.append("fields")
    elif kind == "duplicate":
        row[date_col] = table.rows[i - 1][date_col]
        expect = [f"rows {i} and {i + 1}", "duplicate date"]
    else:  # a date before the previous row's
        earlier = table.dates[i - 1] - dt.timedelta(days=draw(st.integers(1, 30)))
        fmt = DATE_FORMATS["iso"]
        row[date_col] = fmt(earlier)
        expect.append("earlier than the previous row")
    table.rows[i] = row
    return table, expect


def check_corrupted_row_is_named(case):
    table, fragments = case
    with tempfile.TemporaryDirectory() as tmp:
        path = table.write(Path(tmp))
        msg = raises_named(lambda: load_csv(path), str(path), *fragments, kind=InputError)
    assert "\n" not in msg


test_corrupted_row_is_named, test_corrupted_row_is_named_slow = variants(
    check_corrupted_row_is_named, corrupted())


@st.composite
def bad_files(draw):
    table = draw(tables())
    kind = draw(st.sampled_from(["few", "no-date", "no-close", "empty", "header-only"]))
    if kind == "few":
        table.rows = table.rows[: draw(st.integers(1, MIN_ROWS - 1))]
        return table, ["data rows", f"at least {MIN_ROWS}"]
    if kind == "no-date":
        k = next(k for k, h in enumerate(table.header)
                 if h.strip().lower() in ("date", "datetime", "timestamp", "time", "day"))
        table.header[k] = draw(st.sampled_from(["when", "d", "dt", "", "date2", "da\nte"]))
        return table, ["no date column"]
    if kind == "no-close":
        for k, h in enumerate(table.header):
            if h.strip().lower().replace("_", " ").replace("-", " ") in (
                    "close", "price", "adj close", "adjclose", "adjusted close"):
                table.header[k] = draw(st.sampled_from(["last", "c", "closing", "px\t"]))
        return table, ["no close column"]
    if kind == "empty":
        table.header, table.rows = [], []
        return table, ["empty file"]
    table.rows = []
    return table, ["no data rows"]


def check_bad_file_is_named(case):
    table, fragments = case
    with tempfile.TemporaryDirectory() as tmp:
        path = table.write(Path(tmp))
        msg = raises_named(lambda: load_csv(path), str(path), *fragments, kind=InputError)
    assert "\n" not in msg and "\r" not in msg


test_bad_file_is_named, test_bad_file_is_named_slow = variants(check_bad_file_is_named, bad_files())


# -- anything: PriceData or an InputError naming the file ---------------------------------------

csv_like = st.text(alphabet=st.sampled_from(list('0123456789-/.,:;"\' \n\r\tTdatecloseprivum\x00eE+')), max_size=400)


@st.composite
def any_content(draw):
    kind = draw(st.sampled_from(["bytes", "text", "csv-like", "mangled", "gzip"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "text":
        return draw(st.text(max_size=300)).encode("utf-8")
    if kind == "csv-like":
        return ("date,close\n" + draw(csv_like)).encode("utf-8")
    table = draw(tables())
    raw = table.text().encode("utf-8")
    if kind == "gzip":
        raw = gzip.compress(raw)
    # flip, drop or insert a few bytes
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, max(len(raw) - 1, 0)))
        op = draw(st.sampled_from(["flip", "drop", "insert", "truncate"]))
        if op == "flip" and raw:
            raw = raw[:pos] + bytes([raw[pos] ^ draw(st.integers(1, 255))]) + raw[pos + 1:]
        elif op == "drop":
            raw = raw[:pos] + raw[pos + 1:]
        elif op == "insert":
            raw = raw[:pos] + draw(st.binary(min_size=1, max_size=4)) + raw[pos:]
        else:
            raw = raw[:pos]
    return raw


def check_any_content_loads_or_is_named(raw, name):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(raw)
        try:
            data = load_csv(path)
        except InputError as exc:
            msg = assert_names(exc, str(path))
            assert "\n" not in msg.replace(str(path), "")
        else:
            assert len(data) >= MIN_ROWS and np.all(np.diff(data.dates) > np.timedelta64(0, "D"))
            assert np.all(np.isfinite(data.close)) and np.all(data.close > 0)


test_any_content_loads_or_is_named, test_any_content_loads_or_is_named_slow = variants(
    check_any_content_loads_or_is_named, any_content(), st.sampled_from(["p.csv", "p.csv.gz", "p"]))


def test_unreadable_paths_are_named(tmp_path):
    raises_named(lambda: load_csv(tmp_path / "missing.csv"), "missing.csv", "no such file", kind=InputError)
    raises_named(lambda: load_csv(tmp_path), str(tmp_path), "directory", kind=InputError)
    big = tmp_path / "big.csv"
    big.write_text("date,close\n2020-01-01,\"" + "1" * 200_000 + "\"\n")
    raises_named(lambda: load_csv(big), str(big), "line 2", "malformed CSV", kind=InputError)
    bad_gz = tmp_path / "bad.csv.gz"
    bad_gz.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage-deflate-stream")
    raises_named(lambda: load_csv(bad_gz), str(bad_gz), "damaged gzip", kind=InputError)
