"""Approve and lock a period (portal.md): while a steward has locked it, new returns for it
are still received, archived, checked and listed, but its published figures do not change;
reopened, the next run counts them. Decisions are recorded by the portal at once and
applied by the next consolidation; the lock, the reopen and who made them are in the
warehouse (ops.period_decisions, ops.locked_periods)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from pathlib import Path

import duckdb
import pytest

from contracts.reference import TARGETS_CSV
from demo.province import write_demo_returns
from flows import steps
from flows.settings import Settings
from intake.decisions import all_decisions, pending_decisions, record_decision
from transforms.periods import period_from_code

PERIOD = period_from_code("2023")
FIGURES = ("SELECT indicator_code, sector, value, numerator, denominator, districts_covered "
           "FROM mart.province_indicators WHERE period = '2023' ORDER BY 1, 2")
COMPLETENESS = "FROM mart.completeness WHERE period = '2023' ORDER BY district_code"


@pytest.fixture(scope="module")
def sent(tmp_path_factory) -> dict[str, Path]:
    """The demo's 2023 returns; '121b' is district 121's correction (other figures)."""
    first = write_demo_returns(tmp_path_factory.mktemp("first"), PERIOD, 2023)
    other = write_demo_returns(tmp_path_factory.mktemp("other"), PERIOD, 7)
    files = {p.name.split("_")[0]: p for p in first}
    files["121b"] = next(p for p in other if p.name.startswith("121_"))
    return files


def settings(root: Path, targets: Path | None = None) -> Settings:
    return Settings(inbox=root / "inbox", warehouse=root / "w.duckdb", reports=root / "reports",
                    archive=root / "archive", portal=root / "portal.sqlite", settle_seconds=0,
                    targets=targets)


def run(root: Path, *files: Path, targets: Path | None = None) -> None:
    (root / "inbox").mkdir(parents=True, exist_ok=True)
    for n, f in enumerate(files):  # arriving now (a file's time is when it arrived)
        shutil.copy(f, root / "inbox" / f"{uuid.uuid4().hex[:6]}_{n}_{f.name}")
    steps.consolidate(settings(root, targets), str(uuid.uuid4()))


def query(root: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(root / "w.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def statuses(root: Path, district: str) -> list[tuple]:
    return query(root, "SELECT version, status FROM raw.submissions WHERE district_code = ? "
                       "ORDER BY version", [district])


def decide(root: Path, kind: str, target: str, reason: str = "Đã thẩm định, phê duyệt") -> None:
    record_decision(root / "portal.sqlite", kind, target, reason, "can_bo_tinh")


def test_a_locked_period_keeps_its_figures_until_it_is_reopened(tmp_path, sent):
    run(tmp_path, *(sent[c] for c in ("116", "118", "121", "122")))
    published = query(tmp_path, FIGURES), query(tmp_path, COMPLETENESS)

    decide(tmp_path, "lock", "2023")
    run(tmp_path, sent["121b"])  # the lock and a correction arrive in the same night

    assert query(tmp_path, "SELECT period, locked_by, reason FROM ops.locked_periods") == [
        ("2023", "can_bo_tinh", "Đã thẩm định, phê duyệt")]
    assert statuses(tmp_path, "121") == [(1, "accepted"), (2, "held")]
    assert (query(tmp_path, FIGURES), query(tmp_path, COMPLETENESS)) == published
    (held, report), = query(tmp_path, "SELECT files_held, run_id FROM ops.runs "
                                      "ORDER BY started_at DESC LIMIT 1")
    assert held == 1
    summary = (tmp_path / "reports" / f"run_{report}" / "summary.md").read_text("utf-8")
    assert "giữ lại, kỳ đã khoá (held): 1" in summary
    assert pending_decisions(tmp_path / "portal.sqlite") == []  # applied, and said so

    run(tmp_path)  # a night with nothing new changes nothing either
    assert (query(tmp_path, FIGURES), query(tmp_path, COMPLETENESS)) == published

    decide(tmp_path, "unlock", "2023", "Huyện 121 gửi số liệu đã sửa")
    run(tmp_path)

    assert query(tmp_path, "FROM ops.locked_periods") == []
    assert query(tmp_path, "SELECT action, reason FROM ops.period_decisions ORDER BY "
                           "decided_at") == [("lock", "Đã thẩm định, phê duyệt"),
                                             ("unlock", "Huyện 121 gửi số liệu đã sửa")]
    assert statuses(tmp_path, "121") == [(1, "superseded"), (2, "accepted")]
    assert query(tmp_path, FIGURES) != published[0]
    fresh = tmp_path / "fresh"  # the same files without any lock give the same figures
    run(fresh, *(sent[c] for c in ("116", "118", "121", "122")))
    run(fresh, sent["121b"])
    assert query(tmp_path, FIGURES) == query(fresh, FIGURES)


def test_a_waiver_while_locked_is_recorded_and_counts_once_reopened(tmp_path, sent):
    run(tmp_path, sent["116"], sent["118"])
    (failure,) = query(tmp_path, "SELECT failure_id FROM quality.validation_failures f JOIN "
                                 "raw.submissions s USING (file_hash) WHERE s.district_code = "
                                 "'118' AND f.severity = 'error' LIMIT 1")
    errors = query(tmp_path, "SELECT count(*) FROM quality.validation_failures f JOIN "
                             "raw.submissions s USING (file_hash) WHERE s.district_code = '118' "
                             "AND f.severity = 'error'")[0][0]
    published = query(tmp_path, FIGURES)
    decide(tmp_path, "lock", "2023")
    run(tmp_path)
    record_decision(tmp_path / "portal.sqlite", "waive", failure[0], "Đã xác minh", "can_bo")
    run(tmp_path)

    assert query(tmp_path, "SELECT waived_by FROM quality.waivers") == [("can_bo",)]
    assert query(tmp_path, "SELECT errors FROM raw.submissions WHERE district_code = '118'") \
        == [(errors,)]  # the period's statuses stay as published
    assert query(tmp_path, FIGURES) == published
    decide(tmp_path, "unlock", "2023")
    run(tmp_path)
    assert query(tmp_path, "SELECT errors FROM raw.submissions WHERE district_code = '118'") \
        == [(errors - 1,)]


def test_what_came_before_the_lock_counts_in_the_run_that_applies_it(tmp_path, sent):
    """A waiver and a return a district sent before the steward approved the period count
    when the lock is applied; what comes after it does not, however many nights pass."""
    run(tmp_path, sent["116"], sent["118"])
    errors = query(tmp_path, "SELECT f.failure_id FROM quality.validation_failures f JOIN "
                             "raw.submissions s USING (file_hash) WHERE s.district_code = "
                             "'118' AND f.severity = 'error'")
    for (failure,) in errors:
        record_decision(tmp_path / "portal.sqlite", "waive", failure, "Đã xác minh", "can_bo")
    (tmp_path / "inbox").mkdir(exist_ok=True)
    shutil.copy2(sent["121"], tmp_path / "inbox" / "121_truoc_khi_khoa.xlsx")
    stamp = (dt.datetime.now() - dt.timedelta(minutes=5)).timestamp()
    os.utime(tmp_path / "inbox" / "121_truoc_khi_khoa.xlsx", (stamp, stamp))
    decide(tmp_path, "lock", "2023")  # after the waiver and the return, before any run
    run(tmp_path)

    assert statuses(tmp_path, "118") == [(1, "accepted")]
    assert statuses(tmp_path, "121") == [(1, "accepted")]
    approved = query(tmp_path, FIGURES)
    run(tmp_path, sent["121b"])
    run(tmp_path)
    assert statuses(tmp_path, "121") == [(1, "accepted"), (2, "held")]
    assert query(tmp_path, FIGURES) == approved


def test_new_targets_leave_a_locked_period_as_published(tmp_path, sent):
    """Reference data changed while a period is locked (a district's target added, the
    province's raised) rebuilds nothing of it; reopened, the period takes them."""
    district = ("SELECT indicator_code, sector, value, target, attainment_pct FROM "
                "mart.district_indicators WHERE period = '2023' ORDER BY ALL")
    run(tmp_path, sent["116"], sent["121"])
    decide(tmp_path, "lock", "2023")
    run(tmp_path)
    published = query(tmp_path, FIGURES), query(tmp_path, district)
    targets = tmp_path / "targets.csv"
    targets.write_text(TARGETS_CSV.read_text(encoding="utf-8").replace(
        "2023,14,HTX_TOTAL,900,", "2023,14,HTX_TOTAL,950,") + "2023,116,HTX_TOTAL,50,Huyện\n",
        encoding="utf-8")
    run(tmp_path, targets=targets)

    assert (query(tmp_path, FIGURES), query(tmp_path, district)) == published
    decide(tmp_path, "unlock", "2023")
    run(tmp_path, targets=targets)
    assert query(tmp_path, "SELECT target FROM mart.district_indicators WHERE period = "
                           "'2023' AND district_code = '116' AND indicator_code = 'HTX_TOTAL' "
                           "AND sector = 'ALL'") == [(50.0,)]


def test_new_models_rebuild_every_period_but_a_locked_one(tmp_path, sent):
    """An upgrade whose SQL models differ rebuilds every period, in the new tables' shape;
    a locked period's published rows are kept as they are, night after night."""
    everything = ("SELECT period, indicator_code, sector, value FROM mart.province_indicators "
                  "ORDER BY ALL")
    earlier = write_demo_returns(tmp_path / "2022", period_from_code("2022"), 2022)
    run(tmp_path, sent["116"], sent["121"], *earlier[:3])
    published = query(tmp_path, everything), query(tmp_path, COMPLETENESS)
    decide(tmp_path, "lock", "2023")
    run(tmp_path)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:  # as an older version built it
        con.execute("UPDATE ops.period_builds SET models_digest = 'an older version'")
    run(tmp_path)
    run(tmp_path)

    assert (query(tmp_path, everything), query(tmp_path, COMPLETENESS)) == published
    assert query(tmp_path, "SELECT period FROM ops.period_builds WHERE models_digest = "
                           "'an older version'") == [("2023",)]
    decide(tmp_path, "unlock", "2023")
    run(tmp_path)
    assert query(tmp_path, "SELECT count(*) FROM ops.period_builds WHERE models_digest = "
                           "'an older version'") == [(0,)]
    assert query(tmp_path, everything) == published[0]


def test_decisions_taken_twice_change_nothing_and_unknown_failures_wait(tmp_path, sent):
    run(tmp_path, sent["116"])
    decide(tmp_path, "lock", "2023")
    record_decision(tmp_path / "portal.sqlite", "waive", "khong-co-loi-nay", "Lý do", "can_bo")
    staging = tmp_path / "copy.duckdb"
    shutil.copy(tmp_path / "w.duckdb", staging)
    first = steps.apply_decisions(staging, tmp_path / "portal.sqlite", "r1")
    again = steps.apply_decisions(staging, tmp_path / "portal.sqlite", "r2")  # run died

    assert first == again == [1]  # the lock; the waiver's failure is not in the warehouse
    with duckdb.connect(str(staging), read_only=True) as con:
        assert con.execute("SELECT count(*), min(applied_run) FROM ops.period_decisions"
                           ).fetchall() == [(1, "r1")]
    run(tmp_path)
    assert [d.kind for d in pending_decisions(tmp_path / "portal.sqlite")] == ["waive"]
    assert [d.applied_run is not None for d in all_decisions(tmp_path / "portal.sqlite")] == \
        [True, False]


def test_no_portal_database_is_made_by_a_run(tmp_path, sent):
    run(tmp_path, sent["116"])
    assert not (tmp_path / "portal.sqlite").exists()
