"""Text from districts' files and stewards, made safe for where it is shown: a terminal,
markdown (summary.md, the Prefect artifact), a CSV a steward opens in Excel, an Excel cell.

Data never gets to drive its reader: no escape sequence reaches a terminal, no HTML or
markdown structure is injected into a page, no text becomes a formula in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

import pandas as pd

# C0 and C1 control characters and DEL, and the Unicode controls that reorder or hide
# text (bidi overrides and isolates, zero-width joiners are kept: Vietnamese needs none of
# them, but they are harmless).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CSV_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BREAKS = re.compile(r"[\t\n\r]+")
_MARKDOWN = re.compile(r"([\\`\[\]|])")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
EXCEL_CELL_LIMIT = 32_767  # characters Excel keeps in one cell (and one comment)
BOM = "\ufeff"


def terminal_text(value: object, one_line: bool = False) -> str:
    """Text fit for a terminal: control characters (ESC and the rest) removed; tabs and
    line breaks kept, or made spaces when `one_line`."""
    text = _CONTROLS.sub("", _plain(value))
    return _BREAKS.sub(" ", text) if one_line else text


def md_text(value: object) -> str:
    """Text as one line of markdown that renders as itself: HTML special characters as
    entities (no tag, no autolink), markdown's link, image, code and table characters
    escaped, line breaks made spaces (so no heading, list or table row can be started
    from data). Emphasis characters stay: at worst they make a word italic, and codes
    such as TOTAL_MISMATCH stay readable on a terminal."""
    text = terminal_text(value, one_line=True)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN.sub(r"\\\1", text)


def md_code(value: object) -> str:
    """Text as a markdown code span (a path, a command): shown as it is, never rendered."""
    text = terminal_text(value, one_line=True)
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def csv_cell(value: object) -> object:
    """A value for a CSV a spreadsheet opens: text that a spreadsheet would take as a
    formula (= + - @ tab CR first) gets a leading single quote; control characters go."""
    if not isinstance(value, str):
        return "" if _missing(value) else value
    text = _CSV_CONTROLS.sub("", value)  # tab, CR and LF stay, quoted by the writer
    return "'" + text if value.startswith(FORMULA_PREFIXES) else text


def to_csv(header: list[str], rows: Iterable[Iterable[object]]) -> str:
    """A CSV for Excel: UTF-8 BOM first (so Vietnamese shows right), fields with a comma,
    quote, CR or LF quoted, formula prefixes neutralised, CRLF between records."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return BOM + out.getvalue()


def excel_text(value: str, limit: int = EXCEL_CELL_LIMIT) -> str:
    """Text within Excel's limit for a cell or a comment, cut with a mark when longer."""
    if len(value) <= limit:
        return value
    mark = "… (đã cắt bớt / truncated)"
    return value[:limit - len(mark)] + mark


def _plain(value: object) -> str:
    return "" if _missing(value) else str(value)


def _missing(value: object) -> bool:
    """None, NaN, NaT or pandas' NA."""
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
