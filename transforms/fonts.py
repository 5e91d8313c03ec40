"""Which fonts a workbook's text is typed in: the surest sign of a legacy Vietnamese
encoding (TCVN3 '.VnTime', VNI 'VNI-Times'). python-calamine gives values only, so the
fonts are read here, and only when the file declares a legacy font at all."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from transforms.legacy_text import encoding_for_font

LEGACY_FONT = re.compile(r"(\.Vn[A-Za-z]+|VNI[- ][A-Za-z]+)")
STYLE_PARTS = ("xl/styles.xml", "styles.xml", "content.xml")  # .xlsx/.xlsm, .ods


def declared_fonts(path: Path) -> set[str]:
    """The legacy font names the file declares anywhere in its styles."""
    data = path.read_bytes()
    if data.startswith(b"PK"):
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            text = "".join(archive.read(p).decode("utf-8", "replace")
                           for p in STYLE_PARTS if p in names)
    else:  # .xls: font records hold names as Latin-1 or UTF-16LE
        text = data.decode("latin-1") + data.decode("utf-16-le", "replace")
    return set(LEGACY_FONT.findall(text))


def declared_encoding(fonts: set[str]) -> str | None:
    """The legacy encoding the declared fonts name, when they name exactly one."""
    found = {encoding_for_font(name)[0] for name in fonts if encoding_for_font(name)}
    return found.pop() if len(found) == 1 else None


def cell_fonts(path: Path, declared: set[str]) -> dict[str, dict[tuple[int, int], str]]:
    """For an .xlsx whose styles declare a legacy font: the font of every text cell, per
    sheet, by 0-based (row, column). Other formats keep no font a reader here can see."""
    if not declared or not zipfile.is_zipfile(path):
        return {}
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True)
    except Exception:  # noqa: BLE001 - .ods or odd packages: content decides instead
        return {}
    fonts = {}
    for sheet in book.worksheets:
        fonts[sheet.title] = {
            (cell.row - 1, cell.column - 1): cell.font.name
            for row in sheet.iter_rows() for cell in row
            if isinstance(cell.value, str) and getattr(cell, "font", None) and cell.font.name}
    book.close()
    return fonts
