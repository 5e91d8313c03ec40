"""A column that writes its numbers both ways ('0,624' with a decimal comma, '1,234,567' with
thousands commas) tells nothing about its uncertain cells: '3,843' and '1.234' there are
unreadable, and the failure names the two cells that disagree. Never a guess."""

from __future__ import annotations

import pytest

from transforms.cell_values import Unreadable, column_reading, parse_exact

COLUMN = ["0,624", "1,234,567", "1.234", "3,843", "12"]


@pytest.mark.parametrize("uncertain", ["1.234", "3,843"])
def test_an_uncertain_cell_of_a_column_written_both_ways_is_unreadable(uncertain):
    reading = column_reading(COLUMN, where=lambda i: f"DS_HTX!L{5 + i}")
    assert reading.conflict and reading.decimal is None
    with pytest.raises(Unreadable) as refused:
        parse_exact(uncertain, reading)
    assert "DS_HTX!L5 (0,624)" in refused.value.why_vi
    assert "DS_HTX!L6 (1,234,567)" in refused.value.why_vi


def test_cells_that_read_one_way_are_still_read_in_such_a_column():
    reading = column_reading(COLUMN)
    assert [parse_exact(v, reading) for v in ("0,624", "1,234,567", "12")] == [
        pytest.approx(0.624), 1234567, 12]
