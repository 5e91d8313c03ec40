"""Statuses are derived by models, never written into the rows they are derived from: raw.*
and quality.* hold what was received and found, and only the loads (warehouse/sql/load/)
and the conversions of older warehouses (warehouse/sql/builds/) write them. No other SQL
of the warehouse changes a raw or quality table, and a run's models leave them as loaded."""

from __future__ import annotations

import re

import duckdb
import pandas as pd
import pytest

from tests.fixtures.statuses import error_id, load
from warehouse import store
from warehouse.catalog import TABLES
from warehouse.db import SQL_DIR

WRITERS = ("load", "builds")  # the folders allowed to write raw and quality
_NAME = r'(?:"?(?:raw|quality)"?\s*\.\s*"?\w+"?)'
_WRITE = re.compile(
    r"\b(?:UPDATE\s+(?:ONLY\s+)?" + _NAME
    + r"|DELETE\s+(?:FROM\s+)?" + _NAME
    + r"|TRUNCATE\s+(?:TABLE\s+)?" + _NAME
    + r"|MERGE\s+INTO\s+" + _NAME
    + r"|INSERT\s+(?:OR\s+(?:REPLACE|IGNORE)\s+)?INTO\s+" + _NAME
    + r"|ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?" + _NAME
    + r"|DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?" + _NAME + r")",
    re.IGNORECASE)
_COMMENT = re.compile(r"--[^\n]*")


def writes_to_raw_or_quality(sql: str) -> list[str]:
    """The statements' heads in `sql` that change a raw.* or quality.* table (comments left
    out)."""
    return [" ".join(m.group(0).split()) for m in _WRITE.finditer(_COMMENT.sub("", sql))]


# What the models did before statuses were derived (models/05 and 10, shortened), and
# other ways of writing the same, each caught; reads and writes elsewhere are not.
CAUGHT = [
    "UPDATE quality.validation_failures\nSET waived = failure_id IN (SELECT 1);",
    "UPDATE raw.submissions AS s\nSET version = v.version, status = v.status\nFROM v",
    'update "raw"."submissions_received" set status = 1',
    "DELETE FROM quality.failures_found WHERE failure_id = $id;",
    "INSERT OR REPLACE INTO raw.submissions_received SELECT * FROM t;",
    "TRUNCATE quality.waivers;",
    "ALTER TABLE raw.submissions_received DROP COLUMN contact;",
]
NOT_CAUGHT = [
    "SELECT file_hash FROM raw.submissions WHERE status = 'accepted';",
    "DELETE FROM core.submission_status;",
    "DELETE FROM mart.completeness WHERE period IN (SELECT period FROM changed_periods);",
    "-- UPDATE raw.submissions was how this was done once\nSELECT 1;",
    "CREATE TABLE IF NOT EXISTS raw.submissions_received (file_hash VARCHAR);",
    "SELECT * FROM quality.validation_failures AS updated_failures;",
]


@pytest.mark.parametrize("sql", CAUGHT)
def test_the_detector_catches_a_write_to_raw_or_quality(sql):
    assert writes_to_raw_or_quality(sql)


@pytest.mark.parametrize("sql", NOT_CAUGHT)
def test_the_detector_leaves_reads_and_other_schemas_alone(sql):
    assert writes_to_raw_or_quality(sql) == []


def test_only_loads_and_conversions_write_raw_or_quality():
    found = {str(p.relative_to(SQL_DIR)): writes_to_raw_or_quality(p.read_text("utf-8"))
             for p in sorted(SQL_DIR.rglob("*.sql"))
             if p.relative_to(SQL_DIR).parts[0] not in WRITERS}
    assert {name: heads for name, heads in found.items() if heads} == {}
    assert "models/10_submission_status.sql" in found  # the models were looked at


def test_the_loads_do_write_them():
    """The detector sees the real loads (so the test above is not vacuous)."""
    load = SQL_DIR / "load"
    assert writes_to_raw_or_quality((load / "submissions.sql").read_text("utf-8"))
    assert writes_to_raw_or_quality((load / "failures.sql").read_text("utf-8"))


def test_the_public_views_are_catalogued_as_views():
    with duckdb.connect() as con:
        store.ensure_schema(con)
        views = {v for (v,) in con.execute(
            "SELECT schema_name || '.' || view_name FROM duckdb_views() WHERE NOT internal")
            .fetchall()}
    assert views == {t.name for t in TABLES if t.kind == "view"} \
        == {"raw.submissions", "quality.validation_failures", "ops.locked_periods"}


def _base(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    names = [n for (n,) in con.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
        "WHERE schema_name IN ('raw', 'quality') ORDER BY 1").fetchall()]
    return {n: con.execute(f"FROM {n} ORDER BY ALL").df() for n in names}


def test_a_run_s_models_leave_raw_and_quality_as_loaded():
    """Loaded files with a correction, errors, a warning and an unreadable file; the models
    run, a waiver is recorded, the models run again: each run leaves every raw and quality
    table as it was before it, and the waiver is the one row a steward added."""
    with duckdb.connect() as con:
        load(con)
        loaded = _base(con)
        store.materialize(con, "r1")
        assert_same(_base(con), loaded)
        store.add_waiver(con, error_id("b1"), "đã xác minh với huyện", "kiểm thử")
        waived = _base(con)
        assert len(waived["quality.waivers"]) == 1
        store.materialize(con, "r2")
        assert_same(_base(con), waived)
        assert con.execute("SELECT status FROM raw.submissions WHERE file_hash = 'b1'") \
            .fetchone() == ("accepted",)


def assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)
