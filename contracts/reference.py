"""Reference data shipped with the project: reporting units and default targets (read by
transforms/targets.py, like any targets file).

They are data files (CSV) beside this module, not code: a province that reports from
communes swaps reporting_units.csv (or points HTX_REPORTING_UNITS at another file).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
REPORTING_UNITS_CSV = HERE / "reference" / "reporting_units.csv"
TARGETS_CSV = HERE / "reference" / "targets.csv"

# The reporting units' time zone: deadlines are days there, and times are shown in it
# (stored as instants, TIMESTAMPTZ).
TIME_ZONE = "Asia/Ho_Chi_Minh"

# Words that name the kind of an administrative unit, dropped before matching names.
UNIT_TYPE_WORDS = ("tỉnh", "thành phố", "tp.", "tp", "thị xã", "tx.", "tx", "huyện",
                   "quận", "xã", "phường", "thị trấn", "đặc khu")


UNIT_COLUMNS = ("code", "name", "level", "parent_code", "valid_from", "valid_to", "aliases")


class ReferenceDataError(ValueError):
    """A reference file that cannot be used; the message names it and says what to fix."""


def load_reporting_units(path: Path | None = None) -> pd.DataFrame:
    """Reporting units: code, name, level, parent_code, valid_from, valid_to, aliases.
    ReferenceDataError when the file cannot be used as it is."""
    path = path or REPORTING_UNITS_CSV
    where = f"{path} (HTX_REPORTING_UNITS)"
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ReferenceDataError(f"{where}: không đọc được danh mục đơn vị báo cáo (CSV UTF-8) / "
                             f"cannot read the reporting units CSV "
                             f"({type(exc).__name__}: {str(exc).strip()[:120]})") from None
    missing = [c for c in UNIT_COLUMNS if c not in df.columns]
    if missing:
        raise ReferenceDataError(f"{where}: thiếu cột {', '.join(missing)}; cần các cột "
                             f"{','.join(UNIT_COLUMNS)} / missing columns")
    if df.empty or (df["code"].str.strip() == "").any():
        raise ReferenceDataError(f"{where}: cần ít nhất một đơn vị, mỗi dòng có mã / needs at "
                             "least one unit, each with a code")
    return df.assign(
        valid_from=_dates(df["valid_from"], "valid_from", where, required=True),
        valid_to=_dates(df["valid_to"], "valid_to", where, required=False),
        parent_code=df["parent_code"].replace("", None),
    )


def _dates(column: pd.Series, name: str, where: str, required: bool) -> pd.Series:
    """A column of YYYY-MM-DD dates; ReferenceDataError naming the first line that is not one."""
    parsed = pd.to_datetime(column.replace("", None), format="%Y-%m-%d", errors="coerce")
    bad = parsed.isna() & ((column != "") | required)
    if bad.any():
        line = int(bad.to_numpy().nonzero()[0][0]) + 2
        raise ReferenceDataError(f"{where}: dòng {line}, cột {name}: '{column.iloc[line - 2]}' "
                             f"không phải ngày YYYY-MM-DD / line {line}: not a date")
    return parsed.dt.date
