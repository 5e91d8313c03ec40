"""A run's new returns as the frames the warehouse loads (pure: no I/O)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from contracts.return_form import ROSTER, UNIONS
from transforms.failures import failures_frame
from transforms.inbox import IncomingFile
from transforms.returns import ReturnRead


@dataclass
class LoadBatch:
    submissions: pd.DataFrame
    coop_rows: pd.DataFrame
    union_rows: pd.DataFrame
    declared_totals: pd.DataFrame
    failures: pd.DataFrame
    rule_checks: pd.DataFrame


def submission_record(file: IncomingFile, read: ReturnRead, archived: str, run_id: str) -> dict:
    return {
        "file_hash": file.sha256, "file_name": file.name, "file_size": file.size,
        "archived_path": archived, "district_code": read.unit_code,
        "period": read.period.code if read.period else None,
        "received_at": file.received_at, "run_id": run_id, "readable": read.readable,
        "preparer": read.cover.get("preparer"), "prepared_on": read.cover.get("prepared_on"),
        "contact": read.cover.get("contact"),
    }


def sheet_rows(file: IncomingFile, read: ReturnRead, sheet_name: str) -> pd.DataFrame | None:
    """A table sheet's typed rows with their provenance (file hash, sheet, row)."""
    frame = read.frames.get(sheet_name)
    if frame is None:
        return None
    return (frame.rename(columns={"_row": "source_row"})
            .assign(file_hash=file.sha256, sheet=read.tables[sheet_name].grid_name))


def with_context(failures: pd.DataFrame, read: ReturnRead) -> pd.DataFrame:
    return failures.assign(district_code=read.unit_code,
                           period=read.period.code if read.period else None)


def to_batch(items: list[tuple[IncomingFile, ReturnRead, str]], run_id: str) -> LoadBatch:
    """(file, its read, its archived path) for each new file -> the frames to load."""
    subs = [submission_record(f, r, a, run_id) for f, r, a in items]
    coops = [x for f, r, _ in items if (x := sheet_rows(f, r, ROSTER.name)) is not None]
    unions = [x for f, r, _ in items if (x := sheet_rows(f, r, UNIONS.name)) is not None]
    totals = [r.totals.assign(file_hash=f.sha256) for f, r, _ in items
              if ROSTER.name in r.frames and not r.totals.empty]
    fails = [with_context(failures_frame(r.failures, f.sha256), r) for f, r, _ in items]
    checks = [pd.DataFrame(r.rule_checks).assign(file_hash=f.sha256) for f, r, _ in items
              if r.rule_checks]
    return LoadBatch(pd.DataFrame(subs), _concat(coops), _concat(unions), _concat(totals),
                     _concat(fails), _concat(checks))


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
