"""The packaged data sets (exported from arch's data module) and the CSV loader's happy path."""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np
import pytest

from qar_qiskit.data.loader import load_csv, load_dataset, slice_dates
from qar_qiskit.errors import InputError


@pytest.mark.parametrize("name", ["sp500", "nasdaq"])
def test_index_data_rows_and_dates(name):
    d = load_dataset(name)
    assert len(d) == 5031
    assert str(d.dates[0]) == "1999-01-04"
    assert str(d.dates[-1]) == "2018-12-31"
    assert np.all(np.diff(d.dates).astype(int) > 0)
    for arr in (d.open, d.high, d.low, d.close, d.adj_close):
        assert arr is not None and arr.shape == (5031,)
        assert np.all(np.isfinite(arr)) and np.all(arr > 0)
    assert d.volume is not None and np.all(np.isfinite(d.volume))
    # The source has zero volume on two NASDAQ days (kept as published; see data/README.md).
    zero = [str(x) for x in d.dates[d.volume == 0]]
    assert zero == ([] if name == "sp500" else ["2015-05-12", "2018-01-09"])
    assert np.all(d.high >= d.low)
    # trading days only: no weekends
    assert not np.any(np.is_busday(d.dates) == False)  # noqa: E712
    assert d.notes == ()


def test_published_closes():
    # Published index closes (S&P Dow Jones Indices, Nasdaq, Cboe), to the cent.
    sp, nq, vix = load_dataset("sp500"), load_dataset("nasdaq"), load_dataset("vix")

    def close_on(data, day):
        i = int(np.searchsorted(data.dates, np.datetime64(day)))
        assert str(data.dates[i]) == day
        return data.close[i]

    assert close_on(sp, "2018-12-31") == pytest.approx(2506.85, abs=0.005)
    assert close_on(sp, "2008-10-15") == pytest.approx(907.84, abs=0.005)
    assert close_on(nq, "2018-12-31") == pytest.approx(6635.28, abs=0.005)
    assert close_on(nq, "2000-03-10") == pytest.approx(5048.62, abs=0.005)
    assert close_on(vix, "2018-12-24") == pytest.approx(36.07, abs=0.005)


def test_vix_rows_and_dates():
    d = load_dataset("vix")
    # 1305 rows in the file, of which 46 market holidays without a value are dropped.
    assert len(d) == 1305 - 46
    assert str(d.dates[0]) == "2014-01-03"
    assert str(d.dates[-1]) == "2019-01-03"
    assert d.volume is None and d.open is None
    assert np.all(d.close > 5) and np.all(d.close < 100)
    assert any("dropped 46" in n for n in d.notes)


@pytest.mark.parametrize("name,rows", [("sp500", 5031), ("nasdaq", 5031), ("vix", 1305)])
def test_files_are_reproducible_gzip(name, rows):
    raw = resources.files("qar_qiskit.data").joinpath(f"{name}.csv.gz").read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    assert raw[4:8] == b"\x00\x00\x00\x00"  # gzip mtime = 0
    assert raw[3] & 0x08 == 0  # no embedded file name
    text = gzip.decompress(raw).decode("ascii")
    lines = text.splitlines()
    assert len(lines) == rows + 1
    assert lines[0].startswith("date,")


def test_unknown_dataset():
    with pytest.raises(InputError, match="unknown data set 'ftse'"):
        load_dataset("ftse")


def _write(tmp_path, text, name="p.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def _rows(n, fmt="{d},{c}", start="2021-01-04", descending=False):
    dates = np.busday_offset(np.datetime64(start), np.arange(n), roll="forward")
    out = [fmt.format(d=str(d), c=100 + i) for i, d in enumerate(dates)]
    return out[::-1] if descending else out


def test_load_csv_minimal_and_case_insensitive(tmp_path):
    p = _write(tmp_path, "DATE , Close\n" + "\n".join(_rows(40)) + "\n\n")
    d = load_csv(p)
    assert len(d) == 40 and d.volume is None
    assert d.close[0] == 100 and d.close[-1] == 139
    assert any("no volume column" in n for n in d.notes)


def test_load_csv_adj_close_only_and_us_dates(tmp_path):
    rows = []
    for i, day in enumerate(np.busday_offset(np.datetime64("2021-01-04"), np.arange(35),
                                             roll="forward")):
        y, m, dd = str(day).split("-")
        rows.append(f"{int(m)}/{int(dd)}/{y},{50 + i}.5,{1000 + i}")
    p = _write(tmp_path, "Date,Adj Close,Volume\n" + "\n".join(rows))
    d = load_csv(p)
    assert str(d.dates[0]) == "2021-01-04" and d.close[0] == 50.5
    assert d.volume is not None and d.volume[0] == 1000
    assert any("adjusted close" in n for n in d.notes)


def test_load_csv_prefers_close_over_adj_close(tmp_path):
    p = _write(tmp_path, "date,adj_close,close\n" + "\n".join(
        _rows(30, fmt="{d},1.0,{c}")))
    d = load_csv(p)
    assert d.close[0] == 100 and d.adj_close[0] == 1.0


def test_load_csv_descending_is_reversed(tmp_path):
    p = _write(tmp_path, "date,close\n" + "\n".join(_rows(30, descending=True)))
    d = load_csv(p)
    assert np.all(np.diff(d.dates).astype(int) > 0)
    assert d.close[0] == 100
    assert any("descending" in n for n in d.notes)


def test_load_csv_gzip_and_zero_volume(tmp_path):
    p = tmp_path / "p.csv.gz"
    p.write_bytes(gzip.compress(("date,close,volume\n" + "\n".join(
        _rows(30, fmt="{d},{c},0"))).encode()))
    d = load_csv(p)
    assert len(d) == 30 and d.volume is None
    assert any("zero on every row" in n for n in d.notes)


def test_slice_dates():
    d = load_dataset("sp500")
    s = slice_dates(d, "2008-01-01", "2008-12-31")
    assert str(s.dates[0]) == "2008-01-02" and str(s.dates[-1]) == "2008-12-31"
    assert len(s) == 253
    assert s.volume is not None and len(s.volume) == 253
    with pytest.raises(InputError, match="no rows between"):
        slice_dates(d, "2030-01-01", None)
    with pytest.raises(InputError, match="is after end"):
        slice_dates(d, "2010-01-01", "2009-01-01")
    with pytest.raises(InputError, match="not a date"):
        slice_dates(d, "yesterday", None)


def test_readme_states_the_file_hashes():
    import hashlib
    import re

    pkg = resources.files("qar_qiskit.data")
    readme = pkg.joinpath("README.md").read_text()
    for name in ("sp500", "nasdaq", "vix"):
        digest = hashlib.sha256(pkg.joinpath(f"{name}.csv.gz").read_bytes()).hexdigest()
        m = re.search(rf"`{name}\.csv\.gz` ([0-9a-f]{{64}})", readme)
        assert m and m.group(1) == digest, name
