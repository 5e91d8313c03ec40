"""Targets are data: the planning office's workbook, written by `htx targets-template` and
read back by the same reader as returns; the seeds' 2023 targets are the default."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from conftest import run_htx
from contracts.indicators import INDICATORS
from contracts.reference import TARGETS_CSV
from transforms.targets import TargetsError, read_targets

SEEDS_2023 = {"HTX_NEW": 85, "HTX_TOTAL": 900, "MEMBERS": 40_000, "REVENUE_PER_HTX": 3_000,
              "PROFIT_PER_HTX": 300, "WORKERS": 11_000, "INCOME_PER_WORKER": 60,
              "MANAGERS": 3_368, "MANAGERS_TRAINED": 700, "HTX_HIGH_TECH": 350,
              "HTX_AG_VALUE_CHAIN": 150, "UNIONS_NEW": 1, "UNIONS_TOTAL": 7,
              "UNION_MEMBER_COOPS": 55, "UNION_WORKERS": 800, "UNION_REVENUE_PER_UNION": 5_000,
              "UNION_PROFIT_PER_UNION": 500}


def test_the_default_targets_are_the_seeds_2023_targets():
    t = read_targets(TARGETS_CSV)
    assert set(t["period"]) == {"2023"} and set(t["unit_code"]) == {"14"}
    assert dict(zip(t["indicator_code"], t["target"])) == SEEDS_2023


def test_the_targets_workbook_round_trips_what_the_office_fills_in(tmp_path):
    result = run_htx("targets-template", "-o", "t.xlsx", "--period", "2023", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    book = load_workbook(tmp_path / "t.xlsx")
    sheet = book["Chi_tieu"]
    codes = [sheet.cell(r, 3).value for r in range(5, 5 + len(INDICATORS))]
    assert codes == [i.code for i in INDICATORS]
    assert read_targets(tmp_path / "t.xlsx").set_index("indicator_code")["target"].to_dict() \
        == SEEDS_2023  # pre-filled with the targets in force
    sheet.cell(5 + codes.index("OCOP_PRODUCTS"), 6).value = "1.200"
    book.save(tmp_path / "t.xlsx")
    filled = read_targets(tmp_path / "t.xlsx").set_index("indicator_code")["target"]
    assert filled["OCOP_PRODUCTS"] == 1200 and filled["HTX_TOTAL"] == 900


def test_an_unknown_indicator_code_is_refused_naming_its_row(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame([{"period": "2024", "unit_code": "14", "indicator_code": "HTX_TOTL",
                   "target": 950, "source": "x"}]).to_csv(path, index=False)
    with pytest.raises(TargetsError, match="dòng 2: mã chỉ tiêu 'HTX_TOTL'"):
        read_targets(path)


@pytest.mark.parametrize("text, says", [
    ("period,unit_code,indicator_code,target,source\n2023,14,HTX_TOTAL,chín trăm,KH\n",
     "dòng 2: chỉ tiêu 'chín trăm' không phải là số"),
    ("period,target\n2023,900\n", "thiếu cột unit_code, indicator_code, source"),
    ("", "không đọc được tệp chỉ tiêu"),
])
def test_a_targets_csv_that_cannot_be_used_is_refused_saying_what_to_fix(tmp_path, text, says):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TargetsError, match=says):
        read_targets(path)


def test_a_targets_csv_keeps_blank_targets_out_and_reads_decimals(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("period,unit_code,indicator_code,target,source\n"
                    "2023,14,HTX_TOTAL,,\n2023,14,REVENUE_PER_HTX,3000.5,KH\n", encoding="utf-8")
    t = read_targets(path)
    assert t[["indicator_code", "target"]].values.tolist() == [["REVENUE_PER_HTX", 3000.5]]


def test_a_run_uses_the_targets_file_the_settings_name(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame([{"period": "2023", "unit_code": "14", "indicator_code": "HTX_TOTAL",
                   "target": 950, "source": "QĐ 1/2023"}]).to_csv(path, index=False)
    from test_warehouse_safety import base_return, deliver, run
    import duckdb

    deliver(tmp_path, [base_return(tmp_path, "r.xlsx")])
    run(tmp_path, targets=path)
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        assert con.execute("SELECT target FROM mart.province_indicators WHERE "
                           "indicator_code = 'HTX_TOTAL' AND sector = 'ALL'").fetchone() == (950,)


def test_deadlines_come_from_the_settings(tmp_path):
    from test_warehouse_safety import base_return, deliver, run
    import datetime as dt
    import duckdb

    deliver(tmp_path, [base_return(tmp_path, "r.xlsx")])
    run(tmp_path, annual_deadline="03-31")
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        assert con.execute("SELECT deadline FROM ref.periods WHERE code = '2023'"
                           ).fetchone() == (dt.date(2024, 3, 31),)
