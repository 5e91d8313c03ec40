"""One uploaded return checked against the published warehouse, the warehouse left
untouched: the nightly run's validation (unions already known) and its cross-return and
cross-period checks (warehouse/sql/quality/), run in an in-memory DuckDB into which only
the rows those checks need are copied from the published file, attached READ_ONLY.

What is copied: the reference tables, and of raw.submissions the accepted returns of the
upload's period (a cooperative reported by two districts) and of its district (the
previous accepted return: vanished cooperatives, implausible changes), with their roster
rows. Then the upload is loaded as the nightly run loads a new file, and the same
queries run. A publish never waits for this, and this never sees a half-published file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from intake.inbox import IncomingFile
from transforms.returns import ReturnRead

try:  # the checks' new name (transforms/returns.py is being changed as this is written)
    from transforms.returns import check_return as _checked
except ImportError:
    from transforms.returns import validate_return as _checked
from warehouse import store
from warehouse.batch import to_batch
from warehouse.cross_checks import warehouse_failures
from warehouse.db import MEMORY_LIMIT

CHECK_RUN = "portal-check"
REFERENCE = ("ref.reporting_units", "ref.sectors", "ref.indicators", "ref.targets",
             "ref.rules", "ref.periods")
# The published rows the checks read (constant SQL, parameters bound).
COPY_SUBMISSIONS = """
INSERT INTO raw.submissions BY NAME
SELECT * FROM published.raw.submissions
WHERE status = 'accepted' AND file_hash <> $file_hash
  AND (period = $period OR district_code = $district)
"""
COPY_COOP_ROWS = """
INSERT INTO raw.coop_rows BY NAME
SELECT * FROM published.raw.coop_rows
WHERE file_hash IN (SELECT file_hash FROM raw.submissions)
"""


def check_against_published(published: Path | None, file: IncomingFile, read: ReturnRead,
                            deadlines: tuple[int, tuple[int, int]],
                            reference: tuple[pd.DataFrame, pd.DataFrame]
                            ) -> tuple[ReturnRead, pd.DataFrame]:
    """(`read` with the failures of the nightly run's checks, the cross-return failures
    found against the published warehouse at `published` as rows of
    quality.validation_failures). Without a published warehouse the reference tables come
    from `reference` (reporting units, targets) and there is nothing to cross-check."""
    with duckdb.connect(":memory:", config={"memory_limit": MEMORY_LIMIT}) as con:
        store.ensure_schema(con)
        if published is not None and published.exists():
            known = _copy_published(con, published, read, file.sha256)
        else:
            store.load_reference(con, *reference)
            known = frozenset()
        read = _checked(read, known)
        if not read.readable:
            return read, pd.DataFrame()
        store.add_periods(con, [read.period] if read.period else [], deadlines)
        batch = to_batch([(file, read, str(file.path))], CHECK_RUN)
        store.load_batch(con, batch)
        findings = store.warehouse_checks(con, batch.submissions)
        return read, warehouse_failures(findings, {file.sha256: read}, store.unit_names(con))


def _copy_published(con: duckdb.DuckDBPyConnection, published: Path, read: ReturnRead,
                    file_hash: str) -> frozenset[str]:
    """Copy what the checks need from the published file; the unions it knows."""
    con.execute("ATTACH ? AS published (READ_ONLY)", [str(published)])
    try:
        for table in REFERENCE:
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM published.{table}")
        con.execute(COPY_SUBMISSIONS, {"file_hash": file_hash,
                                       "period": read.period.code if read.period else None,
                                       "district": read.unit_code})
        con.execute(COPY_COOP_ROWS)
        con.execute("USE published")
        try:
            return store.known_unions(con)
        finally:
            con.execute("USE memory")
    finally:
        con.execute("DETACH published")


def incoming(path: Path, name: str, sha256: str, size: int) -> IncomingFile:
    """An upload as the inbox would have found it (received now)."""
    return IncomingFile(path, name, sha256, size, dt.datetime.now(dt.timezone.utc))
