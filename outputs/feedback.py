"""The feedback workbook sent back to a district: its own return, every failing cell marked.

`write_feedback` copies one district's workbook and
- marks every cell a failure points at: a red fill for an error, amber for a warning, grey
  for a failure a steward accepted ("đã được chấp nhận"), and a comment with the Vietnamese
  message and the rule code; several failures on one cell share one comment and the worst
  of them gives the colour;
- puts a first sheet, FEEDBACK_SHEET, that lists every failure (with or without a cell):
  severity, sheet, the cell as a link to it inside the workbook, rule, value found, message.

Everything else is the district's own: an .xlsx/.xlsm/.xltx is edited as a package
(outputs/xlsx_edit.py: zip + XML, no openpyxl load and save, every part not marked copied
as it is; macros dropped, the output is .xlsx) and only the marked cells' fill and comment
change. An .xls, .ods or .xlsb cannot be edited so: its values (read by
transforms.workbook, as the pipeline read them) are written with openpyxl at the same
positions of the same sheets, that .xlsx is then marked by the same editor, and the first
sheet says the original format could not be kept.

This module decides what is written (which cells, colours, texts, the list's lines);
xlsx_edit writes it. Nothing from the input is ever written as a formula: a formula cell
keeps its cached value (its formula as plain text when the file holds no cached value),
text starting with "=", "+", "-" or "@" stays text, links to other workbooks are dropped,
and every worksheet is checked for formulas before the file is saved.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.worksheet.worksheet import Worksheet

from outputs.template import safe_set
from transforms.periods import period_from_code
from transforms.text import strip_marks
from transforms.workbook import check_container, read_book
from outputs.escape import excel_text
from outputs.xlsx_edit import Look, Mark, NewSheet, NotAWorkbook, Package

FEEDBACK_SHEET = "Loi_can_sua"
ASIDE = ".chua_cong_bo_"  # reports/feedback/.chua_cong_bo_<run>: written, not yet published
COLORS = {"error": "FFFF7C80", "warning": "FFFFC000", "waived": "FFD9D9D9"}  # aRGB fills
LABELS = {"error": "Lỗi (phải sửa)", "warning": "Cảnh báo (cần kiểm tra)",
          "waived": "Đã được chấp nhận"}
RANK = {"error": 0, "warning": 1, "waived": 2}  # the worst first
COMMENT_AUTHOR = "Kiểm tra số liệu HTX"

# The first sheet: title lines, then the list from LIST_HEADER_ROW.
TITLE_ROW, UNIT_ROW, COUNT_ROW, HOW_TO_ROW, FORMAT_ROW = 1, 2, 3, 4, 5
LIST_HEADER_ROW = 7
LIST_HEADERS = ("STT", "Mức độ", "Trang tính", "Ô", "Mã quy tắc", "Giá trị tìm thấy",
                "Nội dung cần sửa", "Mã lỗi")
LIST_WIDTHS = (6, 24, 18, 16, 26, 22, 90, 14)
CELL_COLUMN = LIST_HEADERS.index("Ô") + 1
HOW_TO = ("Cách dùng: bấm vào ô ở cột \"Ô\" để đến đúng ô cần xem trong báo cáo. Ô tô đỏ là "
          "lỗi phải sửa, ô tô vàng cam là cảnh báo cần kiểm tra lại, ô tô xám là lỗi đã được "
          "chấp nhận; di chuột lên ô để đọc ghi chú. Hãy sửa trên tệp báo cáo của đơn vị rồi "
          "gửi lại.")
FORMAT_NOT_KEPT = ("Lưu ý: tệp gốc ({suffix}) không mở được để giữ nguyên định dạng; bản này "
                   "chỉ chép lại giá trị của từng ô, đúng trang tính và đúng vị trí. Hãy sửa "
                   "trên tệp gốc của đơn vị.")
NOT_IN_FILE = " (không tìm thấy ô này trong tệp)"

TITLE = Look(bold=True, size=14)
BOLD = Look(bold=True)
NOTE = Look(bold=True, color="FFC00000")  # the format could not be kept
LINE = Look(wrap=True)  # a line of the list
LINK = Look(wrap=True, color="FF0563C1", underline=True)
UNSAFE_NAME = re.compile(r"[^A-Za-z0-9.\-]+")


@dataclass(frozen=True)
class Item:
    """One failure as the feedback shows it."""

    status: str  # error | warning | waived
    rule: str
    message: str
    sheet: str | None
    cell: str | None  # "DS_HTX!Q85" as the warehouse wrote it
    value: str | None
    failure_id: str | None

    @property
    def note(self) -> str:
        return f"[{LABELS[self.status]}] {self.message} ({self.rule})"


def aside_folder(reports: Path, run_id: str) -> Path:
    """Where a run writes its feedback workbooks before its warehouse is published (its
    chunks, in whichever process, write into the same folder)."""
    return Path(reports) / "feedback" / f"{ASIDE}{_ascii(run_id)}"


def clear_aside(reports: Path) -> None:
    """Remove what interrupted runs left aside (a run does this before it writes any)."""
    for left in (Path(reports) / "feedback").glob(f"{ASIDE}*"):
        shutil.rmtree(left, ignore_errors=True)


def put_in_place(written: list[Path], reports: Path, run_id: str) -> list[Path]:
    """The workbooks written aside, moved to reports/feedback/<period>/ (a later version of
    the same return's feedback replaces the earlier one)."""
    placed = []
    for path in map(Path, written):
        target = Path(reports) / "feedback" / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        placed.append(target)
    shutil.rmtree(Path(reports) / "feedback" / f"{ASIDE}{_ascii(run_id)}", ignore_errors=True)
    return placed


def feedback_name(district_code: str | None, period: str | None, file_name: str,
                  file_hash: str | None = None) -> str:
    """'<district>_<period>_phan_hoi_<original stem>.xlsx', in plain ASCII (no diacritics,
    no spaces) so that any mail system keeps it as it is; with `file_hash`, its first 8
    characters before the extension. A part not known is 'don_vi' or 'ky'."""
    parts = (_ascii(district_code) or "don_vi", _ascii(period) or "ky",
             _ascii(Path(str(file_name)).stem)[:80] or "bao_cao")
    tail = f"_{file_hash[:8]}" if file_hash else ""
    return "{}_{}_phan_hoi_{}".format(*parts) + tail + ".xlsx"


def feedback_names(jobs: list[dict]) -> list[str]:
    """The feedback file name of each return of a run (records with district_code, period,
    file_name, file_hash); two returns whose names would be the same once written in
    ASCII ('Báo cáo.xlsx', 'Bao cao.xlsx'), or differ only in case, each get their
    file's short hash, so that neither replaces the other."""
    plain = [feedback_name(j.get("district_code"), j.get("period"), j["file_name"])
             for j in jobs]
    folders = [_text(j.get("period")) or "" for j in jobs]
    counts = Counter((f, n.casefold()) for f, n in zip(folders, plain))
    return [n if counts[(f, n.casefold())] == 1 else
            feedback_name(j.get("district_code"), j.get("period"), j["file_name"],
                          j.get("file_hash"))
            for j, f, n in zip(jobs, folders, plain)]


def _ascii(text: str | None) -> str:
    """'Báo cáo Đợt 1' -> 'Bao_cao_Dot_1'; nothing for a missing value."""
    text = _text(text)
    return UNSAFE_NAME.sub("_", strip_marks(text)).strip("._-") if text else ""


def write_feedback(original: Path, failures: pd.DataFrame | list[dict], out: Path, *,
                   district_name: str,
                   period: str, file_name: str, district_code: str | None = None,
                   name: str | None = None) -> Path:
    """Write the feedback workbook of one return into folder `out`; return its path.

    `failures` has the columns of quality.validation_failures (`waived`, `failure_id` and
    `district_code` optional), as a frame or as its records. The file is `name`, else
    feedback_name's; the district code in it is `district_code`, else the failures' own,
    else taken from `district_name`.
    """
    original = Path(original)
    if isinstance(failures, pd.DataFrame):
        failures = failures.to_dict("records")
    book, kept = _package(original)
    items = _items(failures)
    marks, found = _marks(book, items)
    sheet = _list_sheet(book.sheet_names, items, found,
                        (district_name, _period_label(period), file_name),
                        None if kept else original.suffix.lower() or "?")
    code = _text(district_code) or _code_of(failures) or district_name
    return _save(book.write(marks, sheet, COMMENT_AUTHOR),
                 Path(out) / (name or feedback_name(code, period, file_name)))


# --- the district's workbook ------------------------------------------------------------------

def _package(path: Path) -> tuple[Package, bool]:
    """The .xlsx to mark: the file itself when it is one (an .xlsx/.xlsm/.xltx by content,
    whatever its name says), else a copy of its values; whether it is the file itself.
    Refuses hostile files."""
    check_container(path)
    try:
        return Package(path.read_bytes()), True
    except NotAWorkbook:
        return Package(_copy_of_values(path)), False


def _copy_of_values(path: Path) -> bytes:
    """Every sheet's values (as transforms.workbook reads them) at the same positions."""
    wb = Workbook()
    wb.remove(wb.active)
    for grid in read_book(path).grids:
        ws = wb.create_sheet(grid.name)
        for r, row in enumerate(grid.rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None and value != "":
                    _set_value(ws, r, c, value)
        _merge_empty_covers(ws, grid.merged)
        _fit_columns(ws)
        ws.sheet_state = "hidden" if grid.hidden else "visible"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _set_value(ws: Worksheet, row: int, col: int, value: object) -> None:
    cell = safe_set(ws, row, col, value)
    if isinstance(value, dt.datetime):
        cell.number_format = "dd/mm/yyyy" if value.time() == dt.time() else "dd/mm/yyyy hh:mm"
    elif isinstance(value, dt.date):
        cell.number_format = "dd/mm/yyyy"


def _merge_empty_covers(ws: Worksheet, merged: tuple) -> None:
    """The original's merges, where merging loses no value (covered cells all empty)."""
    for (r1, c1), (r2, c2) in merged:
        covered = [ws.cell(r + 1, c + 1).value for r in range(r1, r2 + 1)
                   for c in range(c1, c2 + 1) if (r, c) != (r1, c1)]
        if (r1, c1) != (r2, c2) and all(v is None for v in covered):
            ws.merge_cells(start_row=r1 + 1, start_column=c1 + 1, end_row=r2 + 1,
                           end_column=c2 + 1)


def _fit_columns(ws: Worksheet) -> None:
    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is not None and not isinstance(cell, MergedCell):
                widths[cell.column] = max(widths.get(cell.column, 0), len(str(cell.value)))
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), 50)


# --- failures ---------------------------------------------------------------------------------

def _text(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _items(failures: list[dict]) -> list[Item]:
    """The failures as Items, the worst first, then by sheet, row and column."""
    items = []
    for rec in failures:
        waived = _text(rec.get("waived")) is not None and bool(rec.get("waived"))
        status = "waived" if waived else str(rec["severity"])
        items.append(Item(status if status in RANK else "error", str(rec["rule_code"]),
                          _text(rec.get("message_vi")) or "", _text(rec.get("sheet")),
                          _text(rec.get("cell")), _text(rec.get("value_found")),
                          _text(rec.get("failure_id"))))
    return sorted(items, key=_order)


def _order(item: Item) -> tuple:
    where = _split(item.cell) if item.cell else None
    row, col = (where[2], where[1]) if where else (0, 0)
    return (RANK[item.status], item.sheet or "", row, col, item.rule)


def _split(ref: str) -> tuple[str, int, int] | None:
    """'DS_HTX!Q85' -> ('DS_HTX', 17, 85); None when it is not a cell reference."""
    sheet, _, coordinate = ref.rpartition("!")
    try:
        letters, row = coordinate_from_string(coordinate.replace("$", ""))
    except ValueError:
        return None
    sheet = sheet[1:-1].replace("''", "'") if sheet[:1] == sheet[-1:] == "'" else sheet
    return sheet, column_index_from_string(letters), row


def _target(worksheets: list[str], ref: str | None) -> tuple[str, int, int] | None:
    """The worksheet and (row, column) a failure's cell names, if the workbook has it: the
    sheet named exactly so, else one named so but for case."""
    where = _split(ref) if ref else None
    if where is None:
        return None
    folded = [name for name in worksheets if name.casefold() == where[0].casefold()]
    name = where[0] if where[0] in worksheets else (folded or [None])[0]
    return (name, where[2], where[1]) if name else None


# --- marks ------------------------------------------------------------------------------------

def _marks(book: Package, items: list[Item]) -> tuple[list[Mark], set[Item]]:
    """A mark for every cell a failure names; the items whose cell was found."""
    by_cell: dict[tuple[str, int, int], list[Item]] = {}
    for item in items:
        target = _target(book.worksheets, item.cell)
        if target:
            sheet, row, col = target
            by_cell.setdefault((sheet, *_anchor(book.merged(sheet), row, col)), []).append(item)
    marks = [_mark(book, where, marked) for where, marked in by_cell.items()]
    return marks, {item for marked in by_cell.values() for item in marked}


def _anchor(merged: list[tuple[int, int, int, int]], row: int, col: int) -> tuple[int, int]:
    """A cell inside a merged range is marked on the range's top-left cell."""
    for min_row, min_col, max_row, max_col in merged:
        if min_row <= row <= max_row and min_col <= col <= max_col:
            return min_row, min_col
    return row, col


def _mark(book: Package, where: tuple[str, int, int], items: list[Item]) -> Mark:
    """The worst failure's colour; every failure's note in one comment, after them the
    comment the district had put on the cell."""
    sheet, row, col = where
    worst = min(items, key=lambda item: RANK[item.status]).status
    text = "\n\n".join(item.note for item in items)
    own = book.comments(sheet).get((row, col))
    if own is not None:
        text += f"\n\nGhi chú của đơn vị: {own}"
    return Mark(sheet, row, col, COLORS[worst], excel_text(text))


# --- the first sheet --------------------------------------------------------------------------

def _sheet_title(names: list[str]) -> str:
    title, n = FEEDBACK_SHEET, 1
    while title.casefold() in {name.casefold() for name in names}:
        n += 1
        title = f"{FEEDBACK_SHEET}_{n}"
    return title


def _list_sheet(names: list[str], items: list[Item], found: set[Item],
                heading: tuple[str, str, str], lost_format: str | None) -> NewSheet:
    """The first, active sheet: title, counts, how to use it, then one line per failure."""
    district, period, file_name = heading
    cells = {(TITLE_ROW, 1): ("KẾT QUẢ KIỂM TRA BÁO CÁO KINH TẾ TẬP THỂ", TITLE),
             (UNIT_ROW, 1): (f"Đơn vị: {district} — Kỳ báo cáo: {period} — "
                             f"Tệp gốc: {file_name}", BOLD),
             (COUNT_ROW, 1): (_counts(items), None), (HOW_TO_ROW, 1): (HOW_TO, None)}
    if lost_format:
        cells[FORMAT_ROW, 1] = (FORMAT_NOT_KEPT.format(suffix=lost_format), NOTE)
    cells.update({(LIST_HEADER_ROW, col): (header, BOLD)
                  for col, header in enumerate(LIST_HEADERS, start=1)})
    links = {}
    for n, item in enumerate(items, start=1):
        cells.update(_line(LIST_HEADER_ROW + n, n, item, item in found))
        if item in found:
            links[LIST_HEADER_ROW + n, CELL_COLUMN] = _location(item.cell)
    last = get_column_letter(len(LIST_HEADERS))
    return NewSheet(_sheet_title(names), cells, LIST_WIDTHS, links, LIST_HEADER_ROW,
                    f"A{LIST_HEADER_ROW}:{last}{LIST_HEADER_ROW + max(len(items), 1)}")


def _counts(items: list[Item]) -> str:
    if not items:
        return "Báo cáo không có lỗi hay cảnh báo nào."
    n = {status: sum(item.status == status for item in items) for status in RANK}
    parts = [f"{n['error']} lỗi phải sửa" if n["error"] else "",
             f"{n['warning']} cảnh báo cần kiểm tra" if n["warning"] else "",
             f"{n['waived']} lỗi đã được chấp nhận" if n["waived"] else ""]
    return "Có " + ", ".join(part for part in parts if part) + "."


def _line(row: int, n: int, item: Item, found: bool) -> dict[tuple[int, int], tuple]:
    """One failure's line: its severity on its colour, its cell a link when found."""
    where = item.cell or ("(toàn tệp)" if item.sheet is None else "(toàn trang tính)")
    values = (n, LABELS[item.status], item.sheet or "", where, item.rule, item.value or "",
              item.message + ("" if found or not item.cell else NOT_IN_FILE),
              item.failure_id or "")
    line = {(row, col): (excel_text(value) if isinstance(value, str) else value, LINE)
            for col, value in enumerate(values, start=1)}  # within Excel's cell limit
    line[row, 2] = (LABELS[item.status], Look(wrap=True, fill=COLORS[item.status]))
    if found:
        line[row, CELL_COLUMN] = (where, LINK)
    return line


def _location(ref: str) -> str:
    """The failure's cell as a link inside the workbook: 'Sheet'!A1."""
    sheet, col, row = _split(ref)
    return f"{quote_sheetname(sheet)}!{get_column_letter(col)}{row}"


# --- saving -----------------------------------------------------------------------------------

def _save(data: bytes, path: Path) -> Path:
    """Save next to the target, then rename: no half-written attachment is ever left."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)
    return path


def _period_label(period: str | None) -> str:
    """'Năm 2023' for '2023'; nothing for a period that could not be read."""
    text = _text(period) or ""
    try:
        return period_from_code(text).label_vi
    except ValueError:
        return text


def _code_of(failures: list[dict]) -> str | None:
    codes = {c for c in (_text(rec.get("district_code")) for rec in failures) if c}
    return codes.pop() if len(codes) == 1 else None
