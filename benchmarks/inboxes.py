"""The benchmark's inboxes, from the demo generator (demo/province.py).

- province: the demo province as `htx demo` writes it (12 returns, 2023, seed 2023);
- national: 708 reporting units (the demo province over 59 seeds, each district given a
  code and name of its own, so that no two units share a cooperative id and every return
  is a different district's, not a later version of the same one), 76 cooperatives per
  return on average, for one half-year (2023S1);
- history: the national scale over 10 half-years, 2019S1 … 2023S2;
- night: 12 units' returns for the next half-year (2024S1);
- country: 3,321 communes (as many as the country has had since the reform of 1 July
  2025), one half-year (2025S2), with a reference list of communes valid from 2025-07-01;
  commune i's return is a copy of the national base return i mod 708 given the commune's
  own code, name and ids (about 4.7 copies of each base return, never the same ids twice).

openpyxl writes a return in about 60 ms, too slow for ~10,400 files, so each unit's return
is written once (2023S1, on both cores) by the project's own writer and every benchmark
file is derived from it by rewriting the workbook's XML: the unit's name and code, the
cooperative and union ids (which embed the unit code), the period label, and the dates the
rules check against the period (foundation dates, date prepared), moved by the distance
between the periods. Every rule that held in the original holds in the copy; the bytes
differ, so each file is new to the pipeline. Rosters stay the same from one period to the
next (no cooperative vanishes, no figure jumps), which is the quiet case for the warehouse
checks. A base return is decoded once for all its copies (about 5 ms a copy), and each
stage is marked done in the cache, so a later call finds it there.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import zipfile
from functools import cache
from multiprocessing import Pool
from pathlib import Path
from typing import NamedTuple

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
COUNTRY, COUNTRY_UNITS = period_from_code("2025S2"), 3321  # communes since 1 July 2025
COMMUNES_FROM = "2025-07-01"
DATE_CELLS = {s.name: (field_cell(s.name, name), s.layout == "table") for s, name in
              ((ROSTER, "founded_on"), (UNIONS, "founded_on"), (COVER, "prepared_on"))}


class Unit(NamedTuple):
    """A benchmark unit: the base return it is copied from, its code and name, and the
    first five digits its cooperative ids take in place of the base's "05"/"55" + code."""
    base: Path
    code: str
    name: str
    ids: tuple[str, str]


def build(cache: Path, national: bool = True) -> dict[str, Path]:
    """Every inbox under `cache` (the province only unless `national`), made once: a later
    call finds each stage there (the base returns, the national periods, the country)."""
    folders = {"province": cache / "province", "units": cache / "units.csv",
               "night": cache / "national" / NIGHT.code,
               **{p.code: cache / "national" / p.code for p in HISTORY},
               "country": cache / "country" / COUNTRY.code,
               "country units": cache / "country_units.csv"}
    if not (folders["province"] / "manifest.json").exists():
        write_demo_returns(folders["province"], PROVINCE_PERIOD, PROVINCE_SEED)
    if not national:
        return folders
    if not any((cache / m).exists() for m in ("base.json", "complete.json")):
        with Pool(2) as pool:  # the project's writer, both cores
            pool.starmap(write_demo_returns, [(cache / "base" / f"seed{s:02d}", BASE, s)
                                              for s in SEEDS])
        (cache / "base.json").write_text(json.dumps({"seeds": len(SEEDS)}))
    units = national_units(cache / "base")
    if not (cache / "complete.json").exists():
        shutil.rmtree(cache / "national", ignore_errors=True)
        write_units_csv(folders["units"], units)
        jobs = {u.base: [(folders[p.code] / f"{u.code}_{p.code}.xlsx", u, p) for p in HISTORY]
                for u in units}
        for u in units[:NIGHT_RETURNS]:
            jobs[u.base].append((folders["night"] / f"{u.code}_{NIGHT.code}.xlsx", u, NIGHT))
        (cache / "complete.json").write_text(json.dumps({"files": _derive_all(jobs)}))
    if not (cache / "country.json").exists():
        shutil.rmtree(cache / "country", ignore_errors=True)
        communes = country_units(units)
        write_units_csv(folders["country units"], communes, "commune", COMMUNES_FROM, "")
        jobs = {}
        for u in communes:
            jobs.setdefault(u.base, []).append(
                (folders["country"] / f"{u.code}_{COUNTRY.code}.xlsx", u, COUNTRY))
        (cache / "country.json").write_text(json.dumps({"files": _derive_all(jobs)}))
    return folders


def _derive_all(jobs: dict[Path, list[tuple[Path, Unit, Period]]]) -> int:
    """Every copy, grouped by base return, on both cores; how many were written."""
    with Pool(2) as pool:
        written = pool.starmap(derive_many, jobs.items(), chunksize=8)
    return sum(len(w) for w in written)


def national_units(base: Path) -> list[Unit]:
    """(base return, new code, new name, ids) of every national unit: codes 001 … 708."""
    paths = sorted(base.glob("seed*/*.xlsx"))
    return [Unit(p, f"{i:03d}", f"Huyện Số {i:03d}", (f"05{i:03d}", f"55{i:03d}"))
            for i, p in enumerate(paths, 1)]


def country_units(national: list[Unit]) -> list[Unit]:
    """The 3,321 communes: commune i copies national unit i mod 708; its code is five
    digits (00001 …) as commune codes are, and its cooperative ids begin with five digits
    of its own (2i and 2i + 1), so that no two communes share an id."""
    return [Unit(national[(i - 1) % len(national)].base, f"{i:05d}", f"Xã Số {i:05d}",
                 (f"{2 * i:05d}", f"{2 * i + 1:05d}")) for i in range(1, COUNTRY_UNITS + 1)]


def write_units_csv(path: Path, units, level: str = "district", valid_from: str = "1976-01-01",
                    valid_to: str = "2025-06-30") -> None:
    """The reference list: the province (code 14, as in the seeds) and `units` (each a
    Unit or a (base, code, name) tuple) at `level`, valid from `valid_from` to `valid_to`.
    A commune list keeps the province's own districts, which ended on 2025-06-30. (At least
    one unit has an end date: a list where none has one makes `valid_to` a datetime column
    that `transforms.reporting_units.units_valid_on` could not compare with a date, and every
    return failed FILE_UNREADABLE.)"""
    shipped = load_reporting_units()
    province = shipped.query("level == 'province'").iloc[0]
    lines = ["code,name,level,parent_code,valid_from,valid_to,aliases",
             f"{province['code']},{province['name']},province,,1976-01-01,,"]
    if level != "district":
        lines += [f"{d['code']},{d['name']},district,{province['code']},"
                  f"{d['valid_from']:%Y-%m-%d},{d['valid_to']:%Y-%m-%d},"
                  for _, d in shipped.query("level == 'district'").iterrows()]
    lines += [f"{u[1]},{u[2]},{level},{province['code']},{valid_from},{valid_to},"
              for u in units]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def derive(src: Path, dst: Path, code: str, name: str, period: Period,
           ids: tuple[str, str] | None = None) -> Path:
    """A copy of the base return `src` as unit `code`'s return for `period` (its
    cooperative ids beginning `ids`, by default "05"/"55" + code)."""
    unit = Unit(src, code, name, ids or (f"05{code}", f"55{code}"))
    return derive_many(src, [(dst, unit, period)])[0]


def derive_many(src: Path, copies: list[tuple[Path, Unit, Period]]) -> list[Path]:
    """Copies of the base return `src`, each (destination, unit, period): the workbook is
    read and its sheets decoded once for all of them."""
    old_code, _ = src.stem.split("_")
    old_name = _cover_name(src)
    sheets = _sheet_entries(src)
    with zipfile.ZipFile(src) as zin:
        entries = [(info, zin.read(info)) for info in zin.infolist()]
    plain = {info.filename: _plain_characters(data.decode("utf-8"))
             for info, data in entries if info.filename in sheets}
    if not any(old_name in xml for xml in plain.values()):  # the writer's XML changed form:
        raise RuntimeError(f"{src}: its unit name {old_name!r} was not found to rename")
    written = []
    for dst, unit, period in copies:
        days = (period.start - BASE.start).days
        dst.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
            for info, data in entries:
                if info.filename in plain:
                    xml = _rename(plain[info.filename], old_code, old_name, unit, period)
                    data = _shift_dates(xml, sheets[info.filename], days).encode("utf-8")
                zout.writestr(copy.copy(info), data)  # writestr fills in its ZipInfo
        stamp = src.stat().st_mtime + days * 86400  # sent as long after its period as the base
        os.utime(dst, (stamp, stamp))
        written.append(dst)
    return written


def _plain_characters(xml: str) -> str:
    """The XML with character references written as the characters (openpyxl writes
    'Huyện' as 'Huy&#7879;n' when lxml is installed), so that text can be matched; the
    five characters XML reserves stay references."""
    def char(m: re.Match) -> str:
        c = chr(int(m[1][1:], 16) if m[1][0] in "xX" else int(m[1]))
        return m[0] if c in "<>&\"'" else c
    return re.sub(r"&#([xX][0-9a-fA-F]+|\d+);", char, xml)


def _rename(xml: str, old_code: str, old_name: str, unit: Unit, period: Period) -> str:
    """The unit's name and code, its cooperatives' and unions' ids, and the period label."""
    xml = xml.replace(old_name, unit.name).replace(BASE.label_vi, period.label_vi)
    xml = xml.replace(f"<t>{old_code}</t>", f"<t>{unit.code}</t>")
    prefix = dict(zip(("05", "55"), unit.ids))
    xml = re.sub(rf"<t>(05|55){old_code}(\d{{5}}(?:-\d{{3}})?)</t>",
                 lambda m: f"<t>{prefix[m[1]]}{m[2]}</t>", xml)
    return re.sub(rf"<t>LH{old_code}(\d\d)</t>", rf"<t>LH{unit.code}\g<1></t>", xml)


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
