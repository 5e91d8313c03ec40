"""What the portal shows from the published warehouse, opened read-only for each request
(a publish is seen at once and never blocked), merged with what the portal itself holds:
uploads not yet consolidated, stewards' decisions not yet applied.

A missing or unreadable warehouse is NoWarehouse (a friendly page, never a 500). All SQL
here is constant text with bound parameters."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from accounts.db import connect as portal_db
from warehouse import db

RETURNS = """
SELECT file_hash AS submission_id, file_name, district_code, period, version, status,
       received_at, errors, warnings
FROM raw.submissions
WHERE ($period::VARCHAR IS NULL OR period = $period)
  AND ($district::VARCHAR IS NULL OR district_code = $district)
  AND ($id::VARCHAR IS NULL OR file_hash = $id)
ORDER BY period DESC NULLS LAST, district_code, version, received_at
"""
FAILURES = """
SELECT f.failure_id, f.file_hash AS submission_id, f.district_code, f.period, f.sheet,
       f.cell, f.rule_code, f.severity, f.value_found, f.message_vi, f.waived,
       s.file_name, s.status AS file_status
FROM quality.validation_failures AS f
JOIN raw.submissions AS s USING (file_hash)
WHERE ($period::VARCHAR IS NULL OR f.period = $period)
  AND ($district::VARCHAR IS NULL OR f.district_code = $district)
  AND ($severity::VARCHAR IS NULL OR f.severity = $severity)
  AND ($rule::VARCHAR IS NULL OR f.rule_code = $rule)
  AND ($id::VARCHAR IS NULL OR f.file_hash = $id)
  AND ($failure::VARCHAR IS NULL OR f.failure_id = $failure)
ORDER BY f.district_code, f.period, f.severity, f.sheet, f.row_number, f.cell
"""
COMPLETENESS = """
SELECT period, district_code, district_name, expected, received, submissions, status,
       latest_status, accepted_version, first_received_at, deadline, on_time
FROM mart.completeness ORDER BY period DESC, district_code
"""
UNITS = "SELECT code, name FROM ref.reporting_units ORDER BY code"
RUNS = """
SELECT run_id, started_at, finished_at, files_seen, files_new, files_accepted,
       files_rejected, files_unreadable, outcome
FROM ops.runs ORDER BY started_at DESC LIMIT 50
"""


class NoWarehouse(RuntimeError):
    """No published warehouse yet, or one that cannot be read."""


@contextmanager
def published(path: Path):
    """The published warehouse, read-only, for one request."""
    if not path.exists():
        raise NoWarehouse(f"chưa có kho dữ liệu công bố tại {path}")
    try:
        con = db.connect(path, read_only=True)
    except duckdb.Error as exc:
        raise NoWarehouse(f"không mở được kho dữ liệu ({type(exc).__name__})") from exc
    try:
        yield con
    except duckdb.Error as exc:
        raise NoWarehouse(f"không đọc được kho dữ liệu ({type(exc).__name__})") from exc
    finally:
        con.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, **params: object) -> list[dict]:
    used = {k: v for k, v in params.items() if f"${k}" in sql}
    return [{k: _plain(v) for k, v in r.items()}
            for r in con.execute(sql, used or None).df().to_dict("records")]


def _plain(value: object) -> object:
    """A value JSON and templates take: None for missing, ISO text for times."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def returns(warehouse: Path, portal: Path, period: str | None = None,
            district: str | None = None, submission_id: str | None = None) -> list[dict]:
    """Returns in the warehouse, then uploads the next consolidation has not taken yet
    (status 'received', with the check's verdict)."""
    try:
        with published(warehouse) as con:
            rows = _rows(con, RETURNS, period=period, district=district, id=submission_id)
    except NoWarehouse:
        rows = []
    known = {r["submission_id"] for r in rows}
    return rows + [u for u in pending_uploads(portal, period, district, submission_id)
                   if u["submission_id"] not in known]


def pending_uploads(portal: Path, period: str | None, district: str | None,
                    submission_id: str | None = None) -> list[dict]:
    with portal_db(portal) as con:
        found = con.execute(
            "SELECT * FROM uploads WHERE (? IS NULL OR period = ?) "
            "AND (? IS NULL OR coalesce(district_code, uploader_unit) = ?) "
            "AND (? IS NULL OR submission_id = ?) ORDER BY uploaded_at DESC",
            (period, period, district, district, submission_id, submission_id)).fetchall()
    return [{"submission_id": u["submission_id"], "file_name": u["file_name"],
             "district_code": u["district_code"] or u["uploader_unit"], "period": u["period"],
             "version": None, "status": "received", "check_status": u["check_status"],
             "received_at": u["uploaded_at"]} for u in found]


def upload(portal: Path, submission_id: str) -> dict | None:
    """The portal's record of an upload: its check's answer, who sent it."""
    with portal_db(portal) as con:
        row = con.execute("SELECT * FROM uploads WHERE submission_id = ?",
                          (submission_id,)).fetchone()
    return None if row is None else dict(row) | {"result": json.loads(row["result_json"])}


def failures(warehouse: Path, period: str | None = None, district: str | None = None,
             severity: str | None = None, rule: str | None = None,
             submission_id: str | None = None, failure_id: str | None = None) -> list[dict]:
    with published(warehouse) as con:
        return _rows(con, FAILURES, period=period, district=district, severity=severity,
                     rule=rule, id=submission_id, failure=failure_id)


def completeness(warehouse: Path) -> list[dict]:
    with published(warehouse) as con:
        return _rows(con, COMPLETENESS)


def units(warehouse: Path) -> dict[str, str]:
    with published(warehouse) as con:
        return {r["code"]: r["name"] for r in _rows(con, UNITS)}


def runs(warehouse: Path) -> list[dict]:
    with published(warehouse) as con:
        return _rows(con, RUNS)


def indicators(warehouse: Path, period: str | None, district: str | None) -> list[dict]:
    """Published indicator rows for all sectors: the province's, or one district's."""
    with published(warehouse) as con:
        frame = db.query(con, "report/indicators.sql", district=district, period=period)
    return [{k: _plain(v) for k, v in r.items()} for r in frame.to_dict("records")]
