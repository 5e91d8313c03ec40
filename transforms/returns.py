"""One district return, from its file to typed columns and the failures found on the way.

`read_return` does everything that needs only the file; `check_return` adds what needs
the warehouse's knowledge (unions already known). Neither raises on bad input: a file that
cannot be read becomes a return with a FILE_UNREADABLE failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from contracts.return_form import COVER, RETURN_FORM, TASKS, TOTALS, UNIONS
from contracts.rules import RowContext
from transforms.decode import decode_grid
from transforms.failures import Failure, cell_ref, show
from transforms.fonts import cell_fonts, declared_encoding, declared_fonts
from transforms.cell_values import column_reading
from transforms.columns import columns_frame, parse_value, typed_columns, unknown_unit
from transforms.quantities import conversion
from transforms.periods import Period, parse_period
from transforms.layout import (
    Table,
    assign_sheets,
    declared_count,
    read_labels,
    read_table,
)
from transforms.reporting_units import resolve_unit, units_valid_on
from transforms.checks import (
    Part,
    has_row_rules,
    row_rule_failures_many,
    schema_failures_many,
    stack,
    task_count_failure,
)
from transforms.workbook import Grid, UnreadableFile, read_book


DECLARED_COLUMNS = ["field", "header", "indicator_code", "sector", "declared", "cell"]


@dataclass
class ReturnRead:
    """What one file holds once read and checked."""

    file_name: str
    readable: bool = True
    unit_code: str | None = None
    period: Period | None = None
    cover: dict[str, object] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)  # sheet name -> raw table
    # sheet name -> typed columns (field -> values, and `_row`), see parse.typed_columns
    columns: dict[str, dict[str, list]] = field(default_factory=dict)
    declared: list[dict] = field(default_factory=list)  # Tong_hop figures, DECLARED_COLUMNS
    failures: list[Failure] = field(default_factory=list)
    rule_checks: list[dict] = field(default_factory=list)  # row rules: rows checked/skipped

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.failures)

    @property
    def totals(self) -> pd.DataFrame:
        """The figures the return declares in Tong_hop, one row each."""
        return pd.DataFrame(self.declared, columns=DECLARED_COLUMNS)

    @property
    def frames(self) -> dict[str, pd.DataFrame]:
        """Each table sheet's typed rows as a frame (built on demand: a run stacks the
        columns of all its returns instead)."""
        return {name: columns_frame(self.tables[name].sheet, [columns])
                for name, columns in self.columns.items()}


def read_return(path: Path, units: pd.DataFrame, file_name: str | None = None) -> ReturnRead:
    """Read and parse one file; every problem becomes a failure, never an exception.
    Even an unforeseen error in the reader only makes this one file unreadable."""
    name = file_name or path.name
    try:
        return _read(path, units, name)
    except UnreadableFile as exc:
        return unreadable(name, exc.rule, exc.reason_vi)
    except Exception as exc:  # noqa: BLE001 - one bad file must never stop the run
        return unreadable(name, "FILE_UNREADABLE",
                          f"lỗi không lường trước khi đọc tệp ({type(exc).__name__}: {exc}); "
                          "tệp gốc đã được lưu để kiểm tra")


def unicode_grids(path: Path, grids: list[Grid]) -> list[Grid]:
    """The sheets with text typed in TCVN3 or VNI turned into Unicode."""
    declared = declared_fonts(path)
    fonts = cell_fonts(path, declared)
    return [decode_grid(g, declared_encoding(declared), fonts.get(g.name, {})) for g in grids]


def unreadable(file_name: str, rule: str, reason_vi: str) -> ReturnRead:
    return ReturnRead(file_name, readable=False, failures=[Failure(
        rule, params={"file_name": file_name, "reason": reason_vi})])


def _read(path: Path, units: pd.DataFrame, file_name: str) -> ReturnRead:
    result = ReturnRead(file_name)
    book = read_book(path)
    if book.has_macros:
        result.failures.append(Failure("MACROS_IGNORED", params={"file_name": file_name}))
    sheets, duplicates = assign_sheets(unicode_grids(path, book.grids), RETURN_FORM)
    result.failures += [
        Failure("SHEET_DUPLICATE", sheets[name].name, params={
            "sheets": ", ".join(others), "used": sheets[name].name})
        for name, others in duplicates.items()]
    _read_cover(result, sheets.get(COVER.name), units)
    _read_tables(result, sheets)
    _read_totals(result, sheets.get(TOTALS.name))
    return result


def _missing_sheet(sheet) -> Failure:
    return Failure("SHEET_MISSING", sheet.name, params={"title": sheet.title_vi})


def _read_cover(result: ReturnRead, grid: Grid | None, units: pd.DataFrame) -> None:
    if grid is None:
        result.failures.append(_missing_sheet(COVER))
        return
    labels = read_labels(grid, COVER)
    for f in COVER.fields:
        found = labels.get(f.name)
        raw, row, col = (found.value, found.row, found.column) if found else (None, None, None)
        value, failure = parse_value(f, raw, grid.name, row or 0, col)
        result.cover[f.name] = value
        if failure:
            result.failures.append(failure)
        elif value is None and f.required:
            where = cell_ref(grid.name, row, col) if row else grid.name
            result.failures.append(Failure("VALUE_REQUIRED", grid.name, row, f.name, where,
                                           params={"header": f.header}))

    def where(name: str) -> tuple[int | None, str | None]:
        if name not in labels:
            return None, None
        found = labels[name]
        return found.row, cell_ref(grid.name, found.row, found.column)

    _resolve_period(result, grid.name, where("period"))
    _resolve_unit(result, grid.name, units, where("unit_name"), where("unit_code"))


def _resolve_period(result: ReturnRead, sheet: str, at: tuple) -> None:
    text = result.cover.get("period")
    if text is None:
        return
    try:
        result.period = parse_period(text)
    except ValueError:
        result.failures.append(Failure("PERIOD_UNREADABLE", sheet, at[0], "period", at[1],
                                       show(text)))


def _resolve_unit(result: ReturnRead, sheet: str, units: pd.DataFrame, name_at: tuple,
                  code_at: tuple) -> None:
    name, code = result.cover.get("unit_name"), result.cover.get("unit_code")
    if result.period is not None:  # a name valid for the period first (units change)
        valid = units_valid_on(units, result.period.end)
        by_name = (resolve_unit(name, valid) or resolve_unit(name, units)) if name else None
    else:
        by_name = resolve_unit(name, units) if name else None
    if name and by_name is None:
        result.failures.append(Failure("UNIT_UNKNOWN", sheet, name_at[0], "unit_name",
                                       name_at[1], show(name)))
    if code and by_name and str(code) != by_name:
        result.failures.append(Failure("UNIT_CODE_MISMATCH", sheet, code_at[0], "unit_code",
                                       code_at[1], show(code),
                                       {"unit_name": show(name), "expected": by_name}))
        return
    if by_name is None and not name and code and str(code) in set(units["code"]):
        by_name = str(code)  # no name on the cover: a known code is enough
    result.unit_code = by_name


def _read_tables(result: ReturnRead, sheets: dict[str, Grid]) -> None:
    for sheet in (s for s in RETURN_FORM if s.layout == "table"):
        grid = sheets.get(sheet.name)
        table = read_table(grid, sheet) if grid else None
        if table is None:
            if sheet.required:
                result.failures.append(_missing_sheet(sheet))
            continue
        result.failures += [
            Failure("COLUMN_MISSING", grid.name, table.header_row, f.name,
                    params={"header": f.header}) for f in table.missing_required]
        if table.missing_required:
            continue
        columns, failures = typed_columns(table)
        # the raw cells are parsed now: only the typed columns travel on
        result.tables[sheet.name] = replace(table, raw={})
        result.columns[sheet.name] = columns
        result.failures += failures


def _read_totals(result: ReturnRead, grid: Grid | None) -> None:
    """The figures the district declares, each in its field's unit. The values are one
    column: their text numbers decide together how an uncertain one ('3,843') reads."""
    if grid is None:
        return
    found = read_labels(grid, TOTALS)
    names = list(found)
    reading = column_reading([found[n].value for n in names],
                             lambda i: cell_ref(grid.name, found[names[i]].row,
                                                found[names[i]].column))
    records = []
    for name, cell in found.items():
        f = TOTALS.field(name)
        where = cell_ref(grid.name, cell.row, cell.column)
        factor = conversion(f, cell.unit)
        if factor is None:
            result.failures.append(unknown_unit(f, cell.unit, grid.name, cell.row,
                                                cell.unit_column))
            continue
        value, failure = parse_value(f, cell.value, grid.name, cell.row, cell.column, factor,
                                     reading)
        if failure:
            result.failures.append(failure)
        elif value is not None and f.reconciles:
            records.append({"field": name, "header": f.header, "indicator_code": f.reconciles[0],
                            "sector": f.reconciles[1], "declared": float(value), "cell": where})
    result.declared = records


def check_return(result: ReturnRead, known_unions: frozenset[str]) -> ReturnRead:
    """The read return with its schema, row-rule and work-programme failures added."""
    return check_returns([result], known_unions)[0]


def check_returns(reads: list[ReturnRead], known_unions: frozenset[str]) -> list[ReturnRead]:
    """New reads with every failure of the checks added: each sheet's pandera schema and row
    rules once over all of them (a call costs milliseconds of fixed overhead, so never one
    per file), then each return's work-programme count. The reads given are not changed."""
    failures = [list(r.failures) for r in reads]
    rule_checks = [list(r.rule_checks) for r in reads]
    for sheet in (s for s in RETURN_FORM if s.layout == "table"):
        holders = [i for i, r in enumerate(reads) if sheet.name in r.columns]
        parts = [_part(reads[i], sheet.name) for i in holders]
        stacked = stack(parts, sheet) if parts else None
        for i, found in zip(holders, schema_failures_many(parts, sheet, stacked)):
            failures[i] += found
        dated = [n for n, i in enumerate(holders) if reads[i].period is not None]  # rules need it
        if dated and has_row_rules(sheet):
            rows = stacked[stacked["_part"].isin(dated)].assign(
                _part=lambda df: df["_part"].map({p: n for n, p in enumerate(dated)}))
            contexts = [_context(reads[holders[n]], known_unions) for n in dated]
            found = row_rule_failures_many([parts[n] for n in dated], sheet, contexts, rows)
            for n, (more, checks) in zip(dated, found):
                failures[holders[n]] += more
                rule_checks[holders[n]] += checks
    return [replace(r, failures=f + _task_count(r), rule_checks=c)
            for r, f, c in zip(reads, failures, rule_checks)]


def _part(read: ReturnRead, sheet_name: str) -> Part:
    table = read.tables[sheet_name]
    unreadable = frozenset((f.row, f.column) for f in read.failures)
    return Part(read.columns[sheet_name], table.grid_name, table.columns, unreadable)


def _context(read: ReturnRead, known_unions: frozenset[str]) -> RowContext:
    """A return's row-rule context: its period, and the unions known to the warehouse or
    listed in the return itself."""
    own = [u for u in read.columns.get(UNIONS.name, {}).get("union_id", []) if u is not None]
    return RowContext(pd.Timestamp(read.period.start), pd.Timestamp(read.period.end),
                      known_unions | frozenset(own))


def _task_count(result: ReturnRead) -> list[Failure]:
    """The work-programme sheet's failure when its declared count is not its rows'."""
    if TASKS.name not in result.tables:
        return []
    table = result.tables[TASKS.name]
    declared = declared_count(table.above, TASKS.extra["declared_count_label"])
    return task_count_failure(declared, len(result.columns[TASKS.name]["_row"]), table.grid_name)