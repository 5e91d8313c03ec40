"""A return written on the province's template reads back to exactly what was written:
every field of every sheet, the cover, the declared totals and the task count."""

from __future__ import annotations

import datetime as dt
import math
import os
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from contracts.reference import load_reporting_units
from contracts.return_form import ROSTER, TASKS, UNIONS
from outputs.template import write_return, write_template
from demo.province import generate_province
from transforms.periods import period_from_code
from transforms.returns import read_return, check_return
from transforms.reporting_units import reporting_units

PERIOD = period_from_code("2023")
UNITS = reporting_units(load_reporting_units())


def _plain(value: object) -> object:
    """Values compared as plain Python: missing as None, timestamps as dates."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):
        return value.item()
    return value


def _rows(frame: pd.DataFrame, sheet) -> list[dict]:
    names = [f.name for f in sheet.stored_fields]
    return [{n: _plain(v) for n, v in zip(names, row)}
            for row in frame[names].itertuples(index=False)]


@pytest.fixture(scope="module")
def province():
    return generate_province(PERIOD, 2023)


def _write(tmp_path, demo):
    return write_return(
        tmp_path / f"{demo.unit_code}.xlsx", unit_code=demo.unit_code, unit_name=demo.unit_name,
        period=PERIOD, roster=demo.roster, unions=demo.unions, totals=demo.totals,
        tasks=demo.tasks, declared_task_count=demo.declared_task_count, preparer=demo.preparer,
        prepared_on=demo.prepared_on, contact=demo.contact)


@pytest.mark.parametrize("code", ["116", "124", "125"])
def test_a_filled_template_reads_back_exactly(tmp_path, province, code):
    demo = province[code]
    read = read_return(_write(tmp_path, demo), UNITS)
    assert read.readable and read.unit_code == code and read.period == PERIOD
    assert _rows(read.frames[ROSTER.name], ROSTER) == _rows(demo.roster, ROSTER)
    if not demo.unions.empty:
        assert _rows(read.frames[UNIONS.name], UNIONS) == _rows(demo.unions, UNIONS)
    declared = dict(zip(read.totals["field"], read.totals["declared"]))
    assert declared == pytest.approx({k: float(v) for k, v in demo.totals.items()})
    assert read.cover["preparer"] == demo.preparer
    assert read.cover["prepared_on"] == demo.prepared_on


def test_source_rows_are_the_sheet_rows(tmp_path, province):
    read = read_return(_write(tmp_path, province["125"]), UNITS)
    rows = read.frames[ROSTER.name]["_row"].tolist()
    assert rows == list(range(5, 5 + len(rows)))


def test_edge_values_round_trip(tmp_path):
    roster = pd.DataFrame([{
        "coop_id": "0012345678-001", "name": "=HYPERLINK(\"x\")", "commune": "Chiềng Ngần",
        "sector": "TD", "status": "NG", "founded_on": dt.date(1999, 12, 31), "members": 0,
        "workers": None, "charter_capital": 0.5, "total_capital": 1_234_567.25,
        "revenue": None, "profit": -12.5, "income_per_worker": None, "income_per_member": 48.3,
        "managers": 0, "managers_trained": 0, "high_tech": False, "value_chain": None,
        "ocop_products": None, "union_id": None, "rating": "YEU", "note": "@chú ý",
    }], dtype=object)
    path = write_return(tmp_path / "edge.xlsx", unit_code="127", unit_name="Huyện Sốp Cộp",
                        period=PERIOD, roster=roster)
    read = check_return(read_return(path, UNITS), frozenset())
    assert _rows(read.frames[ROSTER.name], ROSTER) == _rows(roster, ROSTER)
    assert [f.rule for f in read.failures] == []


def test_the_blank_template_reads_as_an_empty_return(tmp_path):
    path = write_template(tmp_path / "blank.xlsx", "123", "Thị xã Mộc Châu", PERIOD)
    read = check_return(read_return(path, UNITS), frozenset())
    assert read.unit_code == "123" and read.period == PERIOD
    assert read.frames[ROSTER.name].empty and read.failures == []


def test_declared_task_count_is_checked(tmp_path, province):
    read = check_return(read_return(_write(tmp_path, province["116"]), UNITS), frozenset())
    (failure,) = [f for f in read.failures if f.rule == "TASK_COUNT_MISMATCH"]
    assert (failure.cell, failure.value, failure.params["listed"]) == ("Nhiem_vu!B2", "38", "34")
    assert "38" in failure.message("vi") and "34" in failure.message("vi")
    assert len(read.frames[TASKS.name]) == 34


# --- archives out of proportion ------------------------------------------------------------------
# An .xlsx is a zip archive; one that expands far beyond its size would make the reader allocate
# it all. The size cap catches the huge ones; the ratio catches the ones under the cap that
# still expand out of all proportion. Ordinary returns pass both.

def _padded(tmp_path, padding: bytes, compression: int) -> Path:
    """A real return with one more member, `padding`, stored with `compression`."""
    path = write_template(tmp_path / "padded.xlsx", "125", "Huyện Mai Sơn", PERIOD)
    with zipfile.ZipFile(path, "a", compression) as archive:
        archive.writestr("xl/padding.bin", padding)
    return path


def _expanded(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(m.file_size for m in archive.infolist())


def _ratio(path: Path) -> float:
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
    return sum(m.file_size for m in members) / sum(m.compress_size for m in members)


def test_an_archive_whose_compression_ratio_alone_is_hostile_is_refused(tmp_path):
    from transforms.workbook import MAX_UNCOMPRESSED, RATIO_FROM, UnreadableFile, check_container

    path = _padded(tmp_path, bytes(32 * 2**20), zipfile.ZIP_DEFLATED)  # 32 MiB of zeros, ~32 kB packed
    assert RATIO_FROM < 32 * 2**20 < MAX_UNCOMPRESSED  # under the size cap: only the ratio
    assert 200 < _ratio(path) < 2000
    with pytest.raises(UnreadableFile) as refused:
        check_container(path)
    assert refused.value.rule == "FILE_HOSTILE"
    read = check_return(read_return(path, UNITS), frozenset())
    assert [f.rule for f in read.failures] == ["FILE_HOSTILE"]


def test_an_archive_over_the_size_cap_is_refused_even_in_proportion(tmp_path):
    """201 MiB that packs only about 100:1 (a block of random bytes, repeated): the ratio
    alone would let it through, the cap does not. Written in 1 MiB pieces."""
    from transforms.workbook import MAX_RATIO, UnreadableFile, check_container

    path = write_template(tmp_path / "huge.xlsx", "125", "Huyện Mai Sơn", PERIOD)
    piece = bytes(range(256)) * 4 + os.urandom(7168)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("xl/padding.bin", "w", force_zip64=True) as member:
            for _ in range(201):
                member.write(piece * 128)  # 1 MiB
    assert _ratio(path) < MAX_RATIO
    with pytest.raises(UnreadableFile) as refused:
        check_container(path)
    assert refused.value.rule == "FILE_HOSTILE"


def test_a_small_archive_passes_whatever_its_ratio(tmp_path):
    from transforms.workbook import MAX_RATIO, RATIO_FROM, check_container

    path = _padded(tmp_path, bytes(16 * 2**20), zipfile.ZIP_DEFLATED)  # 16 MiB of zeros
    assert _ratio(path) > MAX_RATIO and _expanded(path) < RATIO_FROM
    assert check_container(path) is False  # read as a workbook, without macros


def test_a_large_archive_in_proportion_passes(tmp_path):
    from transforms.workbook import RATIO_FROM, check_container

    path = _padded(tmp_path, bytes(range(256)) * (24 * 2**12), zipfile.ZIP_STORED)  # 24 MiB
    assert _ratio(path) < 2 and _expanded(path) > RATIO_FROM
    assert check_container(path) is False
