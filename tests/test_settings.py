"""Settings (flows/settings.py): defaults, then the TOML file, then HTX_ variables, then
command-line options; a setting that cannot be used is one line naming it and where it came
from; README.md's settings table is generated from the declaration."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from flows.settings import Folder, Settings, SettingsError, load_settings, setting
from flows.settings_doc import README_MD, readme_with_table, settings_table


@pytest.fixture
def here(tmp_path, monkeypatch) -> Path:
    """A fresh folder with no HTX_ variable set, as a user's first run finds it."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.upper().startswith("HTX_")]:
        monkeypatch.delenv(name)
    return tmp_path


def toml(folder: Path, text: str, name: str = "htx.toml") -> Path:
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def error(**overrides: object) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(**overrides)
    message = str(caught.value)
    assert "\n" not in message and " / " in message  # one line, Vietnamese / English
    return message


def test_defaults_live_under_data(here):
    s = load_settings()
    assert (s.inbox, s.warehouse, s.reports, s.archive) == (
        Path("data/inbox"), Path("data/warehouse.duckdb"), Path("data/reports"),
        Path("data/archive"))
    assert (s.reporting_units, s.targets, s.deadlines, s.settle_seconds, s.max_file_mb) == (
        None, None, (20, (1, 15)), 3, 50)


def test_command_line_over_environment_over_file_over_defaults(here, monkeypatch):
    toml(here, "[htx]\ninbox = 'from_file'\nwarehouse = 'file.duckdb'\nreports = 'file_reports'\n"
               "deadline_days = 30\n")
    monkeypatch.setenv("HTX_WAREHOUSE", "env.duckdb")
    monkeypatch.setenv("HTX_REPORTS", "env_reports")
    s = load_settings(reports=Path("cli_reports"), inbox=None)  # None: option not given
    assert (s.inbox, s.warehouse, s.reports, s.archive, s.deadline_days) == (
        Path("from_file"), Path("env.duckdb"), Path("cli_reports"), Path("data/archive"), 30)


def test_htx_settings_names_the_file_and_other_sections_are_ignored(here, monkeypatch):
    toml(here, "[htx]\ninbox = 'not_this'\n")
    monkeypatch.setenv("HTX_SETTINGS", str(toml(here, "[prefect]\nx = 1\n[htx]\n"
                                                      "max_file_mb = 7\n", "other.toml")))
    s = load_settings()
    assert (s.inbox, s.max_file_mb) == (Path("data/inbox"), 7)


def test_values_are_read_as_their_type(here, monkeypatch):
    monkeypatch.setenv("HTX_SETTLE_SECONDS", " 12 ")
    monkeypatch.setenv("HTX_ANNUAL_DEADLINE", "3-1")
    s = load_settings(targets="t.csv")
    assert (s.settle_seconds, s.annual_deadline, s.deadlines[1], s.targets) == (
        12, "03-01", (3, 1), Path("t.csv"))


BAD = {  # (settings file, variables, options) → what the line must name
    "unknown in file": ("inbx = 'x'", {}, {}, "htx.toml [htx] inbx"),
    "unknown variable": ("", {"HTX_INBX": "x"}, {}, "HTX_INBX='x'"),
    "unknown option": ("", {}, {"inbx": "x"}, "--inbx"),
    "text for days": ("deadline_days = 'abc'", {}, {}, "htx.toml [htx] deadline_days"),
    "decimal days": ("deadline_days = 2.0", {}, {}, "htx.toml [htx] deadline_days"),
    "true for days": ("deadline_days = true", {}, {}, "htx.toml [htx] deadline_days"),
    "negative seconds": ("", {"HTX_SETTLE_SECONDS": "-5"}, {}, "HTX_SETTLE_SECONDS='-5'"),
    "too many days": ("", {}, {"deadline_days": 400}, "--deadline-days"),
    "no such date": ("", {"HTX_ANNUAL_DEADLINE": "13-45"}, {}, "HTX_ANNUAL_DEADLINE"),
    "29 February": ("annual_deadline = '02-29'", {}, {}, "htx.toml [htx] annual_deadline"),
    "number for a path": ("inbox = 3", {}, {}, "htx.toml [htx] inbox"),
    "empty path": ("", {"HTX_TARGETS": ""}, {}, "HTX_TARGETS=''"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_setting_that_cannot_be_used_is_one_line_naming_it_and_where(here, monkeypatch,
                                                                       case):
    file, variables, options, where = BAD[case]
    toml(here, f"[htx]\n{file}\n")
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    message = error(**options)
    assert message.startswith(where), message
    assert "validation error" not in message and "pydantic" not in message


def test_an_unknown_setting_lists_the_settings(here):
    toml(here, "[htx]\ninbx = 'x'\n")
    assert "inbox, warehouse, reports" in error()


def test_a_number_out_of_range_says_the_range_and_what_it_means(here, monkeypatch):
    monkeypatch.setenv("HTX_DEADLINE_DAYS", "abc")
    assert "0 đến 366" in (message := error()) and "from 0 to 366" in message
    assert "days after a half-year or quarter" in message


@pytest.mark.parametrize("text, says", [("[htx\ninbox = 'x'", "TOML"),
                                        ("htx = 3", "must be a table")])
def test_a_settings_file_that_is_not_usable_is_one_line(here, text, says):
    toml(here, text)
    assert error().startswith("htx.toml") and says in error()


def test_a_missing_settings_file_named_by_htx_settings_is_an_error(here, monkeypatch):
    monkeypatch.setenv("HTX_SETTINGS", "nowhere.toml")
    assert error().startswith("HTX_SETTINGS=nowhere.toml")


def test_settings_are_immutable_hashable_and_pickle(here):
    s = load_settings(inbox="x")
    with pytest.raises(ValidationError):
        s.inbox = Path("y")
    assert pickle.loads(pickle.dumps(s)) == s and hash(s) == hash(load_settings(inbox="x"))
    assert s.model_copy(update={"settle_seconds": 0}).settle_seconds == 0


def test_every_setting_has_a_type_and_a_vietnamese_and_english_description():
    for name, field in Settings.model_fields.items():
        extra = field.json_schema_extra
        assert extra["vi"] and extra["en"] and extra["vi"] != extra["en"], name
        assert field.description == f"{extra['vi']} / {extra['en']}", name
        assert field.annotation is not None, name


def test_the_readme_settings_table_is_generated_from_the_declaration():
    text = README_MD.read_text(encoding="utf-8")
    assert readme_with_table(text, settings_table()) == text, \
        "README.md's settings table is stale: run python -m flows.settings_doc"


def test_the_table_escapes_markdown():
    class Odd(BaseSettings):
        odd: Folder = setting(Path("a|b`c"), "có | và <b>", "with [link](x) | pipe")

    (row,) = settings_table(Odd).splitlines()[2:]
    assert row.count(" | ") == 5  # six cells: no pipe from the text opens a seventh
    assert "&lt;b&gt;" in row and r"\[link\]" in row and "``a|b`c``" in row


def test_the_readme_needs_its_two_markers():
    with pytest.raises(ValueError, match="settings:begin"):
        readme_with_table("### Settings\nno markers\n", settings_table())
