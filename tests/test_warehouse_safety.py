"""A warehouse analysts can trust: a killed run leaves the published warehouse as it was,
readers never block the run nor see half of it, resubmissions keep their history, a run
with nothing new changes nothing, and reporting units can change by data alone.

Runs here are the whole consolidation as plain functions (flows/steps.py), in a separate
process where a test kills it."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from outputs.template import write_return
from fixtures.returns import base_roster, base_tasks, base_totals, base_unions
from flows import steps
from flows.settings import Settings
from demo.province import write_demo_returns
from transforms.periods import period_from_code
from conftest import without_run_times

ROOT = Path(__file__).resolve().parent.parent
KILLED_RUN = str(ROOT / "tests" / "killed_run.py")  # a run in its own process, killable
KILL_POINTS = ["read_returns", "load_returns", "materialize_indicators", "replace"]
STABLE_TABLES = ["core.coop_returns", "core.union_returns", "mart.completeness",
                 "mart.district_indicators", "mart.province_indicators"]


def settings(root: Path, **extra) -> Settings:
    return Settings(inbox=root / "inbox", warehouse=root / "w.duckdb", reports=root / "reports",
                    archive=root / "archive", settle_seconds=0, **extra)


def run(root: Path, **extra) -> dict:
    return steps.consolidate(settings(root, **extra), str(uuid.uuid4()))


def run_in_process(root: Path, kill_at: str | None = None) -> subprocess.CompletedProcess:
    point = [kill_at] if kill_at else []
    return subprocess.run([sys.executable, KILLED_RUN, str(root), *point], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def deliver(root: Path, files: list[Path]) -> None:
    (root / "inbox").mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copy2(path, root / "inbox" / path.name)


def snapshot(warehouse: Path, tables: list[str] | None = None) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = tables or [t for (t,) in con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").df() for t in names}


def assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for table in a:
        pd.testing.assert_frame_equal(a[table], b[table], obj=table)


def base_return(folder: Path, name: str, period: str = "2023", **changes) -> Path:
    roster = changes.pop("roster", base_roster())
    return write_return(folder / name, unit_code=changes.pop("unit_code", "125"),
                        unit_name=changes.pop("unit_name", "Huyện Mai Sơn"),
                        period=period_from_code(period), roster=roster, unions=base_unions(),
                        totals=base_totals(roster), tasks=base_tasks(),
                        declared_task_count=len(base_tasks()), prepared_on=dt.date(2024, 1, 5))


@pytest.fixture(scope="module")
def batches(tmp_path_factory) -> tuple[list[Path], list[Path]]:
    """A first return (2022), then the demo province for 2023."""
    folder = tmp_path_factory.mktemp("batches")
    first = [base_return(folder, "125_2022.xlsx", "2022")]
    return first, write_demo_returns(folder / "demo", period_from_code("2023"), 2023)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, batches) -> dict[str, pd.DataFrame]:
    root = tmp_path_factory.mktemp("reference")
    for batch in batches:
        deliver(root, batch)
        run(root)
    return snapshot(root / "w.duckdb", STABLE_TABLES)


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_killed_run_leaves_the_published_warehouse_as_it_was(tmp_path, batches, point,
                                                                uninterrupted):
    first, second = batches
    deliver(tmp_path, first)
    run(tmp_path)
    before = snapshot(tmp_path / "w.duckdb")
    deliver(tmp_path, second)

    killed = run_in_process(tmp_path, kill_at=point)

    assert killed.returncode == -9, killed.stderr
    assert_same(snapshot(tmp_path / "w.duckdb"), before)
    assert len(list((tmp_path / "inbox").iterdir())) == len(second)  # nothing lost
    finished = run_in_process(tmp_path)
    assert finished.returncode == 0, finished.stderr
    # when files were received depends on when the runs before started (a received time is
    # never before the last run's start): every other column must be the same
    assert_same(without_run_times(snapshot(tmp_path / "w.duckdb", STABLE_TABLES)),
                without_run_times(uninterrupted))


READER = """
import sys, time, duckdb
from pathlib import Path
con = duckdb.connect(sys.argv[1], read_only=True)
count = lambda: con.execute("SELECT count(*) FROM raw.submissions").fetchone()[0]
print(count(), flush=True)
Path(sys.argv[2]).touch()
while not Path(sys.argv[3]).exists():
    time.sleep(0.05)
print(count(), flush=True)
"""


def test_a_reader_holding_the_warehouse_open_neither_blocks_nor_sees_the_run(tmp_path, batches):
    first, second = batches
    deliver(tmp_path, first)
    run(tmp_path)
    ready, done = tmp_path / "ready", tmp_path / "done"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(tmp_path / "w.duckdb"),
                               str(ready), str(done)], stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        deliver(tmp_path, second)
        result = run(tmp_path)  # the reader holds its connection all along
        done.touch()
        out, _ = reader.communicate(timeout=60)
    finally:
        reader.kill()
    assert result["run"]["files_new"] == len(second)
    assert out.split() == ["1", "1"]  # a consistent view of the warehouse it opened
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.submissions").fetchone()[0] == 13


def submissions(root: Path) -> list[tuple]:
    with duckdb.connect(str(root / "w.duckdb"), read_only=True) as con:
        return con.execute("SELECT file_name, version, status FROM raw.submissions "
                           "ORDER BY version, file_name").fetchall()


def completeness(root: Path) -> tuple:
    with duckdb.connect(str(root / "w.duckdb"), read_only=True) as con:
        return con.execute("SELECT status, latest_status, accepted_version, submissions FROM "
                           "mart.completeness WHERE district_code = '125'").fetchone()


def members(root: Path) -> float:
    with duckdb.connect(str(root / "w.duckdb"), read_only=True) as con:
        return con.execute("SELECT value FROM mart.district_indicators WHERE district_code = "
                           "'125' AND indicator_code = 'MEMBERS' AND sector = 'ALL'").fetchone()[0]


def _later(path: Path, seconds: int) -> Path:
    stamp = time.time() - 86400 + seconds
    os.utime(path, (stamp, stamp))
    return path


def test_an_accepted_correction_supersedes_the_first_version(tmp_path):
    deliver(tmp_path, [_later(base_return(tmp_path, "v1.xlsx"), 0)])
    run(tmp_path)
    corrected = base_roster()
    corrected.loc[0, "members"] = corrected.loc[0, "members"] + 10
    deliver(tmp_path, [_later(base_return(tmp_path, "v2.xlsx", roster=corrected), 60)])
    run(tmp_path)
    assert submissions(tmp_path) == [("v1.xlsx", 1, "superseded"), ("v2.xlsx", 2, "accepted")]
    assert completeness(tmp_path) == ("accepted", "accepted", 2, 2)
    assert members(tmp_path) == base_totals(corrected)["members"]
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        (source,) = con.execute("SELECT DISTINCT s.file_name FROM core.coop_returns c JOIN "
                                "raw.submissions s USING (file_hash)").fetchall()
    assert source == ("v2.xlsx",)


def test_a_rejected_correction_leaves_the_accepted_version_in_force(tmp_path):
    deliver(tmp_path, [_later(base_return(tmp_path, "v1.xlsx"), 0)])
    run(tmp_path)
    broken = base_roster()
    broken.loc[0, "managers_trained"] = 99
    deliver(tmp_path, [_later(base_return(tmp_path, "v2.xlsx", roster=broken), 60)])
    run(tmp_path)
    assert submissions(tmp_path) == [("v1.xlsx", 1, "accepted"), ("v2.xlsx", 2, "rejected")]
    assert completeness(tmp_path) == ("accepted", "rejected", 1, 2)
    assert members(tmp_path) == base_totals()["members"]


@pytest.mark.parametrize("second_name", ["v1.xlsx", "renamed.xlsx"],
                         ids=["the same file sent twice", "the same file renamed"])
def test_the_same_bytes_are_processed_once(tmp_path, second_name):
    original = base_return(tmp_path, "v1.xlsx")
    deliver(tmp_path, [original])
    run(tmp_path)
    before = snapshot(tmp_path / "w.duckdb", STABLE_TABLES)
    (tmp_path / "inbox").mkdir(exist_ok=True)
    shutil.copy2(original, tmp_path / "inbox" / second_name)
    second = run(tmp_path)
    assert second["run"]["files_seen"] == 1 and second["run"]["files_new"] == 0
    assert submissions(tmp_path) == [("v1.xlsx", 1, "accepted")]
    assert_same(snapshot(tmp_path / "w.duckdb", STABLE_TABLES), before)
    assert not any((tmp_path / "inbox").iterdir())  # archived, so taken out of the inbox


def test_a_run_with_nothing_new_reads_no_return(tmp_path, monkeypatch):
    deliver(tmp_path, [base_return(tmp_path, "v1.xlsx")])
    run(tmp_path)
    before = snapshot(tmp_path / "w.duckdb", STABLE_TABLES)

    def refuse(what, *args, **kwargs):
        if not isinstance(what, list) or what:  # a path read, or a non-empty batch
            raise AssertionError("a return was read or validated")
        return what

    monkeypatch.setattr(steps, "read_return", refuse)
    monkeypatch.setattr(steps, "check_returns", refuse)
    assert run(tmp_path)["run"]["files_new"] == 0
    assert_same(snapshot(tmp_path / "w.duckdb", STABLE_TABLES), before)


def test_originals_are_archived_and_leave_the_inbox(tmp_path):
    path = base_return(tmp_path, "v1.xlsx")
    deliver(tmp_path, [path])
    run(tmp_path)
    assert not any((tmp_path / "inbox").iterdir())
    (archived,) = (tmp_path / "archive").rglob("*.xlsx")
    assert archived.read_bytes() == path.read_bytes()


COMMUNES = """code,name,level,parent_code,valid_from,valid_to,aliases
14,Tỉnh Sơn La,province,,1976-01-01,,Sơn La
116,Thành phố Sơn La,district,14,2008-09-03,2025-06-30,TP Sơn La
125,Huyện Mai Sơn,district,14,1976-01-01,2025-06-30,Mai Sơn
03646,Phường Tô Hiệu,commune,14,2025-07-01,,Tô Hiệu
03679,Phường Chiềng An,commune,14,2025-07-01,,Chiềng An
04075,Xã Mai Sơn,commune,14,2025-07-01,,
"""


def test_communes_replace_districts_by_swapping_reference_data(tmp_path):
    units = tmp_path / "units.csv"
    units.write_text(COMMUNES, encoding="utf-8")
    deliver(tmp_path, [base_return(tmp_path, "to_hieu.xlsx", "2025S2", unit_code="03646",
                                   unit_name="Phường Tô Hiệu")])
    run(tmp_path, reporting_units=units)
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        expected = con.execute("SELECT district_code, status FROM mart.completeness "
                               "WHERE period = '2025S2' ORDER BY 1").fetchall()
        value = con.execute("SELECT value FROM mart.district_indicators WHERE district_code = "
                            "'03646' AND indicator_code = 'HTX_TOTAL' AND sector = 'ALL'"
                            ).fetchone()[0]
    assert expected == [("03646", "accepted"), ("03679", "missing"), ("04075", "missing")]
    assert value == base_totals()["total_coops"]


def test_a_second_run_while_one_works_stops_at_once(tmp_path):
    from warehouse.publish import run_lock

    with run_lock(tmp_path / "w.duckdb"):
        with pytest.raises(RuntimeError, match="another run"):
            run(tmp_path)


def test_a_unit_list_where_no_unit_has_ended_still_reads(tmp_path):
    units = tmp_path / "units.csv"
    units.write_text("code,name,level,parent_code,valid_from,valid_to,aliases\n"
                     "14,Tỉnh Sơn La,province,,1976-01-01,,\n"
                     "125,Huyện Mai Sơn,district,14,1976-01-01,,Mai Sơn\n", encoding="utf-8")
    deliver(tmp_path, [base_return(tmp_path, "r.xlsx")])
    run(tmp_path, reporting_units=units)
    assert submissions(tmp_path) == [("r.xlsx", 1, "accepted")]


# --- incremental marts ------------------------------------------------------------------------

def rebuilt_from_scratch(warehouse: Path, folder: Path) -> dict[str, pd.DataFrame]:
    """The core and mart tables of a copy of the warehouse, every period rebuilt anew."""
    from warehouse import store
    from warehouse.db import connect

    copy = Path(shutil.copy(warehouse, folder / "scratch.duckdb"))
    with connect(copy) as con:
        for statement in ("DELETE FROM ops.period_builds", "DELETE FROM core.coop_returns",
                          "DELETE FROM core.union_returns",
                          "DROP TABLE mart.district_indicators"):
            con.execute(statement)
        store.materialize(con, "from scratch")
    return snapshot(copy, STABLE_TABLES)


def builds(root: Path) -> dict[str, str]:
    """Period -> the run that last built its core and district rows."""
    with duckdb.connect(str(root / "w.duckdb"), read_only=True) as con:
        return dict(con.execute("SELECT period, run_id FROM ops.period_builds").fetchall())


def test_each_run_rebuilds_only_the_periods_that_changed_and_equals_a_rebuild_of_all(
        tmp_path, batches):
    """A run rebuilds the core and district rows of the periods where a status changed or
    their reference data did, keeps the others, and ends exactly where rebuilding every
    period from scratch ends: after new returns, a correction, a waiver, new targets and a
    new deadline."""
    root, scratch = tmp_path / "w", tmp_path / "scratch"
    scratch.mkdir()
    first, province = batches
    targets = tmp_path / "targets.csv"
    targets.write_text("period,unit_code,indicator_code,target,source\n", encoding="utf-8")

    def step(**extra) -> dict[str, str]:
        run(root, targets=targets, **extra)
        assert_same(snapshot(root / "w.duckdb", STABLE_TABLES),
                    rebuilt_from_scratch(root / "w.duckdb", scratch))
        return builds(root)

    deliver(root, first)
    after_2022 = step()
    deliver(root, province)
    after_2023 = step()
    assert after_2023["2022"] == after_2022["2022"] != after_2023["2023"]

    corrected = base_roster()
    corrected.loc[0, "members"] = corrected.loc[0, "members"] + 10
    deliver(root, [_later(base_return(tmp_path, "125_2022_v2.xlsx", "2022", roster=corrected),
                          60)])
    after_correction = step()
    assert after_correction["2023"] == after_2023["2023"] != after_correction["2022"]

    with duckdb.connect(str(root / "w.duckdb"), read_only=True) as con:
        rejected = con.execute(
            "SELECT f.failure_id FROM quality.validation_failures f JOIN raw.submissions s "
            "USING (file_hash) WHERE s.status = 'rejected' AND s.period = '2023' "
            "AND f.severity = 'error' AND s.file_hash = (SELECT min(file_hash) FROM "
            "raw.submissions WHERE status = 'rejected' AND period = '2023')").fetchall()
    for (failure_id,) in rejected:
        steps.waive(settings(root), failure_id, "đã xác minh", "kiểm thử")
    after_waiver = step()
    assert after_waiver["2022"] == after_correction["2022"] != after_waiver["2023"]

    targets.write_text("period,unit_code,indicator_code,target,source\n"
                       "2022,125,HTX_TOTAL,10,kiểm thử\n", encoding="utf-8")
    after_targets = step()
    assert all(after_targets[p] != after_waiver[p] for p in after_targets)

    after_deadline = step(annual_deadline="06-30")  # both are annual periods
    assert all(after_deadline[p] != after_targets[p] for p in ("2022", "2023"))


# --- publishing: the swap itself ---------------------------------------------------------------
# The crash tests above kill a run before the swap; these look inside it. Publishing must put
# the new file in place in one step: a reader that opened the old file keeps reading all of it,
# and a run that dies while publishing leaves the old file as it was.

OLD, NEW = b"published warehouse " * 100_000, b"staged warehouse, all of it " * 100_000


class Killed(BaseException):
    """The process dying where the test says: nothing after it runs, nothing catches it."""


def _published_and_staged(folder: Path) -> tuple[Path, Path]:
    from warehouse.publish import staging_path

    published = folder / "w.duckdb"
    published.write_bytes(OLD)
    staging_path(published).write_bytes(NEW)
    return published, staging_path(published)


def test_a_reader_holding_the_warehouse_open_while_a_run_publishes_reads_the_whole_old_file(
        tmp_path):
    from warehouse.publish import publish

    published, staging = _published_and_staged(tmp_path)
    with open(published, "rb") as reader:  # an analyst's connection, opened before the run
        reader.read(len(OLD) // 2)
        publish(staging, published)
        assert reader.read() == OLD[len(OLD) // 2:]  # never a partly written or a new file
        reader.seek(0)
        assert reader.read() == OLD
    assert published.read_bytes() == NEW  # a new reader sees the whole new file
    assert not staging.exists()  # the staging copy became the published file, not copied


def test_a_run_killed_while_publishing_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    """Death the moment anything opens the published file to write into it (with an open
    that truncates, as a copy does): the old file must still be whole, as it is when the
    new file is swapped in by a rename."""
    import builtins
    import io

    from warehouse.publish import publish

    published, staging = _published_and_staged(tmp_path)
    real_open, real_os_open = builtins.open, os.open

    def dying_open(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        if Path(file) == published and any(m in mode for m in "wax+"):
            raise Killed(f"killed while writing into {file}")
        return handle

    def dying_os_open(path, flags, *args, **kwargs):
        fd = real_os_open(path, flags, *args, **kwargs)
        if Path(path) == published and flags & (os.O_WRONLY | os.O_RDWR | os.O_TRUNC):
            raise Killed(f"killed while writing into {path}")
        return fd

    for module in (builtins, io):
        monkeypatch.setattr(module, "open", dying_open)
    monkeypatch.setattr(os, "open", dying_os_open)
    try:
        publish(staging, published)
    except Killed:
        pass
    assert published.read_bytes() in (OLD, NEW)  # whole: the old file, or the new one


def test_a_run_starts_from_the_published_file_never_from_a_dead_run_s_staging(tmp_path):
    from warehouse.publish import open_staging

    published, staging = _published_and_staged(tmp_path)  # a dead run left its staging copy
    staging.with_name(staging.name + ".wal").write_bytes(b"half a transaction")
    assert open_staging(published) == staging
    assert staging.read_bytes() == OLD
    assert not staging.with_name(staging.name + ".wal").exists()
