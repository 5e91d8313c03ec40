"""A run's new returns as the frames the warehouse loads.

A run reads its files in chunks, each perhaps in another process or on another machine
(flows/steps.py); each chunk's batch is saved to a file of the run's own
(intake.files.save_private) and handed on by its path, so what the orchestrator passes
between stages never grows with rows; the loader reads the batches back one at a time."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from contracts.return_form import ROSTER, UNIONS
from transforms.failures import FAILURE_COLUMNS, failure_record
from intake.inbox import IncomingFile
from transforms.columns import columns_frame
from transforms.returns import DECLARED_COLUMNS, ReturnRead


@dataclass
class LoadBatch:
    submissions: pd.DataFrame
    coop_rows: pd.DataFrame
    union_rows: pd.DataFrame
    declared_totals: pd.DataFrame
    failures: pd.DataFrame
    rule_checks: pd.DataFrame
    # where each file's roster columns are (file_hash, sheet, field, column): what the
    # warehouse's cross-return checks need to place a finding at its cell
    roster_layouts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=LAYOUT_COLUMNS))


LAYOUT_COLUMNS = ["file_hash", "sheet", "field", "column"]


def submission_record(file: IncomingFile, read: ReturnRead, archived: str, run_id: str) -> dict:
    return {
        "file_hash": file.sha256, "file_name": file.name, "file_size": file.size,
        "archived_path": archived, "district_code": read.unit_code,
        "period": read.period.code if read.period else None,
        "received_at": file.received_at, "run_id": run_id, "readable": read.readable,
        "preparer": read.cover.get("preparer"), "prepared_on": read.cover.get("prepared_on"),
        "contact": read.cover.get("contact"),
    }


def sheet_rows(items: list[tuple[IncomingFile, ReturnRead, str]], sheet_name: str
               ) -> pd.DataFrame:
    """A table sheet's typed rows of every file, with their provenance (file hash, sheet,
    row): one frame built from every file's columns, provenance added once."""
    held = [(f, r) for f, r, _ in items if sheet_name in r.columns]
    lengths = [len(r.columns[sheet_name]["_row"]) for _, r in held]
    if not any(lengths):
        return pd.DataFrame()
    sheet = held[0][1].tables[sheet_name].sheet
    stacked = columns_frame(sheet, [r.columns[sheet_name] for _, r in held])
    stacked = stacked.rename(columns={"_row": "source_row"})
    stacked["file_hash"] = np.repeat([f.sha256 for f, _ in held], lengths)
    stacked["sheet"] = np.repeat([r.tables[sheet_name].grid_name for _, r in held], lengths)
    return stacked


def context(read: ReturnRead) -> dict:
    """Where a file's failures belong: its district and period, as read from its cover."""
    return {"district_code": read.unit_code, "period": read.period.code if read.period else None}


def to_batch(items: list[tuple[IncomingFile, ReturnRead, str]], run_id: str) -> LoadBatch:
    """(file, its read, its archived path) for each new file -> the frames to load."""
    subs = [submission_record(f, r, a, run_id) for f, r, a in items]
    totals = pd.DataFrame([d | {"file_hash": f.sha256} for f, r, _ in items
                           if ROSTER.name in r.columns for d in r.declared],
                          columns=[*DECLARED_COLUMNS, "file_hash"])
    fails = pd.DataFrame([failure_record(x, f.sha256) | context(r)
                          for f, r, _ in items for x in r.failures],
                         columns=[*FAILURE_COLUMNS, "district_code", "period"])
    checks = pd.DataFrame([c | {"file_hash": f.sha256} for f, r, _ in items
                           for c in r.rule_checks])
    layouts = pd.DataFrame([(f.sha256, r.tables[ROSTER.name].grid_name, name, column)
                            for f, r, _ in items if ROSTER.name in r.tables
                            for name, column in r.tables[ROSTER.name].columns.items()],
                           columns=LAYOUT_COLUMNS)
    return LoadBatch(pd.DataFrame(subs), sheet_rows(items, ROSTER.name),
                     sheet_rows(items, UNIONS.name), totals, fails, checks, layouts)
