"""A cell that already holds a number in its field's unit is typed without reading its
digits only where that gives exactly what its digits give: infinity and NaN are refused at
their cell, a whole number beyond a float's precision keeps the digits the cell shows, and
-0 is 0. A word outside a column's list is refused at every cell that holds it, however
often it recurs, and the headers a run has matched are matched the same when it forgets
them."""

from __future__ import annotations

import math
import random
import zipfile
from fractions import Fraction
from pathlib import Path

import pytest

from contracts.reference import load_reporting_units
from contracts.return_form import ROSTER
from fixtures.returns import _set_cells, template_book, write_xlsx
from transforms import cell_values, layout
from transforms.columns import NOT_PLAIN, _typed, as_typed
from transforms.periods import period_from_code
from transforms.returns import read_return

PERIOD = period_from_code("2023S1")
NUMBER, INTEGER = ROSTER.field("revenue"), ROSTER.field("members")


def floats() -> list[float]:
    """Edge values and a seeded spread over every magnitude, both signs."""
    rng = random.Random(14)
    edges = [0.0, -0.0, 1.0, -1.0, 0.1, 2.5, 1e-300, 5e-324, 2.0 ** 53 - 1, 2.0 ** 53,
             2.0 ** 53 + 2, 1.2345678901234567e19, 1e20, 1e300, math.inf, -math.inf,
             math.nan]
    spread = [rng.choice((-1, 1)) * 10 ** rng.uniform(-12, 25) for _ in range(3000)]
    wholes = [float(rng.randrange(-10 ** 18, 10 ** 18)) for _ in range(1000)]
    return edges + spread + wholes


@pytest.mark.parametrize("f", [NUMBER, INTEGER], ids=["number", "integer"])
def test_a_plain_number_is_typed_exactly_as_its_digits_are_read(f):
    for x in floats():
        typed = as_typed(f, x)
        if typed is NOT_PLAIN:
            continue
        expected = _typed(f, x, Fraction(1), cell_values.PLAIN)
        assert (type(typed), repr(typed)) == (type(expected), repr(expected)), x


@pytest.mark.parametrize("x", [math.inf, -math.inf, math.nan, 2.0 ** 53, 1e20])
def test_infinity_nan_and_numbers_beyond_a_floats_precision_go_to_the_exact_reader(x):
    assert as_typed(NUMBER, x) is NOT_PLAIN and as_typed(INTEGER, x) is NOT_PLAIN


def patched_return(tmp_path: Path, cells: dict, replace: dict[bytes, bytes]) -> Path:
    """The template's return with `cells` set, then the sheets' XML values replaced as
    `replace` says (what no spreadsheet writer would write, but a file may hold)."""
    source = write_xlsx(_set_cells(template_book(PERIOD), ROSTER, cells), tmp_path / "a.xlsx")
    target = tmp_path / "b.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            for old, new in replace.items():
                data = data.replace(old, new)
            zout.writestr(info, data)
    return target


def test_an_infinite_figure_is_refused_at_its_cell_and_a_huge_whole_number_keeps_its_digits(
        tmp_path):
    path = patched_return(tmp_path, {(0, "revenue"): 987654.25, (1, "members"): 987653.0},
                          {b">987654.25<": b">1E+999<",
                           b">987653<": b">12345678901234567890<"})
    read = read_return(path, load_reporting_units())
    roster = read.columns[ROSTER.name]
    assert roster["revenue"][0] is None
    (refused,) = [f for f in read.failures if f.column == "revenue"]
    assert (refused.rule, refused.row) == ("VALUE_UNREADABLE", roster["_row"][0])
    assert roster["members"][1] == 12345678901234567000  # its digits, not the float's


def test_a_word_outside_the_list_is_refused_at_every_cell_that_holds_it(tmp_path):
    book = _set_cells(template_book(PERIOD), ROSTER,
                      {(0, "sector"): "Nông nghiệp", (1, "sector"): "Trồng nấm",
                       (2, "sector"): "Nông nghiệp", (3, "sector"): "Trồng nấm"})
    read = read_return(write_xlsx(book, tmp_path / "a.xlsx"), load_reporting_units())
    roster = read.columns[ROSTER.name]
    assert roster["sector"][:4] == ["NN", None, "NN", None]
    refused = [f for f in read.failures if f.column == "sector"]
    assert [(f.rule, f.row) for f in refused] == \
        [("VALUE_NOT_ALLOWED", roster["_row"][1]), ("VALUE_NOT_ALLOWED", roster["_row"][3])]


def test_headers_are_matched_the_same_when_the_matches_are_forgotten(tmp_path, monkeypatch):
    path = write_xlsx(template_book(PERIOD), tmp_path / "a.xlsx")
    units = load_reporting_units()
    remembered = read_return(path, units)
    monkeypatch.setattr(layout, "MATCHES_KEPT", 2)
    layout._MATCHED.clear()
    forgetting = read_return(path, units)
    assert forgetting.columns == remembered.columns
    assert forgetting.failures == remembered.failures
    assert all(len(texts) <= 2 for texts in layout._MATCHED.values())
