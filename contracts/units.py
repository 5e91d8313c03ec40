"""Units of measure a return may use, declared once: each with its dimension, its exact
factor to the contract's unit of that dimension, and the ways people write it.

The reader converts a value written in any unit of this table to the contract's unit of
the field's dimension, exactly (factors are fractions, never binary floats); a unit of
another dimension, or one not in the table, is refused at the cell that declares it.
The template's headers and the data dictionary name the fields' units from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from itertools import product


@dataclass(frozen=True)
class Dimension:
    """What a unit measures, and the unit the contract keeps it in."""

    code: str
    name_vi: str
    name_en: str
    contract_unit: str


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("money", "tiền", "money", "triệu đồng"),
    Dimension("income", "thu nhập một người một năm", "income per person per year",
              "triệu đồng/người/năm"),
    Dimension("persons", "số người", "persons", "người"),
    Dimension("coops", "số hợp tác xã", "cooperatives", "HTX"),
    Dimension("unions", "số liên hiệp hợp tác xã", "unions of cooperatives", "LHHTX"),
    Dimension("products", "số sản phẩm", "products", "sản phẩm"),
    Dimension("percent", "tỷ lệ phần trăm", "percent", "%"),
)


@dataclass(frozen=True)
class Unit:
    """One unit: its name as the template writes it, its dimension, the exact factor that
    turns a value in it into the dimension's contract unit, and other spellings."""

    name: str
    dimension: str
    factor: Fraction
    name_en: str
    spellings: tuple[str, ...] = ()

    @property
    def written(self) -> tuple[str, ...]:
        return (self.name, *self.spellings)


# Money, in đồng multiples: (name, factor to triệu đồng, English, spellings).
_MONEY = (
    ("đồng", Fraction(1, 1_000_000), "dong", ("đ", "vnđ", "vnd", "đồng việt nam")),
    ("nghìn đồng", Fraction(1, 1000), "thousand dong",
     ("ngàn đồng", "nghìn đ", "ngàn đ", "ng.đ", "ngđ", "1000 đồng", "1.000 đồng", "1000đ",
      "1.000đ", "nghìn", "ngàn", "nghìn vnđ", "ngàn vnđ")),
    ("triệu đồng", Fraction(1), "million dong",
     ("triệu", "tr.đ", "trđ", "tr đ", "tr", "triệu đ", "triệu vnđ", "tr.đồng")),
    ("tỷ đồng", Fraction(1000), "billion dong",
     ("tỉ đồng", "tỷ", "tỉ", "tỷ đ", "tỉ đ", "tỷ vnđ", "tỉ vnđ")),
)
# Incomes are money per person per period: how many of each period a year holds.
_PER_YEAR = (("năm", 1, "year", ("năm",)), ("tháng", 12, "month", ("tháng", "th")),
             ("quý", 4, "quarter", ("quý",)))
_PERSON = ("người", "người lao động", "lao động", "lđ", "thành viên", "tv", "ng")


def _money() -> tuple[Unit, ...]:
    return tuple(Unit(name, "money", factor, en, spellings)
                 for name, factor, en, spellings in _MONEY)


def _incomes() -> tuple[Unit, ...]:
    """Every money unit per person per year, month or quarter ('nghìn đồng/người/tháng' is
    12/1000 of a 'triệu đồng/người/năm'), with or without the person."""
    units = []
    for (money, factor, money_en, money_spellings), (period, per_year, period_en, periods) \
            in product(_MONEY, _PER_YEAR):
        moneys = (money, *money_spellings)
        spellings = tuple(f"{m}/{p}/{t}" for m, p, t in product(moneys, _PERSON, periods)) + \
            tuple(f"{m}/{t}" for m, t in product(moneys, periods))
        name = f"{money}/người/{period}"
        units.append(Unit(name, "income", factor * per_year, f"{money_en} per person per "
                          f"{period_en}", tuple(s for s in spellings if s != name)))
    return tuple(units)


UNITS: tuple[Unit, ...] = (
    *_money(),
    *_incomes(),
    Unit("người", "persons", Fraction(1), "persons",
         ("ng", "người lao động", "lao động", "lđ", "thành viên", "tv", "cán bộ", "xã viên")),
    Unit("nghìn người", "persons", Fraction(1000), "thousand persons", ("ngàn người",)),
    Unit("HTX", "coops", Fraction(1), "cooperatives", ("hợp tác xã", "htx thành viên")),
    Unit("LHHTX", "unions", Fraction(1), "unions of cooperatives",
         ("liên hiệp htx", "liên hiệp hợp tác xã", "lh htx")),
    Unit("sản phẩm", "products", Fraction(1), "products", ("sp", "sản phẩm ocop")),
    Unit("%", "percent", Fraction(1), "percent", ("phần trăm",)),
)


def unit(name: str) -> Unit:
    """The unit the template writes as `name`."""
    return next(u for u in UNITS if u.name == name)


def dimension(code: str) -> Dimension:
    return next(d for d in DIMENSIONS if d.code == code)
