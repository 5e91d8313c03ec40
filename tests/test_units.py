"""Never silently wrong: every unit a return may use is declared once (contracts/units.py)
and converted exactly, or refused at the cell that names it; a column's own cells decide
how its uncertain numbers read; in a column of x-marks a blank is no."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.return_form import RETURN_FORM, ROSTER, UNIONS
from contracts.units import DIMENSIONS, UNITS, dimension, unit
from contracts.vocabularies import YES_NO
from transforms.cell_values import PLAIN, Unreadable, column_reading, decimal_mark, parse_bool, \
    parse_exact, parse_number
from transforms.columns import parse_value
from transforms.quantities import conversion, find_unit, unit_key
from transforms.layout import match_field
from transforms.text import strip_marks

UNIT_FIELDS = [(s, f) for s in RETURN_FORM for f in s.fields if f.unit]


# --- the table ----------------------------------------------------------------------------------

def test_every_field_unit_is_its_dimensions_contract_unit():
    for sheet, f in UNIT_FIELDS:
        declared = unit(f.unit)
        assert declared.factor == 1, (sheet.name, f.name)
        assert dimension(declared.dimension).contract_unit == f.unit


def test_each_dimension_has_its_contract_unit_at_factor_one():
    for d in DIMENSIONS:
        assert unit(d.contract_unit).factor == 1 and unit(d.contract_unit).dimension == d.code


def test_no_spelling_names_two_units():
    seen: dict[str, str] = {}
    for u in UNITS:
        for written in u.written:
            assert seen.setdefault(unit_key(written), u.name) == u.name, written


def test_the_factors_the_spec_names():
    assert unit("tỷ đồng").factor == 1000 and unit("đồng").factor == Fraction(1, 10**6)
    assert unit("nghìn đồng/người/tháng").factor == Fraction(12, 1000)
    assert unit("triệu đồng/người/tháng").factor == 12
    assert find_unit("tr.đ") is unit("triệu đồng") and find_unit("ng.đ") is unit("nghìn đồng")
    assert find_unit("%") is unit("%") and find_unit("USD") is None


# --- every field × every unit of its dimension × spellings --------------------------------------

def _spelled(text: str, how: int) -> str:
    """A unit as districts write it: capitals, without diacritics, spaced, labelled."""
    return (text, text.upper(), strip_marks(text), text.replace("/", " / "),
            f"Đơn vị: {text}", f"ĐVT: {text}")[how]


@settings(max_examples=300, deadline=None)
@given(field_and_unit=st.sampled_from([(f, u) for _, f in UNIT_FIELDS for u in UNITS
                                       if u.dimension == unit(f.unit).dimension]),
       digits=st.integers(min_value=0, max_value=10**9), places=st.integers(0, 4),
       how=st.integers(0, 5), as_text=st.booleans(), data=st.data())
def test_every_unit_of_a_fields_dimension_reads_back_to_the_contract_unit(
        field_and_unit, digits, places, how, as_text, data):
    f, u = field_and_unit
    written = data.draw(st.sampled_from(u.written))
    factor = conversion(f, _spelled(written, how))
    assert factor == u.factor
    exact = Fraction(digits, 10 ** places)
    if f.kind == "integer":
        exact = Fraction(digits)
    raw = _vietnamese(exact) if as_text else float(exact)
    value, failure = parse_value(f, raw, "DS_HTX", 5, 3, factor)
    if f.kind == "integer":
        assert (value, failure) == (int(exact * u.factor), None) if \
            (exact * u.factor).denominator == 1 else failure.rule == "VALUE_UNREADABLE"
    else:
        assert failure is None and value == float(exact * u.factor)


def _vietnamese(number: Fraction) -> str:
    """'1.234.567,25': dots between thousands, a decimal comma (unambiguous as such)."""
    whole, rest = divmod(number, 1)
    text = f"{int(whole):,}".replace(",", ".")
    if rest:
        decimals = str(float(rest))[2:]
        text += "," + decimals.ljust(4, "0") if len(decimals) == 3 else "," + decimals
    return text


@pytest.mark.parametrize("header, field_name, unit_written", [
    ("Doanh thu (tỷ đồng)", "revenue", "tỷ đồng"),
    ("Lợi nhuận (trước thuế)", "profit", None),  # a variant's own words, not a unit
    ("Thu nhập bình quân của người lao động (nghìn đồng/người/tháng)", "income_per_worker",
     "nghìn đồng/người/tháng"),
])
def test_a_header_names_its_field_and_its_unit(header, field_name, unit_written):
    found, written = match_field(ROSTER, header)
    assert (found.name, written) == (field_name, unit_written)


@pytest.mark.parametrize("field_name, written", [
    ("revenue", "người"), ("revenue", "USD"), ("members", "%"), ("income_per_worker", "tỷ đồng"),
    ("members", "triệu đồng"), ("revenue", "năm 2023"),
])
def test_a_unit_of_another_dimension_or_unknown_is_refused(field_name, written):
    assert conversion(ROSTER.field(field_name), written) is None


def test_income_in_thousand_dong_per_month_is_the_yearly_million_figure():
    f = ROSTER.field("income_per_worker")
    factor = conversion(f, "nghìn đồng/người/tháng")
    assert parse_value(f, 5423.0, "DS_HTX", 5, 14, factor) == (65.076, None)
    assert parse_value(f, "5.423", "DS_HTX", 5, 14, factor) == (65.076, None)


def test_billions_to_millions_is_exact():
    f = ROSTER.field("revenue")
    factor = conversion(f, "tỷ đồng")
    assert parse_value(f, 3.843, "DS_HTX", 5, 11, factor) == (3843.0, None)
    assert parse_value(f, 1.005, "DS_HTX", 5, 11, factor)[0] == 1005.0
    assert 1.005 * 1000 != 1005.0  # what a float factor would have published
    assert parse_value(f, "1,005", "DS_HTX", 5, 11, factor, column_reading(["0,5"]))[0] == 1005


def test_a_unit_in_the_cell_wins_over_the_columns():
    f = ROSTER.field("revenue")
    assert parse_value(f, "2.000 triệu", "DS_HTX", 5, 11, conversion(f, "tỷ đồng"))[0] == 2000
    value, failure = parse_value(f, "25 người", "DS_HTX", 5, 11)
    assert value is None and failure.rule == "VALUE_UNREADABLE" and "người" in failure.message()


# --- the decimal mark from the column's own evidence ----------------------------------------------

@pytest.mark.parametrize("text, mark", [
    ("0,624", ","), ("2,5", ","), ("1.234,5", ","), ("12,75", ","), ("1.234.567", ","),
    ("1234,567", ","), ("1,234,567", "."), ("1,234.5", "."), ("2.5", "."), ("0.624", "."),
    ("3,843", None), ("1.234", None), ("1234", None), ("x", None),
])
def test_a_number_that_reads_one_way_only_shows_the_decimal_mark(text, mark):
    assert decimal_mark(text) == mark


def test_the_column_decides_an_ambiguous_comma():
    vietnamese = column_reading(["3,843", "0,624", "4,974"], lambda i: f"K{i + 5}")
    assert vietnamese.decimal == "," and vietnamese.decided_by == ("K6 (0,624)",)
    assert [parse_number(v, vietnamese) for v in ("3,843", "0,624", "1.234", "1.234,5")] == \
        [3.843, 0.624, 1234.0, 1234.5]
    english = column_reading(["3,843", "1,234,567.5"])
    assert english.decimal == "." and parse_number("3,843", english) == 3843.0
    assert parse_number("1.234", english) == 1.234


def test_without_evidence_an_ambiguous_comma_is_refused_and_a_dot_groups_thousands():
    with pytest.raises(Unreadable) as refused:
        parse_number("3,843", column_reading(["3,843", 12.5]))
    assert "không ô nào khác trong cột" in refused.value.why_vi
    assert parse_number("1.234", PLAIN) == 1234.0


def test_evidence_both_ways_refuses_the_ambiguous_cells_naming_both():
    f = ROSTER.field("total_capital")
    reading = column_reading(["0,5", "1,234,567", "3,843", "1.234"], lambda i: f"DS_HTX!J{i + 5}")
    assert reading.conflict
    for text in ("3,843", "1.234"):
        value, failure = parse_value(f, text, "DS_HTX", 7, 9, reading=reading)
        assert value is None and failure.rule == "VALUE_UNREADABLE"
        assert "DS_HTX!J5 (0,5)" in failure.message() and "DS_HTX!J6 (1,234,567)" in \
            failure.message()
    assert parse_value(f, "0,5", "DS_HTX", 5, 9, reading=reading)[0] == 0.5  # unambiguous


def test_a_number_is_read_exactly_from_its_digits():
    assert parse_exact("1.234,5") == Fraction(12345, 10)
    assert parse_exact(0.1) == Fraction(1, 10)  # the decimal typed, not the binary float
    assert parse_exact("(45,5)") == Fraction(-91, 2) and parse_exact("-") == 0


# --- yes/no marks --------------------------------------------------------------------------------

def test_in_a_column_of_marks_a_blank_is_no():
    reading = column_reading(["x", None, "X", "", "✓", "×"], marks=YES_NO)
    assert [parse_bool(v, YES_NO, reading) for v in ("x", None, "", "✓", "×")] == \
        [True, False, False, True, True]


@pytest.mark.parametrize("column", [["Có", None, "Không"], ["C", "", "K"], [1, None, 0],
                                    [True, None, False], ["x", None, "Không"], [None, None]])
def test_elsewhere_a_blank_stays_missing(column):
    reading = column_reading(column, marks=YES_NO)
    assert parse_bool(None, YES_NO, reading) is None


@pytest.mark.parametrize("text", ["-", "?", "*", "--", "…"])
def test_a_symbol_that_is_not_a_mark_is_not_yes(text):
    with pytest.raises(Unreadable):
        parse_bool(text, YES_NO)


def test_a_wholly_blank_yes_no_column_beside_a_ticked_one_is_no():
    from transforms.columns import read_column
    f = ROSTER.field("high_tech")
    blank = read_column(f, [None, "", None], "DS_HTX", [5, 6, 7], 17, ticked=True)
    alone = read_column(f, [None, "", None], "DS_HTX", [5, 6, 7], 17, ticked=False)
    assert (blank.blank, alone.blank) == (False, None)


# --- where a table's unit is written ---------------------------------------------------------------

def _unions_grid(above: list[list], units_row: list | None, revenue: object = "5,2") -> list:
    from transforms.workbook import Grid
    header = ["Mã số LHHTX", "Tên liên hiệp HTX", "Tình trạng hoạt động", "Số HTX thành viên",
              "Doanh thu", "Lợi nhuận"]
    rows = [*above, header, *([units_row] if units_row else []),
            ["5500012345", "Liên hiệp A", "Đang hoạt động", 4, revenue, "0,25"]]
    return Grid("DS_LHHTX", rows)


def _read(grid):
    from transforms.columns import typed_columns
    from transforms.layout import read_table
    return typed_columns(read_table(grid, UNIONS))


@pytest.mark.parametrize("above, units_row, revenue, profit", [
    ([["Đơn vị tính: tỷ đồng"]], None, 5200.0, 250.0),
    ([], ["(1)", "(2)", "(3)", "HTX", "tỷ đồng", "tỷ"], 5200.0, 250.0),
    ([["ĐVT: triệu đồng"]], None, 5.2, 0.25),
])
def test_a_unit_line_or_units_row_converts_its_columns(above, units_row, revenue, profit):
    columns, failures = _read(_unions_grid(above, units_row))
    assert failures == [] and columns["revenue"] == [revenue] and columns["profit"] == [profit]
    assert columns["member_coops"] == [4]


@pytest.mark.parametrize("above, units_row, cell", [
    ([["Đơn vị tính: USD"]], None, "DS_LHHTX!A1"),
    ([], ["(1)", "(2)", "(3)", "HTX", "USD", "tỷ"], "DS_LHHTX!E2"),
    ([], ["(1)", "(2)", "(3)", "%", "tỷ", "tỷ"], "DS_LHHTX!D2"),
])
def test_a_unit_the_table_does_not_know_is_refused_where_it_is_written(above, units_row, cell):
    columns, failures = _read(_unions_grid(above, units_row))
    refused = [f for f in failures if f.rule == "HEADER_UNIT_UNKNOWN"]
    assert refused and {f.cell for f in refused} == {cell}
    for f in refused:
        assert columns[f.column] == [None]  # none of its values is loaded
