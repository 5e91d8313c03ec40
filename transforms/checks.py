"""Checking a parsed return: the pandera schema of each table sheet (lazily, every failure),
then the row rules of the catalogue, then the within-return rules that need no warehouse.
Reconciliation of declared totals with the roster runs in SQL once rows are loaded
(warehouse/sql/quality/reconcile_totals.sql)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from contracts.fields import Sheet
from contracts.rules import ROW_RULES, RowContext, Rule
from contracts.schemas import check_rule, sheet_schema
from transforms.failures import Failure, cell_ref, show
from transforms.columns import columns_frame


@dataclass(frozen=True)
class Part:
    """One file's typed rows of one sheet (parse.typed_columns), where they came from,
    and the cells (row, field) already reported unreadable (an unreadable value is not
    also 'missing')."""

    values: dict[str, list]
    grid_name: str
    columns: dict[str, int]
    already: frozenset = frozenset()


def schema_failures(frame: pd.DataFrame, sheet: Sheet, grid_name: str,
                    columns: dict[str, int], already: set[tuple[int, str]]) -> list[Failure]:
    """pandera's failure cases of one file's sheet, as failures."""
    part = Part(_as_columns(frame), grid_name, columns, frozenset(already))
    return schema_failures_many([part], sheet)[0]


def schema_failures_many(parts: list[Part], sheet: Sheet,
                         stacked: pd.DataFrame | None = None) -> list[list[Failure]]:
    """One pandera validation over every file's rows of a sheet (a call costs milliseconds
    of fixed overhead, so never one per file); fields unique within a return are checked
    per file apart. Returns each part's failures."""
    out: list[list[Failure]] = [[] for _ in parts]
    if not parts:
        return out
    stacked = stack(parts, sheet) if stacked is None else stacked
    for case in _failure_cases(stacked, sheet).itertuples(index=False):
        if pd.isna(case.index):
            continue
        at = stacked.iloc[int(case.index)]
        part = parts[int(at["_part"])]
        f = sheet.field(case.column) if case.column in part.columns else None
        if f is not None and (int(at["_row"]), f.name) not in part.already:
            code = check_rule(f, case.check_number, str(case.check))
            out[int(at["_part"])].append(_cell_failure(code, f, part, int(at["_row"]),
                                                       case.failure_case, {}))
    for f in (f for f in sheet.stored_fields if f.unique):
        _duplicates(stacked, f, parts, out)
    return out


def _failure_cases(stacked: pd.DataFrame, sheet: Sheet) -> pd.DataFrame:
    try:
        sheet_schema(sheet, unique=False).validate(stacked, lazy=True)
    except pa.errors.SchemaErrors as errors:
        return errors.failure_cases
    return pd.DataFrame(columns=["column", "check", "check_number", "failure_case", "index"])


def _duplicates(stacked: pd.DataFrame, f, parts: list[Part], out: list[list[Failure]]) -> None:
    """A value of a unique field repeated within one file: every copy, naming the rows."""
    repeated = stacked[f.name].notna() & stacked.duplicated(["_part", f.name], keep=False)
    for (i, value), rows in stacked[repeated].groupby(["_part", f.name], sort=False):
        listed = ", ".join(str(r) for r in rows["_row"])
        for row in rows["_row"]:
            if f.name in parts[i].columns and (int(row), f.name) not in parts[i].already:
                out[i].append(_cell_failure("ID_DUPLICATE", f, parts[i], int(row), value,
                                            {"rows": listed}))


def _cell_failure(code: str, f, part: Part, row: int, value: object, extra: dict) -> Failure:
    return Failure(code, part.grid_name, row, f.name,
                   cell_ref(part.grid_name, row, part.columns[f.name]), show(value),
                   _params(f, code) | extra)


def _params(f, code: str) -> dict:
    params = {"header": f.header}
    if code == "VALUE_NEGATIVE":
        params["minimum"] = show(f.min_value)
    elif code == "VALUE_NOT_ALLOWED" and f.vocabulary is not None:
        params["allowed"] = ", ".join(t.name_vi for t in f.vocabulary.terms)
    return params


def row_rule_failures(frame: pd.DataFrame, sheet: Sheet, grid_name: str,
                      columns: dict[str, int], context: RowContext
                      ) -> tuple[list[Failure], list[dict]]:
    """Every row rule of the catalogue that applies to this sheet, on rows whose operands
    are all present: a missing operand skips the rule for that row, never counts as zero.
    Also, per rule, how many rows it checked and skipped, so skipping is visible."""
    return row_rule_failures_many([Part(_as_columns(frame), grid_name, columns)], sheet,
                                  [context])[0]


def row_rule_failures_many(parts: list[Part], sheet: Sheet, contexts: list[RowContext],
                           stacked: pd.DataFrame | None = None
                           ) -> list[tuple[list[Failure], list[dict]]]:
    """row_rule_failures of many returns (each with its own context), every rule evaluated
    once over all their rows: per return, (failures, rows checked and skipped per rule)."""
    out: list[tuple[list[Failure], list[dict]]] = [([], []) for _ in parts]
    if not parts:
        return out
    stacked = stack(parts, sheet) if stacked is None else stacked
    context = _per_row(stacked, contexts)
    sizes = stacked.groupby("_part").size().reindex(range(len(parts)), fill_value=0)
    for rule in (r for r in ROW_RULES if r.sheet == sheet.name):
        if not set(rule.operands) <= set(stacked.columns):
            continue
        operands = stacked[list(rule.operands)]
        present = operands.notna().all(axis=1)
        rows = present[present.to_numpy()].index
        fails = rule.fails(operands.loc[rows], context.at(rows)).fillna(False).astype(bool)
        for i in fails.index[fails.to_numpy()]:
            p = int(stacked.at[i, "_part"])
            if rule.field in parts[p].columns:
                out[p][0].append(_row_failure(rule, parts[p].grid_name, parts[p].columns,
                                              stacked.loc[i], contexts[p]))
        checked = present.groupby(stacked["_part"]).sum().reindex(sizes.index, fill_value=0)
        for p, part in enumerate(parts):
            if rule.field in part.columns:
                skipped = 0 if rule.only_when_present else int(sizes[p] - checked[p])
                out[p][1].append({"rule_code": rule.code, "rows_checked": int(checked[p]),
                                  "rows_skipped": skipped})
    return out


def has_row_rules(sheet: Sheet) -> bool:
    return any(r.sheet == sheet.name for r in ROW_RULES)


def stack(parts: list[Part], sheet: Sheet) -> pd.DataFrame:
    """Every part's rows in one frame, `_part` saying whose."""
    stacked = columns_frame(sheet, [p.values for p in parts])
    sizes = [len(p.values["_row"]) for p in parts]
    stacked["_part"] = np.repeat(np.arange(len(parts)), sizes)
    return stacked


def _as_columns(frame: pd.DataFrame) -> dict[str, list]:
    return {name: frame[name].tolist() for name in frame.columns}


def _per_row(stacked: pd.DataFrame, contexts: list[RowContext]) -> RowContext:
    """The contexts of the parts as one context with a value per stacked row."""
    parts = stacked["_part"].to_numpy()

    def column(values: list) -> pd.Series:
        return pd.Series([values[p] for p in parts], index=stacked.index)
    return RowContext(column([c.period_start for c in contexts]),
                      column([c.period_end for c in contexts]),
                      column([c.known_unions for c in contexts]))


def _row_failure(rule: Rule, grid_name: str, columns: dict[str, int], row: pd.Series,
                 context: RowContext) -> Failure:
    r = int(row["_row"])
    params = {name: show(row[name]) for name in rule.shows}
    params |= {"period_start": show(context.period_start.date()),
               "period_end": show(context.period_end.date())}
    return Failure(rule.code, grid_name, r, rule.field, cell_ref(grid_name, r, columns[rule.field]),
                   show(row[rule.field]), params)


def task_count_failure(declared: tuple[int, int, int] | None, listed: int,
                       grid_name: str) -> list[Failure]:
    """The work programme's declared task count against the tasks it lists."""
    if declared is None or declared[0] == listed:
        return []
    count, row, column = declared
    return [Failure("TASK_COUNT_MISMATCH", grid_name, row, None,
                    cell_ref(grid_name, row, column), show(count), {"listed": show(listed)})]
