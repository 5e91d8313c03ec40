"""Opening a workbook file: sheets as grids of raw cell values (python-calamine).

This is the one place that touches the file. Before any parser sees it, the container is
checked: empty files, files that are not workbooks, password-protected (encrypted) files,
zip archives whose declared uncompressed size is out of proportion (a zip bomb: calamine
would allocate it all and abort the process) and XML parts that declare a DTD (entity
expansion: no workbook producer writes one) are refused with a reason a district officer
can act on. Macros are never run: a macro-enabled workbook is read for its values only.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine as calamine

MAX_UNCOMPRESSED = 200 * 1024 * 1024  # bytes, all members of an .xlsx/.ods together
MAX_RATIO = 200  # uncompressed / compressed, over the whole archive, once it is large
RATIO_FROM = 20 * 1024 * 1024  # bytes: below this, any ratio is harmless
PROLOG_BYTES = 4096  # a DTD can only stand in an XML part's prolog
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # .xls, and encrypted .xlsx
ZIP_MAGIC = b"PK\x03\x04"
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
MACRO_PARTS = re.compile(r"(^|/)vbaProject\.bin$|^Basic/|(^|/)macrosheets/", re.I)
DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)


class UnreadableFile(Exception):
    """The file cannot be read as a workbook: `rule` names the failure, `reason_vi` and
    `reason_en` say why."""

    def __init__(self, rule: str, reason_vi: str, reason_en: str):
        super().__init__(reason_en)
        self.rule, self.reason_vi, self.reason_en = rule, reason_vi, reason_en


@dataclass(frozen=True)
class Grid:
    """One sheet: its name, whether it is hidden, its cells from A1 (row-major) and its
    merged ranges as ((first row, first col), (last row, last col)), 0-based."""

    name: str
    rows: list[list[object]]
    hidden: bool = False
    merged: tuple = ()


@dataclass(frozen=True)
class Book:
    grids: list[Grid]
    has_macros: bool = False
    notes: dict = field(default_factory=dict)


def read_book(path: Path) -> Book:
    """Every worksheet of the file, cells positioned from A1, after the container checks."""
    has_macros = check_container(path)
    try:
        book = calamine.CalamineWorkbook.from_path(str(path))
        grids = [_grid(book, meta) for meta in book.sheets_metadata
                 if meta.typ == calamine.SheetTypeEnum.WorkSheet]
    except calamine.PasswordError as exc:
        raise _password() from exc
    except Exception as exc:  # calamine reports broken files with many exception types
        if _has_macro_sheets(path):  # calamine reads no Excel 4.0 macro sheet
            raise UnreadableFile(
                "FILE_UNREADABLE", "tệp có trang macro Excel 4.0 (XLM); hãy chép số liệu sang "
                "tệp .xlsx theo mẫu, không có macro, rồi gửi lại",
                "the workbook holds an Excel 4.0 macro sheet (XLM)") from exc
        raise UnreadableFile("FILE_UNREADABLE",
                             f"tệp bị hỏng hoặc không phải bảng tính ({type(exc).__name__})",
                             f"the file is damaged or not a workbook ({exc})") from exc
    if not grids:
        raise UnreadableFile("FILE_UNREADABLE", "tệp không có trang tính nào",
                             "the file has no worksheet")
    return Book(grids, has_macros)


def _grid(book: calamine.CalamineWorkbook, meta) -> Grid:
    sheet = book.get_sheet_by_name(meta.name)
    return Grid(meta.name, sheet.to_python(skip_empty_area=False),
                meta.visible != calamine.SheetVisibleEnum.Visible,
                tuple(sheet.merged_cell_ranges or ()))


def _has_macro_sheets(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any("macrosheets/" in name.lower() for name in archive.namelist())


def _password() -> UnreadableFile:
    return UnreadableFile("FILE_PASSWORD", "tệp được đặt mật khẩu",
                          "the file is password-protected")


def check_container(path: Path) -> bool:
    """Refuse what must not be parsed; True when the workbook carries macros."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise UnreadableFile("FILE_EMPTY", "tệp rỗng (0 byte)", "the file is empty (0 bytes)")
    if head.startswith(ZIP_MAGIC):
        return _check_zip(path)
    if head.startswith(OLE_MAGIC):
        if ENCRYPTED_STREAM in path.read_bytes():
            raise _password()
        return False
    raise UnreadableFile("FILE_UNREADABLE", "tệp không phải bảng tính Excel/ODS",
                         "the file is not an Excel or ODS workbook")


def _check_zip(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_sizes(members)
            for member in members:
                if member.filename.lower().endswith((".xml", ".rels")):
                    with archive.open(member) as part:
                        if DTD.search(part.read(PROLOG_BYTES)):
                            raise _hostile("phần XML khai báo DTD/ENTITY",
                                           f"{member.filename} declares a DTD or entity")
            return any(MACRO_PARTS.search(m.filename) for m in members)
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as exc:
        raise UnreadableFile("FILE_UNREADABLE", "tệp bị hỏng hoặc bị cắt cụt",
                             "the file is damaged or truncated") from exc


def _check_sizes(members: list[zipfile.ZipInfo]) -> None:
    total = sum(m.file_size for m in members)
    packed = max(1, sum(m.compress_size for m in members))
    if total > MAX_UNCOMPRESSED or (total > RATIO_FROM and total / packed > MAX_RATIO):
        raise _hostile(f"giải nén ra {total // 2**20} MB từ {packed // 2**10} KB",
                       f"expands to {total} bytes from {packed} (suspected zip bomb)")


def _hostile(reason_vi: str, reason_en: str) -> UnreadableFile:
    return UnreadableFile("FILE_HOSTILE", reason_vi, reason_en)
