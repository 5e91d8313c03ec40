"""Official figures are never silently wrong: the same rosters, written the many ways
districts write them (incomes in nghìn đồng a month, capital in đồng, amounts in tỷ đồng
typed as text with decimal commas, yes/no ticked with x), consolidate to exactly the
figures of the template's units; every indicator, numerator, denominator and rows left
out equals a computation written here from indicators.md; and the same inbox gives the
same marts to the last bit whatever the thread count or the order files arrive in.

The provinces are generated here (seeded): missing values on either side of weighted
averages, every status with money on it, an empty roster, sectors rarely used, two
half-years, a correction that supersedes and one that is rejected."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from contracts.reference import load_reporting_units
from contracts.return_form import ROSTER, UNIONS
from outputs.template import FIRST_DATA_ROW, HEADER_ROW, write_return
from flows import steps
from flows.settings import Settings
from demo.province import roster_totals
from transforms.periods import Period, period_from_code
from warehouse import db

PERIODS = [period_from_code("2024S1"), period_from_code("2024S2")]
SECTORS = ["NN", "CN", "XD", "TM", "VT", "TD", "TH", "KH"]
STATUSES = ["HD", "TL", "NG", "GT"]
NOT_GT, OPERATING = {"HD", "TL", "NG"}, {"HD", "TL"}
MARTS = ["mart.district_indicators", "mart.province_indicators"]
FIGURES = ["value", "numerator", "denominator", "rows_included", "rows_left_out", "target",
           "attainment_pct"]


# --- the catalogue, written out here from indicators.md ---------------------------------------

def _field(name):
    return lambda r: r[name]


def _flag(name):
    return lambda r: None if r[name] is None else Fraction(int(r[name]))


def _weighted(income, persons):
    return lambda r: None if r[income] is None or r[persons] is None else r[income] * r[persons]


ONE = lambda r: Fraction(1)  # noqa: E731
# code: (source, statuses, sectors, numerator, denominator, scale)
CATALOGUE = {
    "HTX_TOTAL": ("coops", NOT_GT, None, ONE, None, 1),
    "HTX_OPERATING": ("coops", OPERATING, None, ONE, None, 1),
    "HTX_NEW": ("coops", {"TL"}, None, ONE, None, 1),
    "HTX_DISSOLVED": ("coops", {"GT"}, None, ONE, None, 1),
    "MEMBERS": ("coops", NOT_GT, None, _field("members"), None, 1),
    "WORKERS": ("coops", NOT_GT, None, _field("workers"), None, 1),
    "CAPITAL_TOTAL": ("coops", NOT_GT, None, _field("total_capital"), None, 1),
    "CHARTER_CAPITAL": ("coops", NOT_GT, None, _field("charter_capital"), None, 1),
    "REVENUE_TOTAL": ("coops", OPERATING, None, _field("revenue"), None, 1),
    "REVENUE_PER_HTX": ("coops", OPERATING, None, _field("revenue"), ONE, 1),
    "PROFIT_PER_HTX": ("coops", OPERATING, None, _field("profit"), ONE, 1),
    "INCOME_PER_WORKER": ("coops", NOT_GT, None, _weighted("income_per_worker", "workers"),
                          _field("workers"), 1),
    "INCOME_PER_MEMBER": ("coops", NOT_GT, None, _weighted("income_per_member", "members"),
                          _field("members"), 1),
    "MANAGERS": ("coops", NOT_GT, None, _field("managers"), None, 1),
    "MANAGERS_TRAINED": ("coops", NOT_GT, None, _field("managers_trained"), None, 1),
    "MANAGERS_TRAINED_PCT": ("coops", NOT_GT, None, _field("managers_trained"),
                             _field("managers"), 100),
    "HTX_HIGH_TECH": ("coops", OPERATING, None, _flag("high_tech"), None, 1),
    "HTX_AG_VALUE_CHAIN": ("coops", OPERATING, {"NN"}, _flag("value_chain"), None, 1),
    "OCOP_PRODUCTS": ("coops", OPERATING, None, _field("ocop_products"), None, 1),
    "UNIONS_TOTAL": ("unions", NOT_GT, None, ONE, None, 1),
    "UNIONS_NEW": ("unions", {"TL"}, None, ONE, None, 1),
    "UNION_MEMBER_COOPS": ("unions", NOT_GT, None, _field("member_coops"), None, 1),
    "UNION_WORKERS": ("unions", NOT_GT, None, _field("workers"), None, 1),
    "UNION_REVENUE_PER_UNION": ("unions", OPERATING, None, _field("revenue"), ONE, 1),
    "UNION_PROFIT_PER_UNION": ("unions", OPERATING, None, _field("profit"), ONE, 1),
}


@dataclass
class Parts:
    numerator: Fraction = Fraction(0)
    denominator: Fraction | None = None
    included: int = 0
    left_out: int = 0

    def add(self, other: Parts) -> Parts:
        den = self.denominator if other.denominator is None else \
            (other.denominator if self.denominator is None else self.denominator + other.denominator)
        return Parts(self.numerator + other.numerator, den, self.included + other.included,
                     self.left_out + other.left_out)

    def figures(self, ratio: bool, scale: int) -> tuple:
        """(value, numerator, denominator, rows included, rows left out) as published: sums
        exact, rounded once; a ratio of the rounded parts; all left out is missing."""
        num = float(self.numerator)
        den = None if self.denominator is None else float(self.denominator)
        if ratio:
            value = None if not den else scale * num / den
        else:
            value = None if self.included == 0 and self.left_out > 0 else num
        return value, num, den, self.included, self.left_out


def district_parts(code: str, sector: str, coops: list[dict], unions: list[dict]) -> Parts:
    source, statuses, sectors, numerator, denominator, _ = CATALOGUE[code]
    parts = Parts()
    for row in coops if source == "coops" else unions:
        if row["status"] not in statuses or (sectors and row.get("sector") not in sectors):
            continue
        if sector != "ALL" and row.get("sector") != sector:
            continue
        num = numerator(row)
        den = denominator(row) if denominator else None
        if num is None or (denominator and den is None):
            parts.left_out += 1
            continue
        parts.included += 1
        parts.numerator += num
        if denominator:
            parts.denominator = (parts.denominator or 0) + den
    return parts


def cells_of(code: str) -> list[str]:
    source, _, sectors, *_ = CATALOGUE[code]
    return ["ALL"] if source == "unions" else ["ALL", *(sectors or SECTORS)]


# --- provinces as districts write them ----------------------------------------------------------

def _maybe(rng, value, missing: float = 0.15):
    return None if rng.random() < missing else value


def make_roster(rng, district: str, period: Period, n: int, marks: bool) -> list[dict]:
    rows = []
    for i in range(n):
        status = STATUSES[rng.integers(4)]
        managers = _maybe(rng, int(rng.integers(0, 8)))
        revenue = _maybe(rng, Fraction(int(rng.integers(0, 600_000)), 100))
        rows.append({
            "coop_id": f"{district}{period.code[-1]}{i:06d}", "name": f"HTX số {i + 1}",
            "commune": "Xã Chiềng Mung", "sector": SECTORS[rng.integers(len(SECTORS))]
            if rng.random() < .5 else "NN", "status": status,
            "founded_on": period.start + dt.timedelta(10) if status == "TL" else dt.date(2001, 5, 2),
            "members": _maybe(rng, int(rng.integers(5, 300))),
            "workers": _maybe(rng, int(rng.integers(0, 60))),
            "charter_capital": _maybe(rng, Fraction(int(rng.integers(0, 50_000)), 10)),
            "total_capital": _maybe(rng, Fraction(int(rng.integers(0, 900_000)), 100)),
            "revenue": revenue,
            "profit": _maybe(rng, Fraction(int(rng.integers(-20_000, 60_000)), 100)),
            # whole thousands of đồng a month: exact in every income unit
            "income_per_worker": _maybe(rng, Fraction(int(rng.integers(1500, 9000)) * 12, 1000)),
            "income_per_member": _maybe(rng, Fraction(int(rng.integers(500, 7000)) * 12, 1000)),
            "managers": managers,
            "managers_trained": None if managers is None else
            _maybe(rng, int(rng.integers(0, managers + 1))),
            "high_tech": bool(rng.random() < .3) if marks else _maybe(rng, bool(rng.random() < .3)),
            "value_chain": bool(rng.random() < .4) if marks else
            _maybe(rng, bool(rng.random() < .4)),
            "ocop_products": _maybe(rng, int(rng.integers(0, 4))),
            "union_id": None, "rating": None, "note": None,
        })
    if marks and rows:  # a return ticks at least one box
        rows[0]["value_chain"] = True
    return rows


def make_unions(rng, district: str, period: Period) -> list[dict]:
    return [{"union_id": f"{district}9{period.code[-1]}{i:05d}", "name": f"Liên hiệp {i + 1}",
             "status": STATUSES[rng.integers(4)], "founded_on": dt.date(2010, 1, 1),
             "member_coops": _maybe(rng, int(rng.integers(2, 12))),
             "workers": _maybe(rng, int(rng.integers(0, 80))),
             "revenue": _maybe(rng, Fraction(int(rng.integers(0, 900_000)), 100)),
             "profit": _maybe(rng, Fraction(int(rng.integers(-5_000, 90_000)), 100))}
            for i in range(int(rng.integers(0, 3)))]


def _frame(sheet, rows: list[dict]) -> pd.DataFrame:
    plain = [{k: float(v) if isinstance(v, Fraction) else v for k, v in r.items()} for r in rows]
    return pd.DataFrame(plain, columns=[f.name for f in sheet.stored_fields]).astype(object) \
        .where(lambda d: d.notna(), None)


@dataclass
class Return:
    district: str
    name: str
    period: Period
    coops: list[dict]
    unions: list[dict]
    marks: bool  # written with x-marks (so its yes/no has no missing answer)


def write_template_units(r: Return, path: Path) -> Path:
    roster = _frame(ROSTER, r.coops)
    return write_return(path, unit_code=r.district, unit_name=r.name, period=r.period,
                        roster=roster, unions=_frame(UNIONS, r.unions),
                        totals=roster_totals(roster), preparer="Lò Văn Tú")


def _vi(number: Fraction) -> str:
    """A decimal written the Vietnamese way, without thousands separators: '-2,1505'."""
    sign = "-" if number < 0 else ""
    whole, rest = divmod(abs(number), 1)
    digits = ""
    while rest:
        rest *= 10
        digit, rest = divmod(rest, 1)
        digits += str(int(digit))
    return sign + str(int(whole)) + ("," + digits if digits else "")


def write_district_units(r: Return, path: Path) -> Path:
    """The same return as districts write it: incomes per month in nghìn đồng, member
    incomes in nghìn đồng a year, charter capital in đồng, capital, revenue and profit in
    tỷ đồng typed as text with decimal commas (where the column shows its mark), yes/no
    ticked with x and ✓."""
    write_template_units(r, path)
    book = load_workbook(path)
    sheet = book["DS_HTX"]
    col = {f.name: i + 1 for i, f in enumerate(ROSTER.fields)}
    rows = range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(r.coops))

    def rewrite(name, unit, convert):
        sheet.cell(HEADER_ROW, col[name]).value = f"{ROSTER.field(name).header} ({unit})"
        for row, coop in zip(rows, r.coops):
            value = coop[name]
            cell = sheet.cell(row, col[name])
            cell.value = None if value is None else convert(value)
            if isinstance(cell.value, str):
                cell.number_format, cell.data_type = "@", "s"

    rewrite("income_per_worker", "nghìn đồng/người/tháng", lambda v: int(v * 1000 / 12))
    rewrite("income_per_member", "nghìn đ/người/năm", lambda v: int(v * 1000))
    rewrite("charter_capital", "đồng", lambda v: int(v * 1_000_000))
    for name in ("total_capital", "revenue", "profit"):
        texts = [_vi(c[name] / 1000) for c in r.coops if c[name] is not None]
        as_text = any(_decided(t) for t in texts)  # else the column would be ambiguous
        rewrite(name, "tỷ đồng", (lambda v: _vi(v / 1000)) if as_text else
                (lambda v: float(v / 1000)))
    for name, mark in (("high_tech", "x"), ("value_chain", "✓")):
        if r.marks:
            rewrite(name, "", lambda v, mark=mark: mark if v else None)
            sheet.cell(HEADER_ROW, col[name]).value = ROSTER.field(name).header
    book.save(path)
    return path


MONEY = ("charter_capital", "total_capital", "revenue", "profit")
# money unit -> (header text, value written from the amount in triệu đồng)
MONEY_WAYS = {
    "tỷ đồng": lambda v: _vi(v / 1000),
    "đồng": lambda v: int(v * 1_000_000),
    "nghìn đồng": lambda v: _vi_grouped(v * 1000),
    "triệu đồng": lambda v: _vi_grouped(v),
    "tr.đ": lambda v: float(v),
}
INCOME_WAYS = {
    "nghìn đồng/người/tháng": lambda v: int(v * 1000 / 12),
    "đồng/người/tháng": lambda v: int(v * 1_000_000 / 12),
    "triệu đồng/người/năm": lambda v: _vi(v),
    "Triệu đồng/LĐ/năm": lambda v: float(v),
}
YES_NO_WAYS = {"Có/Không": ("Có", "Không"), "C/K": ("C", "K"), "1/0": (1, 0),
               "TRUE/FALSE": (True, False), "x": ("x", None), "✓": ("✓", None)}


def _vi_grouped(number: Fraction) -> str:
    """'1.234.567,5': dots between thousands, a decimal comma."""
    text = _vi(number)
    whole, _, decimals = text.lstrip("-").partition(",")
    grouped = f"{int(whole):,}".replace(",", ".")
    return ("-" if text.startswith("-") else "") + grouped + ("," + decimals if decimals else "")


def write_many_ways(r: Return, path: Path) -> Path:
    """The same return, each column written one of the ways districts write it (chosen by
    a seed of the return's own): money in tỷ, nghìn, triệu or đồng, as numbers or text with
    Vietnamese separators, its unit in the header, in a units row or in one 'Đơn vị tính'
    line above the table; incomes per month or per year; yes/no in any usual spelling, or
    ticked with marks where the return has no missing answer."""
    rng = np.random.default_rng(int(r.district) * 100 + int(r.period.code[-1]) + len(r.coops))
    write_template_units(r, path)
    book = load_workbook(path)
    sheet = book["DS_HTX"]
    col = {f.name: i + 1 for i, f in enumerate(ROSTER.fields)}
    rows = range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(r.coops))
    where = ["header", "units row", "line above"][rng.integers(3)]
    one_unit = list(MONEY_WAYS)[rng.integers(len(MONEY_WAYS))]

    def put(name, unit, convert, unit_at):
        if unit_at == "header":
            sheet.cell(HEADER_ROW, col[name]).value = f"{ROSTER.field(name).header} ({unit})"
        elif unit_at == "units row":
            sheet.cell(HEADER_ROW, col[name]).value = ROSTER.field(name).header
            sheet.cell(HEADER_ROW + 1, col[name]).value = unit
        else:
            sheet.cell(HEADER_ROW, col[name]).value = ROSTER.field(name).header
        values = [None if c[name] is None else convert(c[name]) for c in r.coops]
        texts = [v for v in values if isinstance(v, str)]
        if texts and not any(_decided(t) or "." in t for t in texts):
            values = [None if c[name] is None else float(c[name] * MONEY_FACTOR.get(unit, 1))
                      for c in r.coops]  # no cell would show the column's decimal mark
        for row, value in zip(rows, values):
            cell = sheet.cell(row, col[name])
            cell.value = value
            if isinstance(value, str):
                cell.number_format, cell.data_type = "@", "s"

    for name in MONEY:
        unit = one_unit if where == "line above" else list(MONEY_WAYS)[rng.integers(5)]
        put(name, unit, MONEY_WAYS[unit], where)
    if where == "line above":
        sheet.cell(2, 12).value = f"Đơn vị tính: {one_unit}"
    for name in ("income_per_worker", "income_per_member"):
        unit = list(INCOME_WAYS)[rng.integers(len(INCOME_WAYS))]
        put(name, unit, INCOME_WAYS[unit], "units row" if where == "units row" else "header")
    if where != "units row":
        for c in range(1, len(ROSTER.fields) + 1):  # the template's column numbers stay
            if sheet.cell(HEADER_ROW + 1, c).value is None:
                sheet.cell(HEADER_ROW + 1, c).value = f"({c})"
    for name in ("high_tech", "value_chain"):
        ticked = any(c[name] for c in r.coops)  # a column of blanks only says nothing
        ways = [w for w in YES_NO_WAYS
                if (r.marks and ticked) or YES_NO_WAYS[w][1] is not None]
        yes, no = YES_NO_WAYS[ways[rng.integers(len(ways))]]
        for row, coop in zip(rows, r.coops):
            sheet.cell(row, col[name]).value = None if coop[name] is None else \
                (yes if coop[name] else no)
    book.save(path)
    return path


MONEY_FACTOR = {"tỷ đồng": Fraction(1, 1000), "đồng": 1_000_000, "nghìn đồng": 1000}


def _decided(text: str) -> bool:
    from transforms.cell_values import decimal_mark
    return decimal_mark(text) == ","


@dataclass
class Province:
    runs: list[list[Return]]  # what arrives before each run

    def current(self) -> dict[tuple[str, str], Return]:
        """(period, district) -> the return that stands: the last accepted one."""
        out = {}
        for returns in self.runs:
            for r in returns:
                if not _has_error(r):
                    out[(r.period.code, r.district)] = r
        return out


def _has_error(r: Return) -> bool:
    return any(c["managers_trained"] is not None and c["managers"] is not None
               and c["managers_trained"] > c["managers"] for c in r.coops)


def make_province(seed: int) -> Province:
    rng = np.random.default_rng(seed)
    units = load_reporting_units()
    districts = units[units["level"] == "district"][["code", "name"]].values.tolist()[:7]
    first, second = [], []
    for period in PERIODS:
        for k, (code, name) in enumerate(districts):
            n = 0 if (k == 3 and period is PERIODS[0]) else int(rng.integers(3, 25))
            first.append(Return(code, name, period, make_roster(rng, code, period, n, k % 2 == 0),
                                make_unions(rng, code, period), k % 2 == 0))
    code, name = districts[1]  # a correction that supersedes …
    second.append(Return(code, name, PERIODS[0], make_roster(rng, code, PERIODS[0], 9, False),
                         make_unions(rng, code, PERIODS[0]), False))
    code, name = districts[2]  # … and one that is rejected, so the first one stands
    wrong = make_roster(rng, code, PERIODS[1], 6, True)
    wrong[0].update(managers=2, managers_trained=5)
    second.append(Return(code, name, PERIODS[1], wrong, [], True))
    return Province([first, second])


# --- running them ---------------------------------------------------------------------------

def consolidate(root: Path, province: Province, write, order=sorted) -> Path:
    """Each batch of returns into the inbox, then a consolidation as plain functions."""
    for n, returns in enumerate(province.runs):
        inbox = root / "inbox"
        inbox.mkdir(parents=True, exist_ok=True)
        written = [write(r, inbox / f"{r.district}_{r.period.code}_{n}.xlsx") for r in returns]
        for i, path in enumerate(order(written)):  # the order the files arrive in
            os.utime(path, (1_700_000_000 + i, 1_700_000_000 + i))
        steps.consolidate(Settings(inbox=inbox, warehouse=root / "w.duckdb",
                                   reports=root / "reports", archive=root / "archive",
                                   settle_seconds=0), str(uuid.uuid4()))
    return root / "w.duckdb"


def marts(warehouse: Path, tables=MARTS, drop=("file_hash",)) -> dict[str, pd.DataFrame]:
    with db.connect(warehouse, read_only=True) as con:
        return {t: con.execute(f"FROM {t} ORDER BY ALL").df().drop(columns=list(drop),
                                                                   errors="ignore")
                for t in tables}


@pytest.fixture(scope="module")
def province():
    return make_province(seed=20240701)


@pytest.fixture(scope="module")
def template_run(province, tmp_path_factory):
    return consolidate(tmp_path_factory.mktemp("template"), province, write_template_units)


@pytest.fixture(scope="module")
def district_run(province, tmp_path_factory):
    return consolidate(tmp_path_factory.mktemp("district"), province, write_district_units)


@pytest.fixture(scope="module")
def many_ways_run(province, tmp_path_factory):
    return consolidate(tmp_path_factory.mktemp("many"), province, write_many_ways)


# --- what the spec says --------------------------------------------------------------------

def test_the_province_holds_the_cases_the_spec_names(province):
    rows = [c for returns in province.runs for r in returns for c in r.coops]
    assert {c["status"] for c in rows} == set(STATUSES)
    assert {c["sector"] for c in rows} == set(SECTORS)
    assert any(not r.coops for r in province.runs[0])
    for name in ("income_per_worker", "workers", "revenue", "managers"):
        assert any(c[name] is None for c in rows) and any(c[name] is not None for c in rows)
    assert any(c["status"] == "GT" and c["revenue"] is not None for c in rows)
    assert sum(_has_error(r) for r in province.runs[1]) == 1


@pytest.mark.parametrize("which", ["district_run", "many_ways_run"])
def test_district_units_consolidate_to_exactly_the_template_units_figures(template_run, which,
                                                                         request):
    want, got = marts(template_run), marts(request.getfixturevalue(which))
    for table in MARTS:
        assert len(got[table]) > 100
        pd.testing.assert_frame_equal(got[table], want[table], check_exact=True, obj=table)


def test_the_district_units_were_really_written_otherwise(province, tmp_path):
    r = next(r for r in province.runs[0] if r.marks and len(r.coops) > 5)
    sheet = load_workbook(write_district_units(r, tmp_path / "r.xlsx"))["DS_HTX"]
    headers = [c.value for c in sheet[HEADER_ROW]]
    assert "Thu nhập bình quân của người lao động (nghìn đồng/người/tháng)" in headers
    assert "Doanh thu (tỷ đồng)" in headers and "Vốn điều lệ (đồng)" in headers
    marks = {c.value for c in sheet[chr(ord("A") + 17)][FIRST_DATA_ROW - 1:]}
    assert marks <= {"x", None} and "x" in marks


@pytest.mark.parametrize("which", ["template_run", "district_run", "many_ways_run"])
def test_every_figure_equals_the_catalogue_computed_from_the_rosters(province, which, request):
    warehouse = request.getfixturevalue(which)
    published = marts(warehouse)
    district = published["mart.district_indicators"].set_index(
        ["period", "district_code", "indicator_code", "sector"])
    province_rows = published["mart.province_indicators"].set_index(
        ["period", "indicator_code", "sector"])
    current = province.current()
    checked = 0
    for period in PERIODS:
        for code, (_, _, _, _, denominator, scale) in CATALOGUE.items():
            for sector in cells_of(code):
                total = Parts()
                for (p, unit), r in current.items():
                    if p != period.code:
                        continue
                    parts = district_parts(code, sector, r.coops, r.unions)
                    total = total.add(parts)
                    got = district.loc[(p, unit, code, sector), FIGURES[:5]]
                    assert _same(got, parts.figures(denominator is not None, scale)), \
                        (p, unit, code, sector, tuple(got), parts)
                    checked += 1
                got = province_rows.loc[(period.code, code, sector), FIGURES[:5]]
                assert _same(got, total.figures(denominator is not None, scale)), \
                    (period.code, code, sector, tuple(got), total)
    assert checked > 1000


def _same(got: pd.Series, want: tuple) -> bool:
    """Equal to the bit; missing equals missing."""
    return all((pd.isna(g) and w is None) or (not pd.isna(g) and w is not None and g == w)
               for g, w in zip(got, want))


def test_a_rejected_correction_leaves_the_accepted_return_standing(province, district_run):
    r = next(r for r in province.runs[1] if _has_error(r))
    with db.connect(district_run, read_only=True) as con:
        statuses = con.execute(
            "SELECT version, status FROM raw.submissions WHERE district_code = ? AND period = ? "
            "ORDER BY version", [r.district, r.period.code]).fetchall()
    assert statuses == [(1, "accepted"), (2, "rejected")]


def test_the_same_inbox_gives_the_same_marts_to_the_last_bit(province, template_run, tmp_path,
                                                          monkeypatch):
    """Again, with the files arriving in the opposite order and DuckDB on one thread."""
    real = duckdb.connect

    def one_thread(database, read_only=False, config=None):
        return real(database, read_only=read_only, config={**(config or {}), "threads": 1})

    monkeypatch.setattr(duckdb, "connect", one_thread)
    again = consolidate(tmp_path, province, write_template_units,
                        order=lambda paths: sorted(paths, reverse=True))
    monkeypatch.undo()
    tables = [*MARTS, "mart.completeness"]
    first, second = marts(template_run, tables, ()), marts(again, tables, ())
    for table in tables:  # when files arrived differs by design; every figure must not
        arrived = [c for c in first[table].columns if c.endswith("received_at")]
        pd.testing.assert_frame_equal(second[table].drop(columns=arrived),
                                      first[table].drop(columns=arrived), check_exact=True,
                                      obj=table)
