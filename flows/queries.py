"""Read-only look-ups behind `htx review` and `htx indicators`: a missing or damaged
warehouse and a code it does not know are said in one line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from flows.settings import load_settings
from outputs import terminal
from warehouse import db
from outputs.escape import terminal_text, to_csv


class WarehouseError(RuntimeError):
    """The warehouse is missing or cannot be read; the message says what to do."""


class UnknownCode(ValueError):
    """A district or period code the warehouse does not know (a usage error)."""


def warehouse_path(warehouse: Path | None) -> Path:
    path = load_settings(warehouse=warehouse).warehouse
    if not path.exists():
        raise WarehouseError(f"chưa có kho dữ liệu tại {path}: chạy `htx run` hoặc `htx demo` "
                             f"trước / no warehouse at {path}: run `htx run` or `htx demo` first")
    return path


def damaged(path: Path, exc: Exception) -> WarehouseError:
    reason = terminal_text(str(exc).strip().splitlines()[0] if str(exc).strip() else
                           type(exc).__name__, one_line=True)[:200]
    return WarehouseError(
        f"kho dữ liệu {path} bị hỏng, không đọc được / the warehouse is damaged and cannot "
        f"be read ({reason}): chạy `htx restore` để lấy lại bản công bố trước / run "
        "`htx restore` to bring back the previous published copy")


def check_warehouse(path: Path, every_block: bool = False) -> None:
    """Raise WarehouseError when the file at `path` is not a readable warehouse: not a
    DuckDB file, shorter than its own blocks say (truncated), without the run table, or
    (`every_block`, before a run or a waiver copies it) with a block that fails its
    checksum when every table is read."""
    try:
        with db.connect(path, read_only=True) as con:
            _check_size(con, path)
            con.execute("SELECT count(*) FROM ops.runs").fetchone()
            if every_block:
                db.read_every_table(con)
    except duckdb.Error as exc:
        raise damaged(path, exc) from None


def _check_size(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """The file holds at least the blocks in use. (Not `total_blocks`: it counts free blocks
    too, and DuckDB cuts free blocks off the end of the file at a checkpoint, so a whole
    file can be shorter than all its blocks. A cut through blocks in use fails when they
    are read: check_warehouse(every_block=True).)"""
    block_size, used = con.execute(
        "SELECT block_size, used_blocks FROM pragma_database_size()").fetchone()
    expected = block_size * used
    if path.stat().st_size < expected:
        raise duckdb.IOException(f"tệp ngắn hơn dữ liệu của nó / the file is truncated: "
                                 f"{path.stat().st_size} < {expected} bytes")


def _read(warehouse: Path | None, sql: str, district: str | None = None,
          period: str | None = None, known_rule: str | None = None, **params) -> pd.DataFrame:
    path = warehouse_path(warehouse)
    try:
        with db.connect(path, read_only=True) as con:
            _check_size(con, path)
            _check_codes(con, district, period, known_rule)
            return db.query(con, sql, district=district, period=period, **params)
    except duckdb.Error as exc:
        raise damaged(path, exc) from None


def _check_codes(con: duckdb.DuckDBPyConnection, district: str | None,
                 period: str | None, rule: str | None = None) -> None:
    if district is not None:
        units = db.query(con, "report/unit_names.sql")
        if district not in set(units["code"]):
            raise UnknownCode(f"không có đơn vị mã {terminal_text(district, True)!r} trong "
                              "danh mục đơn vị báo cáo / unknown district code (xem / see "
                              "contracts/reference/reporting_units.csv)")
    if period is not None:
        known = sorted(set(db.query(con, "report/submitted_periods.sql")["period"]))
        if period not in known:
            raise UnknownCode(f"kho dữ liệu chưa có báo cáo nào cho kỳ {period} (các kỳ có: "
                              f"{', '.join(known) or 'chưa có'}) / no returns for period "
                              f"{period} in the warehouse")
    if rule is not None and rule not in set(db.query(con, "report/rule_codes.sql")["rule_code"]):
        raise UnknownCode(f"không có quy tắc mã {terminal_text(rule, True)!r} / unknown rule "
                          "code (xem / see docs/rules.md)")


def failures(warehouse: Path | None, district: str | None, period, severity: str | None = None,
             rule: str | None = None) -> pd.DataFrame:
    frame = _read(warehouse, "report/review.sql", district=district,
                  period=period.code if period else None, severity=severity, rule=rule,
                  known_rule=rule)
    return frame.assign(waiver_state=[_waiver_state(w, r) for w, r in
                                      zip(frame["waived"], frame["waiver_recorded"])])


def _waiver_state(waived: object, recorded: object) -> str:
    if bool(waived):
        return "đã được chấp nhận (waived)"
    if bool(recorded):
        return "đã chấp nhận, chờ lần chạy tới (waived, pending the next run)"
    return ""


CSV_COLUMNS = ["district_code", "district_name", "period", "file_name", "version",
               "file_status", "cell", "rule_code", "severity", "value_found", "message_vi",
               "message_en", "failure_id", "waived", "waiver_state"]


def formatted(frame: pd.DataFrame, fmt: str) -> str:
    if fmt == "csv":
        rows = frame[CSV_COLUMNS].astype(object).itertuples(index=False, name=None)
        return to_csv(CSV_COLUMNS, rows)
    if fmt == "json":
        return frame.drop(columns=["waived_at"]).to_json(orient="records", force_ascii=False,
                                                         indent=2) + "\n"
    return terminal.review_text(frame)


def indicators(warehouse: Path | None, period, district: str | None) -> pd.DataFrame:
    return _read(warehouse, "report/indicators.sql", district=district,
                 period=period.code if period else None)


def indicators_text(warehouse: Path | None, period, district: str | None) -> str:
    frame = indicators(warehouse, period, district)
    name = None
    if district:
        with db.connect(warehouse_path(warehouse), read_only=True) as con:
            units = db.query(con, "report/unit_names.sql")
        name = f"{dict(zip(units['code'], units['name'])).get(district, '')} ({district})"
    return terminal.indicators_text(frame, name)
