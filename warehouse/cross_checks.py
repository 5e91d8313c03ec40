"""Failures found by the warehouse's cross-return and cross-period checks
(warehouse/sql/quality/), placed at their cells in the files that were just read.

What a finding needs of its file is small and comes from the load batch itself: the
file's district and period (its submission row) and where its roster's columns are
(`roster_layouts`), so the checks run on what was loaded, wherever it was read."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from contracts.return_form import ROSTER
from transforms.failures import Failure, cell_ref, failures_frame, show


@dataclass(frozen=True)
class FileLayout:
    """Of one new file: its district and period, and its roster sheet and columns."""

    district_code: str | None
    period: str | None
    roster_sheet: str | None
    roster_columns: dict[str, int]


def file_layouts(submissions: pd.DataFrame, roster_layouts: pd.DataFrame
                 ) -> dict[str, FileLayout]:
    """file hash -> its FileLayout, from a batch's submissions and roster layouts."""
    columns: dict[str, dict[str, int]] = {}
    sheets: dict[str, str] = {}
    for r in roster_layouts.itertuples(index=False):
        columns.setdefault(r.file_hash, {})[r.field] = int(r.column)
        sheets[r.file_hash] = r.sheet
    return {s.file_hash: FileLayout(_text(s.district_code), _text(s.period),
                                    sheets.get(s.file_hash), columns.get(s.file_hash, {}))
            for s in submissions.itertuples(index=False)}


def _text(value: object) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def _roster_cell(layout: FileLayout, row: int, field: str) -> tuple[str, str | None]:
    column = layout.roster_columns.get(field)
    sheet = layout.roster_sheet or ROSTER.name
    return sheet, cell_ref(sheet, row, column) if column is not None else None


def total_mismatches(frame: pd.DataFrame) -> list[tuple]:
    out = []
    for m in frame.itertuples(index=False):
        sheet, row = re.fullmatch(r"(.*)!\D+(\d+)", m.cell).groups()
        out.append((m.file_hash, Failure(
            "TOTAL_MISMATCH", sheet, int(row), m.field, m.cell, show(m.declared),
            {"header": m.header, "computed": show(m.computed)})))
    return out


def coops_in_two_districts(frame: pd.DataFrame, layouts: dict[str, FileLayout],
                           unit_names: dict[str, str]) -> list[tuple]:
    out = []
    for m in frame.itertuples(index=False):
        sheet, cell = _roster_cell(layouts[m.file_hash], m.source_row, "coop_id")
        out.append((m.file_hash, Failure(
            "COOP_IN_TWO_DISTRICTS", sheet, m.source_row, "coop_id", cell, m.coop_id,
            {"period": m.period, "other_district": unit_names.get(m.other_district,
                                                                  m.other_district),
             "other_file": m.other_file, "other_row": show(m.other_row)})))
    return out


def vanished_coops(frame: pd.DataFrame, layouts: dict[str, FileLayout]) -> list[tuple]:
    out = []
    for m in frame.itertuples(index=False):
        sheet = layouts[m.file_hash].roster_sheet or ROSTER.name
        out.append((m.file_hash, Failure(
            "COOP_VANISHED", sheet, None, "coop_id", None, m.coop_id,
            {"name": show(m.name), "previous_period": m.previous_period})))
    return out


def implausible_changes(frame: pd.DataFrame, layouts: dict[str, FileLayout]) -> list[tuple]:
    out = []
    for m in frame.itertuples(index=False):
        sheet, cell = _roster_cell(layouts[m.file_hash], m.source_row, m.field)
        ratio = "∞" if pd.isna(m.ratio) else show(round(m.ratio, 1))
        out.append((m.file_hash, Failure(
            "IMPLAUSIBLE_CHANGE", sheet, m.source_row, m.field, cell, show(m.now),
            {"header": ROSTER.field(m.field).header, "previous": show(m.prev),
             "previous_period": m.previous_period, "ratio": ratio})))
    return out


def findings_frame(found: list[tuple], layouts: dict[str, FileLayout]) -> pd.DataFrame:
    """(file hash, failure) pairs as rows of quality.validation_failures."""
    frames = []
    for file_hash in dict.fromkeys(h for h, _ in found):
        layout = layouts[file_hash]
        frames.append(failures_frame([f for h, f in found if h == file_hash], file_hash,
                                     district_code=layout.district_code,
                                     period=layout.period))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def warehouse_failures(findings: dict[str, pd.DataFrame], layouts: dict[str, FileLayout],
                       unit_names: dict[str, str]) -> pd.DataFrame:
    """Every finding of warehouse.store.warehouse_checks as failure rows."""
    empty = pd.DataFrame()
    found = (total_mismatches(findings.get("TOTAL_MISMATCH", empty))
             + coops_in_two_districts(findings.get("COOP_IN_TWO_DISTRICTS", empty), layouts,
                                      unit_names)
             + vanished_coops(findings.get("COOP_VANISHED", empty), layouts)
             + implausible_changes(findings.get("IMPLAUSIBLE_CHANGE", empty), layouts))
    return findings_frame(found, layouts)
