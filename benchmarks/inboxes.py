"""The benchmark's inboxes, from the demo generator (demo/province.py).

- province: the demo province as `htx demo` writes it (12 returns, 2023, seed 2023);
- national: 708 reporting units (the demo province over 59 seeds, each district given a
  code and name of its own, so that no two units share a cooperative id and every return
  is a different district's, not a later version of the same one), 76 cooperatives per
  return on average, for one half-year (2023S1);
- history: the national scale over 10 half-years, 2019S1 … 2023S2;
- night: 12 units' returns for the next half-year (2024S1).

openpyxl writes a return in about 60 ms, too slow for ~7,800 files, so each unit's return
is written once (2023S1, on both cores) by the project's own writer and every benchmark
file is derived from it by rewriting the workbook's XML: the unit's name and code, the cooperative and union ids
(which embed the unit code), the period label, and the dates the rules check against the
period (foundation dates, date prepared), moved by the distance between the periods. Every
rule that held in the original holds in the copy; the bytes differ, so each file is new
to the pipeline. Rosters stay the same from one period to the next (no cooperative
vanishes, no figure jumps), which is the quiet case for the warehouse checks.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import zipfile
from functools import cache
from multiprocessing import Pool
from pathlib import Path

from contracts.reference import load_reporting_units
from contracts.return_form import COVER, ROSTER, UNIONS
from outputs.template import field_cell
from demo.province import write_demo_returns
from transforms.periods import Period, period_from_code

SEEDS = range(1, 60)  # 59 × 12 = 708 reporting units
BASE = period_from_code("2023S1")
HISTORY = [period_from_code(f"{y}S{h}") for y in range(2019, 2024) for h in (1, 2)]
NIGHT, NIGHT_RETURNS = period_from_code("2024S1"), 12
PROVINCE_PERIOD, PROVINCE_SEED = period_from_code("2023"), 2023
DATE_CELLS = {s.name: (field_cell(s.name, name), s.layout == "table") for s, name in
              ((ROSTER, "founded_on"), (UNIONS, "founded_on"), (COVER, "prepared_on"))}


def build(cache: Path, national: bool = True) -> dict[str, Path]:
    """Every inbox under `cache` (the province only unless `national`), made once: a later
    call finds them there."""
    folders = {"province": cache / "province", "units": cache / "units.csv",
               "night": cache / "national" / NIGHT.code,
               **{p.code: cache / "national" / p.code for p in HISTORY}}
    if not (folders["province"] / "manifest.json").exists():
        write_demo_returns(folders["province"], PROVINCE_PERIOD, PROVINCE_SEED)
    if not national or (cache / "complete.json").exists():
        return folders
    shutil.rmtree(cache / "national", ignore_errors=True)
    with Pool(2) as pool:  # the project's writer, both cores
        pool.starmap(write_demo_returns, [(cache / "base" / f"seed{s:02d}", BASE, s)
                                          for s in SEEDS])
    units = national_units(cache / "base")
    write_units_csv(folders["units"], units)
    jobs = [(path, folders[p.code] / f"{code}_{p.code}.xlsx", code, name, p)
            for p in HISTORY for path, code, name in units]
    jobs += [(path, folders["night"] / f"{code}_{NIGHT.code}.xlsx", code, name, NIGHT)
             for path, code, name in units[:NIGHT_RETURNS]]
    with Pool(2) as pool:
        pool.starmap(derive, jobs, chunksize=64)
    (cache / "complete.json").write_text(json.dumps({"files": len(jobs)}))
    return folders


def national_units(base: Path) -> list[tuple[Path, str, str]]:
    """(base return, new code, new name) of every national unit: codes 001 … 708."""
    paths = sorted(base.glob("seed*/*.xlsx"))
    return [(p, f"{i:03d}", f"Huyện Số {i:03d}") for i, p in enumerate(paths, 1)]


def write_units_csv(path: Path, units: list[tuple[Path, str, str]]) -> None:
    """The reference list: the province (code 14, as in the seeds) and the 708 units, valid
    until districts gave way to communes, as the province's own districts are. (Each has
    an end date: a list where no unit has one makes `valid_to` a datetime column that
    `transforms.reporting_units.units_valid_on` cannot compare with a date, and every return fails
    FILE_UNREADABLE.)"""
    province = load_reporting_units().query("level == 'province'").iloc[0]
    lines = ["code,name,level,parent_code,valid_from,valid_to,aliases",
             f"{province['code']},{province['name']},province,,1976-01-01,,"]
    lines += [f"{code},{name},district,{province['code']},1976-01-01,2025-06-30,"
              for _, code, name in units]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def derive(src: Path, dst: Path, code: str, name: str, period: Period) -> Path:
    """A copy of the base return `src` as unit `code`'s return for `period`."""
    old_code, _ = src.stem.split("_")
    old_name = _cover_name(src)
    days = (period.start - BASE.start).days
    sheets = _sheet_entries(src)
    dst.parent.mkdir(parents=True, exist_ok=True)
    renamed = False
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename in sheets:
                xml = _plain_characters(data.decode("utf-8"))
                renamed |= old_name in xml
                xml = _rename(xml, old_code, old_name, code, name, period)
                xml = _shift_dates(xml, sheets[info.filename], days)
                data = xml.encode("utf-8")
            zout.writestr(info, data)
    if not renamed:  # the writer's XML changed form: every copy would be the same unit
        raise RuntimeError(f"{src}: its unit name {old_name!r} was not found to rename")
    stamp = src.stat().st_mtime + days * 86400  # sent as long after its period as the base
    os.utime(dst, (stamp, stamp))
    return dst


def _plain_characters(xml: str) -> str:
    """The XML with character references written as the characters (openpyxl writes
    'Huyện' as 'Huy&#7879;n' when lxml is installed), so that text can be matched; the
    five characters XML reserves stay references."""
    def char(m: re.Match) -> str:
        c = chr(int(m[1][1:], 16) if m[1][0] in "xX" else int(m[1]))
        return m[0] if c in "<>&\"'" else c
    return re.sub(r"&#([xX][0-9a-fA-F]+|\d+);", char, xml)


def _rename(xml: str, old_code: str, old_name: str, code: str, name: str,
            period: Period) -> str:
    """The unit's name and code, its cooperatives' and unions' ids, and the period label."""
    xml = xml.replace(old_name, name).replace(BASE.label_vi, period.label_vi)
    xml = xml.replace(f"<t>{old_code}</t>", f"<t>{code}</t>")
    xml = re.sub(rf"<t>(05|55){old_code}(\d{{5}}(?:-\d{{3}})?)</t>", rf"<t>\g<1>{code}\g<2></t>",
                 xml)
    return re.sub(rf"<t>LH{old_code}(\d\d)</t>", rf"<t>LH{code}\g<1></t>", xml)


def _shift_dates(xml: str, sheet: str, days: int) -> str:
    """Move the period-bound date cells of `sheet` (Excel serials) by `days`: a table's
    column from its first data row down, a label sheet's one cell."""
    if sheet not in DATE_CELLS:
        return xml
    ref, column = DATE_CELLS[sheet]
    col, first = re.fullmatch(r"([A-Z]+)(\d+)", ref.split("!")[1]).groups()
    rows = r"\d+" if column else first

    def moved(m: re.Match) -> str:
        return m[1] + str(int(m[3]) + days * (int(m[2]) >= int(first))) + m[4]
    return re.sub(rf'(<c r="{col}({rows})"[^>]*><v>)(\d+)(</v>)', moved, xml)


def _sheet_entries(path: Path) -> dict[str, str]:
    """Zip entry → sheet name (openpyxl writes sheet i of the workbook as sheet{i}.xml)."""
    with zipfile.ZipFile(path) as z:
        workbook = _plain_characters(z.read("xl/workbook.xml").decode("utf-8"))
        names = re.findall(r'<sheet\b[^>]*?\bname="([^"]+)"', workbook)
    return {f"xl/worksheets/sheet{i}.xml": n for i, n in enumerate(names, 1)}


def _cover_name(path: Path) -> str:
    """The unit name the demo generator put on the cover (the file is named by its code)."""
    return _province_names()[path.stem.split("_")[0]]


@cache
def _province_names() -> dict[str, str]:
    return dict(load_reporting_units()[["code", "name"]].values)


def copy_inbox(source: Path, inbox: Path) -> list[Path]:
    """An inbox holding the returns of `source` (submission times kept)."""
    inbox.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(p, inbox / p.name)) for p in files_of(source)]


def files_of(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.xlsx"))
