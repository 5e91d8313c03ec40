"""From a sheet's grid to a frame of raw cell values, one column per contract field.

Sheets, headers and labels are found by matching the contract's headers and their
variants after normalization (transforms.text.key); nothing here lists a header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from contracts.fields import Field, Sheet
from contracts.units import unit
from transforms.quantities import UNIT_LABEL, bare_unit, declares_unit, find_unit
from transforms.text import is_blank, key, split_unit
from transforms.workbook import Grid

HEADER_SCAN_ROWS = 30
TOTAL_ROW_LABELS = ("tong cong", "cong", "tong so", "tong", "cong toan huyen")
BREAKDOWN_ROW_PREFIX = "trong do"
_NUMBERING = re.compile(r"^\(?\s*\d+\s*\)?$|^\(?[a-z]\)?$")


_SHEET_KEYS: dict[str, frozenset[str]] = {}
_FIELD_KEYS: dict[str, dict[str, Field]] = {}


def _sheet_keys(sheet: Sheet) -> frozenset[str]:
    if sheet.name not in _SHEET_KEYS:  # by name: hashing a whole Sheet costs too much
        _SHEET_KEYS[sheet.name] = frozenset(key(n) for n in (sheet.name, *sheet.variants))
    return _SHEET_KEYS[sheet.name]


_MATCHED: dict[str, dict[str, tuple[Field, str | None] | None]] = {}
MATCHES_KEPT = 1 << 14  # texts remembered per sheet
_UNSEEN = object()


def _field_keys(sheet: Sheet) -> dict[str, Field]:
    if sheet.name not in _FIELD_KEYS:
        _FIELD_KEYS[sheet.name] = {key(name): f for f in sheet.fields
                                   for name in (f.header, *f.variants)}
    return _FIELD_KEYS[sheet.name]


def _name_matches(name: str, sheet: Sheet) -> int:
    """2: the name is the sheet's (or a variant's); 1: the same with a suffix, as in a
    copy ('DS_HTX (2)', 'DS_HTX 2', 'DS_HTX (cũ)'); 0: another name."""
    keys = _sheet_keys(sheet)
    if key(name) in keys:
        return 2
    bare = key(split_unit(name)[0])
    return 1 if bare in keys or re.sub(r" \d+$", "", key(name)) in keys else 0


def content_score(grid: Grid, sheet: Sheet) -> int:
    """How many of the sheet's fields the grid's header (or labels) name; 0 unless every
    required field is among them."""
    if sheet.layout == "labels":
        found = read_labels(grid, sheet)
    else:
        header = locate_header(grid, sheet)
        found = header.columns if header else {}
    required = {f.name for f in sheet.fields if f.required}
    return len(found) if required <= set(found) and len(found) >= 2 else 0


def assign_sheets(grids: list[Grid], form: tuple[Sheet, ...]
                  ) -> tuple[dict[str, Grid], dict[str, list[str]]]:
    """Which grid is each sheet of the form: by name (visible first), else by content
    among the grids no sheet claimed. Also, per sheet, the other visible grids named like
    it (a second copy sent by mistake), which are not read."""
    chosen: dict[str, Grid] = {}
    duplicates: dict[str, list[str]] = {}
    for sheet in form:
        named = sorted((g for g in grids if _name_matches(g.name, sheet)),
                       key=lambda g: (g.hidden, -_name_matches(g.name, sheet)))
        if named:
            chosen[sheet.name] = named[0]
            extra = [g.name for g in named[1:] if not g.hidden]
            if extra:
                duplicates[sheet.name] = extra
    claimed = {g.name for g in chosen.values()}
    for sheet in (s for s in form if s.name not in chosen):
        scored = [(content_score(g, sheet), g) for g in grids
                  if g.name not in claimed and not g.hidden]
        best = max(scored, key=lambda pair: pair[0], default=(0, None))
        if best[0]:
            chosen[sheet.name] = best[1]
            claimed.add(best[1].name)
    return chosen, duplicates


def match_field(sheet: Sheet, text: object) -> tuple[Field, str | None] | None:
    """The field a header or label names, and the unit written beside it, if any."""
    if is_blank(text) or not isinstance(text, str):
        return None
    remembered = _MATCHED.setdefault(sheet.name, {})  # the same headers recur in every file
    found = remembered.get(text, _UNSEEN)
    if found is _UNSEEN:  # (never read back after the store: a thread may clear it)
        found = _match_field(sheet, text)
        if len(remembered) >= MATCHES_KEPT:
            remembered.clear()
        remembered[text] = found
    return found


def _match_field(sheet: Sheet, text: str) -> tuple[Field, str | None] | None:
    whole = _field_keys(sheet).get(key(text))  # 'Lợi nhuận (trước thuế)' is a name
    if whole is not None:
        return whole, None
    label, written = split_unit(text)
    found = _field_keys(sheet).get(key(label))
    return (found, written) if found else None


@dataclass
class Table:
    """A table sheet read raw: cells as found, plus where each field's column is."""

    sheet: Sheet
    grid_name: str
    header_row: int  # 1-based
    columns: dict[str, int]  # field name -> 0-based column index
    units: dict[str, str] = field(default_factory=dict)  # field name -> unit as written
    # field name -> where its unit is written, when not in its header cell (1-based row,
    # 0-based column): a units row, a 'Đơn vị tính: …' line
    unit_cells: dict[str, tuple[int, int]] = field(default_factory=dict)
    raw: dict[str, list] = field(default_factory=dict)  # field -> cells as found, + "_row"
    above: list[list[object]] = field(default_factory=list)  # rows above the header

    @property
    def missing_required(self) -> list[Field]:
        return [f for f in self.sheet.fields if f.required and f.name not in self.columns]


@dataclass(frozen=True)
class Header:
    """Where a table's header is: its first row and how many rows it spans (0-based), and
    for each field found, its column and the unit written in its header cell."""

    row: int
    depth: int
    columns: dict[str, int]
    units: dict[str, str]


def _filled(grid: Grid, rows: int) -> list[list[object]]:
    """The first rows of the grid with every merged range filled with its top-left value,
    so a header merged over several columns or rows names each of them."""
    out = [list(r) for r in grid.rows[:rows]]
    for (r1, c1), (r2, c2) in grid.merged:
        if r1 >= len(out) or c1 >= len(out[r1]):
            continue
        value = out[r1][c1]
        for r in range(r1, min(r2, len(out) - 1) + 1):
            out[r].extend([""] * (c2 + 1 - len(out[r])))
            for c in range(c1, c2 + 1):
                out[r][c] = value
    return out


def locate_header(grid: Grid, sheet: Sheet) -> Header | None:
    """The header naming most of the sheet's fields, one row or two (a group header over
    its sub-headers); on a tie the single row wins."""
    rows = _filled(grid, HEADER_SCAN_ROWS + 1)
    best: Header | None = None
    for r in range(min(len(rows), HEADER_SCAN_ROWS)):
        for depth in (1, 2):
            if r + depth <= len(rows):
                columns, units = _match_columns(sheet, rows[r:r + depth])
                found = Header(r, depth, columns, units)
                if len(columns) >= 2 and (best is None or _better(found, best)):
                    best = found
        if best is not None and best.depth == 1 and len(best.columns) == len(sheet.fields):
            break  # a one-row header naming every field: nothing can beat it
    return best


def _better(found: Header, best: Header) -> bool:
    """More fields named wins; with as many, a header of fewer rows wins."""
    return (len(found.columns), -found.depth) > (len(best.columns), -best.depth)


def _match_columns(sheet: Sheet, rows: list[list[object]]) -> tuple[dict, dict]:
    """Columns of the fields named by a header of one or two rows: for each column the
    lower cell, then both cells read together, then the upper cell."""
    columns, units = {}, {}
    for c in range(max(len(row) for row in rows)):
        texts = [str(row[c]) if c < len(row) and isinstance(row[c], str) else "" for row in rows]
        candidates = [texts[-1], " ".join(t for t in texts if t), texts[0]] if len(rows) == 2 \
            else texts
        for text in candidates:
            hit = match_field(sheet, text)
            if hit and hit[0].name not in columns:
                columns[hit[0].name] = c
                # a group header over its sub-headers gives them its unit:
                # 'Kết quả kinh doanh (tỷ đồng)' over 'Doanh thu' | 'Lợi nhuận'
                written = hit[1] or (split_unit(texts[0])[1] if texts[0] != text else None)
                if written:
                    units[hit[0].name] = written
                break
    return columns, units


def read_table(grid: Grid, sheet: Sheet) -> Table | None:
    """The sheet's data rows under its header; None when no header is found. Units come
    from the header cells, else from a units row under the header, else from a
    'Đơn vị: …' line above it."""
    header = locate_header(grid, sheet)
    if header is None:
        return None
    last = header.row + header.depth  # 0-based index of the first row under the header
    body, first = grid.rows[last:], last + 1
    found = _units_above(grid.rows[:header.row], sheet, header.columns)
    found |= _group_units(grid, header.row, header.columns)
    found |= {name: (written, None) for name, written in header.units.items()}
    if body and _is_units_row(body[0], sheet):
        found |= _units_from_row(body[0], first, header.columns, sheet)
        body, first = body[1:], first + 1
    kept = [(first + i, row) for i, row in enumerate(body) if not _is_skipped(row)]
    raw = {f.name: [_at(row, header.columns[f.name]) if f.name in header.columns else None
                    for _, row in kept] for f in sheet.fields}
    raw["_row"] = [n for n, _ in kept]
    return Table(sheet, grid.name, last, header.columns,
                 {name: written for name, (written, _) in found.items()},
                 {name: at for name, (_, at) in found.items() if at is not None},
                 raw, grid.rows[:header.row])


def _at(row: list[object], c: int) -> object:
    return row[c] if c < len(row) else None


def _unit_word(text: object) -> bool:
    """A cell that only names a unit of the table ('triệu đồng', '(Đơn vị: người)')."""
    return find_unit(text) is not None


def _is_units_row(row: list[object], sheet: Sheet) -> bool:
    """A row under the header of column numbers ('(1)', '(2)') and units only, at least one
    of them a unit of the table; the others may be units the table does not know."""
    cells = [c for c in row if not is_blank(c)]
    return bool(cells) and all(isinstance(c, str) for c in cells) and \
        any(_NUMBERING.match(key(c)) or _unit_word(c) for c in cells) and \
        all(_NUMBERING.match(key(c)) or _unit_word(c) or _looks_like_unit(c) for c in cells)


def _looks_like_unit(text: str) -> bool:
    """Short text without digits, as a unit is written ('USD', '(tấn)')."""
    return len(text.strip()) <= 20 and not re.search(r"\d", text)


UnitFound = tuple[str, tuple[int, int] | None]  # the unit as written, where (None: header)


def _units_from_row(row: list[object], r: int, columns: dict[str, int],
                    sheet: Sheet) -> dict[str, UnitFound]:
    """Units written under the header, per column of a field with a unit; a single
    'Đơn vị: …' cell in the row applies to every column of that unit's dimension."""
    per_column = {name: (str(row[c]), (r, c)) for name, c in columns.items()
                  if c < len(row) and isinstance(row[c], str) and sheet.field(name).unit
                  and not _NUMBERING.match(key(row[c]))}
    labels = [(c, v) for c, v in enumerate(row) if isinstance(v, str) and UNIT_LABEL.match(v)]
    if len(labels) == 1 and len(per_column) <= 1:
        c, text = labels[0]
        return _apply_everywhere(text, (r, c), columns, sheet)
    return per_column


def _units_above(rows: list[list[object]], sheet: Sheet,
                 columns: dict[str, int]) -> dict[str, UnitFound]:
    """'Đơn vị tính: …' lines above the table: each unit applies to every column of its
    dimension. A line that declares a unit the table does not know applies to every column
    with a unit (its values cannot be trusted in any)."""
    found: dict[str, UnitFound] = {}
    for r, row in enumerate(rows, start=1):
        for c, cell in enumerate(row):
            if isinstance(cell, str) and (declares_unit(cell) or
                                          (UNIT_LABEL.match(cell) and _unit_word(cell))):
                found |= _apply_everywhere(cell, (r, c), columns, sheet)
    return found


def _group_units(grid: Grid, row: int, columns: dict[str, int]) -> dict[str, UnitFound]:
    """Units of a group header merged over the header's cells, in the row just above it
    ('Kết quả kinh doanh (tỷ đồng)' over 'Doanh thu' | 'Lợi nhuận')."""
    found: dict[str, UnitFound] = {}
    for (r1, c1), (r2, c2) in grid.merged:
        if r2 != row - 1 or c2 <= c1 or r1 >= len(grid.rows) or c1 >= len(grid.rows[r1]):
            continue
        text = grid.rows[r1][c1]
        written = split_unit(text)[1] if isinstance(text, str) else None
        if written:
            found |= {name: (written, (r1 + 1, c1)) for name, c in columns.items()
                      if c1 <= c <= c2}
    return found


def _apply_everywhere(text: str, at: tuple[int, int], columns: dict[str, int],
                      sheet: Sheet) -> dict[str, UnitFound]:
    written = bare_unit(text)
    declared = find_unit(written)
    return {name: (written, at) for name in columns if sheet.field(name).unit and (
        declared is None or declared.dimension == unit(sheet.field(name).unit).dimension)}


def _is_skipped(row: list[object]) -> bool:
    """An empty row, or a total or breakdown row (its label among its first 3 cells)."""
    cells = []
    for c in row:
        if not is_blank(c):
            cells.append(c)
            if len(cells) == 3:
                break
    if not cells:
        return True
    first_text = next((key(c) for c in cells if isinstance(c, str)), "")
    return first_text in TOTAL_ROW_LABELS or first_text.startswith(BREAKDOWN_ROW_PREFIX)


@dataclass(frozen=True)
class LabelCell:
    """A labelled line's value, where it is (1-based row, 0-based column), and the unit
    written beside the label or in the line's unit column, if any."""

    value: object
    row: int
    column: int
    unit: str | None = None
    unit_column: int | None = None  # where the unit is written (0-based), when it is


def read_labels(grid: Grid, sheet: Sheet) -> dict[str, LabelCell]:
    """Each label of the sheet found in its first three columns, with the first non-blank
    cell to its right as value; a cell that only names a unit is the unit, not a value."""
    found: dict[str, LabelCell] = {}
    for r, row in enumerate(grid.rows):
        for c, cell in enumerate(row[:3]):
            hit = match_field(sheet, cell)
            if hit and hit[0].name not in found:
                found[hit[0].name] = _label_value(sheet, row, r, c, hit[0], hit[1])
                break
    return found


def _label_value(sheet: Sheet, row: list[object], r: int, c: int, f: Field,
                 written: str | None) -> LabelCell:
    """The value right of a label, and its unit: in the label's parentheses, else in the
    cell after the value (a unit of the table, or short text that can only be a unit)."""
    rest = [j for j in range(c + 1, len(row)) if not is_blank(row[j])]
    unit_at = c if written else None
    if rest and f.unit and _unit_word(row[rest[0]]):  # a unit, and no value
        return LabelCell(None, r + 1, c + 1, written or row[rest[0]],
                         unit_at if written else rest[0])
    at = rest[0] if rest else c + 1
    following = rest[1] if len(rest) > 1 else None
    if written is None and following is not None and f.unit and \
            isinstance(row[following], str) and _names_unit(row[following]):
        written, unit_at = row[following], following
    return LabelCell(_at(row, at), r + 1, at, written, unit_at)


def _names_unit(text: str) -> bool:
    """Text beside a value that gives its unit: a unit of the table, or short text that can
    only be a unit ('USD')."""
    return _unit_word(text) or _looks_like_unit(text)


def declared_count(rows: list[list[object]], label: str) -> tuple[int, int, int] | None:
    """A count declared above a table: 'label | 38' or '… 38 nhiệm vụ chi tiết …'.
    Returns (count, 1-based row, 0-based column)."""
    wanted = key(label)
    words = wanted.split()[1:]  # "so nhiem vu chi tiet" -> "nhiem vu chi tiet"
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if not isinstance(cell, str):
                continue
            if key(cell) == wanted:
                nxt = next((j for j in range(c + 1, len(row)) if not is_blank(row[j])), None)
                if nxt is not None and isinstance(row[nxt], (int, float)):
                    return int(row[nxt]), r + 1, nxt
            elif m := re.search(r"(\d+) " + " ".join(words), key(cell)):
                return int(m.group(1)), r + 1, c
    return None
