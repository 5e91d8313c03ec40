"""From a sheet's grid to a frame of raw cell values, one column per contract field.

Sheets, headers and labels are found by matching the contract's headers and their
variants after normalization (transforms.text.key); nothing here lists a header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import pandas as pd

from contracts.fields import Field, Sheet
from contracts.units import CONVERSIONS
from transforms.text import is_blank, key, split_unit
from transforms.workbook import Grid

HEADER_SCAN_ROWS = 30
TOTAL_ROW_LABELS = ("tong cong", "cong", "tong so", "tong", "cong toan huyen")
BREAKDOWN_ROW_PREFIX = "trong do"
_NUMBERING = re.compile(r"^\(?\s*\d+\s*\)?$|^\(?[a-z]\)?$")


@cache
def _sheet_keys(sheet: Sheet) -> frozenset[str]:
    return frozenset(key(n) for n in (sheet.name, *sheet.variants))


@cache
def _field_keys(sheet: Sheet) -> dict[str, Field]:
    return {key(name): f for f in sheet.fields for name in (f.header, *f.variants)}


def find_grid(grids: list[Grid], sheet: Sheet) -> Grid | None:
    """The sheet named like `sheet` (visible ones first), or None."""
    named = [g for g in grids if key(g.name) in _sheet_keys(sheet)]
    return sorted(named, key=lambda g: g.hidden)[0] if named else None


def match_field(sheet: Sheet, text: object) -> tuple[Field, str | None] | None:
    """The field a header or label names, and the unit written beside it, if any."""
    if is_blank(text) or not isinstance(text, str):
        return None
    label, unit = split_unit(text)
    found = _field_keys(sheet).get(key(label)) or _field_keys(sheet).get(key(text))
    return (found, unit) if found else None


@dataclass
class Table:
    """A table sheet read raw: cells as found, plus where each field's column is."""

    sheet: Sheet
    grid_name: str
    header_row: int  # 1-based
    columns: dict[str, int]  # field name -> 0-based column index
    units: dict[str, str] = field(default_factory=dict)  # field name -> unit as written
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)  # object columns + "_row"
    above: list[list[object]] = field(default_factory=list)  # rows above the header

    @property
    def missing_required(self) -> list[Field]:
        return [f for f in self.sheet.fields if f.required and f.name not in self.columns]


def locate_header(rows: list[list[object]], sheet: Sheet) -> tuple[int, dict, dict] | None:
    """(0-based header row, {field: column}, {field: unit}) of the best-matching row."""
    best = None
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        columns, units = {}, {}
        for c, cell in enumerate(row):
            if (hit := match_field(sheet, cell)) and hit[0].name not in columns:
                columns[hit[0].name] = c
                if hit[1]:
                    units[hit[0].name] = hit[1]
        if len(columns) >= 2 and (best is None or len(columns) > len(best[1])):
            best = (r, columns, units)
    return best


def read_table(grid: Grid, sheet: Sheet) -> Table | None:
    """The sheet's data rows under its header; None when no header is found."""
    located = locate_header(grid.rows, sheet)
    if located is None:
        return None
    r, columns, units = located
    body = grid.rows[r + 1:]
    if body and _is_units_row(body[0]):
        units = {**_units_from_row(body[0], columns), **units}
        body, first = body[1:], r + 3
    else:
        first = r + 2
    records = [
        {**{name: _at(row, c) for name, c in columns.items()}, "_row": first + i}
        for i, row in enumerate(body)
        if not _is_skipped(row)
    ]
    names = [f.name for f in sheet.fields]
    frame = pd.DataFrame(records, columns=[*names, "_row"], dtype=object)
    return Table(sheet, grid.name, r + 1, columns, units, frame, grid.rows[:r])


def _at(row: list[object], c: int) -> object:
    return row[c] if c < len(row) else None


def _is_units_row(row: list[object]) -> bool:
    cells = [c for c in row if not is_blank(c)]
    return bool(cells) and all(
        isinstance(c, str) and (_NUMBERING.match(key(c)) or _unit_word(c)) for c in cells
    )


def _unit_word(text: str) -> str | None:
    cleaned = key(re.sub(r"^\s*\(?\s*(đơn vị( tính)?\s*:)?", "", text, flags=re.I).rstrip(")"))
    known = {key(u) for table in CONVERSIONS.values() for u in table} | {"nguoi", "htx"}
    return cleaned if cleaned in known else None


def _units_from_row(row: list[object], columns: dict[str, int]) -> dict[str, str]:
    return {name: str(row[c]) for name, c in columns.items()
            if c < len(row) and isinstance(row[c], str) and _unit_word(row[c])}


def _is_skipped(row: list[object]) -> bool:
    cells = [c for c in row if not is_blank(c)]
    if not cells:
        return True
    first_text = next((key(c) for c in cells[:3] if isinstance(c, str)), "")
    return first_text in TOTAL_ROW_LABELS or first_text.startswith(BREAKDOWN_ROW_PREFIX)


def unit_factor(f: Field, written: str | None) -> float | None:
    """Factor turning values written in `written` into the field's unit; None if unknown."""
    if written is None or f.unit is None or key(written) == key(f.unit):
        return 1.0
    cleaned = re.sub(r"^\s*(đơn vị( tính)?\s*:)?", "", written, flags=re.I)
    table = {key(u): factor for u, factor in CONVERSIONS.get(f.unit, {}).items()}
    if not table:
        return 1.0  # counts (người, HTX): a unit note changes nothing
    return table.get(key(cleaned))


@dataclass(frozen=True)
class LabelCell:
    """A labelled line's value, where it is (1-based row, 0-based column), and the unit
    written beside the label or in the line's unit column, if any."""

    value: object
    row: int
    column: int
    unit: str | None = None


def read_labels(grid: Grid, sheet: Sheet) -> dict[str, LabelCell]:
    """Each label of the sheet found in its first three columns, with the first non-blank
    cell to its right as value; a cell that only names a unit is the unit, not a value."""
    found: dict[str, LabelCell] = {}
    for r, row in enumerate(grid.rows):
        for c, cell in enumerate(row[:3]):
            hit = match_field(sheet, cell)
            if hit and hit[0].name not in found:
                found[hit[0].name] = _label_value(row, r, c, hit[0], hit[1])
                break
    return found


def _label_value(row: list[object], r: int, c: int, f: Field, unit: str | None) -> LabelCell:
    rest = [j for j in range(c + 1, len(row)) if not is_blank(row[j])]
    if rest and isinstance(row[rest[0]], str) and f.unit and _names_unit(f, row[rest[0]]):
        return LabelCell(None, r + 1, c + 1, unit or row[rest[0]])
    at = rest[0] if rest else c + 1
    following = rest[1] if len(rest) > 1 else None
    if following is not None and isinstance(row[following], str) and _names_unit(f, row[following]):
        unit = unit or row[following]
    return LabelCell(_at(row, at), r + 1, at, unit)


def _names_unit(f: Field, text: str) -> bool:
    return key(text) == key(f.unit or "") or unit_factor(f, text) not in (None, 1.0) or \
        _unit_word(text) is not None


def declared_count(rows: list[list[object]], label: str) -> tuple[int, int, int] | None:
    """A count declared above a table: 'label | 38' or '… 38 nhiệm vụ chi tiết …'.
    Returns (count, 1-based row, 0-based column)."""
    wanted = key(label)
    words = wanted.split()[1:]  # "so nhiem vu chi tiet" -> "nhiem vu chi tiet"
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if not isinstance(cell, str):
                continue
            if key(cell) == wanted:
                nxt = next((j for j in range(c + 1, len(row)) if not is_blank(row[j])), None)
                if nxt is not None and isinstance(row[nxt], (int, float)):
                    return int(row[nxt]), r + 1, nxt
            elif m := re.search(r"(\d+) " + " ".join(words), key(cell)):
                return int(m.group(1)), r + 1, c
    return None
