"""End to end: the demo province through the real nightly flow (Prefect embedded mode) into
a real DuckDB file, checked against what the generator put in, computed independently here."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from contracts.indicators import INDICATORS
from contracts.vocabularies import SECTORS

INTERFACE_TABLES = [
    "ref.reporting_units", "ref.indicators", "ref.targets", "ops.runs", "raw.submissions",
    "core.coop_returns", "core.union_returns", "quality.validation_failures",
    "mart.completeness", "mart.district_indicators", "mart.province_indicators",
]


def _numeric(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in out.columns:
        if c not in ("coop_id", "union_id", "name", "commune", "sector", "status", "rating",
                     "note", "founded_on", "high_tech", "value_chain"):
            out[c] = pd.to_numeric(out[c], errors="coerce")
    return out


def _per(num: pd.Series, den: pd.Series, scale: float = 1.0) -> float:
    both = pd.concat([num, den], axis=1).dropna()
    return scale * (both.iloc[:, 0]).sum() / both.iloc[:, 1].sum()


def coop_indicators(r: pd.DataFrame) -> dict[str, float]:
    """Every roster indicator of the catalogue, written out by hand from indicators.md."""
    live, op = r[r.status != "GT"], r[r.status.isin(["HD", "TL"])]
    return {
        "HTX_TOTAL": len(live), "HTX_OPERATING": len(op),
        "HTX_NEW": int((r.status == "TL").sum()), "HTX_DISSOLVED": int((r.status == "GT").sum()),
        "MEMBERS": live.members.sum(), "WORKERS": live.workers.sum(),
        "CAPITAL_TOTAL": live.total_capital.sum(), "CHARTER_CAPITAL": live.charter_capital.sum(),
        "REVENUE_TOTAL": op.revenue.sum(),
        "REVENUE_PER_HTX": op.revenue.sum() / op.revenue.notna().sum(),
        "PROFIT_PER_HTX": op.profit.sum() / op.profit.notna().sum(),
        "INCOME_PER_WORKER": _per(live.income_per_worker * live.workers, live.workers),
        "INCOME_PER_MEMBER": _per(live.income_per_member * live.members, live.members),
        "MANAGERS": live.managers.sum(), "MANAGERS_TRAINED": live.managers_trained.sum(),
        "MANAGERS_TRAINED_PCT": _per(live.managers_trained,
                                     live.managers.where(live.managers_trained.notna()), 100),
        "HTX_HIGH_TECH": int((op.high_tech == True).sum()),  # noqa: E712 (None is not True)
        "HTX_AG_VALUE_CHAIN": int(((op.sector == "NN") & (op.value_chain == True)).sum()),  # noqa: E712
        "OCOP_PRODUCTS": op.ocop_products.sum(),
    }


def union_indicators(u: pd.DataFrame) -> dict[str, float]:
    live, op = u[u.status != "GT"], u[u.status.isin(["HD", "TL"])]
    return {
        "UNIONS_TOTAL": len(live), "UNIONS_NEW": int((u.status == "TL").sum()),
        "UNION_MEMBER_COOPS": live.member_coops.sum(), "UNION_WORKERS": live.workers.sum(),
        "UNION_REVENUE_PER_UNION": op.revenue.sum() / op.revenue.notna().sum(),
        "UNION_PROFIT_PER_UNION": op.profit.sum() / op.profit.notna().sum(),
    }


def accepted_codes(demo) -> list[str]:
    return [f["unit_code"] for f in demo.manifest["files"] if f["expected_status"] == "accepted"]


def province_rows(demo) -> dict[tuple[str, str], float]:
    frame = demo.consolidation.query(
        "SELECT indicator_code, sector, value FROM mart.province_indicators WHERE period = ?",
        [demo.manifest["period"]])
    return {(r.indicator_code, r.sector): r.value for r in frame.itertuples()}


def test_the_run_consolidates_the_demo_province(demo):
    run = demo.first_run["run"]
    expected_rejected = len(demo.manifest["files"]) - len(accepted_codes(demo))
    assert (run["files_new"], run["files_accepted"], run["files_rejected"]) == \
        (12, 12 - expected_rejected, expected_rejected)
    assert run["outcome"] == "completed"


def test_every_interface_table_is_there_and_filled(demo):
    for table in INTERFACE_TABLES:
        assert demo.consolidation.query(f"SELECT count(*) AS n FROM {table}").n[0] > 0, table


def test_province_indicators_equal_an_independent_computation(demo):
    codes = accepted_codes(demo)
    roster = _numeric(pd.concat([demo.returns[c].roster for c in codes], ignore_index=True))
    unions = _numeric(pd.concat([demo.returns[c].unions for c in codes], ignore_index=True))
    got = province_rows(demo)
    expected = coop_indicators(roster) | union_indicators(unions)
    for code, value in expected.items():
        assert got[(code, "ALL")] == pytest.approx(value), code
    by_sector = [i.code for i in INDICATORS if i.source == "coops" and i.sectors is None]
    for term in SECTORS.terms:
        part = coop_indicators(roster[roster.sector == term.code])
        for code in by_sector:
            if pd.isna(part[code]):
                assert pd.isna(got[(code, term.code)]), (code, term.code)
            else:
                assert got[(code, term.code)] == pytest.approx(part[code]), (code, term.code)


def test_reporting_and_timeliness_rates(demo):
    period_end = dt.date(int(demo.manifest["period"][:4]) + 1, 1, 15)  # annual deadline
    codes = accepted_codes(demo)
    on_time = [f for f in demo.manifest["files"] if f["unit_code"] in codes
               and dt.date.fromisoformat(f["submitted_on"]) <= period_end]
    got = province_rows(demo)
    assert got[("REPORTING_RATE", "ALL")] == pytest.approx(100 * len(codes) / 12)
    assert got[("TIMELY_RATE", "ALL")] == pytest.approx(100 * len(on_time) / 12)


def test_the_city_figures_from_the_seeds_come_out_unchanged(demo):
    frame = demo.consolidation.query(
        "SELECT indicator_code, sector, value FROM mart.district_indicators "
        "WHERE district_code = '116' AND period = ?", [demo.manifest["period"]])
    city = {(r.indicator_code, r.sector): r.value for r in frame.itertuples()}
    assert city[("HTX_TOTAL", "ALL")] == 73
    assert [city[("HTX_TOTAL", s)] for s in ("NN", "CN", "XD", "TM", "TH")] == [40, 1, 1, 14, 17]
    assert 148_000 < city[("CAPITAL_TOTAL", "ALL")] < 149_000
    assert city[("MEMBERS", "ALL")] > 2_000
    assert round(city[("INCOME_PER_MEMBER", "ALL")]) == 60


def test_every_manifest_fault_is_recorded_at_its_cell(demo):
    failures = demo.consolidation.query(
        "SELECT f.district_code, f.cell, f.rule_code, f.severity FROM "
        "quality.validation_failures f")
    found = set(failures.itertuples(index=False, name=None))
    for fault in demo.manifest["faults"]:
        assert (fault["unit_code"], fault["cell"], fault["rule"], fault["severity"]) in found, fault


def test_each_return_is_accepted_or_rejected_as_the_manifest_says(demo):
    statuses = demo.consolidation.query(
        "SELECT district_code, status FROM raw.submissions")
    got = dict(statuses.itertuples(index=False, name=None))
    assert got == {f["unit_code"]: f["expected_status"] for f in demo.manifest["files"]}


def test_clean_returns_have_no_errors(demo):
    faulty = {f["unit_code"] for f in demo.manifest["faults"]}
    errors = demo.consolidation.query(
        "SELECT district_code, rule_code, cell FROM quality.validation_failures "
        "WHERE severity = 'error'")
    assert set(errors.district_code) <= faulty, errors


def test_a_second_run_with_nothing_new_changes_no_mart(demo):
    def marts():
        return {t: demo.consolidation.query(f"SELECT * FROM {t} ORDER BY ALL")
                for t in ("mart.completeness", "mart.district_indicators",
                          "mart.province_indicators")}

    before = marts()
    second = demo.consolidation.run()
    assert second["run"]["files_new"] == 0 and second["run"]["files_seen"] == 0
    for table, frame in marts().items():
        pd.testing.assert_frame_equal(frame, before[table], obj=table)


def test_originals_are_archived_unchanged(demo):
    import hashlib
    from pathlib import Path

    rows = demo.consolidation.query("SELECT file_hash, archived_path FROM raw.submissions")
    for row in rows.itertuples():
        assert hashlib.sha256(Path(row.archived_path).read_bytes()).hexdigest() == row.file_hash


def test_each_rejected_or_flagged_return_gets_its_feedback_workbook(demo):
    from openpyxl import load_workbook

    written = {Path(p).name.split("_phan_hoi_")[1]: Path(p) for p in demo.first_run["feedback"]}
    flagged = demo.consolidation.query(
        "SELECT s.file_name, f.cell, f.message_vi FROM quality.validation_failures f "
        "JOIN raw.submissions s USING (file_hash) WHERE f.cell IS NOT NULL")
    assert set(written) == set(flagged.file_name)
    for name, rows in flagged.groupby("file_name"):
        book = load_workbook(written[name])
        assert book.sheetnames[0] == "Loi_can_sua"
        for row in rows.itertuples():
            sheet, cell = row.cell.split("!")
            assert row.message_vi in book[sheet][cell].comment.text, row.cell
