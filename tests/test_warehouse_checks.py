"""The checks a new return gets against the warehouse (warehouse/store.py warehouse_checks), on
hand-made rows in an in-memory DuckDB:

- a figure declared in Tong_hop that differs from the roster's by more than rounding to a
  whole unit (0.5) is a mismatch, one within it is not;
- a cooperative's stock figure that changed by more than the check's ratio and by at least
  its minimum since the district's previous accepted return is implausible (contracts/rules.py
  CHANGE_CHECKS: members × 3 and at least 20): 10 → 40 is, 2 → 7 (small) and 10 → 29
  (under three times) are not."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from contracts.reference import TARGETS_CSV, load_reporting_units
from contracts.rules import CHANGE_CHECKS
from warehouse.batch import LoadBatch
from transforms.periods import period_from_code
from transforms.targets import read_targets
from warehouse import store

MEMBERS = {"A": (2, 7), "B": (10, 40), "C": (10, 29)}  # cooperative -> (2022, 2023)
DECLARED = [  # (field, indicator, declared in 2023) against the roster's 76 members, 3 HTX
    ("total_coops", "HTX_TOTAL", 3.0),
    ("members", "MEMBERS", 77.0),  # one member more than the roster: a mismatch
    ("workers", "WORKERS", 30.4),  # 30 on the roster: rounding, no mismatch
]


def _submission(file_hash: str, period: str) -> dict:
    return {"file_hash": file_hash, "file_name": f"{file_hash}.xlsx", "file_size": 1,
            "archived_path": "-", "district_code": "125", "period": period,
            "received_at": dt.datetime(int(period) + 1, 1, 5), "run_id": "r", "readable": True,
            "preparer": None, "prepared_on": None, "contact": None}


def _coops(file_hash: str, year: int) -> pd.DataFrame:
    return pd.DataFrame([{"file_hash": file_hash, "sheet": "DS_HTX", "source_row": 5 + i,
                          "coop_id": f"{name:0>10}", "name": f"HTX {name}", "sector": "NN",
                          "status": "HD", "members": members[year], "workers": 10}
                         for i, (name, members) in enumerate(MEMBERS.items())])


def _declared(file_hash: str) -> pd.DataFrame:
    return pd.DataFrame([{"file_hash": file_hash, "field": field, "header": field,
                          "indicator_code": code, "sector": "ALL", "declared": value,
                          "cell": f"Tong_hop!C{3 + i}"}
                         for i, (field, code, value) in enumerate(DECLARED)])


def _load(con, file_hash: str, period: str, year: int) -> pd.DataFrame:
    submissions = pd.DataFrame([_submission(file_hash, period)])
    store.load_batch(con, LoadBatch(
        submissions=submissions, coop_rows=_coops(file_hash, year), union_rows=pd.DataFrame(),
        declared_totals=_declared(file_hash) if year else pd.DataFrame(),
        failures=pd.DataFrame(), rule_checks=pd.DataFrame()))
    return submissions


@pytest.fixture(scope="module")
def checks() -> dict[str, pd.DataFrame]:
    con = duckdb.connect()
    store.ensure_schema(con)
    store.load_reference(con, load_reporting_units(), read_targets(TARGETS_CSV))
    store.add_periods(con, [period_from_code("2022"), period_from_code("2023")])
    _load(con, "y2022", "2022", 0)
    store.materialize(con, "r1")  # 2022 accepted: the previous return
    return store.warehouse_checks(con, _load(con, "y2023", "2023", 1))


def test_the_thresholds_are_the_rules():
    assert CHANGE_CHECKS["members"] == (3.0, 20)


def test_a_declared_total_off_by_more_than_rounding_is_a_mismatch(checks):
    found = checks["TOTAL_MISMATCH"]
    assert list(zip(found["field"], found["declared"], found["computed"])) == [
        ("members", 77.0, 76.0)]


def test_only_a_large_and_many_fold_change_is_implausible(checks):
    found = checks["IMPLAUSIBLE_CHANGE"]
    assert list(zip(found["coop_id"], found["field"], found["prev"], found["now"])) == [
        ("000000000B", "members", 10.0, 40.0)]
