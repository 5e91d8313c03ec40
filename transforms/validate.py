"""Checking a parsed return: the pandera schema of each table sheet (lazily, every failure),
then the row rules of the catalogue, then the within-return rules that need no warehouse.
Reconciliation of declared totals with the roster runs in SQL once rows are loaded
(warehouse/sql/quality/reconcile_totals.sql)."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from contracts.fields import Sheet
from contracts.rules import ROW_RULES, RowContext, Rule
from contracts.schemas import check_rule, sheet_schema
from transforms.failures import Failure, cell_ref, show


def schema_failures(frame: pd.DataFrame, sheet: Sheet, grid_name: str,
                    columns: dict[str, int], already: set[tuple[int, str]]) -> list[Failure]:
    """pandera's failure cases as failures; cells already reported unreadable are skipped
    (an unreadable value is not also 'missing')."""
    try:
        sheet_schema(sheet).validate(frame, lazy=True)
        return []
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    failures = []
    for case in cases.itertuples(index=False):
        if case.column not in columns or pd.isna(case.index):
            continue
        row = int(frame["_row"].iloc[int(case.index)])
        if (row, case.column) in already:
            continue
        f = sheet.field(case.column)
        code = check_rule(f, case.check_number, str(case.check))
        failures.append(Failure(code, grid_name, row, f.name,
                                cell_ref(grid_name, row, columns[f.name]),
                                show(case.failure_case),
                                _params(f, code, frame, case.failure_case)))
    return failures


def _params(f, code: str, frame: pd.DataFrame, value: object) -> dict:
    params = {"header": f.header}
    if code == "VALUE_NEGATIVE":
        params["minimum"] = show(f.min_value)
    elif code == "VALUE_NOT_ALLOWED" and f.vocabulary is not None:
        params["allowed"] = ", ".join(t.name_vi for t in f.vocabulary.terms)
    elif code == "ID_DUPLICATE":
        params["rows"] = ", ".join(str(r) for r in frame.loc[frame[f.name] == value, "_row"])
    return params


def row_rule_failures(frame: pd.DataFrame, sheet: Sheet, grid_name: str,
                      columns: dict[str, int], context: RowContext
                      ) -> tuple[list[Failure], list[dict]]:
    """Every row rule of the catalogue that applies to this sheet, on rows whose operands
    are all present: a missing operand skips the rule for that row, never counts as zero.
    Also, per rule, how many rows it checked and skipped, so skipping is visible."""
    failures, checks = [], []
    for rule in (r for r in ROW_RULES if r.sheet == sheet.name):
        if not set(rule.operands) <= set(frame.columns) or rule.field not in columns:
            continue
        operands = frame[list(rule.operands)]
        present = operands.notna().all(axis=1)
        fails = rule.fails(operands[present], context).fillna(False).astype(bool)
        failing = fails[fails.to_numpy()].index
        failures += [_row_failure(rule, grid_name, columns, frame.loc[i], context)
                     for i in failing]
        skipped = 0 if rule.only_when_present else int((~present).sum())
        checks.append({"rule_code": rule.code, "rows_checked": int(present.sum()),
                       "rows_skipped": skipped})
    return failures, checks


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
