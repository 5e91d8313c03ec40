"""Writing return workbooks: the blank template and filled returns, derived from RETURN_FORM.

Every sheet name, header, column order, unit, number format and dropdown list comes from
the contract; this module only decides where things go (the layout constants below, which
the reader relies on) and how they look.

Layout:
- "Huong_dan": instructions, one line per field of every sheet, derived from the contract.
- the contract's sheets, in RETURN_FORM order:
  - table sheets: row 1 title, row 2 unit and period (Nhiem_vu: the declared task count
    label in A2 and the count in B2), row 3 headers, row 4 column numbers "(1)", "(2)", …,
    data from row 5; panes frozen at A5;
  - label sheets: row 1 title, row 2 "Chỉ tiêu | Giá trị | Đơn vị tính", from row 3 one
    line per field: header, value, unit; panes frozen at A3.
- "Danh_muc" (hidden): the dropdown lists, one column per vocabulary, by Vietnamese name.

Saved bytes depend only on the inputs: fixed document times and fixed zip entry times.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from contracts.fields import EXCEL_FORMATS, Field, Sheet, Vocabulary
from contracts.return_form import COVER, RETURN_FORM, ROSTER, TASKS, TOTALS, UNIONS
from contracts.return_form import sheet as form_sheet
from contracts.vocabularies import YES_NO
from transforms.periods import Period

HELP_SHEET = "Huong_dan"
LISTS_SHEET = "Danh_muc"

# Table sheets.
TITLE_ROW, INFO_ROW, HEADER_ROW, NUMBER_ROW, FIRST_DATA_ROW = 1, 2, 3, 4, 5
VALIDATION_LAST_ROW = 1000  # dropdowns reach at least this row, even in a blank template
# Label sheets.
LABEL_HEADER_ROW, LABEL_FIRST_ROW, LABEL_VALUE_COLUMN = 2, 3, 2
LABEL_HEADERS = ("Chỉ tiêu", "Giá trị", "Đơn vị tính")

DECLARED_TASK_COUNT_CELL = f"{TASKS.name}!B{INFO_ROW}"

FORMULA_PREFIXES = ("=", "+", "-", "@")
ERROR_TITLE_MAX, ERROR_MAX = 32, 255  # Excel's limits on a validation's error title, text
FIXED_TIME = dt.datetime(2000, 1, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_ALIGN = Alignment(wrap_text=True, horizontal="center", vertical="center")
CENTER = Alignment(horizontal="center")


def safe_set(ws: Worksheet, row: int, col: int, value: object) -> Cell:
    """Set one cell; text that looks like a formula ("=", "+", "-", "@") stays text.

    An empty string is written as an empty cell.
    """
    cell = ws.cell(row=row, column=col)
    cell.value = None if value == "" else value
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def field_cell(sheet: str, field_name: str, data_index: int = 0) -> str:
    """The A1 reference ("DS_HTX!M7") of the cell `write_return` puts a value in.

    Table sheets: row `data_index` (0-based) of the field's column. Label sheets: the value
    cell of the field's line (`data_index` ignored).
    """
    s = form_sheet(sheet)
    position = [f.name for f in s.fields].index(field_name)
    if s.layout == "labels":
        return f"{s.name}!{get_column_letter(LABEL_VALUE_COLUMN)}{LABEL_FIRST_ROW + position}"
    return f"{s.name}!{get_column_letter(position + 1)}{FIRST_DATA_ROW + data_index}"


def write_template(path: Path | str, unit_code: str, unit_name: str, period: Period) -> Path:
    """Write the blank return of one district for one period (cover pre-filled)."""
    return write_return(path, unit_code=unit_code, unit_name=unit_name, period=period)


def write_return(path: Path | str, *, unit_code: str, unit_name: str, period: Period,
                 roster: pd.DataFrame | None = None, unions: pd.DataFrame | None = None,
                 totals: dict[str, float | int] | None = None,
                 tasks: pd.DataFrame | None = None, declared_task_count: int | None = None,
                 preparer: str = "", prepared_on: dt.date | None = None,
                 contact: str = "") -> Path:
    """Write one return workbook; frames hold one column per stored field (codes, not names).

    Choice fields hold vocabulary codes and are written by Vietnamese name; booleans are
    written "Có"/"Không"; None is an empty cell.
    """
    cover = {"unit_name": unit_name, "unit_code": unit_code, "period": period.label_vi,
             "preparer": preparer, "prepared_on": prepared_on, "contact": contact}
    labels = {COVER.name: cover, TOTALS.name: totals or {}}
    frames = {ROSTER.name: roster, UNIONS.name: unions, TASKS.name: tasks}
    info = f"Đơn vị: {unit_name} — {COVER.field('period').header}: {period.label_vi}"
    wb = Workbook()
    _write_help(wb.active, info)
    lists = _list_ranges()
    for s in RETURN_FORM:
        ws = wb.create_sheet(s.name)
        if s.layout == "labels":
            _write_labels(ws, s, labels.get(s.name, {}))
        else:
            _write_table(ws, s, _records(s, frames.get(s.name)), lists,
                         _row2(s, info, declared_task_count))
    _write_lists(wb.create_sheet(LISTS_SHEET))
    return _save(wb, Path(path))


def _row2(s: Sheet, info: str, declared_count: int | None) -> tuple[str, int | None]:
    """Row 2 of a table sheet: (text, None), or (label, count) for a sheet that declares
    its own number of rows (Nhiem_vu)."""
    if "declared_count_label" in s.extra:
        return s.extra["declared_count_label"], declared_count
    return info, None


def write_targets(path: Path | str, rows: pd.DataFrame) -> Path:
    """The targets workbook (contracts/targets_form.py), one row per given target line."""
    from contracts.targets_form import TARGETS

    wb = Workbook()
    ws = wb.active
    ws.title = TARGETS.name
    _write_table(ws, TARGETS, _records(TARGETS, rows), {},
                 ("Mỗi dòng: kỳ, mã đơn vị (mã tỉnh cho chỉ tiêu toàn tỉnh), mã chỉ tiêu, "
                  "giá trị kế hoạch. Để trống giá trị nếu không giao chỉ tiêu.", None))
    return _save(wb, Path(path))


# --- values --------------------------------------------------------------------------------

def _records(s: Sheet, frame: pd.DataFrame | None) -> list[dict]:
    """The frame's rows as dicts; columns must be stored fields of the sheet."""
    if frame is None:
        return []
    unknown = set(frame.columns) - {f.name for f in s.stored_fields}
    if unknown:
        raise ValueError(f"{s.name}: columns not in the contract: {sorted(unknown)}")
    return frame.to_dict("records")


def _plain(value: object) -> object:
    """A plain Python value, or None for any kind of missing (None, NaN, NA, NaT)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def excel_value(f: Field, value: object) -> object:
    """What the workbook shows for a stored value of field `f`."""
    value = _plain(value)
    if value is None:
        return None
    if f.kind == "choice":
        return _term_name(f.vocabulary, str(value))
    if f.kind == "bool":
        return _term_name(f.vocabulary, str(bool(value)).lower())  # yes/no codes: true, false
    if f.kind == "date":
        return value.date() if isinstance(value, dt.datetime) else value
    if f.kind == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    if f.kind in ("text", "id"):
        return str(value)
    return value


def _term_name(vocabulary: Vocabulary, code: str) -> str:
    if code not in vocabulary.codes:
        raise ValueError(f"{code!r} is not a code of vocabulary {vocabulary.name!r}")
    return vocabulary.term(code).name_vi


# --- sheets --------------------------------------------------------------------------------

def _write_title(ws: Worksheet, s: Sheet) -> None:
    safe_set(ws, TITLE_ROW, 1, s.title_vi.upper()).font = BOLD


def _write_table(ws: Worksheet, s: Sheet, rows: list[dict], lists: dict[str, str],
                 row2: tuple[str, int | None]) -> None:
    """A table sheet: title, row 2, headers, column numbers, data rows, dropdowns."""
    _write_title(ws, s)
    safe_set(ws, INFO_ROW, 1, row2[0])
    if row2[1] is not None:
        safe_set(ws, INFO_ROW, 2, int(row2[1])).number_format = EXCEL_FORMATS["integer"]
    for col, f in enumerate(s.fields, start=1):
        _write_column_head(ws, col, f)
        for i, record in enumerate(rows):
            value = record.get(f.name) if f.stored else i + 1
            cell = safe_set(ws, FIRST_DATA_ROW + i, col, excel_value(f, value))
            cell.number_format = EXCEL_FORMATS[f.kind]
    ws.row_dimensions[HEADER_ROW].height = 15 * _header_lines(s)
    last = max(VALIDATION_LAST_ROW, FIRST_DATA_ROW + len(rows) - 1)
    _add_validations(ws, s, lists, last)
    ws.freeze_panes = f"A{FIRST_DATA_ROW}"


def _write_column_head(ws: Worksheet, col: int, f: Field) -> None:
    """Header, column number, width and the column's number format."""
    head = safe_set(ws, HEADER_ROW, col, f.header_with_unit)
    head.font, head.fill, head.alignment = BOLD, HEADER_FILL, HEADER_ALIGN
    safe_set(ws, NUMBER_ROW, col, f"({col})").alignment = CENTER
    dim = ws.column_dimensions[get_column_letter(col)]
    dim.width = f.width
    dim.number_format = EXCEL_FORMATS[f.kind]


def _header_lines(s: Sheet) -> int:
    return max(math.ceil(len(f.header_with_unit) / max(f.width - 2, 1)) for f in s.fields)


def _add_validations(ws: Worksheet, s: Sheet, lists: dict[str, str], last_row: int) -> None:
    """A dropdown (list validation on the Danh_muc column) for every vocabulary field."""
    for col, f in enumerate(s.fields, start=1):
        if f.vocabulary is None:
            continue
        allowed = ", ".join(t.name_vi for t in f.vocabulary.terms)
        dv = DataValidation(type="list", formula1=lists[f.vocabulary.name], allow_blank=True,
                            showErrorMessage=True, errorTitle=f.header[:ERROR_TITLE_MAX],
                            error=f"Hãy chọn một giá trị trong danh sách: {allowed}"[:ERROR_MAX])
        letter = get_column_letter(col)
        dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{last_row}")
        ws.add_data_validation(dv)


def _write_labels(ws: Worksheet, s: Sheet, values: dict) -> None:
    """A label sheet: title, column headers, then one line per field: header, value, unit."""
    _write_title(ws, s)
    for col, text in enumerate(LABEL_HEADERS, start=1):
        head = safe_set(ws, LABEL_HEADER_ROW, col, text)
        head.font, head.fill, head.alignment = BOLD, HEADER_FILL, HEADER_ALIGN
    for row, f in enumerate(s.fields, start=LABEL_FIRST_ROW):
        safe_set(ws, row, 1, f.header)
        cell = safe_set(ws, row, LABEL_VALUE_COLUMN, excel_value(f, values.get(f.name)))
        cell.number_format = EXCEL_FORMATS[f.kind]
        safe_set(ws, row, 3, f.unit or "")
    widths = (max(len(f.header) for f in s.fields) + 4, max(24, *(f.width for f in s.fields)), 16)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = f"A{LABEL_FIRST_ROW}"


# --- dropdown lists ---------------------------------------------------------------------------

def form_vocabularies() -> tuple[Vocabulary, ...]:
    """The vocabularies the form uses, in order of first use."""
    found: dict[str, Vocabulary] = {}
    for s in RETURN_FORM:
        for f in s.fields:
            if f.vocabulary is not None:
                found.setdefault(f.vocabulary.name, f.vocabulary)
    return tuple(found.values())


def _list_ranges() -> dict[str, str]:
    """Vocabulary name -> absolute reference of its names in Danh_muc."""
    return {
        v.name: f"{LISTS_SHEET}!${get_column_letter(col)}$2:${get_column_letter(col)}"
                f"${1 + len(v.terms)}"
        for col, v in enumerate(form_vocabularies(), start=1)
    }


def _write_lists(ws: Worksheet) -> None:
    """The hidden Danh_muc sheet: row 1 vocabulary name, then its Vietnamese names."""
    for col, v in enumerate(form_vocabularies(), start=1):
        safe_set(ws, 1, col, v.name).font = BOLD
        for row, term in enumerate(v.terms, start=2):
            safe_set(ws, row, col, term.name_vi)
        ws.column_dimensions[get_column_letter(col)].width = 34
    ws.sheet_state = "hidden"


# --- instructions -------------------------------------------------------------------------------

HELP_COLUMNS = ("Vị trí", "Tiêu đề", "Đơn vị tính", "Bắt buộc", "Giá trị được phép", "Mô tả")
HELP_WIDTHS = (10, 44, 22, 10, 44, 60)
HELP_NOTES = (
    "Không đổi tên trang tính, không chèn, xóa hay đổi thứ tự cột.",
    f"Trang dạng bảng: tiêu đề cột ở dòng {HEADER_ROW}, điền số liệu từ dòng "
    f"{FIRST_DATA_ROW}, mỗi dòng một đối tượng.",
    f"Trang dạng chỉ tiêu: ghi giá trị vào cột {get_column_letter(LABEL_VALUE_COLUMN)}.",
    "Số tiền ghi theo đơn vị tính trong tiêu đề cột; mã số ghi dạng văn bản để giữ số 0 ở đầu.",
    "Các cột có danh mục: chọn giá trị trong danh sách thả xuống.",
)


def _write_help(ws: Worksheet, info: str) -> None:
    """The Huong_dan sheet: general notes, then one block per sheet of the contract."""
    ws.title = HELP_SHEET
    safe_set(ws, 1, 1, "HƯỚNG DẪN ĐIỀN BÁO CÁO").font = BOLD
    safe_set(ws, 2, 1, info)
    row = 4
    for note in HELP_NOTES:
        safe_set(ws, row, 1, f"- {note}")
        row += 1
    for s in RETURN_FORM:
        row = _write_help_block(ws, s, row + 1)
    for col, width in enumerate(HELP_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width


def _write_help_block(ws: Worksheet, s: Sheet, row: int) -> int:
    """One sheet's block of instructions; returns the next free row."""
    need = "bắt buộc" if s.required else "không bắt buộc"
    safe_set(ws, row, 1, f"Trang {s.name}: {s.title_vi} ({need})").font = BOLD
    if "declared_count_label" in s.extra:
        row += 1
        safe_set(ws, row, 1, f"Ô A{INFO_ROW}: {s.extra['declared_count_label']}; "
                             f"ô B{INFO_ROW}: số đã đề ra")
    for col, text in enumerate(HELP_COLUMNS, start=1):
        safe_set(ws, row + 1, col, text).font = BOLD
    for f in s.fields:
        row += 1
        _write_help_line(ws, row + 1, s, f)
    return row + 2


def _yes_no(flag: bool) -> str:
    return YES_NO.term(str(flag).lower()).name_vi


def _write_help_line(ws: Worksheet, row: int, s: Sheet, f: Field) -> None:
    where = field_cell(s.name, f.name).split("!")[1]
    position = where if s.layout == "labels" else where.rstrip("0123456789")
    allowed = "; ".join(t.name_vi for t in f.vocabulary.terms) if f.vocabulary else ""
    values = (position, f.header, f.unit or "", _yes_no(f.required), allowed,
              f.description_vi)
    for col, value in enumerate(values, start=1):
        safe_set(ws, row, col, value).alignment = Alignment(wrap_text=True, vertical="top")


# --- saving ------------------------------------------------------------------------------------

def _save(wb: Workbook, path: Path) -> Path:
    """Save with fixed document times and fixed zip entry times, so bytes are reproducible."""
    wb.properties.created = wb.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_fixed_zip(buffer.getvalue()))
    return path


def _fixed_zip(data: bytes) -> bytes:
    """The same zip entries, in the same order, with a fixed date and permissions."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()
