"""The district return workbook, declared once, sheet by sheet and field by field.

See ../shared/spec/return-workbook.md. Every other artefact (reader, pandera schemas,
template, warehouse columns, data dictionary) is derived from RETURN_FORM.
"""

from __future__ import annotations

from contracts.fields import Field, Sheet
from contracts.vocabularies import RATINGS, SECTORS, STATUSES, TASK_STATUSES, YES_NO

MONEY = "triệu đồng"
INCOME = "triệu đồng/người/năm"
COOP_ID_PATTERN = r"^\d{10}(-\d{3})?$"

COVER = Sheet(
    "Thong_tin",
    "Thông tin chung về báo cáo",
    "Cover: who reports, for which period",
    "labels",
    (
        Field("unit_name", "Đơn vị báo cáo", "text", "Tên đơn vị báo cáo (huyện, thành phố)",
              "Name of the reporting unit (district or city)", ("Tên đơn vị", "Đơn vị"),
              required=True, width=40),
        Field("unit_code", "Mã đơn vị", "text", "Mã đơn vị hành chính (mã thống kê)",
              "Administrative unit code (GSO code)", ("Mã huyện", "Mã ĐVHC")),
        Field("period", "Kỳ báo cáo", "text", "Kỳ báo cáo: năm, 6 tháng hoặc quý",
              "Reporting period: year, half-year or quarter", ("Kỳ", "Thời kỳ báo cáo"),
              required=True),
        Field("preparer", "Người lập biểu", "text", "Họ tên người lập biểu",
              "Name of the person who prepared the return", ("Người lập",)),
        Field("prepared_on", "Ngày lập", "date", "Ngày lập báo cáo",
              "Date the return was prepared", ("Ngày báo cáo",)),
        Field("contact", "Điện thoại / Email", "text", "Số điện thoại hoặc thư điện tử liên hệ",
              "Contact phone or e-mail", ("Điện thoại", "Email", "Liên hệ")),
    ),
    required=True,
    variants=("Thông tin chung", "Bìa"),
)

ROSTER = Sheet(
    "DS_HTX",
    "Danh sách hợp tác xã trên địa bàn",
    "Cooperative roster: one row per cooperative registered in the district",
    "table",
    (
        Field("stt", "STT", "integer", "Số thứ tự (không sử dụng)", "Row number (ignored)",
              ("Số TT", "TT"), stored=False, width=6),
        Field("coop_id", "Mã số HTX", "id", "Mã số hợp tác xã (10 chữ số, có thể thêm -3 chữ số)",
              "Cooperative registration number (10 digits, optionally -3 digits)",
              ("Mã HTX", "Mã số hợp tác xã", "Mã số đăng ký HTX", "Mã số thuế"),
              required=True, unique=True, pattern=COOP_ID_PATTERN, width=16),
        Field("name", "Tên hợp tác xã", "text", "Tên hợp tác xã", "Cooperative name",
              ("Tên HTX",), required=True, width=40),
        Field("commune", "Xã, phường, thị trấn", "text", "Xã, phường, thị trấn nơi đặt trụ sở",
              "Commune or ward of the head office", ("Địa chỉ", "Xã/phường", "Xã"), width=20),
        Field("sector", "Lĩnh vực hoạt động", "choice", "Lĩnh vực hoạt động chính",
              "Main sector of activity", ("Lĩnh vực", "Ngành nghề"), required=True,
              vocabulary=SECTORS, width=30),
        Field("status", "Tình trạng hoạt động", "choice", "Tình trạng hoạt động trong kỳ",
              "Operating status in the period", ("Tình trạng", "Trạng thái"), required=True,
              vocabulary=STATUSES, width=22),
        Field("founded_on", "Ngày thành lập", "date", "Ngày thành lập (đăng ký lần đầu)",
              "Date founded (first registration)", ("Ngày đăng ký", "Ngày ĐKKD"), width=14),
        Field("members", "Số thành viên", "integer", "Số thành viên hợp tác xã",
              "Number of members", ("Thành viên", "Số xã viên"), unit="người", min_value=0),
        Field("workers", "Số lao động thường xuyên", "integer",
              "Số lao động làm việc thường xuyên", "Number of regular workers",
              ("Lao động thường xuyên", "Số lao động"), unit="người", min_value=0),
        Field("charter_capital", "Vốn điều lệ", "number", "Vốn điều lệ", "Charter capital",
              ("Vốn góp", "Vốn điều lệ đăng ký"), unit=MONEY, min_value=0),
        Field("total_capital", "Tổng nguồn vốn", "number", "Tổng nguồn vốn cuối kỳ",
              "Total capital (liabilities and equity) at the end of the period",
              ("Nguồn vốn", "Tổng vốn"), unit=MONEY, min_value=0),
        Field("revenue", "Doanh thu", "number", "Doanh thu trong kỳ", "Revenue for the period",
              ("Tổng doanh thu",), unit=MONEY, min_value=0),
        Field("profit", "Lợi nhuận", "number", "Lợi nhuận trong kỳ (có thể âm)",
              "Profit for the period (may be negative)", ("Lãi", "Lợi nhuận trước thuế"),
              unit=MONEY),
        Field("income_per_worker", "Thu nhập bình quân của người lao động", "number",
              "Thu nhập bình quân một người lao động", "Average income of a worker",
              ("Thu nhập bình quân lao động", "Thu nhập BQ người lao động"), unit=INCOME,
              min_value=0),
        Field("income_per_member", "Thu nhập bình quân của thành viên", "number",
              "Thu nhập bình quân một thành viên", "Average income of a member",
              ("Thu nhập bình quân thành viên", "Thu nhập BQ thành viên"), unit=INCOME,
              min_value=0),
        Field("managers", "Số cán bộ quản lý", "integer", "Số cán bộ quản lý hợp tác xã",
              "Number of managers", ("Cán bộ quản lý",), unit="người", min_value=0),
        Field("managers_trained", "Trong đó: trình độ cao đẳng, đại học trở lên", "integer",
              "Số cán bộ quản lý có trình độ cao đẳng, đại học trở lên",
              "Managers with a college or university degree or above",
              ("Trình độ cao đẳng, đại học trở lên", "Cán bộ quản lý trình độ cao đẳng, đại học"),
              unit="người", min_value=0, width=18),
        Field("high_tech", "Ứng dụng công nghệ cao", "bool", "Có ứng dụng công nghệ cao không",
              "Applies high technology", ("Công nghệ cao",), vocabulary=YES_NO, width=12),
        Field("value_chain", "Liên kết chuỗi giá trị với doanh nghiệp", "bool",
              "Có liên kết chuỗi giá trị với doanh nghiệp không",
              "Linked with an enterprise in a value chain", ("Liên kết chuỗi giá trị",),
              vocabulary=YES_NO, width=14),
        Field("ocop_products", "Số sản phẩm OCOP", "integer", "Số sản phẩm đạt chứng nhận OCOP",
              "Number of OCOP-certified products", ("Sản phẩm OCOP", "OCOP"), unit="sản phẩm",
              min_value=0),
        Field("union_id", "Thành viên liên hiệp HTX (mã số)", "id",
              "Mã số liên hiệp hợp tác xã mà HTX là thành viên",
              "Registration number of the union the cooperative belongs to",
              ("Mã LHHTX", "Thành viên liên hiệp HTX"), width=16),
        Field("rating", "Xếp loại", "choice", "Xếp loại hợp tác xã", "Cooperative rating",
              ("Phân loại", "Xếp loại HTX"), vocabulary=RATINGS),
        Field("note", "Ghi chú", "text", "Ghi chú", "Note", (), width=24),
    ),
    required=True,
    variants=("Danh sách HTX", "DS hợp tác xã", "HTX"),
    raw_table="raw.coop_rows",
    core_table="core.coop_returns",
    key="coop_id",
)

UNIONS = Sheet(
    "DS_LHHTX",
    "Danh sách liên hiệp hợp tác xã trên địa bàn",
    "Unions of cooperatives registered in the district",
    "table",
    (
        Field("stt", "STT", "integer", "Số thứ tự (không sử dụng)", "Row number (ignored)",
              ("Số TT", "TT"), stored=False, width=6),
        Field("union_id", "Mã số LHHTX", "id", "Mã số liên hiệp hợp tác xã",
              "Union registration number", ("Mã LHHTX", "Mã số liên hiệp HTX"),
              required=True, unique=True, width=16),
        Field("name", "Tên liên hiệp HTX", "text", "Tên liên hiệp hợp tác xã", "Union name",
              ("Tên LHHTX", "Tên liên hiệp hợp tác xã"), required=True, width=40),
        Field("status", "Tình trạng hoạt động", "choice", "Tình trạng hoạt động trong kỳ",
              "Operating status in the period", ("Tình trạng",), required=True,
              vocabulary=STATUSES, width=22),
        Field("founded_on", "Ngày thành lập", "date", "Ngày thành lập", "Date founded", ()),
        Field("member_coops", "Số HTX thành viên", "integer", "Số hợp tác xã thành viên",
              "Number of member cooperatives", ("HTX thành viên",), unit="HTX", min_value=0),
        Field("workers", "Số lao động", "integer", "Số lao động của liên hiệp",
              "Number of workers", ("Lao động",), unit="người", min_value=0),
        Field("revenue", "Doanh thu", "number", "Doanh thu trong kỳ", "Revenue for the period",
              ("Tổng doanh thu",), unit=MONEY, min_value=0),
        Field("profit", "Lợi nhuận", "number", "Lợi nhuận trong kỳ (có thể âm)",
              "Profit for the period (may be negative)", ("Lãi",), unit=MONEY),
    ),
    variants=("Danh sách LHHTX", "Liên hiệp HTX", "LHHTX"),
    raw_table="raw.union_rows",
    core_table="core.union_returns",
    key="union_id",
)


def _sector_total_lines() -> tuple[Field, ...]:
    return tuple(
        Field(f"coops_{t.code.lower()}", t.totals_label, "integer",
              f"Số HTX lĩnh vực {t.name_vi.lower()} (trừ HTX giải thể)",
              f"Cooperatives in sector {t.name_en} (excluding dissolved)",
              unit="HTX", min_value=0, reconciles=("HTX_TOTAL", t.code))
        for t in SECTORS.terms
    )


TOTALS = Sheet(
    "Tong_hop",
    "Số liệu tổng hợp do đơn vị tự khai",
    "The district's own declared totals, reconciled with the roster",
    "labels",
    (
        Field("total_coops", "Tổng số HTX", "integer", "Tổng số HTX (trừ HTX giải thể)",
              "Cooperatives in total (excluding dissolved)", ("Tổng số hợp tác xã",),
              unit="HTX", min_value=0, reconciles=("HTX_TOTAL", "ALL")),
        *_sector_total_lines(),
        Field("new_coops", "Số HTX thành lập mới", "integer", "Số HTX thành lập mới trong kỳ",
              "Cooperatives newly established in the period", ("HTX thành lập mới",),
              unit="HTX", min_value=0, reconciles=("HTX_NEW", "ALL")),
        Field("members", "Tổng số thành viên", "integer", "Tổng số thành viên",
              "Members in total", ("Số thành viên",), unit="người", min_value=0,
              reconciles=("MEMBERS", "ALL")),
        Field("workers", "Số lao động thường xuyên", "integer", "Tổng số lao động thường xuyên",
              "Regular workers in total", ("Tổng số lao động",), unit="người", min_value=0,
              reconciles=("WORKERS", "ALL")),
        Field("total_capital", "Tổng nguồn vốn", "number", "Tổng nguồn vốn của các HTX",
              "Total capital of the cooperatives", ("Nguồn vốn",), unit=MONEY, min_value=0,
              reconciles=("CAPITAL_TOTAL", "ALL")),
        Field("revenue", "Tổng doanh thu", "number", "Tổng doanh thu của các HTX đang hoạt động",
              "Revenue of operating cooperatives", ("Doanh thu",), unit=MONEY, min_value=0,
              reconciles=("REVENUE_TOTAL", "ALL")),
    ),
    variants=("Tổng hợp", "Số liệu tổng hợp"),
)

TASKS = Sheet(
    "Nhiem_vu",
    "Tiến độ thực hiện chương trình công tác",
    "Progress of the district's work programme",
    "table",
    (
        Field("task_code", "Mã nhiệm vụ", "text", "Mã nhiệm vụ", "Task code",
              ("Mã NV", "STT"), required=True, width=10),
        Field("group", "Nhóm nhiệm vụ", "integer", "Nhóm nhiệm vụ (1–5)", "Task group (1–5)",
              ("Nhóm",), required=True, min_value=1, width=10),
        Field("description", "Nội dung nhiệm vụ", "text", "Nội dung nhiệm vụ",
              "Task description", ("Nội dung", "Nhiệm vụ"), required=True, width=60),
        Field("status", "Tình trạng thực hiện", "choice", "Tình trạng thực hiện",
              "Progress", ("Tình trạng", "Tiến độ"), required=True, vocabulary=TASK_STATUSES,
              width=20),
    ),
    variants=("Nhiệm vụ", "Chương trình công tác"),
    extra={"declared_count_label": "Số nhiệm vụ chi tiết"},
)

RETURN_FORM: tuple[Sheet, ...] = (COVER, ROSTER, UNIONS, TOTALS, TASKS)


def sheet(name: str) -> Sheet:
    return next(s for s in RETURN_FORM if s.name == name)
