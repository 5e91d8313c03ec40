"""The demo province: deterministic, near the 2023 targets, the city as in the seeds, and
exactly the deliberate faults it promises (checked with the rule catalogue itself)."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pandera.errors
import pytest
from openpyxl import load_workbook

from contracts.reference import TARGETS_CSV, load_reporting_units
from transforms.targets import read_targets
from contracts.return_form import ROSTER, TASKS, TOTALS, UNIONS
from contracts.rules import MIN_MEMBERS, ROW_RULES, RowContext, rule
from contracts.schemas import sheet_schema
from outputs.template import field_cell
from contracts.vocabularies import RATINGS, SECTORS, STATUSES, TASK_STATUSES
from demo.province import (
    CITY, FAULT_PLAN, LATE_UNIT, RATING_SHARES, SECTOR_SHARES, TASK_STATUS_SHARES,
    generate_province, write_demo_returns,
)
from transforms.periods import period_from_code

PERIOD = period_from_code("2023")
NOT_GT = ["HD", "TL", "NG"]
OPERATING = ["HD", "TL"]


@pytest.fixture(scope="module")
def province():
    return generate_province(PERIOD)


@pytest.fixture(scope="module")
def roster(province):
    return pd.concat([r.roster for r in province.values()], ignore_index=True)


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="raise").astype(float)


def _typed(frame: pd.DataFrame, sheet) -> pd.DataFrame:
    """The frame in the contract's dtypes, as the reader would hand it to validation."""
    out = {}
    for f in sheet.stored_fields:
        col = frame[f.name]
        out[f.name] = (pd.to_datetime(col) if f.kind == "date" else col).astype(f.dtype)
    return pd.DataFrame(out)


# --- determinism ---------------------------------------------------------------------------

def test_same_seed_same_frames(province):
    again = generate_province(PERIOD)
    for code, r in province.items():
        for name in ("roster", "unions"):
            pd.testing.assert_frame_equal(getattr(r, name), getattr(again[code], name))
        assert r.totals == again[code].totals and r.faults == again[code].faults


def test_different_seed_different_frames(province):
    other = generate_province(PERIOD, seed=7)
    assert not province["125"].roster.equals(other["125"].roster)


def test_one_return_per_district(province):
    units = load_reporting_units()
    assert list(province) == list(units.loc[units["level"] == "district", "code"])
    assert len(province) == 12


def test_demo_shares_use_contract_codes():
    assert set(SECTOR_SHARES) <= set(SECTORS.codes)
    assert set(RATING_SHARES) <= set(RATINGS.codes)
    assert set(TASK_STATUS_SHARES) <= set(TASK_STATUSES.codes)


# --- the city as in the seeds ------------------------------------------------------------------

def test_city_reproduces_the_seed_article(province):
    city = province[CITY].roster
    alive = city[city["status"] != "GT"]
    assert len(alive) == 73 and len(city) == 73
    assert alive["sector"].value_counts().to_dict() == {"NN": 40, "TH": 17, "TM": 14, "CN": 1,
                                                         "XD": 1}
    assert 148_000 < _num(alive["total_capital"]).sum() < 149_000
    assert 2_001 <= _num(alive["members"]).sum() <= 2_100
    both = alive.dropna(subset=["income_per_member", "members"])
    weighted = (_num(both["income_per_member"]) * _num(both["members"])).sum() \
        / _num(both["members"]).sum()
    assert round(weighted) == 60 and abs(weighted - 60) <= 0.05
    assert both.shape[0] < alive.shape[0]  # some incomes are missing, and left out


def test_city_work_programme_lists_34_of_38_tasks(province):
    city = province[CITY]
    assert city.declared_task_count == 38 and len(city.tasks) == 34
    assert city.tasks.groupby("group").size().tolist() == [4, 13, 8, 4, 5]
    assert [(f.rule, f.cell, f.severity) for f in city.faults] == [
        ("TASK_COUNT_MISMATCH", "Nhiem_vu!B2", "warning")]


def test_other_work_programmes_agree_with_their_count(province):
    for code, r in province.items():
        if code != CITY:
            assert r.declared_task_count == (None if r.tasks is None else len(r.tasks))


# --- the province near its targets -----------------------------------------------------------

def _target(code: str) -> float:
    t = read_targets(TARGETS_CSV)
    return t.loc[(t["period"] == "2023") & (t["unit_code"] == "14")
                 & (t["indicator_code"] == code), "target"].item()


def test_province_totals_near_the_2023_targets(roster):
    alive = roster[roster["status"].isin(NOT_GT)]
    operating = roster[roster["status"].isin(OPERATING)]
    figures = {
        "HTX_TOTAL": len(alive),
        "HTX_NEW": (roster["status"] == "TL").sum(),
        "MEMBERS": _num(alive["members"]).sum(),
        "WORKERS": _num(alive["workers"]).sum(),
        "REVENUE_PER_HTX": _num(operating["revenue"]).mean(),
        "PROFIT_PER_HTX": _num(operating["profit"]).mean(),
        "MANAGERS": _num(alive["managers"]).sum(),
        "MANAGERS_TRAINED": _num(alive["managers_trained"]).sum(),
        "HTX_HIGH_TECH": operating["high_tech"].sum(),
        "HTX_AG_VALUE_CHAIN": operating.loc[operating["sector"] == "NN", "value_chain"].sum(),
    }
    for code, value in figures.items():
        assert value == pytest.approx(_target(code), rel=0.15), code
    assert 0 < (roster["status"] == "GT").sum() < 30
    assert 0 < (roster["status"] == "NG").sum() < 80


def test_unions_near_the_2023_targets(province):
    unions = pd.concat([r.unions for r in province.values()], ignore_index=True)
    assert len(unions) == _target("UNIONS_TOTAL")
    assert (unions["status"] == "TL").sum() == _target("UNIONS_NEW")
    assert unions["member_coops"].sum() == pytest.approx(_target("UNION_MEMBER_COOPS"), rel=.15)
    assert unions["workers"].sum() == pytest.approx(_target("UNION_WORKERS"), rel=.15)
    assert _num(unions["revenue"]).mean() == pytest.approx(5000, rel=0.5)
    assert unions["union_id"].str.match(r"^LH\d+$").all() and unions["union_id"].is_unique


def test_union_links_stay_in_their_district(province):
    for r in province.values():
        linked = r.roster["union_id"].dropna()
        assert set(linked) <= set(r.unions["union_id"])
        assert len(linked) >= 2 * len(r.unions)


def test_coop_ids_are_text_unique_in_the_province(roster):
    ids = roster["coop_id"]
    assert ids.str.fullmatch(r"\d{10}").all()
    assert ids.str.startswith("0").sum() > 100
    assert ids.duplicated().sum() == 1  # the one planned duplicate


# --- totals and faults -------------------------------------------------------------------------

def _expected_totals(roster: pd.DataFrame) -> dict:
    """The Tong_hop figures computed here, independently of the generator."""
    alive = roster[roster["status"] != "GT"]
    operating = roster[roster["status"].isin(OPERATING)]
    totals = {"total_coops": len(alive), "new_coops": int((roster["status"] == "TL").sum()),
              "members": _num(alive["members"]).sum(), "workers": _num(alive["workers"]).sum(),
              "total_capital": round(_num(alive["total_capital"]).sum(), 1),
              "revenue": round(_num(operating["revenue"]).sum(), 1)}
    for code in SECTORS.codes:
        totals[f"coops_{code.lower()}"] = int((alive["sector"] == code).sum())
    return totals


def test_totals_agree_with_rosters_except_the_planned_mismatch(province):
    for code, r in province.items():
        expected = _expected_totals(r.roster)
        assert set(r.totals) == {f.name for f in TOTALS.fields}
        diff = {k for k in expected if r.totals[k] != pytest.approx(expected[k], abs=0.05)}
        planned = {f.field for f in r.faults if f.rule == "TOTAL_MISMATCH"}
        assert diff == planned, code
    mismatch = province["120"]
    assert mismatch.totals["total_coops"] == _expected_totals(mismatch.roster)["total_coops"] + 1


def test_every_planned_fault_is_recorded(province):
    for code, rule_code in FAULT_PLAN.items():
        faults = province[code].faults
        assert {f.rule for f in faults} == {rule_code}
        assert all(f.severity == rule(rule_code).severity for f in faults)
        status = "rejected" if rule(rule_code).severity == "error" else "accepted"
        assert province[code].expected_status == status
    assert len(province["119"].faults) == 2
    clean = set(province) - set(FAULT_PLAN) - {CITY}
    assert all(not province[c].faults and province[c].expected_status == "accepted"
               for c in clean)


def _row_failures(r) -> set[tuple[str, int]]:
    """(rule, data row) for every row rule of the catalogue that fails on the roster."""
    typed = _typed(r.roster, ROSTER)
    ctx = RowContext(pd.Timestamp(PERIOD.start), pd.Timestamp(PERIOD.end),
                     frozenset(r.unions["union_id"]))
    found = set()
    for rr in ROW_RULES:
        present = typed[list(rr.operands)].notna().all(axis=1)
        failing = rr.fails(typed[present], ctx).fillna(False)
        found |= {(rr.code, int(i)) for i in failing[failing].index}
    return found


def test_row_rules_find_exactly_the_planned_row_faults(province):
    row_rules = {rr.code for rr in ROW_RULES}
    for code, r in province.items():
        planned = {(f.rule, f.data_index) for f in r.faults if f.rule in row_rules}
        assert _row_failures(r) == planned, code


def test_schemas_find_only_the_planned_duplicate(province):
    for code, r in province.items():
        for sheet, frame in ((ROSTER, r.roster), (UNIONS, r.unions), (TASKS, r.tasks)):
            if frame is None:
                continue
            try:
                sheet_schema(sheet).validate(_typed(frame, sheet), lazy=True)
                failures = set()
            except pandera.errors.SchemaErrors as e:
                cases = e.failure_cases
                failures = set(zip(cases["column"], cases["check"], cases["index"]))
            planned = {(ROSTER.key, "field_uniqueness", f.data_index)
                       for f in r.faults if f.rule == "ID_DUPLICATE" and sheet is ROSTER}
            assert failures == planned, (code, sheet.name)


def test_plausible_rows_outside_the_faults(roster):
    assert (_num(roster["total_capital"]) >= _num(roster["charter_capital"])).all()
    assert (_num(roster["members"]) >= MIN_MEMBERS - 2).all()
    assert roster["rating"].notna().mean() > 0.8
    assert roster["income_per_member"].isna().any()
    assert set(roster["status"]) <= set(STATUSES.codes)
    old = roster.loc[roster["status"] != "TL", "founded_on"]
    assert (old < PERIOD.start).all()


def test_submissions_on_time_but_one(province):
    deadline = PERIOD.deadline()
    late = {c for c, r in province.items() if r.submitted_on > deadline}
    assert late == {LATE_UNIT}
    assert province[LATE_UNIT].submitted_on <= deadline + dt.timedelta(days=7)
    assert all(PERIOD.end < r.prepared_on <= r.submitted_on for r in province.values())


# --- files and manifest ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return out, write_demo_returns(out, PERIOD)


def test_manifest_lists_every_file_and_fault(written, province):
    out, paths = written
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["period"] == "2023" and manifest["seed"] == 2023
    assert [f["file"] for f in manifest["files"]] == [p.name for p in paths]
    for entry in manifest["files"]:
        r = province[entry["unit_code"]]
        assert entry["expected_status"] == r.expected_status
        assert entry["submitted_on"] == r.submitted_on.isoformat()
        mtime = dt.datetime.fromtimestamp((out / entry["file"]).stat().st_mtime)
        assert mtime == dt.datetime.combine(r.submitted_on, dt.time(16))
    rules = {(f["unit_code"], f["rule"]) for f in manifest["faults"]}
    assert rules == {(c, k) for c, k in FAULT_PLAN.items()} | {(CITY, "TASK_COUNT_MISMATCH")}
    assert {f["expected_status"] for f in manifest["faults"] if f["severity"] == "error"} \
        == {"rejected"}


def test_manifest_cells_hold_the_faulty_values(written, province):
    out, _ = written
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    cells = {(f["unit_code"], f["rule"]): f["cell"] for f in manifest["faults"]}

    def value(unit, ref):
        sheet, cell = ref.split("!")
        return load_workbook(out / f"{unit}_2023.xlsx")[sheet][cell].value

    trained = cells[("118", "TRAINED_ABOVE_MANAGERS")]
    row = province["118"].faults[0].data_index
    assert trained == field_cell(ROSTER.name, "managers_trained", row)
    assert value("118", trained) > value("118", field_cell(ROSTER.name, "managers", row))
    profit = province["121"].faults[0].data_index
    assert value("121", cells[("121", "PROFIT_ABOVE_REVENUE")]) \
        > value("121", field_cell(ROSTER.name, "revenue", profit))
    assert value("124", cells[("124", "MEMBERS_BELOW_MINIMUM")]) < MIN_MEMBERS
    assert value("120", cells[("120", "TOTAL_MISMATCH")]) == province["120"].totals["total_coops"]
    assert value("116", cells[(CITY, "TASK_COUNT_MISMATCH")]) == 38
    dupes = [f["cell"] for f in manifest["faults"] if f["rule"] == "ID_DUPLICATE"]
    assert len(dupes) == 2 and len({value("119", c) for c in dupes}) == 1


def test_written_files_are_reproducible(written, tmp_path):
    out, paths = written
    again = write_demo_returns(tmp_path, PERIOD)
    for a, b in zip(paths, again):
        assert a.read_bytes() == b.read_bytes()
    assert (out / "manifest.json").read_bytes() == (tmp_path / "manifest.json").read_bytes()
