"""Text typed in legacy Vietnamese encodings, turned into Unicode cell by cell before
anything else reads the sheet (headers, labels, names, vocabularies alike).

A cell's own font decides when the file keeps fonts (.xlsx). Otherwise the encoding is
decided for the whole sheet: the one its cells' content points to (transforms.legacy_text
.detect_encoding), by a clear majority, else the one the file's declared fonts name. A
sheet-wide decision matters because short words ('Cã' for 'Có') cannot be told apart
one cell at a time. Text that is already Unicode Vietnamese is never touched."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from dataclasses import replace

from transforms.legacy_text import detect_encoding, encoding_for_font, to_unicode
from transforms.workbook import Grid

MAJORITY = 3  # the leading encoding needs three times the votes of the other
FONT_OF = {"tcvn3": ".VnTime", "vni": "VNI-Times"}


def sheet_encoding(grid: Grid, declared: str | None) -> str | None:
    votes = Counter(map(_detect, [c for row in grid.rows for c in row
                                  if type(c) is str and not c.isascii()
                                  and not _BEYOND_LATIN1.search(c)]))
    votes.pop(None, None)
    if votes:
        (leader, n), *rest = votes.most_common()
        if not rest or n >= MAJORITY * rest[0][1]:
            return leader
        return None
    return declared


_detect = lru_cache(maxsize=1 << 16)(detect_encoding)  # the same words recur in every file
# Legacy 8-bit text is Latin-1 with some non-ASCII: Unicode Vietnamese (ơ, ư, ạ, …) has a
# character beyond Latin-1, and plain ASCII is the same in every encoding.
_BEYOND_LATIN1 = re.compile("[^\x00-\xff]")


def decode_grid(grid: Grid, declared: str | None, fonts: dict[tuple[int, int], str]) -> Grid:
    """The grid with every legacy-encoded text cell in Unicode (NFC)."""
    encoding = None if fonts else sheet_encoding(grid, declared)
    if encoding is None and not any(encoding_for_font(f) for f in fonts.values()):
        return grid
    rows = [[_cell(value, fonts.get((r, c)), encoding) for c, value in enumerate(row)]
            for r, row in enumerate(grid.rows)]
    return replace(grid, rows=rows)


def _cell(value: object, font: str | None, encoding: str | None) -> object:
    if not isinstance(value, str) or value.isascii():
        return value
    if font is not None:
        return to_unicode(value, font)[0]
    return to_unicode(value, FONT_OF[encoding])[0] if encoding else value
