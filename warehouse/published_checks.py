"""One uploaded return checked against the published warehouse, the warehouse left
untouched: the nightly run's validation (unions already known) and its cross-return and
cross-period checks (warehouse/sql/quality/), run on a private copy of the published
file in a temporary folder.

The copy is read from one open file: a publish replaces the file (rename), so the copy
is one published state, never half of two, and a publish never waits for it. On the
copy the upload is loaded exactly as the nightly run loads a new file (warehouse.store),
whatever the warehouse's models are, and the same queries run; the copy is then deleted.
(Measured on the demo province: about 1 s for a return, the copy a few milliseconds.)
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from intake.inbox import IncomingFile
from transforms.returns import ReturnRead, check_return
from warehouse import db, store
from warehouse.batch import to_batch
from warehouse.cross_checks import file_layouts, warehouse_failures
from warehouse.db import connect


CHECK_RUN = "portal-check"
CROSS_RULES = ["TOTAL_MISMATCH", "COOP_IN_TWO_DISTRICTS", "COOP_VANISHED",
               "IMPLAUSIBLE_CHANGE"]  # what warehouse_checks finds


def check_against_published(published: Path | None, file: IncomingFile, read: ReturnRead,
                            deadlines: tuple[int, tuple[int, int]],
                            reference: tuple[pd.DataFrame, pd.DataFrame]
                            ) -> tuple[ReturnRead, pd.DataFrame]:
    """(`read` with the failures of the nightly run's checks, the cross-return failures
    found against the published warehouse at `published` as rows of
    quality.validation_failures). Without a published warehouse the reference tables come
    from `reference` (reporting units, targets) and there is nothing to cross-check."""
    with tempfile.TemporaryDirectory(prefix="htx-check-") as folder:
        copy = Path(folder) / "check.duckdb"
        have = published is not None and _copy(published, copy)
        with connect(copy) as con:
            store.ensure_schema(con)
            if not have:
                store.load_reference(con, *reference)
            read = check_return(read, store.known_unions(con))
            if not read.readable:
                return read, pd.DataFrame()
            store.add_periods(con, [read.period] if read.period else [], deadlines)
            batch = to_batch([(file, read, str(file.path))], CHECK_RUN)
            if file.sha256 in store.known_hashes(con):  # sent before: what was found then
                return read, db.query(con, "report/known_findings.sql",
                                     file_hash=file.sha256, rules=CROSS_RULES)
            store.load_batch(con, batch)
            findings = store.warehouse_checks(con, batch.submissions)
            return read, warehouse_failures(
                findings, file_layouts(batch.submissions, batch.roster_layouts),
                store.unit_names(con))


def _copy(published: Path, copy: Path) -> bool:
    """Copy the published file (one state of it); False when there is none."""
    try:
        source = open(published, "rb")
    except FileNotFoundError:
        return False
    with source, open(copy, "wb") as target:
        shutil.copyfileobj(source, target, 1 << 20)
    os.chmod(copy, 0o600)
    return True


def incoming(path: Path, name: str, sha256: str, size: int) -> IncomingFile:
    """An upload as the inbox would have found it (received now)."""
    return IncomingFile(path, name, sha256, size, dt.datetime.now(dt.timezone.utc))
