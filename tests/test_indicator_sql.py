"""Each indicator's SQL on a handful of rows in an in-memory DuckDB, against values worked
out by hand (see the comments). Two districts, so province values must come from summed
parts, never from an average of district values."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from contracts.indicators import INDICATORS, indicator
from contracts.reference import TARGETS_CSV, load_reporting_units
from transforms.targets import read_targets
from warehouse.batch import LoadBatch
from transforms.periods import period_from_code
from warehouse import store

COLUMNS = ["sector", "status", "members", "workers", "total_capital", "charter_capital",
           "revenue", "profit", "income_per_worker", "income_per_member", "managers",
           "managers_trained", "high_tech", "value_chain", "ocop_products"]
N = None
CITY_ROWS = [  # district 116
    ("NN", "HD", 10, 5, 1000, 400, 2000, 200, 50, 40, 4, 1, True, True, 2),
    ("NN", "TL", 8, 4, 500, 200, 1000, -100, 70, N, 3, 2, False, True, 0),
    ("TM", "NG", 6, 3, 300, 100, N, N, 40, 30, 2, N, True, False, N),
    ("TM", "GT", 20, 10, 900, 300, 5000, 500, 60, 60, 5, 3, True, True, 1),
    ("TH", "HD", 7, N, 200, 100, 800, 80, N, 50, 3, 0, N, True, 1),  # in a chain, not NN
]
MAI_SON_ROWS = [  # district 125
    ("CN", "HD", 5, 10, 100, 50, 100, 10, 30, 20, 2, 2, False, False, 0),
]
UNION_COLUMNS = ["status", "member_coops", "workers", "revenue", "profit"]
UNION_ROWS = [  # district 116
    ("HD", 5, 100, 6000, 600),
    ("TL", 3, 50, 2000, N),
]


def _submission(file_hash: str, district: str) -> dict:
    return {"file_hash": file_hash, "file_name": f"{district}.xlsx", "file_size": 1,
            "archived_path": "-", "district_code": district, "period": "2023",
            "received_at": dt.datetime(2024, 1, 10), "run_id": "r1", "readable": True,
            "preparer": None, "prepared_on": None, "contact": None}


def _coops(file_hash: str, rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.assign(file_hash=file_hash, sheet="DS_HTX", source_row=range(5, 5 + len(rows)),
                        coop_id=[f"{file_hash}{i:08d}"[-10:] for i in range(len(rows))],
                        name="HTX")


def _unions(file_hash: str, rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=UNION_COLUMNS)
    return frame.assign(file_hash=file_hash, sheet="DS_LHHTX",
                        source_row=range(5, 5 + len(rows)),
                        union_id=[f"LH{i}" for i in range(len(rows))], name="LH")


def warehouse(city: list[tuple], mai_son: list[tuple], unions: list[tuple]):
    """An in-memory warehouse holding one accepted 2023 return of the city (116, with its
    unions) and, when `mai_son` has rows, one of Mai Sơn (125)."""
    con = duckdb.connect()
    store.ensure_schema(con)
    targets = pd.concat([read_targets(TARGETS_CSV), pd.DataFrame([
        {"period": "2023", "unit_code": "116", "indicator_code": "HTX_TOTAL", "target": 8.0,
         "source": "test"}])], ignore_index=True)
    store.load_reference(con, load_reporting_units(), targets)
    store.add_periods(con, [period_from_code("2023")])
    returns = [("aa", "116", city)] + ([("bb", "125", mai_son)] if mai_son else [])
    batch = LoadBatch(
        submissions=pd.DataFrame([_submission(h, district) for h, district, _ in returns]),
        coop_rows=pd.concat([_coops(h, rows) for h, _, rows in returns]),
        union_rows=_unions("aa", unions),
        declared_totals=pd.DataFrame(), failures=pd.DataFrame(), rule_checks=pd.DataFrame())
    store.load_batch(con, batch)
    store.materialize(con, "test")
    return con


@pytest.fixture(scope="module")
def con():
    return warehouse(CITY_ROWS, MAI_SON_ROWS, UNION_ROWS)


def district(con, code: str, indicator: str, sector: str = "ALL") -> dict:
    rows = con.execute(
        "SELECT * FROM mart.district_indicators WHERE district_code = ? AND indicator_code = ? "
        "AND sector = ?", [code, indicator, sector]).df().to_dict("records")
    assert len(rows) == 1, (code, indicator, sector, rows)
    return rows[0]


def province(con, indicator: str, sector: str = "ALL") -> dict:
    (row,) = con.execute("SELECT * FROM mart.province_indicators WHERE indicator_code = ? "
                         "AND sector = ?", [indicator, sector]).df().to_dict("records")
    return row


CITY_EXPECTED = {
    "HTX_TOTAL": 4,  # every status but GT
    "HTX_OPERATING": 3,  # HD, TL
    "HTX_NEW": 1,
    "HTX_DISSOLVED": 1,
    "MEMBERS": 10 + 8 + 6 + 7,
    "WORKERS": 5 + 4 + 3,  # the TH row's workers are missing: left out
    "CAPITAL_TOTAL": 1000 + 500 + 300 + 200,
    "CHARTER_CAPITAL": 400 + 200 + 100 + 100,
    "REVENUE_TOTAL": 2000 + 1000 + 800,
    "REVENUE_PER_HTX": (2000 + 1000 + 800) / 3,
    "PROFIT_PER_HTX": (200 - 100 + 80) / 3,
    "INCOME_PER_WORKER": (50 * 5 + 70 * 4 + 40 * 3) / (5 + 4 + 3),
    "INCOME_PER_MEMBER": (40 * 10 + 30 * 6 + 50 * 7) / (10 + 6 + 7),
    "MANAGERS": 4 + 3 + 2 + 3,
    "MANAGERS_TRAINED": 1 + 2 + 0,
    "MANAGERS_TRAINED_PCT": 100 * (1 + 2 + 0) / (4 + 3 + 3),  # rows with both present
    "HTX_HIGH_TECH": 1,
    "HTX_AG_VALUE_CHAIN": 2,  # NN only: the TH cooperative's chain does not count
    "OCOP_PRODUCTS": 2 + 0 + 1,
    "UNIONS_TOTAL": 2,
    "UNIONS_NEW": 1,
    "UNION_MEMBER_COOPS": 8,
    "UNION_WORKERS": 150,
    "UNION_REVENUE_PER_UNION": 8000 / 2,
    "UNION_PROFIT_PER_UNION": 600 / 1,  # the new union's profit is missing: left out
    "REPORTING_RATE": 100.0,
    "TIMELY_RATE": 100.0,
}
LEFT_OUT = {"WORKERS": 1, "INCOME_PER_WORKER": 1, "INCOME_PER_MEMBER": 1,
            "MANAGERS_TRAINED": 1, "MANAGERS_TRAINED_PCT": 1, "HTX_HIGH_TECH": 1, "UNION_PROFIT_PER_UNION": 1}


def test_the_hand_worked_example_covers_the_whole_catalogue():
    assert set(CITY_EXPECTED) == {i.code for i in INDICATORS}


@pytest.mark.parametrize("code", sorted(CITY_EXPECTED))
def test_district_value(con, code):
    row = district(con, "116", code)
    assert row["value"] == pytest.approx(CITY_EXPECTED[code])
    assert row["rows_left_out"] == LEFT_OUT.get(code, 0)


def test_sector_breakdown_counts_each_sector_and_shows_absent_ones_as_zero(con):
    assert district(con, "116", "HTX_TOTAL", "NN")["value"] == 2
    assert district(con, "116", "HTX_TOTAL", "TM")["value"] == 1  # the GT row is not counted
    assert district(con, "116", "HTX_TOTAL", "CN")["value"] == 0
    assert district(con, "116", "REVENUE_TOTAL", "NN")["value"] == 3000


def test_sector_filtered_indicator_has_only_its_sector(con):
    sectors = con.execute("SELECT DISTINCT sector FROM mart.district_indicators WHERE "
                          "indicator_code = 'HTX_AG_VALUE_CHAIN' ORDER BY 1").fetchall()
    assert sectors == [("ALL",), ("NN",)]


def test_province_ratio_is_recomputed_from_summed_parts(con):
    # (2000+1000+800 + 100) / (3 + 1), not the mean of 1266.67 and 100
    assert province(con, "REVENUE_PER_HTX")["value"] == pytest.approx(3900 / 4)
    assert province(con, "INCOME_PER_WORKER")["value"] == pytest.approx(
        (50 * 5 + 70 * 4 + 40 * 3 + 30 * 10) / (12 + 10))


def test_province_coverage_and_reporting_rate(con):
    row = province(con, "HTX_TOTAL")
    assert (row["districts_expected"], row["districts_covered"]) == (12, 2)
    assert row["value"] == 5
    assert province(con, "REPORTING_RATE")["value"] == pytest.approx(100 * 2 / 12)


def test_targets_and_attainment(con):
    assert district(con, "116", "HTX_TOTAL")["attainment_pct"] == pytest.approx(50.0)
    row = province(con, "HTX_TOTAL")
    assert row["target"] == 900 and row["attainment_pct"] == pytest.approx(100 * 5 / 900)


def test_grain_is_unique(con):
    for table, grain in (("mart.district_indicators", "period, district_code, indicator_code, sector"),
                         ("mart.province_indicators", "period, indicator_code, sector"),
                         ("mart.completeness", "period, district_code")):
        dupes = con.execute(f"SELECT count(*) FROM (SELECT {grain} FROM {table} "
                            f"GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]
        assert dupes == 0, table


# --- a missing value is missing, not zero -----------------------------------------------------
# Two operating NN cooperatives (and two operating unions) alike, but one lacks a single
# measure. Every indicator that reads that measure leaves the row out (of numerator and
# denominator) and counts it in rows_left_out: its value is the one full row's. Every other
# indicator takes both rows. A missing value read as zero shows in both: a sum keeps its value
# but counts no row left out, a ratio is divided by a row that has no value.

FULL_COOP = {"sector": "NN", "status": "HD", "members": 10, "workers": 5,
             "total_capital": 1000, "charter_capital": 400, "revenue": 2000, "profit": 200,
             "income_per_worker": 50, "income_per_member": 40, "managers": 4,
             "managers_trained": 2, "high_tech": True, "value_chain": True, "ocop_products": 3}
FULL_UNION = {"status": "HD", "member_coops": 5, "workers": 100, "revenue": 6000, "profit": 600}
ONE_FULL_ROW = {  # indicator -> (the measures it reads, its value over one full row)
    "HTX_TOTAL": ((), 1),
    "HTX_OPERATING": ((), 1),
    "HTX_NEW": ((), 0),
    "HTX_DISSOLVED": ((), 0),
    "MEMBERS": (("members",), 10),
    "WORKERS": (("workers",), 5),
    "CAPITAL_TOTAL": (("total_capital",), 1000),
    "CHARTER_CAPITAL": (("charter_capital",), 400),
    "REVENUE_TOTAL": (("revenue",), 2000),
    "REVENUE_PER_HTX": (("revenue",), 2000),
    "PROFIT_PER_HTX": (("profit",), 200),
    "INCOME_PER_WORKER": (("income_per_worker", "workers"), 50),
    "INCOME_PER_MEMBER": (("income_per_member", "members"), 40),
    "MANAGERS": (("managers",), 4),
    "MANAGERS_TRAINED": (("managers_trained",), 2),
    "MANAGERS_TRAINED_PCT": (("managers_trained", "managers"), 100 * 2 / 4),
    "HTX_HIGH_TECH": (("high_tech",), 1),
    "HTX_AG_VALUE_CHAIN": (("value_chain",), 1),
    "OCOP_PRODUCTS": (("ocop_products",), 3),
    "UNIONS_TOTAL": ((), 1),
    "UNIONS_NEW": ((), 0),
    "UNION_MEMBER_COOPS": (("union member_coops",), 5),
    "UNION_WORKERS": (("union workers",), 100),
    "UNION_REVENUE_PER_UNION": (("union revenue",), 6000),
    "UNION_PROFIT_PER_UNION": (("union profit",), 600),
    "REPORTING_RATE": ((), 100.0),
    "TIMELY_RATE": ((), 100.0),
}
COOP_MEASURES = [f for f in FULL_COOP if f not in ("sector", "status")]
UNION_MEASURES = [f"union {f}" for f in FULL_UNION if f != "status"]


def test_the_missing_value_example_covers_the_catalogue_and_every_measure():
    assert set(ONE_FULL_ROW) == {i.code for i in INDICATORS}
    read = {m for measures, _ in ONE_FULL_ROW.values() for m in measures}
    assert read == set(COOP_MEASURES) | set(UNION_MEASURES)


def _city_rows(missing: str) -> tuple[list[tuple], list[tuple]]:
    """Two full cooperatives and two full unions, `missing` blank in the second of them."""
    coop, union = dict(FULL_COOP), dict(FULL_UNION)
    if missing.startswith("union "):
        union[missing.removeprefix("union ")] = None
    else:
        coop[missing] = None
    return ([tuple(row[c] for c in COLUMNS) for row in (FULL_COOP, coop)],
            [tuple(row[c] for c in UNION_COLUMNS) for row in (FULL_UNION, union)])


def _expected(missing: str, code: str) -> tuple[float, int]:
    measures, one_row = ONE_FULL_ROW[code]
    if missing in measures:  # e.g. a missing revenue: out of revenue per cooperative
        return one_row, 1
    return (one_row if indicator(code).kind == "ratio" else 2 * one_row), 0


@pytest.mark.parametrize("missing", COOP_MEASURES + UNION_MEASURES)
def test_a_missing_value_is_left_out_and_counted_never_read_as_zero(missing):
    coops, unions = _city_rows(missing)
    con = warehouse(coops, [], unions)
    found = {code: (row["value"], row["rows_left_out"])
             for code, row in ((c, district(con, "116", c)) for c in ONE_FULL_ROW)}
    assert found == {code: pytest.approx(_expected(missing, code)) for code in ONE_FULL_ROW}
    for code in (i.code for i in INDICATORS if i.source != "units"):  # one district: the province
        whole = province(con, code)
        assert (whole["value"], whole["rows_left_out"]) == pytest.approx(found[code]), code


def test_a_sum_over_rows_that_all_lack_the_value_is_missing_not_zero():
    """Both operating cooperatives lack revenue: the revenue total is unknown (not 0) and says
    that two rows were left out; the counts of cooperatives are untouched."""
    coops, unions = _city_rows("revenue")
    revenue = COLUMNS.index("revenue")
    coops = [row[:revenue] + (None,) + row[revenue + 1:] for row in coops]
    con = warehouse(coops, [], unions)
    for code in ("REVENUE_TOTAL", "REVENUE_PER_HTX"):
        row = district(con, "116", code)
        assert pd.isna(row["value"]) and (row["rows_included"], row["rows_left_out"]) == (0, 2)
        whole = province(con, code)
        assert pd.isna(whole["value"]) and whole["rows_left_out"] == 2, code
    assert district(con, "116", "HTX_OPERATING")["value"] == 2
