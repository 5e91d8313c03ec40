"""The indicator catalogue of ../shared/spec/indicators.md, declared once as data.

Every indicator is a sum of a *numerator measure* over the rows of one source that pass its
filters, optionally divided by the sum of a *denominator measure* over the same rows, times
a scale. A row whose numerator or denominator measure is missing is left out of both and
counted in `rows_left_out`. The SQL in warehouse/sql/ is generic: it reads this catalogue
from `ref.indicators` and never names an indicator.

Measures (per row, computed in warehouse/sql/marts/facts.sql):
  one               1 for every row
  <field>           the roster field itself (booleans count as 1/0)
  income_x_workers  income_per_worker × workers   (weighted average numerator)
  income_x_members  income_per_member × members
  accepted, on_time 1/0 per expected reporting unit (source "units")
"""

from __future__ import annotations

from dataclasses import dataclass

Source = str  # "coops" | "unions" | "units"

NOT_DISSOLVED = ("HD", "TL", "NG")
OPERATING = ("HD", "TL")


@dataclass(frozen=True)
class Indicator:
    code: str
    name_vi: str
    name_en: str
    unit: str
    source: Source
    numerator: str
    definition_en: str
    denominator: str | None = None
    statuses: tuple[str, ...] | None = None  # None: no status filter
    sectors: tuple[str, ...] | None = None  # None: every sector
    scale: float = 1.0
    by_sector: bool = True  # broken down by sector (only sources with a sector)

    @property
    def kind(self) -> str:
        return "sum" if self.denominator is None else "ratio"


def _i(*args, **kwargs) -> Indicator:
    return Indicator(*args, **kwargs)


INDICATORS: tuple[Indicator, ...] = (
    _i("HTX_TOTAL", "Tổng số hợp tác xã", "Cooperatives", "HTX", "coops", "one",
       "Roster rows with status other than dissolved (GT).", statuses=NOT_DISSOLVED),
    _i("HTX_OPERATING", "Số HTX đang hoạt động", "Operating cooperatives", "HTX", "coops", "one",
       "Roster rows with status HD or TL.", statuses=OPERATING),
    _i("HTX_NEW", "Số HTX thành lập mới", "Newly established cooperatives", "HTX", "coops", "one",
       "Roster rows with status TL.", statuses=("TL",)),
    _i("HTX_DISSOLVED", "Số HTX giải thể", "Dissolved cooperatives", "HTX", "coops", "one",
       "Roster rows with status GT.", statuses=("GT",)),
    _i("MEMBERS", "Tổng số thành viên", "Members", "người", "coops", "members",
       "Sum of members, status other than GT.", statuses=NOT_DISSOLVED),
    _i("WORKERS", "Số lao động thường xuyên", "Regular workers", "người", "coops", "workers",
       "Sum of regular workers, status other than GT.", statuses=NOT_DISSOLVED),
    _i("CAPITAL_TOTAL", "Tổng nguồn vốn", "Total capital", "triệu đồng", "coops",
       "total_capital", "Sum of total capital, status other than GT.", statuses=NOT_DISSOLVED),
    _i("CHARTER_CAPITAL", "Tổng vốn điều lệ", "Charter capital", "triệu đồng", "coops",
       "charter_capital", "Sum of charter capital, status other than GT.",
       statuses=NOT_DISSOLVED),
    _i("REVENUE_TOTAL", "Tổng doanh thu", "Revenue", "triệu đồng", "coops", "revenue",
       "Sum of revenue of operating cooperatives (HD, TL).", statuses=OPERATING),
    _i("REVENUE_PER_HTX", "Doanh thu bình quân một HTX", "Revenue per cooperative",
       "triệu đồng/HTX", "coops", "revenue",
       "Sum of revenue / operating cooperatives with revenue present.", denominator="one",
       statuses=OPERATING),
    _i("PROFIT_PER_HTX", "Lãi bình quân một HTX", "Profit per cooperative", "triệu đồng/HTX",
       "coops", "profit", "Sum of profit / operating cooperatives with profit present.",
       denominator="one", statuses=OPERATING),
    _i("INCOME_PER_WORKER", "Thu nhập bình quân người lao động", "Income per worker",
       "triệu đồng/người/năm", "coops", "income_x_workers",
       "Σ(income_per_worker × workers) / Σ workers over rows with both present, status other "
       "than GT.", denominator="workers", statuses=NOT_DISSOLVED),
    _i("INCOME_PER_MEMBER", "Thu nhập bình quân thành viên", "Income per member",
       "triệu đồng/người/năm", "coops", "income_x_members",
       "Σ(income_per_member × members) / Σ members over rows with both present, status other "
       "than GT.", denominator="members", statuses=NOT_DISSOLVED),
    _i("MANAGERS", "Số cán bộ quản lý HTX", "Cooperative managers", "người", "coops", "managers",
       "Sum of managers, status other than GT.", statuses=NOT_DISSOLVED),
    _i("MANAGERS_TRAINED", "Số cán bộ quản lý trình độ cao đẳng, đại học trở lên",
       "Managers with a college or university degree", "người", "coops", "managers_trained",
       "Sum of trained managers, status other than GT.", statuses=NOT_DISSOLVED),
    _i("MANAGERS_TRAINED_PCT", "Tỷ lệ cán bộ quản lý trình độ cao đẳng, đại học trở lên",
       "Share of managers with a college or university degree", "%", "coops",
       "managers_trained", "100 × Σ managers_trained / Σ managers over rows with both present.",
       denominator="managers", statuses=NOT_DISSOLVED, scale=100.0),
    _i("HTX_HIGH_TECH", "Số HTX ứng dụng công nghệ cao", "Cooperatives applying high technology",
       "HTX", "coops", "high_tech", "Operating rows with high_tech = yes.", statuses=OPERATING),
    _i("HTX_AG_VALUE_CHAIN", "Số HTX nông nghiệp liên kết chuỗi giá trị với doanh nghiệp",
       "Agricultural cooperatives in a value chain with an enterprise", "HTX", "coops",
       "value_chain", "Operating rows of sector NN with value_chain = yes.",
       statuses=OPERATING, sectors=("NN",)),
    _i("OCOP_PRODUCTS", "Số sản phẩm OCOP", "OCOP products", "sản phẩm", "coops",
       "ocop_products", "Sum of OCOP products of operating cooperatives.", statuses=OPERATING),
    _i("UNIONS_TOTAL", "Số liên hiệp HTX", "Unions of cooperatives", "LHHTX", "unions", "one",
       "Union rows with status other than GT.", statuses=NOT_DISSOLVED, by_sector=False),
    _i("UNIONS_NEW", "Số liên hiệp HTX thành lập mới", "Newly established unions", "LHHTX",
       "unions", "one", "Union rows with status TL.", statuses=("TL",), by_sector=False),
    _i("UNION_MEMBER_COOPS", "Số HTX thành viên của liên hiệp HTX", "Member cooperatives of unions",
       "HTX", "unions", "member_coops", "Sum of member cooperatives, status other than GT.",
       statuses=NOT_DISSOLVED, by_sector=False),
    _i("UNION_WORKERS", "Số lao động trong liên hiệp HTX", "Workers in unions", "người", "unions",
       "workers", "Sum of union workers, status other than GT.", statuses=NOT_DISSOLVED,
       by_sector=False),
    _i("UNION_REVENUE_PER_UNION", "Doanh thu bình quân một liên hiệp HTX", "Revenue per union",
       "triệu đồng/LHHTX", "unions", "revenue",
       "Sum of union revenue / operating unions with revenue present.", denominator="one",
       statuses=OPERATING, by_sector=False),
    _i("UNION_PROFIT_PER_UNION", "Lợi nhuận bình quân một liên hiệp HTX", "Profit per union",
       "triệu đồng/LHHTX", "unions", "profit",
       "Sum of union profit / operating unions with profit present.", denominator="one",
       statuses=OPERATING, by_sector=False),
    _i("REPORTING_RATE", "Tỷ lệ đơn vị có báo cáo được chấp nhận",
       "Share of reporting units with an accepted return", "%", "units", "accepted",
       "100 × units with an accepted return / units expected.", denominator="one",
       scale=100.0, by_sector=False),
    _i("TIMELY_RATE", "Tỷ lệ báo cáo đúng hạn", "Share of returns received on time", "%",
       "units", "on_time",
       "100 × accepted returns first received by the deadline / units expected.",
       denominator="one", scale=100.0, by_sector=False),
)


def indicator(code: str) -> Indicator:
    return next(i for i in INDICATORS if i.code == code)
