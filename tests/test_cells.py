"""Cell parsing: Vietnamese numbers, dates, yes/no and vocabularies, as plain functions
with examples and properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.vocabularies import SECTORS, STATUSES, YES_NO
from transforms.cell_values import (Unreadable, parse_bool, parse_choice, parse_date, parse_integer,
                              parse_number, parse_text)
from transforms.periods import parse_period
from transforms.text import fold, key, split_unit


@pytest.mark.parametrize("raw, expected", [
    ("1.234.567", 1234567.0), ("1.234,5", 1234.5), ("1,5", 1.5), ("-", 0.0),
    (" 2 000 ", 2000.0), ("2\u00a0000", 2000.0), ("12", 12.0), ("1.5", 1.5), ("(300)", -300.0),
    ("-1.234", -1234.0), ("1,234,567", 1234567.0), (7, 7.0), (2.5, 2.5), ("", None), (None, None),
])
def test_vietnamese_numbers(raw, expected):
    assert parse_number(raw) == expected


@pytest.mark.parametrize("raw", ["1,234", "abc", "1.2.3", "12a", True])
def test_ambiguous_or_unreadable_numbers_are_refused(raw):
    with pytest.raises(Unreadable):
        parse_number(raw)


@given(st.integers(min_value=0, max_value=10**12))
def test_any_integer_written_with_dot_thousands_reads_back(n):
    assert parse_number(f"{n:,}".replace(",", ".")) == n


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=9))
def test_any_decimal_written_the_vietnamese_way_reads_back(whole, tenth):
    text = f"{whole:,}".replace(",", ".") + f",{tenth}"
    assert parse_number(text) == pytest.approx(whole + tenth / 10)


def test_integers_must_be_whole():
    assert parse_integer("1.234") == 1234
    with pytest.raises(Unreadable):
        parse_integer("1,5")


@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2199, 12, 31)))
def test_dates_read_from_every_form(day):
    serial = (day - dt.date(1899, 12, 30)).days
    assert parse_date(day) == day
    assert parse_date(dt.datetime.combine(day, dt.time())) == day
    assert parse_date(float(serial)) == day
    assert parse_date(day.strftime("%d/%m/%Y")) == day
    assert parse_date(f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}") == day


@pytest.mark.parametrize("raw", ["31/02/2023", "hôm qua", 10**7])
def test_impossible_dates_are_refused(raw):
    with pytest.raises(Unreadable):
        parse_date(raw)


@pytest.mark.parametrize("raw, expected", [
    ("Có", True), ("Không", False), ("C", True), ("k", False), ("x", True), (1, True),
    (0, False), ("TRUE", True), ("false", False), (True, True), ("", None),
])
def test_yes_no(raw, expected):
    assert parse_bool(raw, YES_NO) is expected


@pytest.mark.parametrize("raw, code", [
    ("Nông nghiệp", "NN"), ("nong nghiep", "NN"), ("NN", "NN"), ("Thương mại - Dịch vụ", "TM"),
    ("THUONG MAI DICH VU", "TM"), ("Tổng hợp", "TH"),
])
def test_sectors_by_name_code_or_without_diacritics(raw, code):
    assert parse_choice(raw, SECTORS) == code


@given(st.sampled_from(STATUSES.terms), st.sampled_from(["name", "code", "folded", "nfd"]))
def test_every_status_reads_however_written(term, form):
    import unicodedata

    text = {"name": term.name_vi, "code": term.code, "folded": fold(term.name_vi),
            "nfd": unicodedata.normalize("NFD", term.name_vi)}[form]
    assert parse_choice(text, STATUSES) == term.code


def test_unknown_choice_is_refused_naming_the_allowed_values():
    with pytest.raises(Unreadable) as info:
        parse_choice("Chăn nuôi", SECTORS)
    assert "Nông nghiệp" in info.value.expected_vi


def test_text_is_trimmed_nfc_and_keeps_leading_zeros():
    assert parse_text("  0123456789 ") == "0123456789"
    assert parse_text(1234567890.0) == "1234567890"


def test_header_normalization():
    assert key("Xã, phường,\nthị trấn") == key("XA PHUONG THI TRAN")
    assert split_unit("Doanh thu (tỷ đồng)") == ("Doanh thu", "tỷ đồng")


@pytest.mark.parametrize("text, code", [
    ("Năm 2023", "2023"), ("6 tháng đầu năm 2023", "2023S1"), ("6 tháng cuối năm 2023", "2023S2"),
    ("Quý I/2023", "2023Q1"), ("Quý 1 năm 2023", "2023Q1"), ("2023Q4", "2023Q4"), ("2023", "2023"),
])
def test_periods_as_the_cover_writes_them(text, code):
    assert parse_period(text).code == code


def test_deadlines():
    assert parse_period("2023").deadline() == dt.date(2024, 1, 15)
    assert parse_period("2023S1").deadline() == dt.date(2023, 7, 20)
