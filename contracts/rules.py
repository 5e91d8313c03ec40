"""The validation rule catalogue: every failure the pipeline can record, declared once.

A rule has a code, a severity, message templates in Vietnamese and English (which name the
cell and the values involved, and say what to fix), and where it applies. Row rules also
carry their test as a small vectorised predicate over the parsed sheet; a row whose
operands are missing is skipped, never treated as zero.

Severity: an `error` keeps the return out of the published figures; a `warning` is
published and listed for review.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field

import pandas as pd

from contracts.vocabularies import OPERATING

Severity = str  # "error" | "warning"

# Law on Cooperatives: a cooperative needs at least this many members.
MIN_MEMBERS = 5


@dataclass(frozen=True)
class RowContext:
    """What a row rule may need besides the row: the period's bounds, known unions.

    For one return each is a single value. For many returns checked at once each is a
    Series with one value per row (that row's return's), aligned with the rows; `at`
    narrows it to the rows a rule looks at."""

    period_start: pd.Timestamp | pd.Series
    period_end: pd.Timestamp | pd.Series
    known_unions: frozenset[str] | pd.Series = frozenset()

    def knows(self, unions: pd.Series) -> pd.Series:
        """True where a union id is known (to the warehouse or in the return itself)."""
        if isinstance(self.known_unions, pd.Series):
            return pd.Series([u in known for u, known in zip(unions, self.known_unions)],
                             index=unions.index, dtype=bool)
        return unions.isin(list(self.known_unions))

    def at(self, index: pd.Index) -> RowContext:
        """This context for the rows `index` only."""
        def narrow(value):
            return value.loc[index] if isinstance(value, pd.Series) else value
        return RowContext(narrow(self.period_start), narrow(self.period_end),
                          narrow(self.known_unions))


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    scope: str  # "file" | "cell" | "row" | "return"
    message_vi: str
    message_en: str
    description_en: str
    sheet: str | None = None
    field: str | None = None  # the column the failure's cell points at
    operands: tuple[str, ...] = ()  # row rules: skipped when any is missing
    # Row rules: (sheet frame, context) -> boolean Series, True where the row fails.
    fails: Callable[[pd.DataFrame, RowContext], pd.Series] | None = dataclass_field(
        default=None, compare=False
    )
    # Row rules: extra message values, per failing row, taken from these fields.
    shows: tuple[str, ...] = ()
    # Row rules on an optional field (a blank union number means "no union"): a row
    # without the operand is outside the rule, not skipped for a missing value.
    only_when_present: bool = False


def _operating(df: pd.DataFrame) -> pd.Series:
    return df["status"].isin(OPERATING)


RULES: tuple[Rule, ...] = (
    # --- the file as a whole -------------------------------------------------------------
    Rule("FILE_UNREADABLE", "error", "file",
         "Không đọc được tệp '{file_name}': {reason}. Hãy mở tệp bằng Excel, lưu lại dưới dạng "
         "Excel Workbook (.xlsx) và gửi lại.",
         "File '{file_name}' could not be read: {reason}. Open it in Excel, save it as an Excel "
         "Workbook (.xlsx) and send it again.",
         "The file is damaged, truncated or not a workbook at all."),
    Rule("FILE_EMPTY", "error", "file",
         "Tệp '{file_name}' rỗng (0 byte). Hãy gửi lại tệp báo cáo.",
         "File '{file_name}' is empty (0 bytes). Send the return again.",
         "The file has no content."),
    Rule("FILE_PASSWORD", "error", "file",
         "Tệp '{file_name}' được đặt mật khẩu nên không đọc được. Hãy gỡ mật khẩu (File > Info > "
         "Protect Workbook) rồi gửi lại.",
         "File '{file_name}' is password-protected. Remove the password and send it again.",
         "The workbook is encrypted with a password."),
    Rule("FILE_HOSTILE", "error", "file",
         "Tệp '{file_name}' có cấu trúc bất thường ({reason}) nên không được mở để bảo vệ hệ "
         "thống. Hãy tạo lại tệp từ mẫu biểu của tỉnh và gửi lại.",
         "File '{file_name}' has an abnormal structure ({reason}) and was not opened. Make it "
         "again from the province's template.",
         "The file looks hostile: a zip bomb or XML entity expansion."),
    Rule("FILE_LINK", "error", "file",
         "'{file_name}' trong hộp thư là một liên kết (symbolic link) tới tệp khác, không phải "
         "tệp báo cáo, nên không được mở. Hãy chép chính tệp báo cáo (không phải lối tắt) vào "
         "hộp thư.",
         "'{file_name}' in the inbox is a link to another file, not a return, and was not "
         "opened. Put the return itself (not a shortcut) in the inbox.",
         "A symbolic link in the inbox: never followed, its target neither read nor archived."),
    Rule("FILE_TOO_LARGE", "error", "file",
         "Tệp '{file_name}' quá lớn ({size}, tối đa {limit}) nên không được mở. Hãy xóa hình "
         "ảnh và trang tính không cần thiết, lưu dưới dạng Excel Workbook (.xlsx) rồi gửi lại.",
         "File '{file_name}' is too large ({size}, at most {limit}) and was not opened. Remove "
         "pictures and sheets not needed, save as an Excel Workbook (.xlsx) and send it again.",
         "A file over the size cap (setting max_file_mb): refused before it is read."),
    Rule("FILE_NAME_NOT_UNICODE", "warning", "file",
         "Tên tệp '{file_name}' không viết bằng Unicode (UTF-8): ký tự không đọc được hiện "
         "thành '\ufffd'. Số liệu vẫn được đọc; lần sau hãy đặt tên tệp bằng Unicode.",
         "The name of file '{file_name}' is not Unicode (UTF-8): bytes that cannot be read "
         "show as '\ufffd'. The data was read; name the file in Unicode next time.",
         "A file name whose bytes are not UTF-8: stored with replacement characters."),
    Rule("MACROS_IGNORED", "warning", "file",
         "Tệp '{file_name}' có chứa macro; macro không được chạy, chỉ đọc số liệu. Lần sau hãy "
         "lưu dưới dạng Excel Workbook (.xlsx).",
         "File '{file_name}' contains macros; they were not run, only the data was read. Save "
         "as an Excel Workbook (.xlsx) next time.",
         "A macro-enabled workbook: data read, macros ignored."),
    Rule("SHEET_DUPLICATE", "warning", "file",
         "Tệp có nhiều trang giống trang '{sheet}' ({sheets}); chỉ đọc trang '{used}'. Hãy xóa "
         "trang thừa.",
         "The file has several sheets like '{sheet}' ({sheets}); only '{used}' was read. "
         "Delete the extra ones.",
         "More than one sheet matches a sheet of the form."),
    Rule("SHEET_MISSING", "error", "file",
         "Thiếu trang tính bắt buộc '{sheet}' ({title}). Hãy dùng đúng mẫu biểu của tỉnh.",
         "Required sheet '{sheet}' ({title}) is missing. Use the province's template.",
         "A required sheet is missing."),
    Rule("COLUMN_MISSING", "error", "file",
         "Trang '{sheet}' thiếu cột bắt buộc '{header}'. Hãy thêm cột này theo mẫu biểu.",
         "Sheet '{sheet}' lacks the required column '{header}'. Add it as in the template.",
         "A required column of a table sheet was not found."),
    Rule("HEADER_UNIT_UNKNOWN", "error", "cell",
         "Ô {cell}: cột '{header}' ghi đơn vị '{value}' mà hệ thống không quy đổi được về "
         "{unit}. Hãy ghi số liệu theo đơn vị {unit}.",
         "Cell {cell}: column '{header}' declares unit '{value}', which cannot be converted "
         "to {unit}. Give the figures in {unit}.",
         "A column declares a unit that cannot be converted to the contract's unit."),
    Rule("UNIT_UNKNOWN", "error", "cell",
         "Ô {cell}: không nhận ra đơn vị báo cáo '{value}'. Hãy ghi đúng tên huyện/thành phố "
         "(ví dụ 'Huyện Mai Sơn') hoặc mã đơn vị.",
         "Cell {cell}: reporting unit '{value}' is not known. Write the district's name "
         "(e.g. 'Huyện Mai Sơn') or its code.",
         "The cover names no known reporting unit.", sheet="Thong_tin", field="unit_name"),
    Rule("UNIT_CODE_MISMATCH", "error", "cell",
         "Ô {cell}: mã đơn vị '{value}' không khớp với tên đơn vị '{unit_name}' (mã {expected}). "
         "Hãy sửa mã hoặc tên cho thống nhất.",
         "Cell {cell}: unit code '{value}' does not match unit name '{unit_name}' (code "
         "{expected}). Make code and name agree.",
         "The cover's unit code disagrees with its unit name.", sheet="Thong_tin",
         field="unit_code"),
    Rule("PERIOD_UNREADABLE", "error", "cell",
         "Ô {cell}: không đọc được kỳ báo cáo '{value}'. Hãy ghi theo dạng 'Năm 2023', "
         "'6 tháng đầu năm 2023' hoặc 'Quý I/2023'.",
         "Cell {cell}: reporting period '{value}' cannot be read. Write it as 'Năm 2023', "
         "'6 tháng đầu năm 2023' or 'Quý I/2023'.",
         "The cover's reporting period cannot be read.", sheet="Thong_tin", field="period"),
    # --- one cell, from the field's declaration ---------------------------------------------
    Rule("VALUE_REQUIRED", "error", "cell",
         "Ô {cell} ({header}) đang để trống. Hãy điền giá trị.",
         "Cell {cell} ({header}) is empty. Fill it in.",
         "A required field is empty."),
    Rule("VALUE_UNREADABLE", "error", "cell",
         "Ô {cell} ({header}): không đọc được '{value}' thành {expected}. Hãy ghi lại cho đúng.",
         "Cell {cell} ({header}): '{value}' cannot be read as {expected_en}. Correct it.",
         "A value cannot be parsed as its field's type."),
    Rule("VALUE_NEGATIVE", "error", "cell",
         "Ô {cell} ({header}): giá trị {value} nhỏ hơn {minimum}. Hãy kiểm tra lại.",
         "Cell {cell} ({header}): value {value} is below {minimum}. Check it.",
         "A value is below its field's minimum."),
    Rule("VALUE_NOT_ALLOWED", "error", "cell",
         "Ô {cell} ({header}): '{value}' không thuộc danh mục. Hãy chọn một trong: {allowed}.",
         "Cell {cell} ({header}): '{value}' is not an allowed value. Choose one of: {allowed}.",
         "A value is not in its field's list of allowed values."),
    Rule("ID_FORMAT", "error", "cell",
         "Ô {cell} ({header}): mã số '{value}' không đúng dạng (10 chữ số, có thể thêm '-' và "
         "3 chữ số). Hãy định dạng ô là Văn bản để giữ số 0 ở đầu.",
         "Cell {cell} ({header}): '{value}' is not a valid number (10 digits, optionally '-' "
         "and 3 digits). Format the cell as Text to keep leading zeros.",
         "An identifier does not have the declared format."),
    Rule("ID_DUPLICATE", "error", "cell",
         "Ô {cell} ({header}): mã số '{value}' xuất hiện nhiều lần trong báo cáo (các dòng "
         "{rows}). Mỗi HTX chỉ ghi một dòng.",
         "Cell {cell} ({header}): '{value}' appears more than once in the return (rows {rows}). "
         "List each cooperative once.",
         "An identifier that must be unique within the return is repeated."),
    # --- one row, across its fields -----------------------------------------------------------
    Rule("TRAINED_ABOVE_MANAGERS", "error", "row",
         "Ô {cell}: số cán bộ quản lý có trình độ cao đẳng, đại học trở lên ({value}) lớn hơn "
         "tổng số cán bộ quản lý ({managers}). Hãy kiểm tra lại hai cột này.",
         "Cell {cell}: trained managers ({value}) exceed managers ({managers}). Check both "
         "columns.",
         "Trained managers must not exceed managers.",
         sheet="DS_HTX", field="managers_trained", operands=("managers", "managers_trained"),
         fails=lambda df, ctx: df["managers_trained"] > df["managers"], shows=("managers",)),
    Rule("PROFIT_ABOVE_REVENUE", "warning", "row",
         "Ô {cell}: lợi nhuận ({value}) lớn hơn doanh thu ({revenue}). Hãy kiểm tra lại đơn vị "
         "tính và số liệu.",
         "Cell {cell}: profit ({value}) is above revenue ({revenue}). Check the figures and "
         "their unit.",
         "Profit above revenue is implausible.",
         sheet="DS_HTX", field="profit", operands=("profit", "revenue"),
         fails=lambda df, ctx: df["profit"] > df["revenue"], shows=("revenue",)),
    Rule("FOUNDED_AFTER_PERIOD", "error", "row",
         "Ô {cell}: ngày thành lập {value} sau ngày cuối kỳ báo cáo ({period_end}). Hãy sửa "
         "ngày thành lập.",
         "Cell {cell}: founding date {value} is after the end of the period ({period_end}). "
         "Correct it.",
         "A cooperative cannot be founded after the period's end.",
         sheet="DS_HTX", field="founded_on", operands=("founded_on",),
         fails=lambda df, ctx: df["founded_on"] > ctx.period_end),
    Rule("NEW_FOUNDED_OUTSIDE_PERIOD", "error", "row",
         "Ô {cell}: HTX ghi 'Thành lập mới' nhưng ngày thành lập {value} không nằm trong kỳ "
         "báo cáo ({period_start} – {period_end}). Hãy sửa tình trạng hoặc ngày thành lập.",
         "Cell {cell}: the cooperative is 'newly established' but its founding date {value} "
         "is outside the period ({period_start} – {period_end}). Correct status or date.",
         "A newly established cooperative must be founded inside the period.",
         sheet="DS_HTX", field="founded_on", operands=("founded_on", "status"),
         fails=lambda df, ctx: (df["status"] == "TL")
         & ((df["founded_on"] < ctx.period_start) | (df["founded_on"] > ctx.period_end))),
    Rule("MEMBERS_BELOW_MINIMUM", "warning", "row",
         f"Ô {{cell}}: HTX đang hoạt động chỉ có {{value}} thành viên, ít hơn mức tối thiểu "
         f"{MIN_MEMBERS} theo Luật Hợp tác xã. Hãy kiểm tra lại.",
         f"Cell {{cell}}: an operating cooperative has {{value}} members, below the legal "
         f"minimum of {MIN_MEMBERS}. Check it.",
         "An operating cooperative should have at least 5 members.",
         sheet="DS_HTX", field="members", operands=("members", "status"),
         fails=lambda df, ctx: _operating(df) & (df["members"] < MIN_MEMBERS)),
    Rule("UNION_UNKNOWN", "error", "row",
         "Ô {cell}: mã liên hiệp HTX '{value}' không có trong trang DS_LHHTX và chưa từng được "
         "báo cáo. Hãy bổ sung liên hiệp vào trang DS_LHHTX hoặc sửa mã.",
         "Cell {cell}: union '{value}' is neither in sheet DS_LHHTX nor already known. Add "
         "the union to DS_LHHTX or correct the number.",
         "A cooperative names a union that is not known.",
         sheet="DS_HTX", field="union_id", operands=("union_id",),
         fails=lambda df, ctx: ~ctx.knows(df["union_id"]),
         only_when_present=True),
    # --- the return as a whole ---------------------------------------------------------------
    Rule("TOTAL_MISMATCH", "error", "return",
         "Ô {cell} ({header}): số tự khai {value} khác với số tính từ danh sách HTX "
         "({computed}). Hãy sửa số tổng hợp hoặc danh sách cho khớp.",
         "Cell {cell} ({header}): the declared {value} differs from {computed} computed from "
         "the roster. Make them agree.",
         "A figure declared in Tong_hop differs from the same figure computed from the roster.",
         sheet="Tong_hop"),
    # --- across returns and periods (checked against the warehouse) -------------------------
    Rule("COOP_IN_TWO_DISTRICTS", "error", "returns",
         "Ô {cell}: HTX mã số '{value}' cũng có trong báo cáo kỳ {period} của {other_district} "
         "(tệp {other_file}, dòng {other_row}). Một HTX chỉ được báo cáo ở một đơn vị; hãy "
         "thống nhất với đơn vị kia.",
         "Cell {cell}: cooperative '{value}' is also in {other_district}'s return for "
         "{period} (file {other_file}, row {other_row}). Report it in one district only.",
         "The same cooperative code in two districts' returns for one period.",
         sheet="DS_HTX", field="coop_id"),
    Rule("COOP_VANISHED", "warning", "periods",
         "Trang {sheet}: HTX mã số '{value}' ({name}) có trong báo cáo kỳ {previous_period} "
         "nhưng không có trong báo cáo này và không được ghi 'Giải thể'. Hãy bổ sung HTX hoặc "
         "ghi tình trạng giải thể.",
         "Sheet {sheet}: cooperative '{value}' ({name}) was in the {previous_period} return "
         "but is missing here without being dissolved. Add it back or mark it dissolved.",
         "A cooperative vanished since the district's previous return without being dissolved.",
         sheet="DS_HTX", field="coop_id"),
    Rule("IMPLAUSIBLE_CHANGE", "warning", "periods",
         "Ô {cell} ({header}): {value}, kỳ {previous_period} là {previous} (gấp {ratio} lần). "
         "Hãy kiểm tra lại số liệu.",
         "Cell {cell} ({header}): {value}, against {previous} in {previous_period} "
         "({ratio} times). Check the figure.",
         "A cooperative's stock figure changed implausibly since the previous accepted return "
         "(thresholds in contracts/rules.py CHANGE_CHECKS).",
         sheet="DS_HTX"),
    Rule("TASK_COUNT_MISMATCH", "warning", "return",
         "Ô {cell}: chương trình công tác ghi {value} nhiệm vụ chi tiết nhưng chỉ liệt kê "
         "{listed} nhiệm vụ. Hãy bổ sung các nhiệm vụ còn thiếu hoặc sửa số đã khai.",
         "Cell {cell}: the work programme declares {value} detailed tasks but lists {listed}. "
         "Add the missing tasks or correct the declared number.",
         "The work programme's declared task count differs from the tasks listed.",
         sheet="Nhiem_vu"),
)

# Across periods: a stock figure of one cooperative that changed by more than `ratio`
# times (up or down) since the district's previous accepted return, and by at least
# `minimum` in absolute terms (so 2 -> 7 members is not flagged), is implausible.
# Flows (revenue, profit) depend on the period's length and are not compared.
CHANGE_CHECKS: dict[str, tuple[float, float]] = {
    "members": (3.0, 20),
    "workers": (3.0, 20),
    "charter_capital": (5.0, 1000),
    "total_capital": (5.0, 1000),
}

RULES_BY_CODE: dict[str, Rule] = {r.code: r for r in RULES}
ROW_RULES: tuple[Rule, ...] = tuple(r for r in RULES if r.scope == "row")


def rule(code: str) -> Rule:
    return RULES_BY_CODE[code]
