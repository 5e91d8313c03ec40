"""One settings object: defaults under ./data/, overridden by an optional settings file
(TOML: `HTX_SETTINGS`, else ./htx.toml if present), then by environment variables
(HTX_INBOX, HTX_WAREHOUSE, …), then by command-line options."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from transforms.periods import ANNUAL_DEADLINE, DAYS_AFTER_PERIOD


@dataclass(frozen=True)
class Settings:
    inbox: Path = Path("data/inbox")
    warehouse: Path = Path("data/warehouse.duckdb")
    reports: Path = Path("data/reports")
    archive: Path = Path("data/archive")
    reporting_units: Path | None = None  # CSV; default: contracts/reference/reporting_units.csv
    targets: Path | None = None  # workbook or CSV; default: contracts/reference/targets.csv
    annual_deadline: str = "{:02d}-{:02d}".format(*ANNUAL_DEADLINE)  # MM-DD, the next year
    deadline_days: int = DAYS_AFTER_PERIOD  # days after a half-year or quarter ends
    settle_seconds: int = 3  # a recent file must keep its size this long to be read
    max_file_mb: int = 50  # a larger file in the inbox is refused before it is read

    @property
    def deadlines(self) -> tuple[int, tuple[int, int]]:
        """(days after a half-year or quarter, (month, day) after a year) for Period.deadline."""
        month, day = (int(x) for x in self.annual_deadline.split("-"))
        return self.deadline_days, (month, day)


FIELDS = tuple(f.name for f in dataclasses.fields(Settings))


def load_settings(**overrides: object) -> Settings:
    """Settings from file, environment and explicit overrides (None means 'not given')."""
    values: dict[str, object] = {}
    file = Path(os.environ.get("HTX_SETTINGS", "htx.toml"))
    if file.is_file():
        values |= tomllib.loads(file.read_text(encoding="utf-8")).get("htx", {})
    values |= {name: os.environ[f"HTX_{name.upper()}"] for name in FIELDS
               if f"HTX_{name.upper()}" in os.environ}
    values |= {k: v for k, v in overrides.items() if v is not None}
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
    types = {f.name: f.default for f in dataclasses.fields(Settings)}
    return Settings(**{k: _typed(v, types[k]) for k, v in values.items()})


def _typed(value: object, default: object) -> object:
    """A setting as its field's type: paths, whole numbers, text."""
    if isinstance(default, int):
        return int(value)
    if isinstance(default, str):
        return str(value)
    return Path(value)
