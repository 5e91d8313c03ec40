"""One settings object: defaults under ./data/, overridden by an optional settings file
(TOML: `HTX_SETTINGS`, else ./htx.toml if present), then by environment variables
(HTX_INBOX, HTX_WAREHOUSE, …), then by command-line options.

A setting that cannot be used (a file that is not TOML, a name no setting has, a deadline
that is not a date, a negative number) raises SettingsError, whose message is one line
naming the setting and where it came from, in Vietnamese and English."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from transforms.periods import ANNUAL_DEADLINE, DAYS_AFTER_PERIOD


class SettingsError(ValueError):
    """A setting that cannot be used; the message names it and says what to do."""


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
# What each whole-number setting means and the largest value that makes sense.
LIMITS = {"deadline_days": ("số ngày sau kỳ báo cáo / days after the period", 366),
          "settle_seconds": ("số giây tệp phải đứng yên / seconds a file must be still",
                             86_400),
          "max_file_mb": ("dung lượng tối đa của một tệp (MB) / largest file read (MB)",
                          100_000)}
# HTX_ variables that are not settings of this object.
OTHER_VARIABLES = {"HTX_SETTINGS", "HTX_PROJECT_DIR"}


def load_settings(**overrides: object) -> Settings:
    """Settings from file, environment and explicit overrides (None means 'not given')."""
    values: dict[str, tuple[object, str]] = {}
    file = Path(os.environ.get("HTX_SETTINGS", "htx.toml"))
    if "HTX_SETTINGS" in os.environ and not file.is_file():
        raise SettingsError(f"HTX_SETTINGS={file}: không có tệp cài đặt này / no such settings "
                            "file: sửa hoặc bỏ biến này / correct or unset it")
    if file.is_file():
        values |= {k: (v, f"{file} [htx] {k}") for k, v in _toml(file).items()}
    for name, value in os.environ.items():
        if name.startswith("HTX_") and name not in OTHER_VARIABLES:
            values[name[4:].lower()] = (value, f"{name}={value!r}")
    values |= {k: (v, f"--{k.replace('_', '-')}") for k, v in overrides.items() if v is not None}
    unknown = sorted(where for k, (_, where) in values.items() if k not in FIELDS)
    if unknown:
        raise SettingsError(f"{unknown[0]}: không có cài đặt này / unknown setting "
                            f"(các cài đặt / settings: {', '.join(FIELDS)})")
    defaults = {f.name: f.default for f in dataclasses.fields(Settings)}
    return Settings(**{k: _typed(k, v, defaults[k], where) for k, (v, where) in values.items()})


def _toml(file: Path) -> dict:
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{file}: tệp cài đặt không đúng cú pháp TOML ({exc}) / the "
                            "settings file is not valid TOML: sửa hoặc xoá tệp / fix or "
                            "remove it") from None
    except OSError as exc:
        raise SettingsError(f"{file}: không đọc được tệp cài đặt / cannot read the settings "
                            f"file ({exc.strerror})") from None
    section = data.get("htx", {})
    if not isinstance(section, dict):
        raise SettingsError(f"{file}: [htx] phải là một bảng / must be a table")
    return section


def _typed(name: str, value: object, default: object, where: str) -> object:
    """A setting as its field's type: paths, whole numbers within limits, MM-DD dates."""
    if name in LIMITS:
        meaning, most = LIMITS[name]
        try:
            number = int(str(value).strip())
        except ValueError:
            number = None
        if number is None or not 0 <= number <= most or isinstance(value, float):
            raise SettingsError(f"{where}: cần một số nguyên từ 0 đến {most} ({meaning}) / "
                                f"must be a whole number from 0 to {most}")
        return number
    if name == "annual_deadline":
        return _month_day(str(value).strip(), where)
    if isinstance(default, str):
        return str(value)
    if not isinstance(value, (str, Path)) or not str(value).strip():
        raise SettingsError(f"{where}: cần một đường dẫn tệp hoặc thư mục / must be a path")
    return Path(value)


def _month_day(text: str, where: str) -> str:
    """'01-15' as it is when it is a day of every year (29 February is not)."""
    try:
        day = dt.datetime.strptime(f"2001-{text}", "%Y-%m-%d").date()
    except ValueError:
        raise SettingsError(f"{where}: hạn nộp báo cáo năm phải là tháng-ngày MM-DD, ví dụ "
                            "01-15 / the annual deadline must be a month and day, MM-DD, "
                            "e.g. 01-15") from None
    return day.strftime("%m-%d")
