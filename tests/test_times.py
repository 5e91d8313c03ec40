"""Times are stored with their zone (TIMESTAMPTZ) and deadlines are days in the reporting
units' zone (Asia/Ho_Chi_Minh): a return received at 23:30 in Sơn La on the deadline is on
time, one received at 00:30 the next morning is late, whatever the server's own zone. A
warehouse written before times had their zone gets them on its next run."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from pathlib import Path

import duckdb
import pytest

from flows import steps
from flows.settings import Settings
from demo.province import write_demo_returns
from transforms.periods import period_from_code

UTC = dt.timezone.utc
# the 2023 annual deadline is 15 January 2024; Vietnam is UTC+7
BEFORE_MIDNIGHT_THERE = dt.datetime(2024, 1, 15, 16, 30, tzinfo=UTC)  # 23:30 in Sơn La
AFTER_MIDNIGHT_THERE = dt.datetime(2024, 1, 15, 17, 30, tzinfo=UTC)  # 00:30 on the 16th


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("demo")
    return {p.name[:3]: p for p in write_demo_returns(folder, period_from_code("2023"))}


def _run(root: Path) -> None:
    steps.consolidate(Settings(inbox=root / "inbox", warehouse=root / "w.duckdb",
                               reports=root / "reports", archive=root / "archive",
                               settle_seconds=0), str(uuid.uuid4()))


def _deliver(root: Path, path: Path, at: dt.datetime) -> None:
    (root / "inbox").mkdir(parents=True, exist_ok=True)
    target = root / "inbox" / path.name
    shutil.copy(path, target)
    os.utime(target, (at.timestamp(), at.timestamp()))


def _query(root: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(root / "w.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_deadline_is_a_day_in_the_reporting_units_zone(tmp_path, generated):
    _deliver(tmp_path, generated["121"], BEFORE_MIDNIGHT_THERE)  # clean returns both
    _deliver(tmp_path, generated["122"], AFTER_MIDNIGHT_THERE)
    _run(tmp_path)
    assert _query(tmp_path, "SELECT district_code, status, on_time FROM mart.completeness "
                            "WHERE district_code IN ('121', '122') ORDER BY 1") == \
        [("121", "accepted", True), ("122", "accepted", False)]
    assert _query(tmp_path, "SELECT received_at FROM raw.submissions ORDER BY 1") == \
        [(BEFORE_MIDNIGHT_THERE,), (AFTER_MIDNIGHT_THERE,)]


def test_every_time_is_stored_with_its_zone(tmp_path, generated):
    _deliver(tmp_path, generated["121"], BEFORE_MIDNIGHT_THERE)
    _run(tmp_path)
    types = _query(tmp_path, "SELECT DISTINCT data_type FROM duckdb_columns() "
                             "WHERE NOT internal AND data_type LIKE 'TIMESTAMP%'")
    assert types == [("TIMESTAMP WITH TIME ZONE",)]


def test_a_warehouse_with_times_without_zone_gets_them_on_its_next_run(tmp_path, generated):
    _deliver(tmp_path, generated["121"], BEFORE_MIDNIGHT_THERE)
    _run(tmp_path)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:  # as an older version wrote it
        con.execute("SET TimeZone = 'UTC'")
        con.execute("ALTER TABLE raw.submissions_received ALTER received_at TYPE TIMESTAMP")
        con.execute("ALTER TABLE ops.runs ALTER started_at TYPE TIMESTAMP")
    _deliver(tmp_path, generated["122"], AFTER_MIDNIGHT_THERE)
    _run(tmp_path)
    assert _query(tmp_path, "SELECT DISTINCT data_type FROM duckdb_columns() WHERE NOT "
                            "internal AND column_name IN ('received_at', 'started_at')") == \
        [("TIMESTAMP WITH TIME ZONE",)]
    assert _query(tmp_path, "SELECT count(*) FROM ops.runs")[0][0] == 2
