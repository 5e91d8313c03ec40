"""Validation failures: one record per problem, pointing at a cell, rendered from the rule
catalogue's message templates."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

import pandas as pd
from openpyxl.utils import get_column_letter

from contracts.rules import rule
from transforms.text import vi_number


@dataclass(frozen=True)
class Failure:
    rule: str
    sheet: str | None = None
    row: int | None = None  # 1-based row in the original sheet
    column: str | None = None  # contract field name
    cell: str | None = None  # "DS_HTX!K12"
    value: str | None = None  # the value found, as text
    params: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def severity(self) -> str:
        return rule(self.rule).severity

    def message(self, language: str = "vi") -> str:
        template = getattr(rule(self.rule), f"message_{language}")
        values = {"cell": self.cell or self.sheet or "", "value": self.value or "",
                  "sheet": self.sheet or "", **self.params}
        return template.format_map(_Missing(values))

    def failure_id(self, file_hash: str) -> str:
        """Stable across runs: the same problem in the same file version has the same id."""
        parts = (file_hash, self.rule, self.sheet or "", self.column or "", self.cell or "",
                 self.value or "", repr(sorted(self.params.items())))
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


class _Missing(dict):
    def __missing__(self, name: str) -> str:
        return "?"


def cell_ref(sheet: str, row: int, column_index: int) -> str:
    """'DS_HTX!K12' for a 1-based row and a 0-based column index."""
    return f"{sheet}!{get_column_letter(column_index + 1)}{row}"


def show(value: object) -> str:
    """A value as a steward reads it: Vietnamese number and date formats."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, (int, float)):
        return vi_number(value, 2)
    return str(value)


def failures_frame(failures: list[Failure], file_hash: str, **context) -> pd.DataFrame:
    """The failures of one file as rows of quality.validation_failures; `context` adds
    columns (district_code, period)."""
    return pd.DataFrame([failure_record(f, file_hash) | context for f in failures],
                        columns=[*FAILURE_COLUMNS, *context])


def failure_record(f: Failure, file_hash: str) -> dict:
    """One failure as a row of quality.validation_failures (without district and period)."""
    return {"failure_id": f.failure_id(file_hash), "file_hash": file_hash, "sheet": f.sheet,
            "row_number": f.row, "column_name": f.column, "cell": f.cell, "rule_code": f.rule,
            "severity": f.severity, "value_found": f.value, "message_vi": f.message("vi"),
            "message_en": f.message("en")}


FAILURE_COLUMNS = ["failure_id", "file_hash", "sheet", "row_number", "column_name", "cell",
                   "rule_code", "severity", "value_found", "message_vi", "message_en"]
