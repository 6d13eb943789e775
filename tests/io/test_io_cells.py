"""Tests for perfrules.io.cells: cleaning of single raw cells."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfrules.io.cells import CellError, is_blank, parse_bool, parse_date, parse_decimal, parse_text

F = Fraction


# --- blanks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [None, "", "   ", "\u3000", "\xa0", "（空）", "(空)", "空", "-", "—", "－", "/", "N/A", "n/a", "NA",
     "null", "NULL", "None", "无数据", " 无数据 ", float("nan"), "Ｎ/Ａ", "——"],
)
def test_blank_values(raw):
    assert is_blank(raw) is True
    assert parse_decimal(raw) is None
    assert parse_bool(raw) is None
    assert parse_date(raw) is None
    assert parse_text(raw) is None


@pytest.mark.parametrize("raw", ["0", 0, 0.0, "无", "否", "空白单位", "-1", False])
def test_not_blank(raw):
    assert is_blank(raw) is False


# --- numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, value, percent",
    [
        ("95%", F(19, 20), True),
        ("95 %", F(19, 20), True),
        ("1,234.56", F(123456, 100), False),
        ("1,234,567.891", F(1234567891, 1000), False),
        ("９５．５％", F(955, 1000), True),
        ("１，２３４", F(1234), False),
        (" 12 ", F(12), False),
        ("\u300012\u3000", F(12), False),
        ("\xa012.5\xa0", F(25, 2), False),
        ("1 234.5", F(12345, 10), False),
        ("(1,234.00)", F(-1234), False),
        ("（1,234.00）", F(-1234), False),
        ("(5%)", F(-1, 20), True),
        ("-5", F(-5), False),
        ("－5", F(-5), False),
        ("−5", F(-5), False),
        ("+5", F(5), False),
        ("- 5", F(-5), False),
        ("1.2e3", F(1200), False),
        ("1.5E-2", F(15, 1000), False),
        (".5", F(1, 2), False),
        ("5.", F(5), False),
        ("0.1", F(1, 10), False),
        ("2.675", F(2675, 1000), False),
        ("-0", F(0), False),
        (7, F(7), False),
        (Decimal("1.10"), F(11, 10), False),
        (F(1, 3), F(1, 3), False),
        (0.1, F(1, 10), False),
        (2.675, F(2675, 1000), False),
        (1e-7, F(1, 10**7), False),
        (-0.0, F(0), False),
    ],
)
def test_parse_decimal_accepts(raw, value, percent):
    result = parse_decimal(raw)
    assert result == (value, percent)
    assert type(result[0]) is Fraction


@pytest.mark.parametrize(
    "raw, code",
    [
        ("abc", "not_a_number"),
        ("12,3a", "not_a_number"),
        ("12万", "not_a_number"),
        ("1.2.3", "not_a_number"),
        ("12,34", "bad_grouping"),
        ("1234,567", "bad_grouping"),
        ("1,23,456", "bad_grouping"),
        ("1,234 567", "bad_grouping"),
        ("12 34", "bad_grouping"),
        ("%5", "bad_percent"),
        ("5%%", "bad_percent"),
        ("5%0", "bad_percent"),
        ("#DIV/0!", "excel_error"),
        ("#N/A", "excel_error"),
        ("1e99999", "number_out_of_range"),
        ("9" * 500, "number_out_of_range"),
        ("(-5)", "not_a_number"),
        ("e5", "not_a_number"),
        (".", "not_a_number"),
        (True, "not_a_number"),
        (False, "not_a_number"),
        (float("inf"), "not_a_number"),
        (Decimal("Infinity"), "not_a_number"),
        (dt.date(2024, 1, 1), "not_a_number"),
        ([1], "not_a_number"),
    ],
)
def test_parse_decimal_rejects(raw, code):
    with pytest.raises(CellError) as info:
        parse_decimal(raw)
    err = info.value
    assert err.code == code
    assert err.raw is raw
    assert err.message_zh and err.message_en
    assert str(err) == err.message_en


def test_cell_error_messages_quote_the_raw_value():
    with pytest.raises(CellError) as info:
        parse_decimal("12,3a")
    err = info.value
    assert isinstance(err, ValueError)
    assert err.message_zh == "无法识别为数字：'12,3a'"
    assert err.message_en == "not a number: '12,3a'"


def test_cell_error_truncates_huge_raw_values():
    with pytest.raises(CellError) as info:
        parse_decimal("x" * 10_000)
    assert len(info.value.message_en) < 120
    assert len(info.value.raw) == 10_000  # the raw value itself is kept intact


def test_decimal_nan_is_blank():
    assert is_blank(Decimal("NaN")) is True
    assert parse_decimal(Decimal("NaN")) is None


def test_numpy_scalars_are_accepted():
    np = pytest.importorskip("numpy")
    assert parse_decimal(np.str_("1,234.5")) == (F(2469, 2), False)
    assert parse_decimal(np.float64("nan")) is None
    assert parse_decimal(np.int64(42)) == (F(42), False)
    assert parse_decimal(np.float64(0.1)) == (F(1, 10), False)
    assert parse_decimal(np.float32(0.5)) == (F(1, 2), False)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-10**12, max_value=10**12))
def test_decimal_text_round_trips_exactly(d):
    # Plain and thousands-grouped renderings of the same value agree exactly.
    assert parse_decimal(format(d, "f")) == (Fraction(d), False)
    assert parse_decimal(format(d, ",f")) == (Fraction(d), False)
    assert parse_decimal(format(d, "f") + "%") == (Fraction(d) / 100, True)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_converts_through_shortest_repr(x):
    assert parse_decimal(x) == (Fraction(Decimal(repr(x))), False)


# --- booleans -------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["是", "有", "true", "TRUE", "True", "yes", "Y", "y", "1", "√", "✓", " 是 ", "Ｙｅｓ", 1, 1.0, True])
def test_parse_bool_true(raw):
    assert parse_bool(raw) is True


@pytest.mark.parametrize("raw", ["否", "无", "false", "FALSE", "no", "N", "n", "0", "×", 0, 0.0, False])
def test_parse_bool_false(raw):
    assert parse_bool(raw) is False


@pytest.mark.parametrize("raw", ["maybe", "是的吧", 2, "10", -1])
def test_parse_bool_rejects(raw):
    with pytest.raises(CellError) as info:
        parse_bool(raw)
    assert info.value.code == "bad_bool"
    assert "是/否" in info.value.message_zh


# --- dates ----------------------------------------------------------------------

JUNE_30 = dt.date(2024, 6, 30)


@pytest.mark.parametrize(
    "raw",
    ["2024-06-30", "2024/6/30", "2024.6.30", "2024年6月30日", "2024 年 6 月 30 日", "2024年6月30号",
     "20240630", " 2024-06-30 ", "2024-06-30 00:00:00", "2024-06-30T13:45", "２０２４年６月３０日",
     JUNE_30, dt.datetime(2024, 6, 30, 15, 0), 20240630],
)
def test_parse_date_accepts(raw):
    result = parse_date(raw)
    assert result == JUNE_30
    assert type(result) is dt.date


@pytest.mark.parametrize("raw", ["2024-02-30", "2023-02-29", "2024-13-01", "2024/0/1", "20240231"])
def test_parse_date_rejects_impossible_dates(raw):
    with pytest.raises(CellError) as info:
        parse_date(raw)
    assert info.value.code == "bad_date"
    assert "日期不存在" in info.value.message_zh


@pytest.mark.parametrize("raw", ["June 30", "2024-06", "24-6-30", "2024-6/30", "45473", True, 45473, 45473.0])
def test_parse_date_rejects_unknown_shapes(raw):
    with pytest.raises(CellError) as info:
        parse_date(raw)
    assert info.value.code == "bad_date"


def test_leap_day_is_valid():
    assert parse_date("2024-02-29") == dt.date(2024, 2, 29)


@pytest.mark.parametrize(
    "serial, expected",
    [
        (45473, JUNE_30),
        (45473.75, JUNE_30),  # the fraction is the time of day
        (1, dt.date(1900, 1, 1)),
        (59, dt.date(1900, 2, 28)),
        (61, dt.date(1900, 3, 1)),
        (2958465, dt.date(9999, 12, 31)),
    ],
)
def test_excel_serial_dates_only_when_allowed(serial, expected):
    assert parse_date(serial, allow_serial=True) == expected


@pytest.mark.parametrize("serial", [60, 0, -5, 2958466, "45473"])
def test_excel_serial_out_of_range(serial):
    # 60 is Excel's fictitious 1900-02-29; strings are never serials.
    with pytest.raises(CellError) as info:
        parse_date(serial, allow_serial=True)
    assert info.value.code == "bad_date"


# --- text -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  甲单位\u3000", "甲单位"),
        ("\ufeff甲", "甲"),
        ("a  b", "a  b"),
        (1001, "1001"),
        (1001.0, "1001"),
        (12.5, "12.5"),
        (Decimal("1.50"), "1.50"),
        (True, "true"),
        (JUNE_30, "2024-06-30"),
    ],
)
def test_parse_text(raw, expected):
    assert parse_text(raw) == expected


def test_error_messages_show_exact_numbers_and_dates_as_written():
    # a test's given (Fractions) or an API cell (Decimal, date) showed as Python reprs in the
    # message: "无法识别为日期：Fraction(5, 1)", "无法识别为“是/否”：datetime.date(2024, 1, 1)"
    from perfrules.io.errors import short_repr

    assert short_repr(Fraction(5)) == "5" and short_repr(Fraction(1, 3)) == "1/3"
    assert short_repr(Decimal("2400.50")) == "2400.50"
    assert short_repr(dt.date(2024, 1, 1)) == "2024-01-01"
    assert short_repr("abc") == "'abc'" and short_repr(2) == "2"


@pytest.mark.parametrize("text", ["١٢٣", "۱۲۳", "१२३", "12٫5", "٢٠٢٤"])
def test_digits_of_other_scripts_are_not_numbers(text):
    # Python's \d and int() take any script's digits: Arabic-Indic '١٢٣' was read as 123
    with pytest.raises(CellError):
        parse_decimal(text)


@pytest.mark.parametrize("text", ["٢٠٢٤-٠٦-٣٠", "٢٠٢٤年٦月٣٠日", "٢٠٢٤٠٦٣٠"])
def test_digits_of_other_scripts_are_not_dates(text):
    with pytest.raises(CellError):
        parse_date(text)


def test_full_width_digits_still_are():
    assert parse_decimal("１２３．５") == (Fraction(247, 2), False)
    assert parse_date("２０２４年６月３０日") == dt.date(2024, 6, 30)
