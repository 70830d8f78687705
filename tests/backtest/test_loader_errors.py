"""Malformed CSV files fail with an InputError naming the file and the row and/or column."""

from __future__ import annotations

import numpy as np
import pytest

from qar_qiskit.data.loader import load_csv
from qar_qiskit.errors import InputError


def _good_rows(n=40, extra=""):
    dates = np.busday_offset(np.datetime64("2021-01-04"), np.arange(n), roll="forward")
    return [f"{d},{100 + i}.25{extra}" for i, d in enumerate(dates)]


def _csv(tmp_path, header, rows, name="bad.csv"):
    p = tmp_path / name
    p.write_text(header + "\n" + "\n".join(rows) + "\n")
    return p


def _fails(path, *fragments):
    with pytest.raises(InputError) as info:
        load_csv(path)
    msg = str(info.value)
    assert str(path) in msg, msg
    for f in fragments:
        assert f in msg, msg
    assert "\n" not in msg
    return msg


def test_missing_close_column(tmp_path):
    p = _csv(tmp_path, "date,open,volume", [r + ",5" for r in _good_rows()])
    _fails(p, "no close column")


def test_missing_date_column(tmp_path):
    p = _csv(tmp_path, "when,close", _good_rows())
    _fails(p, "no date column")


def test_bad_date_at_row_7(tmp_path):
    rows = _good_rows()
    rows[6] = "2021-13-45,101.0"
    p = _csv(tmp_path, "date,close", rows)
    _fails(p, "row 7 (line 8)", "column 'date'", "2021-13-45")


def test_text_date(tmp_path):
    rows = _good_rows()
    rows[11] = "not-a-date,101.0"
    _fails(_csv(tmp_path, "Date,Close", rows), "row 12", "not-a-date")


def test_negative_price(tmp_path):
    rows = _good_rows()
    rows[4] = rows[4].split(",")[0] + ",-3.5"
    _fails(_csv(tmp_path, "date,close", rows), "row 5", "column 'close'", "> 0", "-3.5")


def test_zero_price_in_open(tmp_path):
    rows = [f"{r.split(',')[0]},{r.split(',')[1]},{r.split(',')[1]}" for r in _good_rows()]
    rows[9] = rows[9].split(",")[0] + ",0,100"
    _fails(_csv(tmp_path, "date,open,close", rows), "row 10", "column 'open'")


@pytest.mark.parametrize("cell", ["NaN", "nan", "inf", ""])
def test_nan_or_empty_price(tmp_path, cell):
    rows = _good_rows()
    rows[20] = rows[20].split(",")[0] + "," + cell
    msg = _fails(_csv(tmp_path, "date,close", rows), "row 21", "column 'close'")
    assert "finite" in msg or "not a number" in msg


def test_non_numeric_price(tmp_path):
    rows = _good_rows()
    rows[2] = rows[2].split(",")[0] + ",12abc"
    _fails(_csv(tmp_path, "date,close", rows), "row 3", "not a number", "12abc")


def test_negative_volume(tmp_path):
    rows = _good_rows(extra=",1000")
    rows[15] = rows[15].rsplit(",", 1)[0] + ",-1"
    _fails(_csv(tmp_path, "date,close,volume", rows), "row 16", "column 'volume'")


def test_duplicate_dates(tmp_path):
    rows = _good_rows()
    rows[8] = rows[7].split(",")[0] + ",120.0"
    _fails(_csv(tmp_path, "date,close", rows), "duplicate date", "rows 8 and 9")


def test_unsorted_dates(tmp_path):
    rows = _good_rows()
    rows[10], rows[11] = rows[11], rows[10]
    _fails(_csv(tmp_path, "date,close", rows), "row 12", "sorted")


def test_empty_file(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_text("")
    _fails(p, "empty file")


def test_header_only(tmp_path):
    p = tmp_path / "header.csv"
    p.write_text("date,close\n")
    _fails(p, "empty file")


def test_too_few_rows(tmp_path):
    _fails(_csv(tmp_path, "date,close", _good_rows(29)), "only 29 data rows", "30")


def test_short_row(tmp_path):
    rows = _good_rows(extra=",7")
    rows[3] = rows[3].split(",")[0]
    _fails(_csv(tmp_path, "date,close,volume", rows), "row 4", "fields")


def test_missing_file(tmp_path):
    _fails(tmp_path / "nope.csv", "no such file")


@pytest.mark.parametrize("sep, name", [(";", "';'"), ("\t", "tab"), ("|", "'|'")])
def test_other_delimiter_is_named(tmp_path, sep, name):
    # e.g. a spreadsheet's European export: Date;Close with decimal commas
    rows = [r.replace(".", ",").replace(",", sep, 1) for r in _good_rows()]
    p = _csv(tmp_path, f"Date{sep}Close{sep}Volume", [r + f"{sep}5" for r in rows])
    _fails(p, f"looks {name}-separated", "delimiter ','")
