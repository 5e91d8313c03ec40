"""One settings object, declared once: each setting's type, limits, default and meaning in
Vietnamese and English. Defaults live under ./data/; an optional TOML settings file
(`HTX_SETTINGS`, else ./htx.toml if present, section `[htx]`) overrides them, environment
variables (HTX_INBOX, HTX_WAREHOUSE, …) override the file, and command-line options
override everything. README.md's settings table is generated from this declaration
(`python -m flows.settings_doc`).

A setting that cannot be used (a file that is not TOML, a name no setting has, a deadline
that is not a date, a negative number) raises SettingsError, whose message is one line
naming the setting and where it came from, in Vietnamese and English."""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import BeforeValidator, Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import (BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource,
                               SettingsConfigDict, TomlConfigSettingsSource)

from transforms.periods import ANNUAL_DEADLINE, DAYS_AFTER_PERIOD

ENV_PREFIX = "HTX_"
SETTINGS_FILE_VARIABLE = "HTX_SETTINGS"
DEFAULT_SETTINGS_FILE = Path("htx.toml")
TABLE = "htx"  # the settings file's section
# HTX_ variables that are not settings of this object.
OTHER_VARIABLES = {SETTINGS_FILE_VARIABLE, "HTX_PROJECT_DIR"}


class SettingsError(ValueError):
    """A setting that cannot be used; the message names it and says what to do."""


@dataclass(frozen=True)
class Expects:
    """What a setting's value must be (the README's type column and the error's advice)."""
    kind: str
    vi: str
    en: str


def _path(value: object) -> object:
    if value is not None and (not isinstance(value, (str, Path)) or not str(value).strip()):
        raise ValueError("not a path")
    return value


def _whole_number(value: object) -> object:
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("not a whole number")
    return value


def _month_day(value: object) -> str:
    """'01-15' as it is when it is a day of every year (29 February is not)."""
    day = dt.datetime.strptime(f"2001-{str(value).strip()}", "%Y-%m-%d").date()
    return day.strftime("%m-%d")


PATH = Expects("path", "cần một đường dẫn tệp hoặc thư mục", "must be a path to a file or folder")
Folder = Annotated[Path, BeforeValidator(_path), PATH]
OptionalFile = Annotated[Path | None, BeforeValidator(_path), PATH]
MonthDay = Annotated[str, BeforeValidator(_month_day),
                     Expects("MM-DD", "phải là tháng-ngày MM-DD, ví dụ 01-15",
                             "must be a month and day, MM-DD, e.g. 01-15")]


def _address(value: object) -> object:
    """A scheduler's address (scheme://host:port, host:port, [IPv6]:port); empty is none
    (a variable set empty unsets the settings file's address)."""
    if isinstance(value, str) and not value.strip():
        return None
    if value is not None and (not isinstance(value, str) or not re.fullmatch(
            r"[A-Za-z0-9+.-]+://\S+|(\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+):\d+", value.strip())):
        raise ValueError("not an address")
    return value.strip() if isinstance(value, str) else value


DaskAddress = Annotated[str | None, BeforeValidator(_address),
                        Expects("address", "cần một địa chỉ như tcp://máy:8786",
                                "must be an address such as tcp://host:8786")]


def whole_number(most: int) -> Any:
    """An int from 0 to `most`, from a TOML integer or a text of digits (never 2.0 or true)."""
    return Annotated[int, BeforeValidator(_whole_number), Ge(0), Le(most),
                     Expects(f"whole number, 0–{most:,}", f"cần một số nguyên từ 0 đến {most}",
                             f"must be a whole number from 0 to {most}")]


Files = Annotated[int, BeforeValidator(_whole_number), Ge(1), Le(10_000),
                  Expects("whole number, 1–10,000", "cần một số nguyên từ 1 đến 10000",
                          "must be a whole number from 1 to 10000")]
Days = whole_number(366)
Seconds = whole_number(86_400)
Megabytes = whole_number(100_000)


def setting(default: object, vi: str, en: str) -> Any:
    """A setting's default and its meaning, in Vietnamese and in English."""
    return Field(default, description=f"{vi} / {en}", json_schema_extra={"vi": vi, "en": en})


class Settings(BaseSettings):
    """Where a run reads and writes, and the rules it counts by. Immutable: a run's
    settings are fixed when it starts. `Settings(...)` reads the same sources as
    load_settings (its arguments taking the options' place) but raises pydantic's
    ValidationError; commands use load_settings, whose errors are one line."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True,
                                      validate_default=True)

    inbox: Folder = setting(
        Path("data/inbox"), "thư mục nhận báo cáo của các đơn vị",
        "folder the districts' returns arrive in")
    warehouse: Folder = setting(
        Path("data/warehouse.duckdb"), "tệp kho dữ liệu DuckDB được công bố",
        "the published DuckDB warehouse file")
    reports: Folder = setting(
        Path("data/reports"), "thư mục ghi báo cáo tổng hợp và tệp phản hồi",
        "folder the run summaries, reports and feedback workbooks are written to")
    archive: Folder = setting(
        Path("data/archive"), "thư mục lưu nguyên bản mọi tệp đã nhận",
        "folder every received original is kept in, unchanged")
    reporting_units: OptionalFile = setting(
        None, "danh sách đơn vị báo cáo (CSV); mặc định: danh sách kèm theo chương trình",
        "list of reporting units (CSV); by default the one shipped with the program")
    targets: OptionalFile = setting(
        None, "tệp chỉ tiêu kế hoạch (sổ Excel hoặc CSV); mặc định: chỉ tiêu năm 2023 "
        "của tỉnh", "targets (workbook or CSV); by default the province's 2023 targets")
    annual_deadline: MonthDay = setting(
        "{:02d}-{:02d}".format(*ANNUAL_DEADLINE), "hạn nộp báo cáo năm, tính trong năm sau",
        "deadline of annual returns, in the next year")
    deadline_days: Days = setting(
        DAYS_AFTER_PERIOD, "số ngày sau khi hết kỳ 6 tháng hoặc quý được nộp báo cáo",
        "days after a half-year or quarter ends that its returns are due")
    settle_seconds: Seconds = setting(
        3, "số giây một tệp mới phải giữ nguyên dung lượng trước khi được đọc",
        "seconds a new file must keep its size before it is read")
    max_file_mb: Megabytes = setting(
        50, "dung lượng tối đa của một tệp (MB); tệp lớn hơn bị từ chối, không đọc",
        "largest file read, in MB; a larger one is refused unread")
    portal: OptionalFile = setting(
        None, "cơ sở dữ liệu của cổng thông tin (tài khoản, phiên, nhật ký, quyết định của cán "
        "bộ thẩm định); mặc định: portal.sqlite cạnh kho dữ liệu, không bao giờ trong kho",
        "the portal's database (accounts, sessions, audit, stewards' decisions); by default "
        "portal.sqlite beside the warehouse, never inside it")

    chunk_files: Files = setting(
        250, "số tệp tối đa của một phần việc đọc (hoặc ghi phản hồi) giao cho một tiến trình "
        "hay máy; khi không dùng cụm Dask, một lần chạy vừa một phần thì đọc ngay trong tiến "
        "trình của nó",
        "the most files a chunk of reading (or of writing feedback) sent to one worker "
        "holds; without a Dask cluster, a run that fits in one chunk reads it in its own "
        "process")
    dask_address: DaskAddress = setting(
        None, "địa chỉ bộ điều phối cụm Dask (ví dụ tcp://10.0.0.5:8786) để đọc các tệp "
        "trên nhiều máy; cần phần mở rộng [dask]; mặc định: các lõi của máy này",
        "address of a Dask scheduler (e.g. tcp://10.0.0.5:8786) to read the files on "
        "many machines; needs the [dask] extra; by default this machine's cores")

    @property
    def portal_database(self) -> Path:
        """The portal's own SQLite database (the `portal` setting, else beside the warehouse)."""
        return self.portal or self.warehouse.parent / "portal.sqlite"

    @property
    def deadlines(self) -> tuple[int, tuple[int, int]]:
        """(days after a half-year or quarter, (month, day) after a year) for Period.deadline."""
        month, day = (int(x) for x in self.annual_deadline.split("-"))
        return self.deadline_days, (month, day)

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings],
                                   init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Command line (init) over environment over the settings file over defaults."""
        return init_settings, _Environment(settings_cls), _SettingsFile(settings_cls, settings_file())


class _Environment(EnvSettingsSource):
    """HTX_ variables; one that names no setting is passed on, for `extra="forbid"`."""

    def __call__(self) -> dict[str, Any]:
        values = super().__call__()
        for name, value in os.environ.items():
            if name.upper().startswith(ENV_PREFIX) and name.upper() not in OTHER_VARIABLES:
                values.setdefault(name[len(ENV_PREFIX):].lower(), value)
        return values


class _SettingsFile(TomlConfigSettingsSource):
    """The `[htx]` section of the TOML settings file, read with one-line errors."""

    def _read_file(self, path: Path) -> dict[str, Any]:
        return settings_table(path)


def settings_file() -> Path:
    """The TOML file to read: HTX_SETTINGS (which must exist), else ./htx.toml."""
    file = Path(os.environ.get(SETTINGS_FILE_VARIABLE, DEFAULT_SETTINGS_FILE))
    if SETTINGS_FILE_VARIABLE in os.environ and not file.is_file():
        raise SettingsError(f"{SETTINGS_FILE_VARIABLE}={file}: không có tệp cài đặt này / no "
                            "such settings file: sửa hoặc bỏ biến này / correct or unset it")
    return file


def settings_table(file: Path) -> dict[str, Any]:
    """The [htx] section of a settings file ({} when it has none)."""
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{file}: tệp cài đặt không đúng cú pháp TOML ({exc}) / the "
                            "settings file is not valid TOML: sửa hoặc xoá tệp / fix or "
                            "remove it") from None
    except OSError as exc:
        raise SettingsError(f"{file}: không đọc được tệp cài đặt / cannot read the settings "
                            f"file ({exc.strerror})") from None
    section = data.get(TABLE, {})
    if not isinstance(section, dict):
        raise SettingsError(f"{file}: [{TABLE}] phải là một bảng / must be a table")
    return section


def load_settings(**overrides: object) -> Settings:
    """Settings from file, environment and command-line options (None means 'not given');
    one that cannot be used is a SettingsError of one line."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        error = min(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        name = str(error["loc"][0])
        raise SettingsError(f"{origin(name, given)}: {advice(name)}") from None


def as_environment(settings: Settings) -> dict[str, str]:
    """These settings as HTX_ variables: a process started with them (a consolidation the
    portal starts) works with exactly the same settings."""
    return {ENV_PREFIX + name.upper(): str(value)
            for name, value in settings.model_dump().items() if value is not None}


def origin(name: str, given: dict[str, object]) -> str:
    """Where setting `name` came from: a command-line option, a variable or the file."""
    if name in given:
        return f"--{name.replace('_', '-')}"
    variable = ENV_PREFIX + name.upper()
    found = [(k, v) for k, v in os.environ.items() if k.upper() == variable]
    if found:
        return f"{found[0][0]}={found[0][1]!r}"
    file = settings_file()
    return f"{file} [{TABLE}] {name}" if file.is_file() else name


def advice(name: str) -> str:
    """What a value of setting `name` must be, in Vietnamese and English."""
    field = Settings.model_fields.get(name)
    if field is None:
        return (f"không có cài đặt này / unknown setting (các cài đặt / settings: "
                f"{', '.join(Settings.model_fields)})")
    expects = expectation(field)
    return (f"{expects.vi} ({field.json_schema_extra['vi']}) / {expects.en} "
            f"({field.json_schema_extra['en']})")


def expectation(field: FieldInfo) -> Expects:
    return next(m for m in field.metadata if isinstance(m, Expects))
