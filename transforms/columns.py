"""From raw cell values to typed columns, one parser per field kind, every unreadable
cell recorded as a failure pointing at it. Amounts are converted to the field's unit
exactly (transforms/quantities.py); what a column's cells show decides how its uncertain
cells are read (cell_values.column_reading)."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pandas as pd

from contracts.fields import Field, Sheet
from transforms import cell_values as cells
from transforms.failures import Failure, cell_ref, show
from transforms.quantities import conversion
from transforms.layout import Table
from transforms.text import is_blank

_NUMERIC = {"integer", "number"}
_WORDS = {"choice", "bool"}  # few words, many rows
_ONE = Fraction(1)


def parse_value(f: Field, raw: object, sheet: str, row: int, column: int | None,
                factor: Fraction = _ONE, reading: cells.Reading = cells.PLAIN
                ) -> tuple[object, Failure | None]:
    """One cell: (typed value or None, failure or None). `factor` converts the column's
    unit to the field's; a unit written in the cell itself ('2.000 triệu') is used instead."""
    if factor == 1:  # most cells: a number already in the field's unit
        typed = as_typed(f, raw)
        if typed is not NOT_PLAIN:
            return typed, None
    try:
        return _typed(f, raw, factor, reading), None
    except cells.Unreadable as exc:
        where = cell_ref(sheet, row, column) if column is not None else None
        if f.kind == "choice":  # a word outside the list: say which words are allowed
            return None, Failure("VALUE_NOT_ALLOWED", sheet, row, f.name, where, show(raw), {
                "header": f.header, "allowed": ", ".join(t.name_vi for t in f.vocabulary.terms)})
        return None, Failure("VALUE_UNREADABLE", sheet, row, f.name, where, show(raw),
                             {"header": f.header, "expected": exc.expected_vi + exc.why_vi,
                              "expected_en": exc.expected_en + exc.why_en})


NOT_PLAIN = object()  # as_typed: the cell needs the exact reader
EXACT_FLOATS = 2.0 ** 53  # beyond it, a float is no longer its shortest decimal form's


def as_typed(f: Field, raw: object) -> object:
    """A cell that is already a number in the field's unit, typed as the exact reader
    (`_typed`) would type it, without reading its digits: a finite float, whole for an
    integer field, below 2**53 (beyond it, and for infinity, NaN and anything else,
    NOT_PLAIN: the exact reader decides, or refuses it at its cell)."""
    if type(raw) is not float or not -EXACT_FLOATS < raw < EXACT_FLOATS:
        return NOT_PLAIN
    if f.kind == "number":
        return raw + 0.0  # -0.0 is 0.0, as its digits read
    if f.kind == "integer" and raw.is_integer():
        return int(raw)
    return NOT_PLAIN


def _typed(f: Field, raw: object, factor: Fraction, reading: cells.Reading) -> object:
    if f.kind in _NUMERIC:
        return _amount(f, raw, factor, reading)
    if f.kind == "bool":
        return cells.parse_bool(raw, f.vocabulary, reading)
    if f.kind == "choice":
        return cells.parse_choice(raw, f.vocabulary)
    if f.kind == "date":
        return cells.parse_date(raw)
    return cells.parse_text(raw)


def _amount(f: Field, raw: object, factor: Fraction, reading: cells.Reading) -> int | float | None:
    """A number in the field's unit: the column's unit, or the one written in the cell."""
    number, written = cells.parse_quantity(raw, reading) if f.unit else \
        (cells.parse_exact(raw, reading), None)
    if written is not None:
        factor = conversion(f, written)
        if factor is None:
            raise cells.Unreadable(raw, f"số theo đơn vị {f.unit}", f"a number in {f.unit}",
                                   f": đơn vị '{written}' không quy đổi được",
                                   f": unit '{written}' cannot be converted")
    if number is None:
        return None
    number *= factor
    return cells.whole(number, raw) if f.kind == "integer" else float(number)


def typed_frame(table: Table) -> tuple[pd.DataFrame, list[Failure]]:
    """The table's stored fields parsed to their dtypes, plus `_row`; and the failures."""
    columns, failures = typed_columns(table)
    return columns_frame(table.sheet, [columns]), failures


def typed_columns(table: Table) -> tuple[dict[str, list], list[Failure]]:
    """typed_frame as plain lists (field -> values, and `_row`): a return's few rows are
    turned into pandas only together with every other return's (columns_frame).

    A column whose unit is not in the table of units, or of another dimension than its
    field's, is refused at the cell that names the unit and none of its values is kept."""
    failures: list[Failure] = []
    rows = table.raw["_row"]
    columns: dict[str, list] = {}
    ticked = any(cells.marks_only(table.raw[f.name], f.vocabulary)
                 for f in table.sheet.stored_fields if f.kind == "bool")
    for f in table.sheet.stored_fields:
        column = table.columns.get(f.name)
        raw = table.raw[f.name]
        factor = conversion(f, table.units.get(f.name))
        if factor is None:
            failures.append(unknown_unit(f, table.units[f.name], table.grid_name,
                                         *table.unit_cells.get(f.name, (table.header_row,
                                                                        column))))
            columns[f.name] = [None] * len(rows)
            continue
        reading = read_column(f, raw, table.grid_name, rows, column, ticked)
        values = columns[f.name] = []
        plain = factor == 1 and f.kind in _NUMERIC
        words: dict[str, object] = {}  # a choice column's words, each read once
        for value, row in zip(raw, rows):
            if plain and type(value) is float:  # most cells (parse_value, without the call)
                typed = as_typed(f, value)
                if typed is not NOT_PLAIN:
                    values.append(typed)
                    continue
            elif type(value) is str and value in words:
                values.append(words[value])
                continue
            parsed, failure = parse_value(f, value, table.grid_name, row, column, factor,
                                          reading)
            values.append(parsed)
            if failure:
                failures.append(failure)
            elif type(value) is str and f.kind in _WORDS:  # read the same in every row
                words[value] = parsed
    columns["_row"] = rows
    return columns, failures


def read_column(f: Field, raw: list, sheet: str, rows: list[int], column: int | None,
                ticked: bool = False) -> cells.Reading:
    """How the field's uncertain cells are read, from the column's own cells. A yes/no
    column left wholly blank in a table whose yes/no columns are ticked with marks
    (`ticked`) is ticked too: none of its rows is yes."""
    if f.kind not in _NUMERIC and f.kind != "bool":
        return cells.PLAIN
    reading = cells.column_reading(
        raw, lambda i: cell_ref(sheet, rows[i], column) if column is not None else str(rows[i]),
        f.vocabulary if f.kind == "bool" else None)
    if f.kind == "bool" and ticked and column is not None and all(map(is_blank, raw)):
        return replace(reading, blank=False)
    return reading


def unknown_unit(f: Field, written: str, sheet: str, row: int, column: int | None) -> Failure:
    """HEADER_UNIT_UNKNOWN at the cell that names a unit the field cannot be converted from."""
    where = cell_ref(sheet, row, column) if column is not None else sheet
    return Failure("HEADER_UNIT_UNKNOWN", sheet, row, f.name, where, show(written),
                   {"header": f.header, "unit": f.unit})


def columns_frame(sheet: Sheet, parts: list[dict[str, list]]) -> pd.DataFrame:
    """One frame of the typed columns of one or many returns, each field in its dtype."""
    def joined(name: str) -> list:
        return [v for part in parts for v in part[name]]
    frame = pd.DataFrame({f.name: pd.Series(joined(f.name), dtype=object if f.kind == "date"
                                            else f.dtype) for f in sheet.stored_fields})
    for f in sheet.stored_fields:
        if f.kind == "date":
            frame[f.name] = pd.to_datetime(frame[f.name]).astype(f.dtype)
    frame["_row"] = pd.Series(joined("_row"), dtype="Int64")
    return frame
