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

# Words that name the kind of an administrative unit, dropped before matching names.
UNIT_TYPE_WORDS = ("tỉnh", "thành phố", "tp.", "tp", "thị xã", "tx.", "tx", "huyện",
                   "quận", "xã", "phường", "thị trấn", "đặc khu")


def load_reporting_units(path: Path | None = None) -> pd.DataFrame:
    """Reporting units: code, name, level, parent_code, valid_from, valid_to, aliases."""
    df = pd.read_csv(path or REPORTING_UNITS_CSV, dtype=str, keep_default_na=False)
    return df.assign(
        valid_from=pd.to_datetime(df["valid_from"]).dt.date,
        valid_to=pd.to_datetime(df["valid_to"].replace("", None)).dt.date,
        parent_code=df["parent_code"].replace("", None),
    )
