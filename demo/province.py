"""The demo province: one plausible return per district of Sơn La, with deliberate faults.

`generate_province` is pure and deterministic (numpy `default_rng(seed)`): the same period
and seed give the same frames. Province totals come out near the seeds' 2023 targets; the
city (116) reproduces the figures of the seed article exactly; five districts carry one
deliberate fault each, recorded in `DemoReturn.faults`. `write_demo_returns` writes the
workbooks with outputs.template and a manifest.json that says what the pipeline should
find in them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from contracts.indicators import indicator
from contracts.reference import load_reporting_units
from contracts.fields import Sheet
from contracts.return_form import ROSTER, TASKS, TOTALS, UNIONS
from contracts.rules import MIN_MEMBERS, rule
from outputs.template import DECLARED_TASK_COUNT_CELL, field_cell, write_return
from transforms.periods import Period

CITY = "116"
LATE_UNIT = "127"  # the one district that sends its return after the deadline
PROVINCE_COOPS, PROVINCE_NEW, PROVINCE_SUSPENDED = 900, 85, 40  # status ≠ GT, TL, NG
CITY_SECTORS = {"NN": 40, "CN": 1, "XD": 1, "TM": 14, "TH": 17}  # 73, from the seeds
CITY_NEW, CITY_SUSPENDED = 6, 2
CITY_CAPITAL = (148_000, 149_000)  # Σ total_capital strictly between (million đồng)
CITY_MEMBERS = (2_001, 2_100)
CITY_MEMBER_INCOME = 60.0  # members-weighted, million đồng a year
CITY_TASK_GROUPS = (4, 13, 8, 4, 5)  # 34 tasks listed …
CITY_DECLARED_TASKS = 38  # … of 38 declared
UNIONS_TOTAL, UNION_HOSTS, UNION_MEMBER_COOPS, UNION_WORKERS = 7, 5, 55, 800

# One deliberate fault per district (the city's task count comes from the seeds).
FAULT_PLAN = {
    "118": "TRAINED_ABOVE_MANAGERS",
    "119": "ID_DUPLICATE",
    "120": "TOTAL_MISMATCH",
    "121": "PROFIT_ABOVE_REVENUE",
    "124": "MEMBERS_BELOW_MINIMUM",
}

SECTOR_SHARES = {"NN": .58, "CN": .08, "XD": .04, "TM": .11, "VT": .04, "TD": .02,
                 "TH": .11, "KH": .02}
RATING_SHARES = {"TOT": .25, "KHA": .42, "TB": .25, "YEU": .08}
TASK_STATUS_SHARES = {"CHUA": .15, "DANG": .45, "XONG": .40}

SECTOR_THEMES = {
    "NN": ("Nông nghiệp", "Chè", "Cà phê", "Rau an toàn", "Cây ăn quả", "Chăn nuôi",
           "Thủy sản", "Xoài", "Mận hậu", "Nhãn", "Dược liệu", "Bò sữa", "Mắc ca",
           "Nông lâm nghiệp"),
    "CN": ("Dệt thổ cẩm", "Mộc dân dụng", "Cơ khí", "Chế biến nông sản", "Mây tre đan",
           "Gạch không nung"),
    "XD": ("Xây dựng", "Xây dựng tổng hợp"),
    "TM": ("Thương mại - Dịch vụ", "Du lịch cộng đồng", "Dịch vụ môi trường", "Thương mại"),
    "VT": ("Vận tải", "Vận tải hành khách"),
    "TD": ("",),  # "Quỹ tín dụng nhân dân <xã>"
    "TH": ("Dịch vụ tổng hợp", "Nông nghiệp và dịch vụ tổng hợp", "Tổng hợp"),
    "KH": ("Dịch vụ điện", "Nước sạch", "Vệ sinh môi trường"),
}
UNION_THEMES = ("Nông nghiệp", "Chè", "Cà phê", "Rau quả", "Dịch vụ nông nghiệp",
                "Dược liệu", "Thương mại - Dịch vụ")

COMMUNES = {
    "116": ("Phường Chiềng Lề", "Phường Tô Hiệu", "Phường Quyết Thắng", "Phường Quyết Tâm",
            "Phường Chiềng Cơi", "Phường Chiềng Sinh", "Phường Chiềng An", "Xã Chiềng Ngần",
            "Xã Hua La", "Xã Chiềng Đen", "Xã Chiềng Xôm", "Xã Chiềng Cọ"),
    "118": ("Thị trấn Mường Giàng", "Xã Chiềng Bằng", "Xã Mường Chiên", "Xã Cà Nàng",
            "Xã Chiềng Khay", "Xã Mường Giôn", "Xã Pá Ma Pha Khinh", "Xã Chiềng Ơn",
            "Xã Mường Sại", "Xã Nậm Ét", "Xã Chiềng Khoang"),
    "119": ("Thị trấn Thuận Châu", "Xã Phổng Lăng", "Xã Chiềng Pha", "Xã Tông Lạnh",
            "Xã Chiềng Ly", "Xã Bon Phặng", "Xã Muổi Nọi", "Xã Chiềng Bôm", "Xã Mường Khiêng",
            "Xã Co Mạ", "Xã Púng Tra", "Xã Chiềng La", "Xã Tông Cọ"),
    "120": ("Thị trấn Ít Ong", "Xã Mường Bú", "Xã Chiềng Lao", "Xã Mường Chùm", "Xã Tạ Bú",
            "Xã Chiềng San", "Xã Mường Trai", "Xã Nậm Giôn", "Xã Chiềng Hoa",
            "Xã Chiềng Muôn", "Xã Ngọc Chiến", "Xã Pi Toong"),
    "121": ("Thị trấn Bắc Yên", "Xã Phiêng Ban", "Xã Song Pe", "Xã Tạ Khoa", "Xã Hồng Ngài",
            "Xã Tà Xùa", "Xã Mường Khoa", "Xã Chiềng Sại", "Xã Phiêng Côn", "Xã Xím Vàng",
            "Xã Hang Chú", "Xã Làng Chếu"),
    "122": ("Thị trấn Phù Yên", "Xã Huy Bắc", "Xã Huy Thượng", "Xã Tân Lang", "Xã Gia Phù",
            "Xã Tường Phù", "Xã Huy Hạ", "Xã Huy Tân", "Xã Mường Thải", "Xã Tường Thượng",
            "Xã Sập Xa", "Xã Mường Cơi", "Xã Quang Huy"),
    "123": ("Phường Mộc Lỵ", "Phường Mộc Sơn", "Phường Bình Minh", "Phường Cờ Đỏ",
            "Phường Đông Sang", "Xã Chiềng Sơn", "Xã Phiêng Luông", "Xã Mường Sang",
            "Xã Chiềng Hắc", "Xã Tân Lập", "Xã Nà Mường", "Xã Tà Lại", "Xã Lóng Sập"),
    "124": ("Thị trấn Yên Châu", "Xã Chiềng Đông", "Xã Chiềng Sàng", "Xã Chiềng Pằn",
            "Xã Viêng Lán", "Xã Chiềng Khoi", "Xã Sặp Vạt", "Xã Chiềng Hặc", "Xã Tú Nang",
            "Xã Mường Lựm", "Xã Lóng Phiêng", "Xã Chiềng On", "Xã Phiêng Khoài"),
    "125": ("Thị trấn Hát Lót", "Xã Cò Nòi", "Xã Chiềng Mung", "Xã Mường Bằng",
            "Xã Chiềng Ban", "Xã Chiềng Mai", "Xã Chiềng Chăn", "Xã Mường Chanh", "Xã Nà Bó",
            "Xã Chiềng Lương", "Xã Phiêng Pằn", "Xã Chiềng Sung", "Xã Mường Bon",
            "Xã Tà Hộc", "Xã Chiềng Nơi"),
    "126": ("Thị trấn Sông Mã", "Xã Nà Nghịu", "Xã Chiềng Khương", "Xã Chiềng Cang",
            "Xã Mường Hung", "Xã Chiềng Khoong", "Xã Huổi Một", "Xã Mường Lầm", "Xã Nậm Ty",
            "Xã Yên Hưng", "Xã Chiềng Sơ", "Xã Đứa Mòn", "Xã Bó Sinh"),
    "127": ("Xã Sốp Cộp", "Xã Dồm Cang", "Xã Nậm Lạnh", "Xã Mường Lạn", "Xã Mường Và",
            "Xã Mường Lèo", "Xã Púng Bánh", "Xã Sam Kha"),
    "128": ("Xã Vân Hồ", "Xã Lóng Luông", "Xã Chiềng Khoa", "Xã Mường Men", "Xã Quang Minh",
            "Xã Chiềng Yên", "Xã Xuân Nha", "Xã Tân Xuân", "Xã Song Khủa", "Xã Liên Hòa",
            "Xã Tô Múa", "Xã Suối Bàng", "Xã Chiềng Xuân"),
}
COMMUNE_TYPES = ("Thị trấn ", "Phường ", "Xã ")
UNIT_TYPES = ("Thành phố ", "Thị xã ", "Huyện ")

FAMILY_NAMES = ("Lò", "Cầm", "Quàng", "Lường", "Nguyễn", "Hoàng", "Tòng", "Vì", "Bạc",
                "Lê", "Phạm", "Đinh", "Mùa", "Hà")
GIVEN_NAMES = ("Văn Thắng", "Thị Hoa", "Văn Hùng", "Thị Lan", "Văn Tuấn", "Thị Mai",
               "Văn Minh", "Thị Hương", "Văn Quyết", "Thị Xuân", "Văn Dũng", "Thị Thủy")

TASK_POOLS = {
    1: ("Tuyên truyền, phổ biến Luật Hợp tác xã năm 2023 đến cán bộ, thành viên HTX",
        "Quán triệt Nghị quyết số 20-NQ/TW về đổi mới, phát triển kinh tế tập thể",
        "Xây dựng chuyên mục kinh tế tập thể trên cổng thông tin điện tử",
        "Tuyên truyền, nhân rộng mô hình HTX kiểu mới hoạt động hiệu quả",
        "Tổ chức hội nghị biểu dương HTX điển hình tiên tiến",
        "Phát hành tài liệu giới thiệu chính sách hỗ trợ HTX"),
    2: ("Hỗ trợ thành lập mới HTX nông nghiệp", "Hỗ trợ kết cấu hạ tầng sản xuất cho HTX",
        "Hỗ trợ HTX tiếp cận vốn vay Quỹ hỗ trợ phát triển HTX",
        "Hỗ trợ HTX tham gia Chương trình mỗi xã một sản phẩm (OCOP)",
        "Hỗ trợ cơ giới hóa đồng bộ trong sản xuất", "Hỗ trợ HTX ứng dụng khoa học công nghệ",
        "Hỗ trợ xây dựng nhãn hiệu, truy xuất nguồn gốc sản phẩm",
        "Hỗ trợ HTX xúc tiến thương mại, tham gia hội chợ",
        "Hỗ trợ HTX thuê đất làm trụ sở, nhà xưởng",
        "Thực hiện chính sách theo Quyết định số 1804/QĐ-TTg",
        "Nhân rộng mô hình HTX kiểu mới theo Quyết định số 167/QĐ-TTg",
        "Hỗ trợ HTX sản xuất theo tiêu chuẩn VietGAP",
        "Hỗ trợ HTX chứng nhận sản phẩm hữu cơ", "Hỗ trợ HTX bảo hiểm nông nghiệp"),
    3: ("Xây dựng liên kết chuỗi giá trị giữa HTX và doanh nghiệp",
        "Xây dựng mô hình HTX gắn với sản phẩm OCOP, sản phẩm chủ lực",
        "Khuyến khích liên kết giữa các HTX cùng ngành, lĩnh vực",
        "Hỗ trợ thành lập liên hiệp HTX",
        "Kết nối HTX với siêu thị, sàn thương mại điện tử",
        "Hỗ trợ HTX xây dựng vùng nguyên liệu đạt chuẩn xuất khẩu",
        "Phối hợp với doanh nghiệp bao tiêu sản phẩm cho HTX",
        "Hỗ trợ HTX chuyển đổi số trong quản lý, bán hàng",
        "Xây dựng cơ sở dữ liệu về HTX trên địa bàn"),
    4: ("Đào tạo, bồi dưỡng cán bộ quản lý HTX",
        "Hỗ trợ đưa lao động trẻ có trình độ về làm việc tại HTX",
        "Tập huấn kế toán, tài chính cho HTX", "Tổ chức tham quan, học tập mô hình HTX hiệu quả",
        "Tập huấn kỹ năng thương mại điện tử cho thành viên HTX"),
    5: ("Kiện toàn Ban chỉ đạo phát triển kinh tế tập thể",
        "Kiểm tra việc thực hiện Luật Hợp tác xã", "Thống kê, đánh giá, phân loại HTX hằng năm",
        "Sơ kết, tổng kết tình hình phát triển kinh tế tập thể",
        "Phối hợp với Liên minh HTX tỉnh tư vấn cho HTX",
        "Rà soát, xử lý HTX không hoạt động theo quy định"),
}

FIRST_FOUNDED = dt.date(1997, 7, 1)  # the first Cooperative Law came into force


@dataclass(frozen=True)
class Fault:
    """A deliberate fault: where it is, which rule must catch it, how severe it is.

    `data_index` is the 0-based data row of a table sheet (None on a label sheet); a fault
    about a sheet's declared count (Nhiem_vu) has no field.
    """

    sheet: str
    field: str | None
    data_index: int | None
    rule: str
    severity: str
    description: str

    @property
    def cell(self) -> str:
        if self.field is None:
            return DECLARED_TASK_COUNT_CELL
        return field_cell(self.sheet, self.field, self.data_index or 0)


@dataclass(frozen=True, eq=False)
class DemoReturn:
    """One district's demo return, with what it should be found to contain."""

    unit_code: str
    unit_name: str
    roster: pd.DataFrame
    unions: pd.DataFrame
    totals: dict[str, float | int]
    tasks: pd.DataFrame | None
    declared_task_count: int | None
    preparer: str
    prepared_on: dt.date
    contact: str
    submitted_on: dt.date
    faults: list[Fault] = field(default_factory=list)

    @property
    def expected_status(self) -> str:
        """What the pipeline should decide: rejected when any fault is an error."""
        return "rejected" if any(f.severity == "error" for f in self.faults) else "accepted"


@dataclass(frozen=True)
class DistrictPlan:
    """How many cooperatives of each status a district's roster lists."""

    code: str
    name: str
    active: int  # status ≠ GT
    new: int  # TL
    suspended: int  # NG
    dissolved: int  # GT
    sectors: dict[str, int] | None = None  # fixed sector counts of the active rows


# --- the province ------------------------------------------------------------------------------

def generate_province(period: Period, seed: int = 2023) -> dict[str, DemoReturn]:
    """One demo return per district (reference level "district"), keyed by unit code."""
    rng = np.random.default_rng(seed)
    units = load_reporting_units()
    units = units[units["level"] == "district"]
    plans = _plans(rng, list(zip(units["code"], units["name"])))
    unions = _unions(rng, plans, period)
    return {p.code: _district_return(rng, p, unions[p.code], period) for p in plans}


def _plans(rng: np.random.Generator, units: list[tuple[str, str]]) -> list[DistrictPlan]:
    """The city as in the seeds; the other districts share the rest of the targets."""
    others = [(code, name) for code, name in units if code != CITY]
    city_active = sum(CITY_SECTORS.values())
    active = _allocate(PROVINCE_COOPS - city_active, rng.gamma(8.0, 1.0, len(others)), 30)
    new = _allocate(PROVINCE_NEW - CITY_NEW, active.astype(float))
    suspended = _allocate(PROVINCE_SUSPENDED - CITY_SUSPENDED, active.astype(float))
    dissolved = rng.integers(0, 3, len(others))
    plans = {code: DistrictPlan(code, name, int(a), int(n), int(s), int(d))
             for (code, name), a, n, s, d in zip(others, active, new, suspended, dissolved)}
    for code, name in units:
        if code == CITY:
            plans[code] = DistrictPlan(code, name, city_active, CITY_NEW, CITY_SUSPENDED, 0,
                                       CITY_SECTORS)
    return [plans[code] for code, _ in units]


def _allocate(total: int, weights: np.ndarray, minimum: int = 0) -> np.ndarray:
    """Integers ≥ minimum, about proportional to weights, summing exactly to total."""
    spare = total - minimum * len(weights)
    share = spare * np.asarray(weights, dtype=float) / np.sum(weights)
    counts = np.floor(share).astype(int)
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[: spare - counts.sum()]] += 1
    return counts + minimum


def _district_return(rng: np.random.Generator, plan: DistrictPlan, unions: pd.DataFrame,
                     period: Period) -> DemoReturn:
    """Roster, unions, totals, tasks and cover of one district, its fault applied."""
    roster = _roster(rng, plan, period)
    if plan.code == CITY:
        roster = _calibrate_city(rng, roster)
    roster = _link_unions(rng, roster, unions)
    fault = FAULT_PLAN.get(plan.code)
    roster, faults = ROSTER_FAULTS.get(fault, _no_fault)(rng, roster)
    totals, more = TOTALS_FAULTS.get(fault, _no_totals_fault)(roster_totals(roster))
    tasks, declared = _tasks(rng, plan.code)
    submitted = _submitted_on(rng, plan.code, period)
    return DemoReturn(
        plan.code, plan.name, roster, unions, totals, tasks, declared,
        preparer=f"{rng.choice(FAMILY_NAMES)} {rng.choice(GIVEN_NAMES)}",
        prepared_on=submitted - dt.timedelta(days=int(rng.integers(0, 3))),
        contact=f"0212 {rng.integers(3750, 3900)} {rng.integers(100, 1000)}",
        submitted_on=submitted, faults=faults + more + _task_count_faults(tasks, declared))


def _submitted_on(rng: np.random.Generator, code: str, period: Period) -> dt.date:
    """A few days before the deadline; LATE_UNIT a few days after it."""
    deadline = period.deadline()
    if code == LATE_UNIT:
        return deadline + dt.timedelta(days=int(rng.integers(2, 6)))
    slack = max((deadline - period.end).days - 3, 2)
    return deadline - dt.timedelta(days=int(rng.integers(1, slack)))


# --- rosters -------------------------------------------------------------------------------------

def _roster(rng: np.random.Generator, plan: DistrictPlan, period: Period) -> pd.DataFrame:
    """The district's cooperatives, one row each, sorted by commune and name."""
    status = np.array(["TL"] * plan.new + ["NG"] * plan.suspended
                      + ["HD"] * (plan.active - plan.new - plan.suspended)
                      + ["GT"] * plan.dissolved)
    sector = _sectors(rng, plan)
    communes = COMMUNES.get(plan.code) or tuple(f"Xã số {i}" for i in range(1, 11))
    commune = rng.choice(communes, len(status))
    rows = {
        "coop_id": _coop_ids(rng, plan.code, len(status)),
        "name": _coop_names(rng, sector, commune),
        "commune": commune, "sector": sector, "status": status,
        "founded_on": _founded(rng, status, period),
        **_people(rng, status), **_money(rng, status, _year_share(period)),
        **_flags(rng, status, sector),
        "union_id": [None] * len(status),
        "note": [_note(rng, s, period) for s in status],
    }
    frame = _frame(ROSTER, rows)
    return frame.sort_values(["commune", "name"], kind="stable").reset_index(drop=True)


def _frame(sheet: Sheet, columns: dict) -> pd.DataFrame:
    """A frame of plain Python values (None for missing) in the contract's column order."""
    names = [f.name for f in sheet.stored_fields]
    data = {name: [_py(v) for v in columns[name]] for name in names}
    return pd.DataFrame(data, columns=names, dtype=object)


def _py(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def _column(frame: pd.DataFrame, values: list) -> pd.Series:
    """A column of plain values (object dtype, None kept) aligned with frame."""
    return pd.Series([_py(v) for v in values], index=frame.index, dtype=object)


def _sectors(rng: np.random.Generator, plan: DistrictPlan) -> np.ndarray:
    """Sector codes: the plan's fixed counts (shuffled) or drawn from SECTOR_SHARES."""
    drawn = rng.choice(list(SECTOR_SHARES), plan.active + plan.dissolved,
                       p=list(SECTOR_SHARES.values()))
    if plan.sectors is None:
        return drawn
    fixed = np.array([c for c, n in plan.sectors.items() for _ in range(n)])
    return np.concatenate([rng.permutation(fixed), drawn[plan.active:]])


def _coop_ids(rng: np.random.Generator, code: str, n: int) -> list[str]:
    """10-digit ids, unique in the province: prefix ("05" or "55"), unit code, serial."""
    serials = rng.choice(100_000, n, replace=False)
    prefixes = rng.choice(["05", "55"], n)
    return [f"{(p + code)[:5]:0<5}{s:05d}" for p, s in zip(prefixes, serials)]


def _coop_names(rng: np.random.Generator, sectors: np.ndarray, communes: np.ndarray) -> list:
    """'Hợp tác xã <theme> <commune>', unique within the district."""
    names: list[str] = []
    for sector, commune in zip(sectors, communes):
        place = _short(commune, COMMUNE_TYPES)
        theme = rng.choice(SECTOR_THEMES[sector])
        base = f"Quỹ tín dụng nhân dân {place}" if sector == "TD" else \
            f"Hợp tác xã {theme} {place}"
        name, k = base, 1
        while name in names:
            k += 1
            name = f"{base} {k}"
        names.append(name)
    return names


def _short(name: str, prefixes: tuple[str, ...]) -> str:
    """A unit's name without its type word ('Xã Chiềng Ban' → 'Chiềng Ban')."""
    return next((name[len(p):] for p in prefixes if name.startswith(p)), name)


def _founded(rng: np.random.Generator, status: np.ndarray, period: Period) -> list[dt.date]:
    """TL rows inside the period; the others before it starts."""
    inside = (period.end - period.start).days + 1
    before = (period.start - FIRST_FOUNDED).days
    return [period.start + dt.timedelta(days=int(rng.integers(0, inside))) if s == "TL"
            else FIRST_FOUNDED + dt.timedelta(days=int(rng.integers(0, before)))
            for s in status]


def _people(rng: np.random.Generator, status: np.ndarray) -> dict[str, list]:
    """Members (≥ 5), regular workers, managers (3–5) and trained managers."""
    n = len(status)
    members = np.maximum(np.rint(rng.lognormal(np.log(32), 0.8, n)), MIN_MEMBERS)
    managers = rng.choice([3, 4, 5], n, p=[.4, .45, .15])
    workers = np.maximum(np.rint(rng.lognormal(np.log(8.6), 0.9, n)), managers)
    trained = rng.binomial(managers, 0.21)
    return {"members": members.astype(int), "workers": workers.astype(int),
            "managers": managers, "managers_trained": trained}


def _year_share(period: Period) -> float:
    """The period's share of a year: revenue and profit are for the period."""
    return ((period.end - period.start).days + 1) / 365


def _money(rng: np.random.Generator, status: np.ndarray, share: float) -> dict[str, list]:
    """Capital, revenue and profit (for the period), incomes (a year), in million đồng."""
    n = len(status)
    operating = np.isin(status, ("HD", "TL"))
    charter = rng.lognormal(np.log(650), 0.9, n)
    total = charter * rng.uniform(1.3, 2.9, n)
    new = np.where(status == "TL", 0.45, 1.0)
    revenue = rng.lognormal(np.log(2150 * share), 0.95, n) * new
    revenue = np.where(operating, revenue, 0.0)
    profit = revenue * np.clip(rng.normal(0.10, 0.07, n), -0.25, 0.45)
    income_worker = np.clip(rng.normal(60, 10, n), 30, 110)
    income_member = np.clip(rng.normal(48, 12, n), 15, 100)
    member_missing = rng.random(n) < 0.15
    return {
        "charter_capital": _tenths(charter), "total_capital": _tenths(total),
        "revenue": _tenths(revenue), "profit": _tenths(profit),
        "income_per_worker": _tenths(income_worker, operating),
        "income_per_member": _tenths(income_member, operating & ~member_missing),
    }


def _tenths(values: np.ndarray, present: np.ndarray | None = None) -> list[float | None]:
    """Values rounded to one decimal; None where not `present`."""
    present = np.ones(len(values), bool) if present is None else present
    return [round(float(v), 1) + 0.0 if p else None for v, p in zip(values, present)]


def _flags(rng: np.random.Generator, status: np.ndarray, sector: np.ndarray) -> dict:
    """High tech, value chain, OCOP products and rating (operating rows only)."""
    n = len(status)
    operating = np.isin(status, ("HD", "TL"))
    chain_p = np.where(sector == "NN", 0.30, 0.10)
    rating = rng.choice(list(RATING_SHARES), n, p=list(RATING_SHARES.values()))
    unrated = (status == "TL") | (rng.random(n) < 0.08)
    return {
        "high_tech": [bool(x) for x in operating & (rng.random(n) < 0.41)],
        "value_chain": [bool(x) for x in operating & (rng.random(n) < chain_p)],
        "ocop_products": np.where(operating, rng.poisson(0.25, n), 0),
        "rating": [None if u else str(r) for r, u in zip(rating, unrated)],
    }


def _note(rng: np.random.Generator, status: str, period: Period) -> str | None:
    if status == "GT":
        day = period.start + dt.timedelta(days=int(rng.integers(0, 60)))
        return f"Giải thể theo quyết định ngày {day:%d/%m/%Y}"
    return "Tạm ngừng do thiếu vốn, chờ khôi phục sản xuất" if status == "NG" else None


def _calibrate_city(rng: np.random.Generator, roster: pd.DataFrame) -> pd.DataFrame:
    """Make the city's members, capital and member income those of the seed article."""
    out = roster.copy()
    members = _allocate(int(rng.integers(CITY_MEMBERS[0] + 10, CITY_MEMBERS[1] - 10)),
                        out["members"].to_numpy(float), MIN_MEMBERS)
    out["members"] = _column(out, members)
    low, high = CITY_CAPITAL
    tenths = _allocate(int(rng.integers(low * 10 + 1000, high * 10 - 1000)),
                       out["total_capital"].to_numpy(float))
    ratio = (out["total_capital"] / out["charter_capital"]).to_numpy(float)
    out["total_capital"] = _column(out, [t / 10 for t in tenths])
    out["charter_capital"] = _column(out, [round(t / 10 / r, 1) for t, r in zip(tenths, ratio)])
    out["income_per_member"] = _column(out, _scaled_income(out, CITY_MEMBER_INCOME))
    return out


def _scaled_income(roster: pd.DataFrame, target: float) -> list[float | None]:
    """Member incomes rescaled so their members-weighted mean is target (± 0.05)."""
    income = pd.to_numeric(roster["income_per_member"])
    weights = roster["members"].astype(float)
    mean = (income * weights).sum() / weights[income.notna()].sum()
    return [None if pd.isna(v) else round(float(v) * target / mean, 1) for v in income]


# --- unions --------------------------------------------------------------------------------------

def _unions(rng: np.random.Generator, plans: list[DistrictPlan],
            period: Period) -> dict[str, pd.DataFrame]:
    """UNIONS_TOTAL unions spread over UNION_HOSTS districts, one of them newly founded.

    Hosts are districts whose return is not planned to be rejected, so the published
    province figures can reach the union targets.
    """
    clean = [p.code for p in plans if not _planned_error(p.code)]
    hosts = sorted(rng.choice(len(clean), UNION_HOSTS, replace=False))
    per_host = _allocate(UNIONS_TOTAL, rng.random(UNION_HOSTS) + 0.5, 1)
    codes = [clean[h] for h, k in zip(hosts, per_host) for _ in range(k)]
    status = np.where(np.arange(UNIONS_TOTAL) == rng.integers(UNIONS_TOTAL), "TL", "HD")
    revenue = rng.lognormal(np.log(4400 * _year_share(period)), 0.5, UNIONS_TOTAL)
    rows = {
        "union_id": [f"LH{c}{k:02d}" for k, c in enumerate(codes, start=1)],
        "name": [f"Liên hiệp hợp tác xã {t} {_short(_plan(plans, c).name, UNIT_TYPES)}"
                 for t, c in zip(rng.choice(UNION_THEMES, UNIONS_TOTAL, replace=False), codes)],
        "status": status, "founded_on": _founded(rng, status, period),
        "member_coops": _allocate(UNION_MEMBER_COOPS, rng.random(UNIONS_TOTAL) + 0.5, 4),
        "workers": _allocate(UNION_WORKERS, rng.random(UNIONS_TOTAL) + 0.5, 30),
        "revenue": _tenths(revenue),
        "profit": _tenths(revenue * rng.normal(0.10, 0.03, UNIONS_TOTAL)),
    }
    frame = _frame(UNIONS, rows)
    return {p.code: frame[frame["union_id"].isin(_ids_of(rows, codes, p.code))]
            .reset_index(drop=True) for p in plans}


def _planned_error(code: str) -> bool:
    return code in FAULT_PLAN and rule(FAULT_PLAN[code]).severity == "error"


def _plan(plans: list[DistrictPlan], code: str) -> DistrictPlan:
    return next(p for p in plans if p.code == code)


def _ids_of(rows: dict, codes: list[str], code: str) -> list[str]:
    return [u for u, c in zip(rows["union_id"], codes) if c == code]


def _link_unions(rng: np.random.Generator, roster: pd.DataFrame,
                 unions: pd.DataFrame) -> pd.DataFrame:
    """A few operating cooperatives of the district name one of its unions."""
    out = roster.copy()
    free = list(out.index[out["status"].isin(["HD", "TL"])])
    for union_id, size in zip(unions["union_id"], unions["member_coops"]):
        picked = rng.choice(free, min(int(rng.integers(2, 5)), size), replace=False)
        out.loc[picked, "union_id"] = union_id
        free = [i for i in free if i not in set(picked)]
    return out


# --- faults --------------------------------------------------------------------------------------

def _fault(code: str, sheet: str, field_name: str | None, index: int | None,
           description: str) -> Fault:
    return Fault(sheet, field_name, index, code, rule(code).severity, description)


def _operating_row(rng: np.random.Generator, roster: pd.DataFrame, exclude=()) -> int:
    """A random row of an operating (HD) cooperative with revenue."""
    rows = roster.index[(roster["status"] == "HD") & (roster["revenue"].astype(float) > 0)]
    return int(rng.choice([i for i in rows if i not in exclude]))


def _no_fault(rng: np.random.Generator, roster: pd.DataFrame):
    return roster, []


def _trained_above_managers(rng: np.random.Generator, roster: pd.DataFrame):
    i, out = _operating_row(rng, roster), roster.copy()
    managers = out.at[i, "managers"]
    out.at[i, "managers_trained"] = managers + 1
    r = rule("TRAINED_ABOVE_MANAGERS")
    return out, [_fault(r.code, r.sheet, r.field, i, f"{out.at[i, 'name']}: managers_trained "
                        f"{managers + 1} > managers {managers}")]


def _duplicate_id(rng: np.random.Generator, roster: pd.DataFrame):
    i = _operating_row(rng, roster)
    j, out = _operating_row(rng, roster, exclude=(i,)), roster.copy()
    out.at[j, "coop_id"] = out.at[i, "coop_id"]
    what = f"coop_id {out.at[i, 'coop_id']} listed twice (data rows {min(i, j)} and {max(i, j)})"
    return out, [_fault("ID_DUPLICATE", ROSTER.name, ROSTER.key, k, what)
                 for k in sorted((i, j))]


def _profit_above_revenue(rng: np.random.Generator, roster: pd.DataFrame):
    i, out = _operating_row(rng, roster), roster.copy()
    revenue = out.at[i, "revenue"]
    out.at[i, "profit"] = round(revenue * float(rng.uniform(1.2, 1.6)), 1)
    r = rule("PROFIT_ABOVE_REVENUE")
    return out, [_fault(r.code, r.sheet, r.field, i, f"{out.at[i, 'name']}: profit "
                        f"{out.at[i, 'profit']} > revenue {revenue}")]


def _members_below_minimum(rng: np.random.Generator, roster: pd.DataFrame):
    i, out = _operating_row(rng, roster), roster.copy()
    out.at[i, "members"] = MIN_MEMBERS - 2
    r = rule("MEMBERS_BELOW_MINIMUM")
    return out, [_fault(r.code, r.sheet, r.field, i, f"{out.at[i, 'name']}: operating with "
                        f"{MIN_MEMBERS - 2} members")]


ROSTER_FAULTS = {
    "TRAINED_ABOVE_MANAGERS": _trained_above_managers,
    "ID_DUPLICATE": _duplicate_id,
    "PROFIT_ABOVE_REVENUE": _profit_above_revenue,
    "MEMBERS_BELOW_MINIMUM": _members_below_minimum,
}


def _no_totals_fault(totals: dict):
    return totals, []


def _total_coops_off_by_one(totals: dict):
    """Tong_hop declares one cooperative more than the roster lists."""
    line = next(f.name for f in TOTALS.fields if f.reconciles == ("HTX_TOTAL", "ALL"))
    out = {**totals, line: totals[line] + 1}
    return out, [_fault("TOTAL_MISMATCH", TOTALS.name, line, None,
                        f"{line} declared {out[line]}, roster has {totals[line]}")]


TOTALS_FAULTS = {"TOTAL_MISMATCH": _total_coops_off_by_one}


def _task_count_faults(tasks: pd.DataFrame | None, declared: int | None) -> list[Fault]:
    """A fault when the declared number of tasks differs from the tasks listed."""
    listed = 0 if tasks is None else len(tasks)
    if declared is None or declared == listed:
        return []
    return [_fault("TASK_COUNT_MISMATCH", TASKS.name, None, None,
                   f"{declared} detailed tasks declared, {listed} listed")]


# --- totals --------------------------------------------------------------------------------------

def roster_totals(roster: pd.DataFrame) -> dict[str, float | int]:
    """The Tong_hop figures as the indicator catalogue computes them from the roster."""
    totals = {}
    for f in TOTALS.fields:
        if f.reconciles is not None:
            value = indicator_sum(roster, *f.reconciles)
            totals[f.name] = int(round(value)) if f.kind == "integer" else round(value, 1)
    return totals


def indicator_sum(roster: pd.DataFrame, code: str, sector: str = "ALL") -> float:
    """A sum indicator over roster rows: its status/sector filters, its numerator summed."""
    ind = indicator(code)
    if ind.kind != "sum" or ind.source != "coops":
        raise ValueError(f"{code} is not a sum over roster rows")
    rows = roster
    if ind.statuses is not None:
        rows = rows[rows["status"].isin(ind.statuses)]
    if ind.sectors is not None:
        rows = rows[rows["sector"].isin(ind.sectors)]
    if sector != "ALL":
        rows = rows[rows["sector"] == sector]
    if ind.numerator == "one":
        return float(len(rows))
    return float(rows[ind.numerator].dropna().astype(float).sum())


# --- tasks ---------------------------------------------------------------------------------------

def _tasks(rng: np.random.Generator, code: str) -> tuple[pd.DataFrame | None, int | None]:
    """The work programme: the city's from the seeds (34 listed, 38 declared); about half
    of the other districts list one whose count matches; the rest send none."""
    if code == CITY:
        return _task_frame(rng, CITY_TASK_GROUPS), CITY_DECLARED_TASKS
    if rng.random() < 0.5:
        return None, None
    sizes = tuple(int(k) for k in rng.integers(1, 5, len(TASK_POOLS)))
    return _task_frame(rng, sizes), sum(sizes)


def _task_frame(rng: np.random.Generator, sizes: tuple[int, ...]) -> pd.DataFrame:
    """Tasks "g.k" of each group g, described from TASK_POOLS, with a drawn progress."""
    rows = [(f"{g}.{k}", g, TASK_POOLS[g][k - 1])
            for g, size in zip(sorted(TASK_POOLS), sizes) for k in range(1, size + 1)]
    status = rng.choice(list(TASK_STATUS_SHARES), len(rows), p=list(TASK_STATUS_SHARES.values()))
    return _frame(TASKS, {"task_code": [r[0] for r in rows], "group": [r[1] for r in rows],
                          "description": [r[2] for r in rows], "status": status})


# --- files ---------------------------------------------------------------------------------------

def demo_file_name(unit_code: str, period: Period) -> str:
    return f"{unit_code}_{period.code}.xlsx"


def write_demo_returns(out_dir: Path | str, period: Period, seed: int = 2023) -> list[Path]:
    """Write every district's return (mtime = submitted at 16:00) and manifest.json."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    returns = generate_province(period, seed)
    paths = [_write_one(out_dir / demo_file_name(r.unit_code, period), r, period)
             for r in returns.values()]
    manifest = demo_manifest(returns, period, seed)
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return paths


def _write_one(path: Path, r: DemoReturn, period: Period) -> Path:
    write_return(path, unit_code=r.unit_code, unit_name=r.unit_name, period=period,
                 roster=r.roster, unions=r.unions, totals=r.totals, tasks=r.tasks,
                 declared_task_count=r.declared_task_count, preparer=r.preparer,
                 prepared_on=r.prepared_on, contact=r.contact)
    stamp = dt.datetime.combine(r.submitted_on, dt.time(16)).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def demo_manifest(returns: dict[str, DemoReturn], period: Period, seed: int) -> dict:
    """What the pipeline should find: each file's expected status and every fault's cell."""
    files = [{"unit_code": r.unit_code, "file": demo_file_name(r.unit_code, period),
              "submitted_on": r.submitted_on.isoformat(), "expected_status": r.expected_status}
             for r in returns.values()]
    faults = [{"unit_code": r.unit_code, "file": demo_file_name(r.unit_code, period),
               "sheet": f.sheet, "cell": f.cell, "rule": f.rule, "severity": f.severity,
               "expected_status": r.expected_status, "description": f.description}
              for r in returns.values() for f in r.faults]
    return {"period": period.code, "seed": seed, "files": files, "faults": faults}
