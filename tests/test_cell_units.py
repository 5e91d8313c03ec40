"""A unit written in the cell itself ('1,5 tỷ', '2.000 nghìn đồng') is the one its number is
in, whatever the column's header says; a unit of another kind is refused at the cell."""

from __future__ import annotations

from fractions import Fraction

import pytest

from contracts.return_form import ROSTER
from transforms.columns import parse_value

REVENUE = next(f for f in ROSTER.fields if f.name == "revenue")  # in triệu đồng


@pytest.mark.parametrize("raw, column_factor, expected", [
    ("1,5 tỷ", Fraction(1), 1500.0),  # a column in triệu đồng
    ("1,5 tỷ đồng", Fraction(1, 1000), 1500.0),  # a column in nghìn đồng
    ("2.000 nghìn đồng", Fraction(1000), 2.0),  # a column in tỷ đồng
    ("250 triệu", Fraction(1000), 250.0),
])
def test_the_unit_written_in_the_cell_wins_over_the_column_s(raw, column_factor, expected):
    value, failure = parse_value(REVENUE, raw, ROSTER.name, 5, 12, column_factor)
    assert (value, failure) == (pytest.approx(expected), None)


def test_a_unit_of_another_kind_in_a_cell_is_refused_there():
    value, failure = parse_value(REVENUE, "25 người", ROSTER.name, 5, 0)  # column A
    assert value is None
    assert (failure.rule, failure.cell, failure.value) == ("VALUE_UNREADABLE", "DS_HTX!A5",
                                                           "25 người")
