"""Every rule of the catalogue fires on a return made to break it, at the cell it names,
with the values in its message; and none fires on the good base return.

Each scenario writes the base return of tests/fixtures/returns.py with one change, puts
it (after an earlier return, for the rules that compare periods) into an inbox and runs
the whole consolidation as plain functions (flows/steps.py, without Prefect)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from contracts.rules import RULES
from outputs.template import field_cell, write_return
from fixtures.returns import (UNIT_CODE, UNIT_NAME, base_roster, base_tasks, base_totals,
                              base_unions)
from flows import steps
from flows.settings import Settings
from transforms.failures import show
from transforms.periods import period_from_code

P2023, P2022 = period_from_code("2023"), period_from_code("2022")


def write(folder: Path, name: str, *, period=P2023, unit=(UNIT_CODE, UNIT_NAME), roster=None,
          unions=None, totals=None, tasks=None, declared=None) -> Path:
    """The base return, with whatever the scenario changes."""
    roster = base_roster() if roster is None else roster
    tasks = base_tasks() if tasks is None else tasks
    return write_return(folder / name, unit_code=unit[0], unit_name=unit[1], period=period,
                        roster=roster, unions=base_unions() if unions is None else unions,
                        totals=base_totals(roster) if totals is None else totals, tasks=tasks,
                        declared_task_count=len(tasks) if declared is None else declared,
                        preparer="Lò Thị Mai", prepared_on=dt.date(2024, 1, 5))


def edited(path: Path, change: Callable) -> Path:
    """The workbook after an openpyxl edit (what a district does by hand)."""
    book = load_workbook(path)
    change(book)
    book.save(path)
    return path


def set_cell(ref: str, value) -> Callable:
    sheet, cell = ref.split("!")
    return lambda book: book[sheet].__setitem__(cell, value)


def roster_with(**changes) -> Callable:
    """A roster whose first row has the given values."""
    def make():
        roster = base_roster()
        for name, value in changes.items():
            roster.loc[0, name] = value
        return roster
    return make


@dataclass
class Scenario:
    rule: str
    runs: Callable[[Path], list[list[Path]]]  # files for each successive run
    cell: str | None  # where the failure points (None: the file or sheet as a whole)
    shows: tuple[str, ...] = ()  # values the Vietnamese message must name
    file: str = "r.xlsx"  # the file the failure belongs to
    extra: frozenset[str] = field(default_factory=frozenset)  # other rules it may bring


def one(make: Callable[[Path], Path]) -> Callable[[Path], list[list[Path]]]:
    return lambda folder: [[make(folder)]]


ROW0 = 0  # first roster row: sheet row 5
SCENARIOS = [
    Scenario("FILE_UNREADABLE", one(lambda d: _bytes(d / "r.xlsx", b"%PDF-1.4 not a workbook")),
             None, ("r.xlsx",)),
    Scenario("FILE_EMPTY", one(lambda d: _bytes(d / "r.xlsx", b"")), None, ("r.xlsx",)),
    Scenario("FILE_PASSWORD", one(lambda d: _encrypted(write(d, "plain.xlsx"), d / "r.xlsx")),
             None, ("r.xlsx",)),
    Scenario("FILE_HOSTILE", one(lambda d: _with_dtd(write(d, "plain.xlsx"), d / "r.xlsx")),
             None, ("r.xlsx", "DTD")),
    Scenario("FILE_LINK", one(lambda d: _link("/etc/passwd", d / "r.xlsx")), None, ("r.xlsx",)),
    Scenario("FILE_TOO_LARGE", one(lambda d: _bytes(d / "r.xlsx", b"PK" * 1_500_000)), None,
             ("r.xlsx", "3 MB", "2 MB")),
    Scenario("FILE_NAME_NOT_UNICODE", one(lambda d: write(d, os.fsdecode(b"r\xe1.xlsx"))), None,
             ("r\ufffd.xlsx",), file="r\ufffd.xlsx"),
    Scenario("MACROS_IGNORED", one(lambda d: _with_macros(write(d, "plain.xlsx"), d / "r.xlsm")),
             None, ("r.xlsm",), file="r.xlsm"),
    Scenario("SHEET_DUPLICATE", one(lambda d: edited(write(d, "r.xlsx"), lambda b: b.copy_worksheet(
        b["DS_HTX"]).__setattr__("title", "DS_HTX (2)"))), None, ("DS_HTX (2)",)),
    Scenario("SHEET_MISSING", one(lambda d: edited(write(d, "r.xlsx"),
                                                   lambda b: b.remove(b["DS_HTX"]))),
             None, ("DS_HTX",)),
    Scenario("COLUMN_MISSING", one(lambda d: edited(write(d, "r.xlsx"), set_cell(
        "DS_HTX!E3", "Ngành"))), None, ("Lĩnh vực hoạt động",)),
    Scenario("HEADER_UNIT_UNKNOWN", one(lambda d: edited(write(d, "r.xlsx"), set_cell(
        "DS_HTX!L3", "Doanh thu (USD)"))), "DS_HTX!L3", ("USD", "triệu đồng")),
    Scenario("UNIT_UNKNOWN", one(lambda d: edited(write(d, "r.xlsx"), set_cell(
        "Thong_tin!B3", "Huyện Không Có"))), "Thong_tin!B3", ("Huyện Không Có",)),
    Scenario("UNIT_CODE_MISMATCH", one(lambda d: edited(write(d, "r.xlsx"), set_cell(
        "Thong_tin!B4", "119"))), "Thong_tin!B4", ("119", "125")),
    Scenario("PERIOD_UNREADABLE", one(lambda d: edited(write(d, "r.xlsx"), set_cell(
        "Thong_tin!B5", "Năm ngoái"))), "Thong_tin!B5", ("Năm ngoái",)),
    Scenario("VALUE_REQUIRED", one(lambda d: write(d, "r.xlsx", roster=roster_with(name=None)())),
             field_cell("DS_HTX", "name", ROW0), ("Tên hợp tác xã",)),
    Scenario("VALUE_UNREADABLE", one(lambda d: edited(write(d, "r.xlsx"), set_cell(
        field_cell("DS_HTX", "members", ROW0), "mười hai"))),
             field_cell("DS_HTX", "members", ROW0), ("mười hai",)),
    Scenario("VALUE_NEGATIVE", one(lambda d: write(d, "r.xlsx", roster=roster_with(workers=-3)())),
             field_cell("DS_HTX", "workers", ROW0), ("-3",)),
    Scenario("VALUE_NOT_ALLOWED", one(lambda d: edited(write(d, "r.xlsx"), set_cell(
        field_cell("DS_HTX", "sector", ROW0), "Chăn nuôi"))),
             field_cell("DS_HTX", "sector", ROW0), ("Chăn nuôi",)),
    Scenario("ID_FORMAT", one(lambda d: write(d, "r.xlsx", roster=roster_with(coop_id="12345")())),
             field_cell("DS_HTX", "coop_id", ROW0), ("12345",)),
    Scenario("ID_DUPLICATE", one(lambda d: write(d, "r.xlsx", roster=roster_with(
        coop_id=base_roster().loc[1, "coop_id"])())), field_cell("DS_HTX", "coop_id", ROW0),
        (base_roster().loc[1, "coop_id"], "5, 6")),
    Scenario("TRAINED_ABOVE_MANAGERS", one(lambda d: write(d, "r.xlsx", roster=roster_with(
        managers=2, managers_trained=3)())), field_cell("DS_HTX", "managers_trained", ROW0),
        ("3", "2")),
    Scenario("PROFIT_ABOVE_REVENUE", one(lambda d: write(d, "r.xlsx", roster=roster_with(
        revenue=100.0, profit=150.0)())), field_cell("DS_HTX", "profit", ROW0), ("150", "100")),
    Scenario("FOUNDED_AFTER_PERIOD", one(lambda d: write(d, "r.xlsx", roster=roster_with(
        founded_on=dt.date(2024, 3, 1))())), field_cell("DS_HTX", "founded_on", ROW0),
        ("01/03/2024", "31/12/2023")),
    Scenario("NEW_FOUNDED_OUTSIDE_PERIOD", one(lambda d: write(d, "r.xlsx", roster=roster_with(
        status="TL", founded_on=dt.date(2019, 3, 1))())), field_cell("DS_HTX", "founded_on", ROW0),
        ("01/03/2019", "01/01/2023")),
    Scenario("MEMBERS_BELOW_MINIMUM", one(lambda d: write(d, "r.xlsx", roster=roster_with(
        status="HD", members=3)())), field_cell("DS_HTX", "members", ROW0), ("3", "5")),
    Scenario("UNION_UNKNOWN", one(lambda d: write(d, "r.xlsx", roster=roster_with(
        union_id="LH9999")())), field_cell("DS_HTX", "union_id", ROW0), ("LH9999",)),
    Scenario("TOTAL_MISMATCH", one(lambda d: write(d, "r.xlsx", totals={
        **base_totals(), "members": base_totals()["members"] + 7})),
        field_cell("Tong_hop", "members"), (show(base_totals()["members"] + 7),
                                          show(base_totals()["members"]))),
    Scenario("TASK_COUNT_MISMATCH", one(lambda d: write(d, "r.xlsx", declared=9)),
             "Nhiem_vu!B2", ("9", str(len(base_tasks())))),
    Scenario("COOP_IN_TWO_DISTRICTS", lambda d: [[
        _earlier(write(d, "a.xlsx", unit=("118", "Huyện Quỳnh Nhai"),
                       roster=base_roster().head(1), unions=base_unions().head(0),
                       tasks=base_tasks().head(0))),
        write(d, "r.xlsx")]],
        field_cell("DS_HTX", "coop_id", ROW0), (base_roster().loc[0, "coop_id"],
                                              "Huyện Quỳnh Nhai", "a.xlsx")),
    Scenario("COOP_VANISHED", lambda d: [
        [write(d, "a.xlsx", period=P2022)],
        [write(d, "r.xlsx", roster=base_roster().drop(index=2).reset_index(drop=True))]],
        None, (base_roster().loc[2, "coop_id"], "2022")),
    Scenario("IMPLAUSIBLE_CHANGE", lambda d: [
        [write(d, "a.xlsx", period=P2022)],
        [write(d, "r.xlsx", roster=roster_with(
            members=base_roster().loc[0, "members"] * 10)())]],
        field_cell("DS_HTX", "members", ROW0), ("2022", str(base_roster().loc[0, "members"]))),
]


def _link(target: str, path: Path) -> Path:
    os.symlink(target, path)
    return path


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _encrypted(plain: Path, target: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    with open(plain, "rb") as src, open(target, "wb") as out:
        OOXMLFile(src).encrypt("matkhau", out)
    return target


def _rezip(plain: Path, target: Path, change: Callable[[str, bytes], bytes],
           extra: dict[str, bytes] | None = None) -> Path:
    import zipfile

    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            out.writestr(item.filename, change(item.filename, src.read(item.filename)))
        for name, data in (extra or {}).items():
            out.writestr(name, data)
    return target


def _with_dtd(plain: Path, target: Path) -> Path:
    dtd = b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
    return _rezip(plain, target, lambda name, data: dtd + data
                  if name.startswith("xl/worksheets/") else data)


def _with_macros(plain: Path, target: Path) -> Path:
    return _rezip(plain, target, lambda name, data: data,
                  {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"})


def _earlier(path: Path) -> Path:
    """Arrived an hour before the other files of the scenario."""
    import os

    stamp = path.stat().st_mtime - 3600
    os.utime(path, (stamp, stamp))
    return path


def consolidate(folder: Path, runs: list[list[Path]]) -> duckdb.DuckDBPyConnection:
    settings = Settings(inbox=folder / "inbox", warehouse=folder / "w.duckdb",
                        reports=folder / "reports", archive=folder / "archive", settle_seconds=0,
                        max_file_mb=2)
    for files in runs:
        settings.inbox.mkdir(parents=True, exist_ok=True)
        for path in files:
            shutil.copy2(path, settings.inbox / path.name, follow_symlinks=False)
        steps.consolidate(settings, str(uuid.uuid4()))
    return duckdb.connect(str(settings.warehouse), read_only=True)


def failures(con, rule: str | None = None) -> list[dict]:
    frame = con.execute(
        "SELECT s.file_name, f.* FROM quality.validation_failures f JOIN raw.submissions s "
        "USING (file_hash) WHERE ? IS NULL OR f.rule_code = ?", [rule, rule]).df()
    return frame.to_dict("records")


def test_every_rule_has_a_scenario():
    assert {r.code for r in RULES} == {s.rule for s in SCENARIOS}


def test_no_rule_fires_on_the_good_base_return(tmp_path):
    con = consolidate(tmp_path, [[write(tmp_path, "a.xlsx", period=P2022)],
                                 [write(tmp_path, "r.xlsx")]])
    assert failures(con) == []
    assert con.execute("SELECT list(status) FROM raw.submissions").fetchone()[0] == \
        ["accepted", "accepted"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.rule)
def test_rule_fires_at_its_cell_naming_the_values(tmp_path, scenario):
    source = tmp_path / "made"
    source.mkdir()
    con = consolidate(tmp_path, scenario.runs(source))
    found = failures(con, scenario.rule)
    assert found, f"{scenario.rule} did not fire"
    (failure,) = [f for f in found if f["cell"] == scenario.cell] or [found[0]]
    assert failure["file_name"] == scenario.file
    assert failure["cell"] == scenario.cell
    for value in scenario.shows:
        assert value in failure["message_vi"], (value, failure["message_vi"])
    assert failure["message_en"] and failure["severity"] in ("error", "warning")
    status = con.execute("SELECT status FROM raw.submissions WHERE file_name = ?",
                         [scenario.file]).fetchone()[0]
    expected = {"error": ("rejected", "unreadable"), "warning": ("accepted",)}
    assert status in expected[failure["severity"]]


def test_a_rule_on_a_missing_operand_is_skipped_and_that_is_visible(tmp_path):
    roster = roster_with(managers=None, managers_trained=9)()
    con = consolidate(tmp_path, [[write(tmp_path, "r.xlsx", roster=roster)]])
    assert failures(con, "TRAINED_ABOVE_MANAGERS") == []
    checked, skipped = con.execute(
        "SELECT rows_checked, rows_skipped FROM quality.rule_checks "
        "WHERE rule_code = 'TRAINED_ABOVE_MANAGERS'").fetchone()
    assert (checked, skipped) == (len(roster) - 1, 1)


LAUGHS = ("<?xml version='1.0'?><!DOCTYPE l [<!ENTITY a 'aaaaaaaaaa'>"
          + "".join(f"<!ENTITY {n} '{('&' + p + ';') * 10}'>"
                    for p, n in zip("abcdefgh", "bcdefghi"))
          + "]><l>&i;</l>").encode()
EXTERNAL = b"<?xml version='1.0'?><!DOCTYPE r [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><r>&e;</r>"


def test_openpyxl_parses_xml_without_expanding_entities_from_the_file():
    """Behind the container check (which refuses any DTD first), openpyxl's own parser
    (defusedxml, or lxml when installed) neither expands a billion laughs nor reads a
    file named by an external entity."""
    from openpyxl.xml import functions

    for payload in (LAUGHS, EXTERNAL):
        try:
            root = functions.fromstring(payload)
        except Exception:  # noqa: BLE001 - refusing is the expected outcome
            continue
        assert len(root.text or "") < 1000 and "root:" not in (root.text or "")
