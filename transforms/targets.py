"""Reading the targets the planning office sets: the targets workbook (any format the
reader takes) or a CSV with the same columns. Rows without a target value are skipped."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from contracts.indicators import INDICATORS
from contracts.targets_form import TARGETS
from transforms.columns import typed_frame
from transforms.periods import period_from_code
from transforms.layout import assign_sheets, read_table
from transforms.checks import schema_failures
from transforms.workbook import read_book

COLUMNS = ["period", "unit_code", "indicator_code", "target", "source"]


class TargetsError(ValueError):
    """The targets file cannot be used as it is; the message lists what to fix (HTX_TARGETS)."""


def read_targets(path: Path) -> pd.DataFrame:
    """period, unit_code, indicator_code, target, source: one row per target set."""
    frame = _csv(path) if path.suffix.lower() == ".csv" else _workbook(path)
    frame = frame[frame["target"].notna()]
    problems = [f"dòng {row}: mã chỉ tiêu '{code}' không có trong danh mục"
                for row, code in zip(frame["_row"], frame["indicator_code"])
                if code not in {i.code for i in INDICATORS}]
    problems += [f"dòng {row}: kỳ '{p}' không hợp lệ" for row, p in zip(frame["_row"],
                                                                        frame["period"])
                 if not _is_period(p)]
    if problems:
        raise TargetsError(f"{path}: " + "; ".join(problems))
    return frame[COLUMNS].reset_index(drop=True).assign(target=lambda f: f["target"].astype(float))


def _is_period(code: str) -> bool:
    try:
        period_from_code(code)
        return True
    except ValueError:
        return False


def _csv(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError,
            pd.errors.EmptyDataError) as exc:
        raise TargetsError(f"{path}: không đọc được tệp chỉ tiêu (CSV UTF-8) / cannot read the "
                           f"targets CSV ({type(exc).__name__})") from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise TargetsError(f"{path}: thiếu cột {', '.join(missing)}; cần các cột "
                           f"{','.join(COLUMNS)} / missing columns")
    text = frame["target"].str.strip()
    target = pd.to_numeric(text.replace("", None), errors="coerce")
    bad = [f"dòng {row}: chỉ tiêu '{value}' không phải là số / not a number"
           for row, value, number in zip(range(2, 2 + len(frame)), text, target)
           if value and pd.isna(number)]
    if bad:
        raise TargetsError(f"{path}: " + "; ".join(bad[:5]))
    return frame.assign(target=target, _row=range(2, 2 + len(frame)),
                        source=frame["source"].replace("", None))


def _workbook(path: Path) -> pd.DataFrame:
    sheets, _ = assign_sheets(read_book(path).grids, (TARGETS,))
    table = read_table(sheets[TARGETS.name], TARGETS) if TARGETS.name in sheets else None
    if table is None or table.missing_required:
        raise TargetsError(f"{path}: không tìm thấy bảng chỉ tiêu kế hoạch (trang "
                           f"{TARGETS.name}, các cột {', '.join(f.header for f in TARGETS.fields)})")
    frame, failures = typed_frame(table)
    failures += schema_failures(frame, TARGETS, table.grid_name, table.columns, set())
    if failures:
        raise TargetsError(f"{path}: " + "; ".join(f.message("vi") for f in failures))
    return frame


def target_lines(period: str, unit_code: str, current: pd.DataFrame) -> pd.DataFrame:
    """One line per indicator of the catalogue for a period and unit, with the target
    already set, if any: what the targets workbook hands the planning office."""
    known = current[(current["period"] == period) & (current["unit_code"] == unit_code)]
    values = dict(zip(known["indicator_code"], known["target"]))
    sources = dict(zip(known["indicator_code"], known["source"]))
    return pd.DataFrame([{"period": period, "unit_code": unit_code, "indicator_code": i.code,
                          "indicator_name": i.name_vi, "indicator_unit": i.unit,
                          "target": values.get(i.code), "source": sources.get(i.code)}
                         for i in INDICATORS], dtype=object)
