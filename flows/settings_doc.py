"""README.md's settings table, generated from the declaration in flows/settings.py.

Run `python -m flows.settings_doc` after changing a setting; a test fails while the table
in README.md differs from what this module generates."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from contracts.reference import REPORTING_UNITS_CSV, TARGETS_CSV
from flows.settings import ENV_PREFIX, TABLE, Settings, expectation
from outputs.escape import md_code, md_text

ROOT = Path(__file__).resolve().parent.parent
README_MD = ROOT / "README.md"
BEGIN, END = "<!-- settings:begin -->", "<!-- settings:end -->"
# What a setting left empty (None) stands for: the files contracts/reference.py ships.
SHIPPED = {"reporting_units": REPORTING_UNITS_CSV, "targets": TARGETS_CSV}


def settings_table(settings: type[BaseSettings] = Settings) -> str:
    """One markdown row per setting: names, type, default and meaning in both languages."""
    lines = [f"| setting (`[{TABLE}]` key) | environment variable | type | default | "
             "mô tả | description |", "| --- | --- | --- | --- | --- | --- |"]
    lines += [row(name, field) for name, field in settings.model_fields.items()]
    return "\n".join(lines) + "\n"


def row(name: str, field: FieldInfo) -> str:
    cells = [md_code(name), md_code(ENV_PREFIX + name.upper()), md_text(expectation(field).kind),
             md_code(shown_default(name, field.default)),
             md_text(field.json_schema_extra["vi"]), md_text(field.json_schema_extra["en"])]
    return f"| {' | '.join(cells)} |"


def shown_default(name: str, default: object) -> str:
    if default is None and name in SHIPPED:
        return SHIPPED[name].relative_to(ROOT).as_posix()
    return default.as_posix() if isinstance(default, Path) else str(default)


def readme_with_table(text: str, table: str) -> str:
    """README text with `table` between the two markers (which must be there, once)."""
    pattern = re.compile(f"{re.escape(BEGIN)}\n.*?{re.escape(END)}", flags=re.S)
    if len(pattern.findall(text)) != 1:
        raise ValueError(f"README.md needs exactly one {BEGIN} … {END} block")
    return pattern.sub(lambda _: f"{BEGIN}\n{table}{END}", text)


def main() -> None:
    text = README_MD.read_text(encoding="utf-8")
    README_MD.write_text(readme_with_table(text, settings_table()), encoding="utf-8")
    print(f"wrote the settings table in {README_MD.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
