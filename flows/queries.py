"""Read-only look-ups behind `htx review` and `htx indicators`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from flows.settings import load_settings
from warehouse import db


def _read(warehouse: Path | None, sql: str, **params) -> pd.DataFrame:
    path = load_settings(warehouse=warehouse).warehouse
    if not path.exists():
        raise RuntimeError(f"no warehouse at {path}: run `htx run` or `htx demo` first")
    with db.connect(path, read_only=True) as con:
        return db.query(con, sql, **params)


def failures(warehouse: Path | None, district: str | None, period, severity: str | None = None,
             rule: str | None = None) -> pd.DataFrame:
    return _read(warehouse, "report/review.sql", district=district,
                 period=period.code if period else None, severity=severity, rule=rule)


REVIEW_COLUMNS = ["cell", "rule_code", "severity", "value_found", "message_vi", "failure_id",
                  "waived"]


def review_text(frame: pd.DataFrame) -> str:
    """Failures grouped by district and file, as a steward reads them."""
    if frame.empty:
        return "(không có lỗi nào / no failures)"
    blocks = []
    for (code, name), district in frame.groupby(["district_code", "district_name"],
                                                dropna=False, sort=False):
        blocks.append(f"== {name if isinstance(name, str) else 'Không rõ đơn vị'} "
                      f"({code if isinstance(code, str) else '?'}) ==")
        for (file, status), rows in district.groupby(["file_name", "file_status"], sort=False):
            blocks.append(f"-- {file} ({status})")
            blocks.append(as_text(rows, REVIEW_COLUMNS))
    return "\n".join(blocks)


def formatted(frame: pd.DataFrame, fmt: str) -> str:
    if fmt == "csv":
        return frame.to_csv(index=False)
    if fmt == "json":
        return frame.to_json(orient="records", force_ascii=False, indent=2)
    return review_text(frame)


def indicators(warehouse: Path | None, period, district: str | None) -> pd.DataFrame:
    return _read(warehouse, "report/indicators.sql", district=district,
                 period=period.code if period else None)


def as_text(frame: pd.DataFrame, columns: list[str]) -> str:
    if frame.empty:
        return "(không có dòng nào / no rows)"
    with pd.option_context("display.max_rows", None, "display.max_colwidth", 120,
                           "display.width", 250):
        return frame[columns].to_string(index=False)
