"""A warehouse written before statuses were derived by the models (raw.submissions and
quality.validation_failures were tables whose status columns the models updated) is
converted when this version first opens it (store.ensure_schema, builds/derive_statuses.sql):
every row kept, the public names showing the same columns, types and values, a waiver
recorded since its last run still pending, and the next run deriving the same statuses.

The old warehouse is made the way that version left one: a consolidation with a waiver
applied and one pending, its two tables then put back in their old shape
(tests/fixtures/old_status_layout.sql, the old DDL) holding the very rows it showed."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.fixtures.statuses import STATUSES, consolidate, error_id
from warehouse import db, store

OLD_DDL = Path(__file__).parent / "fixtures" / "old_status_layout.sql"
PUBLIC = ("raw.submissions", "quality.validation_failures")
DERIVED = ("raw.submissions_received", "core.submission_status", "quality.failures_found",
           "core.failure_status")


def _downgrade(path: Path) -> None:
    """Put the two public names back as the old version kept them: tables (old DDL) holding
    the rows they show, with no base or status table beside them."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TEMP TABLE old_submissions AS FROM raw.submissions")
        con.execute("CREATE TEMP TABLE old_failures AS FROM quality.validation_failures")
        for name in PUBLIC:
            con.execute(f"DROP VIEW {name}")
        for name in DERIVED:
            con.execute(f"DROP TABLE {name}")
        con.execute(OLD_DDL.read_text(encoding="utf-8"))
        con.execute("INSERT INTO raw.submissions FROM old_submissions")
        con.execute("INSERT INTO quality.validation_failures FROM old_failures")


def _public(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    return {name: con.execute(f"FROM {name} ORDER BY ALL").df() for name in PUBLIC}


def _shape(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {name: con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {name})")
            .fetchall() for name in PUBLIC}


def _kinds(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute(
        "SELECT schema_name || '.' || table_name, 'table' FROM duckdb_tables() "
        "UNION ALL SELECT schema_name || '.' || view_name, 'view' FROM duckdb_views() "
        "WHERE NOT internal").fetchall())


@pytest.fixture(scope="module")
def old(tmp_path_factory) -> tuple[Path, dict, dict]:
    """An old-layout warehouse, with the rows and column shapes it shows."""
    path = tmp_path_factory.mktemp("old") / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        consolidate(con)
    _downgrade(path)
    with duckdb.connect(str(path), read_only=True) as con:
        assert {_kinds(con)[n] for n in PUBLIC} == {"table"}
        return path, _public(con), _shape(con)


@pytest.fixture(scope="module")
def migrated(old, tmp_path_factory) -> Path:
    path, _, _ = old
    copy = tmp_path_factory.mktemp("migrated") / "w.duckdb"
    copy.write_bytes(path.read_bytes())
    with duckdb.connect(str(copy)) as con:
        store.ensure_schema(con)
    return copy


def test_the_old_tables_become_views_over_base_and_status_tables(migrated):
    with duckdb.connect(str(migrated), read_only=True) as con:
        kinds = _kinds(con)
    assert {n: kinds.get(n) for n in PUBLIC + DERIVED} == {
        "raw.submissions": "view", "quality.validation_failures": "view",
        "raw.submissions_received": "table", "core.submission_status": "table",
        "quality.failures_found": "table", "core.failure_status": "table"}


def test_every_row_column_and_status_is_kept(old, migrated):
    _, rows, shape = old
    with duckdb.connect(str(migrated), read_only=True) as con:
        assert _shape(con) == shape
        after = _public(con)
    for name in PUBLIC:
        pd.testing.assert_frame_equal(after[name], rows[name], obj=name)
    statuses = rows["raw.submissions"].set_index("file_hash")[["version", "status"]]
    assert {h: (None if pd.isna(v) else v, s) for h, (v, s) in statuses.iterrows()} == STATUSES


def test_the_base_rows_hold_only_what_was_received_and_found(old, migrated):
    _, rows, _ = old
    with duckdb.connect(str(migrated), read_only=True) as con:
        received = con.execute("FROM raw.submissions_received ORDER BY ALL").df()
        found = con.execute("FROM quality.failures_found ORDER BY ALL").df()
    pd.testing.assert_frame_equal(
        received, rows["raw.submissions"].drop(columns=["version", "status", "errors",
                                                        "warnings"]))
    pd.testing.assert_frame_equal(found, rows["quality.validation_failures"]
                                  .drop(columns=["waived"]))


def test_the_migrated_warehouse_is_commented_at_once(migrated):
    with duckdb.connect(str(migrated), read_only=True) as con:
        assert db.query(con, "builds/uncommented.sql")["missing"][0] == 0


def test_a_waiver_recorded_after_the_last_run_is_still_pending(migrated):
    with duckdb.connect(str(migrated), read_only=True) as con:
        review = db.query(con, "report/review.sql", district=None, period=None,
                          severity="error", rule=None)
    state = {r.failure_id: (r.waived, r.waiver_recorded) for r in review.itertuples()}
    assert state == {error_id("b1"): (True, True), error_id("c1"): (False, True)}


def test_opening_it_again_changes_nothing(migrated, tmp_path):
    copy = tmp_path / "again.duckdb"
    copy.write_bytes(migrated.read_bytes())
    with duckdb.connect(str(migrated), read_only=True) as con:
        before = _public(con)
    with duckdb.connect(str(copy)) as con:
        store.ensure_schema(con)
        after = _public(con)
    for name in PUBLIC:
        pd.testing.assert_frame_equal(after[name], before[name], obj=name)


def test_the_next_run_derives_the_same_statuses_and_applies_the_pending_waiver(migrated,
                                                                             tmp_path):
    copy = tmp_path / "next.duckdb"
    copy.write_bytes(migrated.read_bytes())
    with duckdb.connect(str(copy)) as con:
        store.ensure_schema(con)
        store.materialize(con, "r3")
        rows = con.execute("SELECT file_hash, version, status FROM raw.submissions").fetchall()
        waived = con.execute("SELECT file_hash FROM quality.validation_failures WHERE waived "
                             "ORDER BY ALL").fetchall()
    assert {h: (v, s) for h, v, s in rows} == STATUSES | {"c1": (1, "accepted")}
    assert waived == [("b1",), ("c1",)]
