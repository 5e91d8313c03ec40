"""The indicator catalogue of ../shared/spec/indicators.md, declared once as data.

Every indicator is a sum of a *numerator measure* over the rows of one source that pass its
filters, optionally divided by the sum of a *denominator measure* over the same rows, times
a scale. A row whose numerator or denominator measure is missing is left out of both and
counted in `rows_left_out`. The SQL in warehouse/sql/ is generic: it reads this catalogue
from `ref.indicators` and never names an indicator.

Measures are the contract's own fields, never restated here: per row of a source sheet,
  one               1 for every row
  <field>           a numeric or yes/no field of the sheet (yes counts 1, no 0)
  <weighted>        an average per person times its persons (WEIGHTED), the numerator of a
                    weighted average
  accepted, on_time 1/0 per expected reporting unit (source "units")
`python -m warehouse.codegen` writes the measures every indicator uses as SQL
(warehouse/sql/schema/40_measures.sql). Statuses come from the vocabulary (which terms
operate, which are dissolved), units from the fields' units and the units table
(contracts/units.py): a new roster field and an indicator over it are edits here and in
contracts/return_form.py only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts.fields import Field, Sheet
from contracts.return_form import ROSTER, UNIONS
from contracts.units import dimension
from contracts.vocabularies import NOT_DISSOLVED, OPERATING

Source = str  # "coops" | "unions" | "units"

# The sheets whose rows indicators count, and the dimension that counts a row of each.
SOURCES: dict[Source, Sheet] = {"coops": ROSTER, "unions": UNIONS}
ROW_DIMENSIONS: dict[Source, str] = {"coops": "coops", "unions": "unions"}
UNIT_MEASURES = ("one", "accepted", "on_time")  # per expected reporting unit
MEASURED_KINDS = ("integer", "number", "bool")


@dataclass(frozen=True)
class Weighted:
    """The numerator of a weighted average: an average per person times its persons."""

    name: str
    average: str
    persons: str


WEIGHTED: dict[Source, tuple[Weighted, ...]] = {
    "coops": (Weighted("income_x_workers", "income_per_worker", "workers"),
              Weighted("income_x_members", "income_per_member", "members")),
    "unions": (),
}


def measure_field(source: Source, name: str) -> Field | None:
    """The field a measure of `source` is, if it is one."""
    sheet = SOURCES.get(source)
    found = [f for f in sheet.stored_fields if f.name == name] if sheet else []
    return found[0] if found and found[0].kind in MEASURED_KINDS else None


def weighted(source: Source, name: str) -> Weighted | None:
    return next((w for w in WEIGHTED.get(source, ()) if w.name == name), None)


def row_unit(source: Source) -> str:
    """The unit a row of the source counts in: 'HTX', 'LHHTX'."""
    return dimension(ROW_DIMENSIONS[source]).contract_unit


def measure_unit(source: Source, name: str) -> str:
    """The unit of a measure: its field's; a count for 'one' and yes/no fields; the
    average's for a weighted average's numerator."""
    if (w := weighted(source, name)) is not None:
        return measure_unit(source, w.average)
    f = measure_field(source, name)
    return f.unit if f is not None and f.unit else row_unit(source)


@dataclass(frozen=True)
class Indicator:
    code: str
    name_vi: str
    name_en: str
    source: Source
    numerator: str
    definition_en: str
    denominator: str | None = None
    statuses: tuple[str, ...] | None = None  # None: no status filter
    sectors: tuple[str, ...] | None = None  # None: every sector
    scale: float = 1.0
    by_sector: bool = True  # broken down by sector (only sources with a sector)
    unit: str = field(init=False)  # derived from its measures (see indicator_unit)

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit", indicator_unit(self))

    @property
    def kind(self) -> str:
        return "sum" if self.denominator is None else "ratio"


def indicator_unit(i: Indicator) -> str:
    """A share in %; a sum in its measure's unit; an average per row in that unit per row
    ('triệu đồng/HTX'); a weighted average in its average's unit."""
    if i.scale == 100:
        return dimension("percent").contract_unit
    unit = measure_unit(i.source, i.numerator)
    if i.denominator == "one":
        return f"{unit}/{row_unit(i.source)}"
    return unit


def _i(code, name_vi, name_en, source, numerator, definition_en, **kwargs) -> Indicator:
    return Indicator(code, name_vi, name_en, source, numerator, definition_en, **kwargs)


INDICATORS: tuple[Indicator, ...] = (
    _i("HTX_TOTAL", "Tổng số hợp tác xã", "Cooperatives", "coops", "one",
       "Roster rows with status other than dissolved (GT).", statuses=NOT_DISSOLVED),
    _i("HTX_OPERATING", "Số HTX đang hoạt động", "Operating cooperatives", "coops", "one",
       "Roster rows with status HD or TL.", statuses=OPERATING),
    _i("HTX_NEW", "Số HTX thành lập mới", "Newly established cooperatives", "coops", "one",
       "Roster rows with status TL.", statuses=("TL",)),
    _i("HTX_DISSOLVED", "Số HTX giải thể", "Dissolved cooperatives", "coops", "one",
       "Roster rows with status GT.", statuses=("GT",)),
    _i("MEMBERS", "Tổng số thành viên", "Members", "coops", "members",
       "Sum of members, status other than GT.", statuses=NOT_DISSOLVED),
    _i("WORKERS", "Số lao động thường xuyên", "Regular workers", "coops", "workers",
       "Sum of regular workers, status other than GT.", statuses=NOT_DISSOLVED),
    _i("CAPITAL_TOTAL", "Tổng nguồn vốn", "Total capital", "coops",
       "total_capital", "Sum of total capital, status other than GT.", statuses=NOT_DISSOLVED),
    _i("CHARTER_CAPITAL", "Tổng vốn điều lệ", "Charter capital", "coops",
       "charter_capital", "Sum of charter capital, status other than GT.",
       statuses=NOT_DISSOLVED),
    _i("REVENUE_TOTAL", "Tổng doanh thu", "Revenue", "coops", "revenue",
       "Sum of revenue of operating cooperatives (HD, TL).", statuses=OPERATING),
    _i("REVENUE_PER_HTX", "Doanh thu bình quân một HTX", "Revenue per cooperative",
       "coops", "revenue",
       "Sum of revenue / operating cooperatives with revenue present.", denominator="one",
       statuses=OPERATING),
    _i("PROFIT_PER_HTX", "Lãi bình quân một HTX", "Profit per cooperative", "coops", "profit",
       "Sum of profit / operating cooperatives with profit present.", denominator="one",
       statuses=OPERATING),
    _i("INCOME_PER_WORKER", "Thu nhập bình quân người lao động", "Income per worker",
       "coops", "income_x_workers",
       "Σ(income_per_worker × workers) / Σ workers over rows with both present, status other "
       "than GT.", denominator="workers", statuses=NOT_DISSOLVED),
    _i("INCOME_PER_MEMBER", "Thu nhập bình quân thành viên", "Income per member",
       "coops", "income_x_members",
       "Σ(income_per_member × members) / Σ members over rows with both present, status other "
       "than GT.", denominator="members", statuses=NOT_DISSOLVED),
    _i("MANAGERS", "Số cán bộ quản lý HTX", "Cooperative managers", "coops", "managers",
       "Sum of managers, status other than GT.", statuses=NOT_DISSOLVED),
    _i("MANAGERS_TRAINED", "Số cán bộ quản lý trình độ cao đẳng, đại học trở lên",
       "Managers with a college or university degree", "coops", "managers_trained",
       "Sum of trained managers, status other than GT.", statuses=NOT_DISSOLVED),
    _i("MANAGERS_TRAINED_PCT", "Tỷ lệ cán bộ quản lý trình độ cao đẳng, đại học trở lên",
       "Share of managers with a college or university degree", "coops",
       "managers_trained", "100 × Σ managers_trained / Σ managers over rows with both present.",
       denominator="managers", statuses=NOT_DISSOLVED, scale=100.0),
    _i("HTX_HIGH_TECH", "Số HTX ứng dụng công nghệ cao", "Cooperatives applying high technology",
       "coops", "high_tech", "Operating rows with high_tech = yes.", statuses=OPERATING),
    _i("HTX_AG_VALUE_CHAIN", "Số HTX nông nghiệp liên kết chuỗi giá trị với doanh nghiệp",
       "Agricultural cooperatives in a value chain with an enterprise", "coops",
       "value_chain", "Operating rows of sector NN with value_chain = yes.",
       statuses=OPERATING, sectors=("NN",)),
    _i("OCOP_PRODUCTS", "Số sản phẩm OCOP", "OCOP products", "coops",
       "ocop_products", "Sum of OCOP products of operating cooperatives.", statuses=OPERATING),
    _i("UNIONS_TOTAL", "Số liên hiệp HTX", "Unions of cooperatives", "unions", "one",
       "Union rows with status other than GT.", statuses=NOT_DISSOLVED, by_sector=False),
    _i("UNIONS_NEW", "Số liên hiệp HTX thành lập mới", "Newly established unions", "unions", "one", "Union rows with status TL.", statuses=("TL",), by_sector=False),
    _i("UNION_MEMBER_COOPS", "Số HTX thành viên của liên hiệp HTX", "Member cooperatives of unions",
       "unions", "member_coops", "Sum of member cooperatives, status other than GT.",
       statuses=NOT_DISSOLVED, by_sector=False),
    _i("UNION_WORKERS", "Số lao động trong liên hiệp HTX", "Workers in unions", "unions",
       "workers", "Sum of union workers, status other than GT.", statuses=NOT_DISSOLVED,
       by_sector=False),
    _i("UNION_REVENUE_PER_UNION", "Doanh thu bình quân một liên hiệp HTX", "Revenue per union",
       "unions", "revenue",
       "Sum of union revenue / operating unions with revenue present.", denominator="one",
       statuses=OPERATING, by_sector=False),
    _i("UNION_PROFIT_PER_UNION", "Lợi nhuận bình quân một liên hiệp HTX", "Profit per union",
       "unions", "profit",
       "Sum of union profit / operating unions with profit present.", denominator="one",
       statuses=OPERATING, by_sector=False),
    _i("REPORTING_RATE", "Tỷ lệ đơn vị có báo cáo được chấp nhận",
       "Share of reporting units with an accepted return", "units", "accepted",
       "100 × units with an accepted return / units expected.", denominator="one",
       scale=100.0, by_sector=False),
    _i("TIMELY_RATE", "Tỷ lệ báo cáo đúng hạn", "Share of returns received on time", "units", "on_time",
       "100 × accepted returns first received by the deadline / units expected.",
       denominator="one", scale=100.0, by_sector=False),
)


def indicator(code: str) -> Indicator:
    return next(i for i in INDICATORS if i.code == code)
