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


def failures(warehouse: Path | None, district: str | None, period) -> pd.DataFrame:
    return _read(warehouse, "report/review.sql", district=district,
                 period=period.code if period else None)


def indicators(warehouse: Path | None, period, district: str | None) -> pd.DataFrame:
    return _read(warehouse, "report/indicators.sql", district=district,
                 period=period.code if period else None)


def as_text(frame: pd.DataFrame, columns: list[str]) -> str:
    if frame.empty:
        return "(không có dòng nào / no rows)"
    with pd.option_context("display.max_rows", None, "display.max_colwidth", 120,
                           "display.width", 250):
        return frame[columns].to_string(index=False)
