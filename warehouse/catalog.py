"""What every warehouse table and column means, in Vietnamese and English.

The return form's fields are documented in contracts/ and reused here; this module adds the
columns the warehouse itself creates (provenance, statuses, indicator parts). The COMMENT ON
statements and docs/data_dictionary.md are generated from it (warehouse/codegen.py), and a
test checks that every table and column of a real warehouse is described here.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.return_form import ROSTER, UNIONS
from contracts.fields import Sheet
from contracts.vocabularies import SUBMISSION_STATUSES


@dataclass(frozen=True)
class TableDoc:
    name: str
    grain: str
    vi: str
    en: str
    columns: tuple[tuple[str, str, str], ...]  # (name, Vietnamese, English)
    kind: str = "table"  # or "view"


def _c(name: str, vi: str, en: str) -> tuple[str, str, str]:
    return (name, vi, en)


PROVENANCE = (
    _c("file_hash", "Mã SHA-256 của tệp báo cáo nguồn", "SHA-256 of the source return file"),
    _c("sheet", "Trang tính nguồn trong tệp", "Source sheet in the file"),
    _c("source_row", "Dòng nguồn trong trang tính (đánh số từ 1)",
       "Source row in the sheet (1-based)"),
)
RETURN_KEYS = (
    _c("period", "Kỳ báo cáo (2023, 2023S1, 2023Q1…)", "Reporting period (2023, 2023S1, 2023Q1…)"),
    _c("district_code", "Mã đơn vị báo cáo", "Reporting unit (district) code"),
)
INDICATOR_PARTS = (
    _c("indicator_code", "Mã chỉ tiêu (xem ref.indicators)", "Indicator code (see ref.indicators)"),
    _c("indicator_name_vi", "Tên chỉ tiêu", "Indicator name (Vietnamese)"),
    _c("unit", "Đơn vị tính", "Unit"),
    _c("sector", "Lĩnh vực (ALL = tất cả)", "Sector code, ALL for every sector"),
    _c("value", "Giá trị chỉ tiêu", "Indicator value"),
    _c("numerator", "Tử số (tổng các dòng được tính)", "Numerator: sum over included rows"),
    _c("denominator", "Mẫu số (chỉ tiêu tỷ lệ, bình quân)", "Denominator (ratios and averages)"),
    _c("rows_included", "Số dòng được tính", "Rows included"),
    _c("rows_left_out", "Số dòng bị loại do thiếu số liệu", "Rows left out for missing values"),
    _c("target", "Chỉ tiêu kế hoạch", "Target"),
    _c("attainment_pct", "Tỷ lệ đạt so với kế hoạch (%)", "Attainment of the target (%)"),
)


SUBMISSION_FACTS = (
    _c("file_hash", "Mã SHA-256 của tệp (tệp bị từ chối không đọc: của tên, kích thước "
       "và thời gian)", "SHA-256 of the file's bytes (a file refused unread: of its "
       "name, size and time)"),
    _c("file_name", "Tên tệp khi nhận (byte không phải UTF-8 hiện thành �)",
       "File name when received (bytes that are not UTF-8 shown as �)"),
    _c("file_size", "Kích thước tệp (byte)", "File size (bytes)"),
    _c("archived_path", "Đường dẫn bản lưu nguyên gốc (trống: tệp bị từ chối không đọc "
       "— liên kết, quá lớn, không mở được — vẫn nằm trong hộp thư)",
       "Path of the archived original (empty: a file refused unread — a link, too "
       "large, not openable — left in the inbox)"),
    _c("district_code", "Mã đơn vị báo cáo (theo trang bìa)", "Reporting unit, from the cover"),
    _c("period", "Kỳ báo cáo (theo trang bìa)", "Reporting period, from the cover"),
    _c("received_at", "Thời điểm nhận tệp: thời gian sửa đổi của tệp, không muộn hơn lúc "
       "xử lý và không sớm hơn lúc bắt đầu lần chạy trước", "When the file arrived: its "
       "modification time, no later than when processed and no earlier than the start of "
       "the run before"),
    _c("run_id", "Lần chạy đã xử lý tệp", "Run that processed the file"),
    _c("readable", "Đọc được như bảng tính", "Readable as a workbook"),
    _c("preparer", "Người lập biểu", "Preparer"),
    _c("prepared_on", "Ngày lập", "Date prepared"),
    _c("contact", "Điện thoại / Email", "Contact"),
)
SUBMISSION_STATUS = (
    SUBMISSION_FACTS[0],
    _c("version", "Phiên bản thứ mấy của đơn vị trong kỳ", "Version number for unit and period"),
    _c("status", "; ".join(f"{t.code} ({t.name_vi})" for t in SUBMISSION_STATUSES.terms),
       SUBMISSION_STATUSES.description_en),
    _c("errors", "Số lỗi chưa được miễn", "Unwaived errors"),
    _c("warnings", "Số cảnh báo", "Warnings"),
)
FAILURE_FACTS = (
    _c("failure_id", "Mã lỗi (dùng cho lệnh htx waive)", "Failure id (for htx waive)"),
    PROVENANCE[0], *RETURN_KEYS,
    _c("sheet", "Trang tính", "Sheet"),
    _c("row_number", "Dòng", "Row (1-based)"),
    _c("column_name", "Trường dữ liệu", "Field"),
    _c("cell", "Ô (ví dụ DS_HTX!K12)", "Cell, e.g. DS_HTX!K12"),
    _c("rule_code", "Mã quy tắc (xem ref.rules)", "Rule code (see ref.rules)"),
    _c("severity", "error hoặc warning", "error or warning"),
    _c("value_found", "Giá trị tìm thấy", "Value found"),
    _c("message_vi", "Thông báo và cách sửa", "Message and what to fix (Vietnamese)"),
    _c("message_en", "Thông báo (tiếng Anh)", "Message (English)"),
)
FAILURE_STATUS = (
    FAILURE_FACTS[0],
    _c("waived", "Đã được miễn (theo lần chạy gần nhất; lệnh htx waive có hiệu lực từ lần "
       "chạy sau)", "Waived by a steward (as of the last run: a waiver counts from the next "
       "run)"),
)


def _contract_columns(sheet: Sheet) -> tuple[tuple[str, str, str], ...]:
    return tuple(_c(f.name, f.description_vi + (f" ({f.unit})" if f.unit else ""),
                    f.description_en + (f" ({f.unit})" if f.unit else ""))
                 for f in sheet.stored_fields)


TABLES: tuple[TableDoc, ...] = (
    TableDoc("ref.reporting_units", "unit", "Danh mục đơn vị báo cáo (tỉnh, huyện/xã) và hiệu lực",
             "Reporting units (province, districts or communes) and when they are valid", (
              _c("code", "Mã đơn vị hành chính", "Administrative unit code"),
              _c("name", "Tên đơn vị", "Unit name"),
              _c("level", "Cấp (province, district, commune)", "Level"),
              _c("parent_code", "Mã đơn vị cấp trên", "Parent unit code"),
              _c("valid_from", "Hiệu lực từ ngày", "Valid from"),
              _c("valid_to", "Hiệu lực đến ngày (trống: còn hiệu lực)", "Valid to (empty: open)"),
              _c("aliases", "Các tên gọi khác, cách nhau bởi ';'", "Other names, ';'-separated"),
             )),
    TableDoc("ref.sectors", "sector", "Danh mục lĩnh vực hoạt động của HTX",
             "Cooperative sectors", (
        _c("code", "Mã lĩnh vực", "Sector code"),
        _c("name_vi", "Tên lĩnh vực", "Sector name (Vietnamese)"),
        _c("name_en", "Tên lĩnh vực (tiếng Anh)", "Sector name (English)"),
    )),
    TableDoc("ref.indicators", "indicator", "Danh mục chỉ tiêu và cách tính",
             "The indicator catalogue and how each is computed", (
              _c("code", "Mã chỉ tiêu", "Indicator code"),
              _c("sort_order", "Thứ tự hiển thị", "Display order"),
              _c("name_vi", "Tên chỉ tiêu", "Name (Vietnamese)"),
              _c("name_en", "Tên chỉ tiêu (tiếng Anh)", "Name (English)"),
              _c("unit", "Đơn vị tính", "Unit"),
              _c("source", "Nguồn dòng dữ liệu (coops, unions, units)",
                 "Rows it is computed over (coops, unions, units)"),
              _c("numerator", "Đại lượng tử số", "Numerator measure"),
              _c("denominator", "Đại lượng mẫu số (trống: chỉ tiêu tổng)",
                 "Denominator measure (empty: a sum)"),
              _c("statuses", "Tình trạng hoạt động được tính", "Statuses counted"),
              _c("sectors", "Lĩnh vực được tính (trống: tất cả)", "Sectors counted (empty: all)"),
              _c("scale", "Hệ số nhân (100 cho tỷ lệ %)", "Scale (100 for percentages)"),
              _c("by_sector", "Có chia theo lĩnh vực", "Broken down by sector"),
              _c("definition_en", "Định nghĩa", "Definition"),
             )),
    TableDoc("ref.targets", "period × unit × indicator", "Chỉ tiêu kế hoạch", "Targets", (
        _c("period", "Kỳ kế hoạch", "Period"),
        _c("unit_code", "Mã đơn vị (tỉnh hoặc huyện)", "Unit code (province or district)"),
        _c("indicator_code", "Mã chỉ tiêu", "Indicator code"),
        _c("target", "Giá trị kế hoạch", "Target value"),
        _c("source", "Nguồn văn bản giao chỉ tiêu", "Where the target comes from"),
    )),
    TableDoc("ref.rules", "rule", "Danh mục quy tắc kiểm tra số liệu",
             "Validation rule catalogue", (
        _c("code", "Mã quy tắc", "Rule code"),
        _c("severity", "Mức độ (error: loại báo cáo; warning: cảnh báo)",
           "Severity (error rejects the return; warning is published)"),
        _c("scope", "Phạm vi (file, cell, row, return)", "Scope (file, cell, row, return)"),
        _c("sheet", "Trang tính áp dụng", "Sheet it applies to"),
        _c("column_name", "Cột áp dụng", "Column it points at"),
        _c("message_vi", "Mẫu thông báo tiếng Việt", "Message template (Vietnamese)"),
        _c("message_en", "Mẫu thông báo tiếng Anh", "Message template (English)"),
        _c("description_en", "Mô tả", "Description"),
    )),
    TableDoc("ref.periods", "period", "Kỳ báo cáo và hạn nộp", "Reporting periods and deadlines", (
        _c("code", "Mã kỳ (2023, 2023S1, 2023Q1)", "Period code"),
        _c("kind", "Loại kỳ (year, half, quarter)", "Kind of period"),
        _c("start_date", "Ngày đầu kỳ", "First day"),
        _c("end_date", "Ngày cuối kỳ", "Last day"),
        _c("deadline", "Hạn nộp báo cáo", "Deadline for returns"),
    )),
    TableDoc("ops.runs", "run", "Các lần chạy tổng hợp", "Consolidation runs", (
        _c("run_id", "Mã lần chạy", "Run id"),
        _c("flow_run_id", "Mã flow run của Prefect", "Prefect flow run id"),
        _c("started_at", "Bắt đầu lúc", "Started at"),
        _c("finished_at", "Kết thúc lúc", "Finished at"),
        _c("files_seen", "Số tệp trong hộp thư đến", "Files seen in the inbox"),
        _c("files_new", "Số tệp mới", "New files"),
        _c("files_accepted", "Số tệp mới được chấp nhận", "New files accepted"),
        _c("files_rejected", "Số tệp mới bị từ chối", "New files rejected"),
        _c("files_unreadable", "Số tệp mới không đọc được", "New files unreadable"),
        _c("outcome", "Kết quả: completed (kho đã công bố, tệp phản hồi và báo cáo đã ghi đủ) "
           "hoặc outputs_owed (kho đã công bố, tệp phản hồi hoặc báo cáo chưa ghi được; lần "
           "chạy sau sẽ ghi)", "Outcome: completed (warehouse published, feedback workbooks "
           "and report all written) or outputs_owed (warehouse published, feedback or report "
           "not yet written; the next run writes them)"),
        _c("files_held", "Số tệp mới giữ lại vì kỳ đã khoá", "New files held: their period "
           "is locked"),
    )),
    TableDoc("ops.period_builds", "period", "Lần dựng gần nhất các bảng core và mart của mỗi kỳ",
             "When each period's core and mart rows were last built, and from what", (
        _c("period", "Mã kỳ", "Period code"),
        _c("reference_digest", "Dấu vân tay dữ liệu tham chiếu của kỳ (đơn vị, chỉ tiêu, "
           "kế hoạch, hạn nộp)", "Digest of the reference data the period was built from "
           "(units, indicators, targets, its deadline)"),
        _c("models_digest", "Dấu vân tay các câu lệnh SQL dựng bảng (lược đồ, mô hình, macro)",
           "Digest of the SQL schema, models and macros the period was built with"),
        _c("built_at", "Dựng lúc", "Built at"),
        _c("run_id", "Lần chạy đã dựng", "Run that built it"),
    )),
    TableDoc("ops.period_decisions", "decision",
             "Quyết định phê duyệt và khoá kỳ, hoặc mở lại kỳ, của cán bộ thẩm định",
             "Stewards' decisions to approve and lock a period, or to reopen it", (
        _c("decision_id", "Mã quyết định (trên cổng thông tin)", "Decision id (from the portal)"),
        _c("period", "Mã kỳ", "Period code"),
        _c("action", "lock (phê duyệt và khoá) hoặc unlock (mở lại)",
           "lock (approve and lock) or unlock (reopen)"),
        _c("reason", "Lý do", "Reason"),
        _c("decided_by", "Người quyết định", "Decided by"),
        _c("decided_at", "Quyết định lúc", "Decided at"),
        _c("applied_run", "Lần chạy đã áp dụng", "Run that applied it"),
    )),
    TableDoc("ops.locked_periods", "period",
             "Các kỳ đang khoá: số liệu công bố giữ nguyên đến khi mở lại (khung nhìn "
             "của ops.period_decisions)",
             "Periods locked now: their published figures stay as they are until "
             "reopened (a view of ops.period_decisions)", (
        _c("period", "Mã kỳ", "Period code"),
        _c("locked_by", "Người khoá", "Locked by"),
        _c("locked_at", "Khoá lúc", "Locked at"),
        _c("reason", "Lý do", "Reason"),
        _c("applied_run", "Lần chạy đã áp dụng việc khoá", "Run that applied the lock"),
    ), kind="view"),
    TableDoc("raw.submissions_received", "file", "Mọi tệp báo cáo đã nhận, như khi nhận",
             "Every file ever received, as received (its status: core.submission_status)",
             SUBMISSION_FACTS),
    TableDoc("raw.submissions", "file",
             "Mọi tệp báo cáo đã nhận, với phiên bản và tình trạng (khung nhìn: "
             "raw.submissions_received nối core.submission_status)",
             "Every file ever received, with its version and status (a view: "
             "raw.submissions_received joined with core.submission_status)",
             SUBMISSION_FACTS[:9] + SUBMISSION_STATUS[1:] + SUBMISSION_FACTS[9:], kind="view"),
    TableDoc("raw.coop_rows", "file × roster row", "Dòng danh sách HTX của mọi tệp đọc được",
             "Roster rows of every readable file", PROVENANCE + _contract_columns(ROSTER)),
    TableDoc("raw.union_rows", "file × union row", "Dòng danh sách LHHTX của mọi tệp đọc được",
             "Union rows of every readable file", PROVENANCE + _contract_columns(UNIONS)),
    TableDoc("raw.declared_totals", "file × declared figure", "Số liệu tổng hợp đơn vị tự khai",
             "Figures districts declare in Tong_hop", (
              PROVENANCE[0],
              _c("field", "Tên trường của dòng tổng hợp", "Field of the declared line"),
              _c("header", "Nhãn dòng tổng hợp", "Label of the line"),
              _c("indicator_code", "Chỉ tiêu tương ứng", "Indicator it declares"),
              _c("sector", "Lĩnh vực tương ứng", "Sector it declares"),
              _c("declared", "Giá trị tự khai", "Declared value"),
              _c("cell", "Ô chứa giá trị", "Cell of the value"),
             )),
    TableDoc("core.coop_returns", "period × district × cooperative",
             "Danh sách HTX theo báo cáo đang có hiệu lực",
             "Roster rows of current accepted returns",
             RETURN_KEYS + _contract_columns(ROSTER) + PROVENANCE),
    TableDoc("core.union_returns", "period × district × union",
             "Danh sách LHHTX theo báo cáo đang có hiệu lực",
             "Union rows of current accepted returns",
             RETURN_KEYS + _contract_columns(UNIONS) + PROVENANCE),
    TableDoc("core.submission_status", "file",
             "Phiên bản và tình trạng của mỗi tệp, do mô hình tính lại ở mỗi lần chạy",
             "Each file's version and status, derived by the models at every run",
             SUBMISSION_STATUS),
    TableDoc("core.failure_status", "failure",
             "Lỗi đã được miễn hay chưa, theo lần chạy gần nhất",
             "Whether each failure is waived, as of the last run", FAILURE_STATUS),
    TableDoc("core.submission_indicators", "file × indicator × sector",
             "Thành phần chỉ tiêu tính cho từng tệp", "Indicator parts computed for each file", (
              PROVENANCE[0], INDICATOR_PARTS[0], INDICATOR_PARTS[3], *INDICATOR_PARTS[5:9])),
    TableDoc("quality.failures_found", "failure",
             "Các lỗi và cảnh báo tìm thấy khi kiểm tra báo cáo, như khi tìm thấy",
             "Validation failures, as found (whether waived: core.failure_status)", FAILURE_FACTS),
    TableDoc("quality.validation_failures", "failure",
             "Các lỗi và cảnh báo khi kiểm tra báo cáo, đã được miễn hay chưa (khung nhìn: "
             "quality.failures_found nối core.failure_status)",
             "Validation failures, waived or not (a view: quality.failures_found joined with "
             "core.failure_status)", FAILURE_FACTS + FAILURE_STATUS[1:], kind="view"),
    TableDoc("quality.waivers", "failure", "Các lỗi được cán bộ nghiệp vụ chấp nhận",
             "Failures accepted on a steward's authority", (
              _c("failure_id", "Mã lỗi được chấp nhận", "Failure accepted"),
              PROVENANCE[0], RETURN_KEYS[1], RETURN_KEYS[0],
              _c("rule_code", "Mã quy tắc", "Rule code"),
              _c("cell", "Ô", "Cell"),
              _c("reason", "Lý do chấp nhận", "Why it was accepted"),
              _c("waived_by", "Người chấp nhận", "Who accepted it"),
              _c("waived_at", "Thời điểm chấp nhận", "When"),
             )),
    TableDoc("quality.rule_checks", "file × row rule",
             "Số dòng mỗi quy tắc theo dòng đã kiểm tra và bỏ qua do thiếu số liệu",
             "Rows each row rule checked, and skipped for a missing operand", (
              PROVENANCE[0],
              _c("rule_code", "Mã quy tắc (xem ref.rules)", "Rule code (see ref.rules)"),
              _c("rows_checked", "Số dòng đã kiểm tra", "Rows checked"),
              _c("rows_skipped", "Số dòng bỏ qua vì thiếu số liệu",
                 "Rows skipped because an operand is missing"),
             )),
    TableDoc("mart.completeness", "period × district", "Tình hình nộp báo cáo",
             "Who reported, what stands, on time or not", (
              *RETURN_KEYS,
              _c("district_name", "Tên đơn vị", "Unit name"),
              _c("expected", "Đơn vị phải báo cáo kỳ này", "Expected to report this period"),
              _c("received", "Đã nhận ít nhất một tệp", "At least one file received"),
              _c("submissions", "Số tệp đã nhận", "Files received"),
              _c("status", "accepted, rejected hoặc missing", "accepted, rejected or missing"),
              _c("latest_status", "Tình trạng của phiên bản mới nhất",
                 "Status of the latest version"),
              _c("accepted_file_hash", "Tệp đang có hiệu lực", "File whose figures stand"),
              _c("accepted_version", "Phiên bản đang có hiệu lực", "Version whose figures stand"),
              _c("first_received_at", "Lần nhận đầu tiên", "First received at"),
              _c("last_received_at", "Lần nhận gần nhất", "Last received at"),
              _c("deadline", "Hạn nộp", "Deadline"),
              _c("on_time", "Có báo cáo được chấp nhận và nộp lần đầu đúng hạn",
                 "An accepted return stands and was first received by the deadline"),
             )),
    TableDoc("mart.district_indicators", "period × district × indicator × sector",
             "Chỉ tiêu theo đơn vị báo cáo", "Indicators by district", (
              *RETURN_KEYS, _c("district_name", "Tên đơn vị", "Unit name"), *INDICATOR_PARTS,
              _c("file_hash", "Tệp báo cáo làm căn cứ", "Return file the values come from"),
             )),
    TableDoc("mart.province_indicators", "period × indicator × sector", "Chỉ tiêu toàn tỉnh",
             "Province-wide indicators", (
              RETURN_KEYS[0], _c("province_code", "Mã tỉnh", "Province code"), *INDICATOR_PARTS[:9],
              _c("districts_expected", "Số đơn vị phải báo cáo", "Units expected to report"),
              _c("districts_covered", "Số đơn vị có báo cáo được chấp nhận",
                 "Units with an accepted return"),
              *INDICATOR_PARTS[9:],
             )),
)
