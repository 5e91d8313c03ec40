"""Opening a workbook file: sheets as grids of raw cell values (python-calamine).

This is the one place that touches the file. It refuses, with a reason a district officer
can act on, anything that is not a workbook it can read safely: a zip archive whose
declared uncompressed size is out of proportion (a zip bomb) is refused before parsing,
because python-calamine would otherwise allocate it all.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import python_calamine as calamine

MAX_UNCOMPRESSED = 200 * 1024 * 1024  # bytes, all members of an .xlsx/.ods together
MAX_RATIO = 200  # uncompressed / compressed, over the whole archive, once it is large
RATIO_FROM = 20 * 1024 * 1024  # bytes: below this, any ratio is harmless
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # .xls, and password-protected .xlsx
ZIP_MAGIC = b"PK\x03\x04"


class UnreadableFile(Exception):
    """The file cannot be read as a workbook; `reason_vi`/`reason_en` say why."""

    def __init__(self, reason_vi: str, reason_en: str):
        super().__init__(reason_en)
        self.reason_vi, self.reason_en = reason_vi, reason_en


@dataclass(frozen=True)
class Grid:
    """One sheet: its name, whether it is hidden, and its cells from A1 (row-major)."""

    name: str
    rows: list[list[object]]
    hidden: bool = False


def read_grids(path: Path) -> list[Grid]:
    """Every worksheet of the file, cells positioned from A1."""
    _check_container(path)
    try:
        book = calamine.CalamineWorkbook.from_path(str(path))
        grids = [_grid(book, meta) for meta in book.sheets_metadata
                 if meta.typ == calamine.SheetTypeEnum.WorkSheet]
    except calamine.PasswordError as exc:
        raise UnreadableFile("tệp được đặt mật khẩu", "the file is password-protected") from exc
    except Exception as exc:  # calamine reports broken files with many exception types
        raise UnreadableFile(f"tệp bị hỏng hoặc không phải bảng tính ({type(exc).__name__})",
                             f"the file is damaged or not a workbook ({exc})") from exc
    if not grids:
        raise UnreadableFile("tệp không có trang tính nào", "the file has no worksheet")
    return grids


def _grid(book: calamine.CalamineWorkbook, meta) -> Grid:
    sheet = book.get_sheet_by_name(meta.name)
    return Grid(meta.name, sheet.to_python(skip_empty_area=False),
                meta.visible != calamine.SheetVisibleEnum.Visible)


def _check_container(path: Path) -> None:
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise UnreadableFile("tệp rỗng (0 byte)", "the file is empty (0 bytes)")
    if head.startswith(ZIP_MAGIC):
        _check_zip(path)
    elif not head.startswith(OLE_MAGIC):
        raise UnreadableFile("tệp không phải bảng tính Excel/ODS",
                             "the file is not an Excel or ODS workbook")


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise UnreadableFile("tệp bị hỏng hoặc bị cắt cụt", "the file is damaged or truncated") \
            from exc
    total = sum(m.file_size for m in members)
    packed = max(1, sum(m.compress_size for m in members))
    if total > MAX_UNCOMPRESSED or (total > RATIO_FROM and total / packed > MAX_RATIO):
        raise UnreadableFile("tệp giải nén ra quá lớn (nghi là tệp độc hại)",
                             f"the file expands to {total} bytes (suspected zip bomb)")
