"""The status model (warehouse/sql/models/05_failure_status.sql, 10_submission_status.sql) on
hand-made submissions in an in-memory DuckDB: which version of a district's return stands.

- an error rejects a return, a warning does not, an error a steward waived no longer does;
- the latest clean version is accepted, an earlier clean one superseded;
- a rejected later version leaves the accepted one in force;
- a waiver waives the one failure it names, nothing else;
- the core roster holds the rows of the versions in force only."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from contracts.reference import TARGETS_CSV, load_reporting_units
from warehouse.batch import LoadBatch
from transforms.failures import Failure, failures_frame
from transforms.periods import period_from_code
from transforms.targets import read_targets
from warehouse import store

ERROR = Failure("TOTAL_MISMATCH", "Tong_hop", 3, "total_coops", "Tong_hop!C3", "8")
WARNING = Failure("PROFIT_ABOVE_REVENUE", "DS_HTX", 5, "profit", "DS_HTX!M5", "900")
# (file, district, day received in January 2024, its failures)
SUBMISSIONS = [
    ("a1", "116", 2, []),          # clean, then corrected by a2
    ("a2", "116", 9, [WARNING]),   # a warning does not reject: the correction stands
    ("b1", "125", 2, []),          # clean and accepted ...
    ("b2", "125", 9, [ERROR]),     # ... a later version with an error leaves b1 in force
    ("c1", "118", 2, [ERROR]),     # an error a steward waived: accepted
    ("d1", "119", 2, [ERROR]),     # the same error, not waived: rejected
]
WAIVED = "c1"
EXPECTED = {  # file -> (version, status)
    "a1": (1, "superseded"), "a2": (2, "accepted"),
    "b1": (1, "accepted"), "b2": (2, "rejected"),
    "c1": (1, "accepted"), "d1": (1, "rejected"),
}
DISTRICTS = {  # district -> (status, accepted version, status of the latest version)
    "116": ("accepted", 2, "accepted"), "125": ("accepted", 1, "rejected"),
    "118": ("accepted", 1, "accepted"), "119": ("rejected", None, "rejected"),
}


def _submission(file_hash: str, district: str, day: int) -> dict:
    return {"file_hash": file_hash, "file_name": f"{file_hash}.xlsx", "file_size": 1,
            "archived_path": "-", "district_code": district, "period": "2023",
            "received_at": dt.datetime(2024, 1, day), "run_id": "r1", "readable": True,
            "preparer": None, "prepared_on": None, "contact": None}


def _coop(file_hash: str) -> dict:
    """One cooperative per version, named after the file it came in."""
    return {"file_hash": file_hash, "sheet": "DS_HTX", "source_row": 5,
            "coop_id": f"{file_hash:0>10}", "name": f"HTX {file_hash}", "sector": "NN",
            "status": "HD", "members": 7}


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    store.ensure_schema(con)
    store.load_reference(con, load_reporting_units(), read_targets(TARGETS_CSV))
    store.add_periods(con, [period_from_code("2023")])
    failures = pd.concat([failures_frame(f, h) for h, _, _, f in SUBMISSIONS if f])
    store.load_batch(con, LoadBatch(
        submissions=pd.DataFrame([_submission(h, d, day) for h, d, day, _ in SUBMISSIONS]),
        coop_rows=pd.DataFrame([_coop(h) for h, _, _, _ in SUBMISSIONS]),
        union_rows=pd.DataFrame(), declared_totals=pd.DataFrame(),
        failures=failures, rule_checks=pd.DataFrame()))
    store.materialize(con, "r1")
    (waived,) = failures.loc[failures["file_hash"] == WAIVED, "failure_id"]
    store.add_waiver(con, waived, "đã xác minh với huyện", "kiểm thử")
    store.materialize(con, "r2")
    return con


def test_each_version_gets_its_status(con):
    rows = con.execute("SELECT file_hash, version, status FROM raw.submissions").fetchall()
    assert {h: (v, s) for h, v, s in rows} == EXPECTED


def test_each_district_shows_the_version_in_force(con):
    rows = con.execute("SELECT district_code, status, accepted_version, latest_status "
                       "FROM mart.completeness WHERE received").fetchall()
    assert {d: (s, v, latest) for d, s, v, latest in rows} == DISTRICTS


def test_a_waiver_waives_only_the_failure_it_names(con):
    rows = con.execute("SELECT file_hash, waived FROM quality.validation_failures").fetchall()
    assert dict(rows) == {"a2": False, "b2": False, "c1": True, "d1": False}


def test_the_core_roster_holds_the_versions_in_force_only(con):
    rows = con.execute("SELECT district_code, name FROM core.coop_returns").fetchall()
    assert sorted(rows) == [("116", "HTX a2"), ("118", "HTX c1"), ("125", "HTX b1")]


def test_only_districts_with_an_accepted_return_have_figures(con):
    """Every catalogue indicator for each district with an accepted return; a district whose
    every version was rejected has only the reporting-unit indicators (it reported late or
    wrongly, and that counts)."""
    rows = con.execute("SELECT DISTINCT district_code, indicator_code = 'REPORTING_RATE' OR "
                       "indicator_code = 'TIMELY_RATE' AS about_reporting "
                       "FROM mart.district_indicators WHERE district_code IN "
                       "('116', '118', '119', '125')").fetchall()
    assert sorted(rows) == [("116", False), ("116", True), ("118", False), ("118", True),
                            ("119", True), ("125", False), ("125", True)]
