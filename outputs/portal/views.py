"""What the portal shows from the published warehouse, opened read-only for each request
(a publish is seen at once and never blocked), merged with what the portal itself holds:
uploads not yet consolidated, stewards' decisions not yet applied.

A missing or unreadable warehouse is NoWarehouse (a friendly page, never a 500). The
warehouse's queries are in warehouse/sql/portal/, run with bound parameters."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from accounts.db import connect as portal_db
from contracts.vocabularies import SUBMISSION_STATUSES
from outputs.charts import Chart, bar_chart, district_bars
from warehouse import db

# How a return's status is shown: the warehouse's statuses, and an upload the next
# consolidation has not taken yet.
STATUS_LABELS = {**{t.code: t.name_vi for t in SUBMISSION_STATUSES.terms},
                 "received": "đã nhận, chờ tổng hợp"}


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


def _rows(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> list[dict]:
    """The rows of warehouse/sql/<name> as plain dicts."""
    return [{k: _plain(v) for k, v in r.items()}
            for r in db.query(con, name, **params).to_dict("records")]


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
            rows = _rows(con, "portal/returns.sql", period=period, district=district,
                         id=submission_id)
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
        return _rows(con, "portal/failures.sql", period=period, district=district,
                     severity=severity, rule=rule, id=submission_id, failure=failure_id)


def completeness(warehouse: Path) -> list[dict]:
    with published(warehouse) as con:
        return _rows(con, "portal/completeness.sql")


def units(warehouse: Path) -> dict[str, str]:
    with published(warehouse) as con:
        return {r["code"]: r["name"] for r in _rows(con, "portal/units.sql")}


def runs(warehouse: Path) -> list[dict]:
    with published(warehouse) as con:
        return _rows(con, "portal/runs.sql")


def indicators(warehouse: Path, period: str | None, district: str | None) -> list[dict]:
    """Published indicator rows for all sectors: the province's, or one district's."""
    with published(warehouse) as con:
        frame = db.query(con, "report/indicators.sql", district=district, period=period)
    return [{k: _plain(v) for k, v in r.items()} for r in frame.to_dict("records")]


CHART_WIDTH = 480  # px of the SVG's own coordinates; the page scales it to its column


def indicator_charts(warehouse: Path, period: str, district: str | None = None
                     ) -> list[dict]:
    """Every published indicator of the period, in the catalogue's order: the province's
    figure with its coverage (districts covered / expected) and a bar chart of its value
    across the period's expected districts (a district without a figure says so; the
    chosen district's bar is marked)."""
    with published(warehouse) as con:
        province = _rows(con, "report/headline.sql", periods=[period])
        values = _rows(con, "report/district_values.sql", periods=[period])
        expected = [c for c in _rows(con, "portal/completeness.sql") if c["period"] == period]
    by_indicator: dict[str, dict[str, float | None]] = {}
    for v in values:
        by_indicator.setdefault(v["indicator_code"], {})[v["district_code"]] = v["value"]
    tones = {district: "picked"} if district else None
    return [p | {"chart": _chart(p, period, expected, by_indicator.get(p["indicator_code"], {}),
                                 tones)} for p in province]


def _chart(indicator: dict, period: str, expected: list[dict],
           values: dict[str, float | None], tones: dict[str, str] | None) -> Chart | None:
    title = f"{indicator['indicator_name_vi']} ({indicator['unit']}) theo đơn vị, kỳ {period}"
    return bar_chart(district_bars(expected, values, tones=tones), title=title,
                     width=CHART_WIDTH)


def held_returns(warehouse: Path, period: str | None = None) -> list[dict]:
    """Returns received while their period was locked ('held'): they count once a steward
    reopens the period."""
    try:
        with published(warehouse) as con:
            rows = _rows(con, "portal/returns.sql", period=period, district=None, id=None)
    except NoWarehouse:
        return []
    return [r for r in rows if r["status"] == "held"]
