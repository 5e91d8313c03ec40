"""From raw cell values to typed columns, one parser per field kind, every unreadable
cell recorded as a failure pointing at it."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from contracts.fields import Field, Sheet
from contracts.units import CONVERSIONS
from transforms import cells
from transforms.failures import Failure, cell_ref, show
from transforms.shape import Table, unit_factor


_PARSERS: dict[tuple[str, str], Callable[[object], object]] = {}
_NUMERIC = {"integer", "number"}


def parser(f: Field) -> Callable[[object], object]:
    """The cell parser of a field's kind (built once per field)."""
    if (f.name, f.header) not in _PARSERS:
        _PARSERS[(f.name, f.header)] = _make_parser(f)
    return _PARSERS[(f.name, f.header)]


def _make_parser(f: Field) -> Callable[[object], object]:
    return {
        "text": cells.parse_text,
        "id": cells.parse_text,
        "integer": cells.parse_integer,
        "number": (lambda v: cells.parse_amount(v, CONVERSIONS[f.unit])) if f.unit in CONVERSIONS
        else cells.parse_number,
        "date": cells.parse_date,
        "bool": lambda v: cells.parse_bool(v, f.vocabulary),
        "choice": lambda v: cells.parse_choice(v, f.vocabulary),
    }[f.kind]


def parse_value(f: Field, raw: object, sheet: str, row: int, column: int | None,
                factor: float = 1.0) -> tuple[object, Failure | None]:
    """One cell: (typed value or None, failure or None)."""
    if type(raw) is float and f.kind == "number" and raw == raw:  # most cells: a number
        return (raw * factor if factor != 1.0 else raw), None
    try:
        value = parser(f)(raw)
    except cells.Unreadable as exc:
        where = cell_ref(sheet, row, column) if column is not None else None
        if f.kind == "choice":  # a word outside the list: say which words are allowed
            return None, Failure("VALUE_NOT_ALLOWED", sheet, row, f.name, where, show(raw), {
                "header": f.header, "allowed": ", ".join(t.name_vi for t in f.vocabulary.terms)})
        return None, Failure("VALUE_UNREADABLE", sheet, row, f.name, where, show(raw),
                             {"header": f.header, "expected": exc.expected_vi,
                              "expected_en": exc.expected_en})
    if value is not None and factor != 1.0:
        value = value * factor if f.kind == "number" else round(value * factor)
    return value, None


def typed_frame(table: Table) -> tuple[pd.DataFrame, list[Failure]]:
    """The table's stored fields parsed to their dtypes, plus `_row`; and the failures."""
    columns, failures = typed_columns(table)
    return columns_frame(table.sheet, [columns]), failures


def typed_columns(table: Table) -> tuple[dict[str, list], list[Failure]]:
    """typed_frame as plain lists (field -> values, and `_row`): a return's few rows are
    turned into pandas only together with every other return's (columns_frame)."""
    failures: list[Failure] = []
    rows = table.raw["_row"]
    columns: dict[str, list] = {}
    for f in table.sheet.stored_fields:
        factor = unit_factor(f, table.units.get(f.name))
        column = table.columns.get(f.name)
        if factor is None:
            failures.append(Failure(
                "HEADER_UNIT_UNKNOWN", table.grid_name, table.header_row, f.name,
                cell_ref(table.grid_name, table.header_row, column), table.units[f.name],
                {"header": f.header, "unit": f.unit}))
        values = columns[f.name] = []
        for raw, row in zip(table.raw[f.name], rows):
            value, failure = parse_value(f, raw, table.grid_name, row, column, factor or 1.0)
            values.append(value)
            if failure:
                failures.append(failure)
    columns["_row"] = rows
    return columns, failures


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
