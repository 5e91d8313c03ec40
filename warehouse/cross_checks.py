"""Failures found by the warehouse's cross-return and cross-period checks
(warehouse/sql/quality/), placed at their cells in the files that were just read."""

from __future__ import annotations

import re

import pandas as pd

from contracts.return_form import ROSTER
from warehouse.batch import context
from transforms.failures import Failure, cell_ref, failures_frame, show
from transforms.returns import ReturnRead


def _roster_cell(read: ReturnRead, row: int, field: str) -> tuple[str, str | None]:
    table = read.tables[ROSTER.name]
    column = table.columns.get(field)
    return table.grid_name, cell_ref(table.grid_name, row, column) if column is not None else None


def total_mismatches(frame: pd.DataFrame, reads: dict[str, ReturnRead]) -> list[tuple]:
    out = []
    for m in frame.itertuples(index=False):
        sheet, row = re.fullmatch(r"(.*)!\D+(\d+)", m.cell).groups()
        out.append((m.file_hash, Failure(
            "TOTAL_MISMATCH", sheet, int(row), m.field, m.cell, show(m.declared),
            {"header": m.header, "computed": show(m.computed)})))
    return out


def coops_in_two_districts(frame: pd.DataFrame, reads: dict[str, ReturnRead],
                           unit_names: dict[str, str]) -> list[tuple]:
    out = []
    for m in frame.itertuples(index=False):
        sheet, cell = _roster_cell(reads[m.file_hash], m.source_row, "coop_id")
        out.append((m.file_hash, Failure(
            "COOP_IN_TWO_DISTRICTS", sheet, m.source_row, "coop_id", cell, m.coop_id,
            {"period": m.period, "other_district": unit_names.get(m.other_district,
                                                                  m.other_district),
             "other_file": m.other_file, "other_row": show(m.other_row)})))
    return out


def vanished_coops(frame: pd.DataFrame, reads: dict[str, ReturnRead]) -> list[tuple]:
    out = []
    for m in frame.itertuples(index=False):
        sheet = reads[m.file_hash].tables[ROSTER.name].grid_name
        out.append((m.file_hash, Failure(
            "COOP_VANISHED", sheet, None, "coop_id", None, m.coop_id,
            {"name": show(m.name), "previous_period": m.previous_period})))
    return out


def implausible_changes(frame: pd.DataFrame, reads: dict[str, ReturnRead]) -> list[tuple]:
    out = []
    for m in frame.itertuples(index=False):
        sheet, cell = _roster_cell(reads[m.file_hash], m.source_row, m.field)
        ratio = "∞" if pd.isna(m.ratio) else show(round(m.ratio, 1))
        out.append((m.file_hash, Failure(
            "IMPLAUSIBLE_CHANGE", sheet, m.source_row, m.field, cell, show(m.now),
            {"header": ROSTER.field(m.field).header, "previous": show(m.prev),
             "previous_period": m.previous_period, "ratio": ratio})))
    return out


def findings_frame(found: list[tuple], reads: dict[str, ReturnRead]) -> pd.DataFrame:
    """(file hash, failure) pairs as rows of quality.validation_failures."""
    frames = []
    for file_hash in dict.fromkeys(h for h, _ in found):
        frames.append(failures_frame([f for h, f in found if h == file_hash], file_hash,
                                     **context(reads[file_hash])))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def warehouse_failures(findings: dict[str, pd.DataFrame], reads: dict[str, ReturnRead],
                       unit_names: dict[str, str]) -> pd.DataFrame:
    """Every finding of warehouse.store.warehouse_checks as failure rows."""
    empty = pd.DataFrame()
    found = (total_mismatches(findings.get("TOTAL_MISMATCH", empty), reads)
             + coops_in_two_districts(findings.get("COOP_IN_TWO_DISTRICTS", empty), reads,
                                      unit_names)
             + vanished_coops(findings.get("COOP_VANISHED", empty), reads)
             + implausible_changes(findings.get("IMPLAUSIBLE_CHANGE", empty), reads))
    return findings_frame(found, reads)
