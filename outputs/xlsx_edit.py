"""Edit an .xlsx package directly (zip + XML): the feedback's marks without an openpyxl round trip.

`Package(data)` reads the bytes of an .xlsx/.xlsm/.xltx; `sheet_names`, `worksheets`,
`merged` and `comments` tell what is in it; `write(marks, new_sheet, author)` returns the
bytes of a plain .xlsx in which
- no worksheet holds a formula: a formula's cached value is kept (a text result as an inline
  string), a formula with no cached value becomes its text with a leading "=", as an inline
  string; text is never turned into a formula;
- macros (and macro sheets), links to other workbooks and the calculation chain are gone,
  and the workbook's content type is a plain workbook's;
- each Mark's cell has a solid fill (its own format otherwise kept) and a comment, with the
  legacy VML drawing Excel needs to show it; comments the sheet had on other cells stay;
- `new_sheet` is the first, active sheet.

Parts that need no change are copied byte for byte. Parts are found through the package's
relationships, never by assumed names, and XML is parsed by a parser that resolves no
entity and loads nothing from outside. lxml keeps every namespace and prefix as it was.
"""

from __future__ import annotations

import copy
import io
import math
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from urllib.parse import unquote

from lxml import etree
from openpyxl.utils.cell import (
    column_index_from_string,
    coordinate_from_string,
    get_column_letter,
    range_boundaries,
)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
VML = {"v": "urn:schemas-microsoft-com:vml", "o": "urn:schemas-microsoft-com:office:office",
       "x": "urn:schemas-microsoft-com:office:excel"}

TYPES = "[Content_Types].xml"
CT = "application/vnd.openxmlformats-officedocument."
WORKBOOK_CT = CT + "spreadsheetml.sheet.main+xml"
WORKSHEET_CT = CT + "spreadsheetml.worksheet+xml"
STYLES_CT = CT + "spreadsheetml.styles+xml"
COMMENTS_CT = CT + "spreadsheetml.comments+xml"
VML_CT = CT + "vmlDrawing"
RELS_CT = "application/vnd.openxmlformats-package.relationships+xml"
VBA_CT = "application/vnd.ms-office.vbaProject"
REL = R + "/"  # + worksheet, styles, comments, vmlDrawing

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                         huge_tree=False)
FORMULA = re.compile(rb"<(\w+:)?f[ >/]")
TAB_SELECTED = re.compile(rb"tabSelected=[\"'](1|true)[\"']")
IDMAP = re.compile(rb"idmap[^>]*?data=[\"']([\d,\s]*)[\"']")
ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
EXTERNAL = re.compile(r"\[\d+\][^\[\]!]*!")  # [1]Sheet!A1, '[1]Sheet'!A1, [1]!Name (not Table[2023])
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

DROPPED = {"vbaProject", "externalLink", "calcChain"}  # workbook relationships
MACRO_SHEETS = {"xlMacrosheet", "xlIntlMacrosheet"}
WORKBOOK_ORDER = ("fileVersion fileSharing workbookPr workbookProtection bookViews sheets "
                  "functionGroups externalReferences definedNames calcPr oleSize "
                  "customWorkbookViews pivotCaches smartTagPr smartTagTypes webPublishing "
                  "fileRecoveryPr webPublishObjects extLst").split()
WORKSHEET_ORDER = ("sheetPr dimension sheetViews sheetFormatPr cols sheetData sheetCalcPr "
                   "sheetProtection protectedRanges scenarios autoFilter sortState "
                   "dataConsolidate customSheetViews mergeCells phoneticPr "
                   "conditionalFormatting dataValidations hyperlinks printOptions pageMargins "
                   "pageSetup headerFooter rowBreaks colBreaks customProperties cellWatches "
                   "ignoredErrors smartTags drawing legacyDrawing legacyDrawingHF drawingHF "
                   "picture oleObjects controls webPublishItems tableParts extLst").split()
STYLES_ORDER = ("numFmts fonts fills borders cellStyleXfs cellXfs cellStyles dxfs "
                "tableStyles colors extLst").split()
MINIMAL_STYLES = (
    f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/>'
    '<family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/>'
    '</fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1">'
    "<border><left/><right/><top/><bottom/><diagonal/></border></borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
    'xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
    'builtinId="0"/></cellStyles></styleSheet>').encode()
EMPTY_COMMENTS = f'<comments xmlns="{MAIN}"><authors/><commentList/></comments>'.encode()
COMMENT_WIDTH = 420


@dataclass(frozen=True)
class Look:
    """How a cell of the new sheet looks; anything not said is the workbook's default."""

    bold: bool = False
    size: float | None = None
    color: str | None = None  # aRGB font colour
    underline: bool = False
    wrap: bool = False  # wrapped text, aligned to the top
    fill: str | None = None  # aRGB solid fill


@dataclass(frozen=True)
class Mark:
    """A worksheet cell to fill (aRGB, solid) and comment."""

    sheet: str
    row: int
    col: int
    fill: str
    comment: str


@dataclass(frozen=True)
class NewSheet:
    """The sheet put first: values by (row, column), each with its Look (None: default)."""

    name: str
    cells: dict[tuple[int, int], tuple[object, Look | None]]
    widths: tuple[float, ...] = ()  # of columns A, B, …
    links: dict[tuple[int, int], str] = field(default_factory=dict)  # cell -> "'Sheet'!A1"
    frozen_rows: int = 0  # rows kept in view above the pane
    autofilter: str | None = None  # "A7:H20"


@dataclass(frozen=True)
class _Sheet:
    name: str
    element: etree._Element  # its <sheet> in workbook.xml
    kind: str  # the relationship type's last word: worksheet, chartsheet, …
    part: str | None


class NotAWorkbook(ValueError):
    """The bytes are not an XML workbook package (an .xls, .ods, .xlsb, or no workbook)."""


# --- names and references ---------------------------------------------------------------------

def _m(name: str) -> str:
    return f"{{{MAIN}}}{name}"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _clean(text: object) -> str:
    """Text as XML 1.0 can hold it."""
    return ILLEGAL.sub("", str(text))


def _cell_ref(ref: str) -> tuple[int, int]:
    """'AB12' (or the first cell of 'AB12:AC14') -> (12, 28)."""
    letters, row = coordinate_from_string(ref.split(":")[0])
    return row, column_index_from_string(letters)


def _range(ref: str) -> tuple[int, int, int, int]:
    """'B3:C4' -> (3, 2, 4, 3): first row, first column, last row, last column."""
    c1, r1, c2, r2 = range_boundaries(ref)
    return r1, c1, r2, c2


def _insert(parent: etree._Element, child: etree._Element, order: list[str]) -> etree._Element:
    """`child` put among `parent`'s children where the schema's `order` wants it."""
    rank = order.index(_local(child))
    for other in parent:
        name = _local(other)
        if name == "AlternateContent" and len(other) and len(other[0]):
            name = _local(other[0][0])  # ranked as what it wraps (controls, oleObjects…)
        if name in order and order.index(name) > rank:
            other.addprevious(child)
            return child
    parent.append(child)
    return child


def _child(parent: etree._Element, name: str, order: list[str]) -> etree._Element:
    """`parent`'s child `name` (main namespace), made where the schema wants it if missing."""
    found = parent.find(_m(name))
    return found if found is not None else _insert(parent, parent.makeelement(_m(name)), order)


# --- the zip package --------------------------------------------------------------------------

def _rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _resolve(source: str, target: str) -> str:
    """A relationship's target as a part name, relative to the part `source`."""
    target = unquote(target.split("#")[0])
    if not target.startswith("/"):
        target = posixpath.join(posixpath.dirname(source), target)
    return posixpath.normpath("/" + target).lstrip("/")


class _Parts:
    """A zip package's parts: their bytes as read, their trees once parsed, content types
    and relationships. A parsed part is written back from its tree, any other as it was."""

    def __init__(self, data: bytes):
        self.order: list[str] = []
        self.infos: dict[str, zipfile.ZipInfo] = {}
        self.raw: dict[str, bytes] = {}
        self.trees: dict[str, etree._Element] = {}
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as error:
            raise NotAWorkbook("not a zip package") from error
        with archive:
            for info in archive.infolist():
                if info.filename not in self.infos:  # a duplicate name is read once
                    self.order.append(info.filename)
                    self.infos[info.filename] = info
                    self.raw[info.filename] = archive.read(info)
        if self.find(TYPES) is None:
            raise NotAWorkbook("no content types: not an Office package")
        self.types = self.tree(self.find(TYPES))

    def find(self, name: str) -> str | None:
        """The part's name as stored (part names are case-insensitive), None if absent."""
        if name in self.raw or name in self.trees:
            return name
        folded = name.casefold()
        return next((n for n in self.order if n.casefold() == folded), None)

    def tree(self, name: str) -> etree._Element:
        if name not in self.trees:
            self.trees[name] = etree.fromstring(self.raw[name], PARSER)
        return self.trees[name]

    def put(self, name: str, content: etree._Element | bytes) -> None:
        if name not in self.infos and name not in self.order:
            self.order.append(name)
        if isinstance(content, bytes):
            self.trees.pop(name, None)
            self.raw[name] = content
        else:
            self.trees[name] = content

    def drop(self, name: str) -> None:
        """The part, its content type and its relationships."""
        for store in (self.raw, self.trees, self.infos):
            store.pop(name, None)
        self.order = [n for n in self.order if n != name]
        for override in self.overrides(name):
            self.types.remove(override)
        rels = self.find(_rels_of(name))
        if rels:
            self.drop(rels)

    def free(self, pattern: str) -> str:
        """The first name 'xl/comments{}.xml' with 1, 2, … that no part has."""
        n = 1
        while self.find(pattern.format(n)):
            n += 1
        return pattern.format(n)

    # content types
    def overrides(self, name: str) -> list[etree._Element]:
        folded = "/" + name.casefold()
        return [o for o in self.types.iter(f"{{{TYPES_NS}}}Override")
                if o.get("PartName", "").casefold() == folded]

    def override(self, name: str, content_type: str) -> None:
        found = self.overrides(name)
        override = found[0] if found else etree.SubElement(
            self.types, f"{{{TYPES_NS}}}Override", PartName="/" + name)
        override.set("ContentType", content_type)

    def default(self, extension: str, content_type: str) -> None:
        defaults = self.types.findall(f"{{{TYPES_NS}}}Default")
        if not any(d.get("Extension", "").casefold() == extension for d in defaults):
            self.types.insert(0, self.types.makeelement(
                f"{{{TYPES_NS}}}Default", Extension=extension, ContentType=content_type))

    # relationships
    def targets(self, part: str) -> list[tuple[etree._Element, str, str | None]]:
        """(relationship, its type's last word, the part it names or None) of `part`."""
        name = self.find(_rels_of(part))
        if name is None:
            return []
        return [(rel, rel.get("Type", "").rsplit("/", 1)[-1],
                 self.find(_resolve(part, rel.get("Target", ""))))
                for rel in self.tree(name).iter(f"{{{PKG}}}Relationship")
                if rel.get("TargetMode") != "External"]

    def target(self, part: str, rid: str | None) -> str | None:
        return next((t for rel, _, t in self.targets(part) if rel.get("Id") == rid), None)

    def relate(self, part: str, target: str, rel_type: str) -> str:
        """A new relationship from `part` to `target`; its id."""
        name = self.find(_rels_of(part)) or _rels_of(part)
        if name not in self.raw and name not in self.trees:
            self.put(name, etree.Element(f"{{{PKG}}}Relationships", nsmap={None: PKG}))
            self.default("rels", RELS_CT)
        rels = self.tree(name)
        ids = {rel.get("Id") for rel in rels}
        rid = next(f"rId{n}" for n in range(1, len(ids) + 2) if f"rId{n}" not in ids)
        etree.SubElement(rels, f"{{{PKG}}}Relationship", Id=rid, Type=rel_type,
                         Target=posixpath.relpath(target, posixpath.dirname(part) or "."))
        return rid

    def unrelate(self, part: str, rel: etree._Element, drop: bool = True) -> None:
        """Remove one of `part`'s relationships (and, with `drop`, the part it names)."""
        target = self.find(_resolve(part, rel.get("Target", "")))
        rel.getparent().remove(rel)
        if drop and target:
            self.drop(target)

    def serialize(self) -> dict[str, bytes]:
        """Every part's bytes, in the package's order: parsed parts written from their tree."""
        return {name: etree.tostring(self.trees[name], xml_declaration=True, encoding="UTF-8",
                                     standalone=True) if name in self.trees else self.raw[name]
                for name in self.order}

    def zip(self, parts: dict[str, bytes]) -> bytes:
        """`parts` zipped (deflated) in their order, each with its first date."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in parts.items():
                old = self.infos.get(name)
                info = zipfile.ZipInfo(name, old.date_time if old else ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = old.external_attr if old else 0o600 << 16
                archive.writestr(info, data, compresslevel=1)
        return out.getvalue()


# --- styles -----------------------------------------------------------------------------------

class _Styles:
    """The workbook's styles part, with the fills, fonts and cell formats the edit adds (each
    made once)."""

    def __init__(self, root: etree._Element):
        self.root = root
        self.made: dict[tuple, int] = {}
        minimal = etree.fromstring(MINIMAL_STYLES, PARSER)
        for name in ("fonts", "fills", "borders", "cellStyleXfs", "cellXfs"):
            section = _child(root, name, STYLES_ORDER)
            have = len(section.findall("*"))
            # fills 0 and 1 are reserved (none, gray125): Excel ignores any other there
            section.extend(copy.deepcopy(list(minimal.find(_m(name)))[have:]))

    def _add(self, key: tuple, section: str, make) -> int:
        """The index in `section` of the element `make()` appends the first time `key` is
        asked."""
        if key not in self.made:
            parent = self.root.find(_m(section))
            element = make()
            parent.append(element)
            self.made[key] = len(parent.findall(element.tag)) - 1
        return self.made[key]

    def _items(self, section: str, tag: str) -> list[etree._Element]:
        return self.root.find(_m(section)).findall(_m(tag))

    def fill(self, argb: str) -> int:
        return self._add(("fill", argb), "fills", lambda: _fill(self.root, argb))

    def font(self, look: Look) -> int:
        """The default font, bold, sized, coloured or underlined as `look` says."""
        if not (look.bold or look.size or look.color or look.underline):
            return 0
        default = self._items("fonts", "font")[0]
        key = ("font", look.bold, look.size, look.color, look.underline)
        return self._add(key, "fonts", lambda: _font(default, look))

    def marked(self, s: int, argb: str) -> int:
        """Cell format `s` with a solid `argb` fill."""
        def make() -> etree._Element:
            xfs = self._items("cellXfs", "xf")
            xf = copy.deepcopy(xfs[s] if 0 <= s < len(xfs) else xfs[0])
            xf.set("fillId", str(self.fill(argb)))
            xf.set("applyFill", "1")
            return xf
        return self._add(("marked", s, argb), "cellXfs", make)

    def look(self, look: Look) -> int:
        """A cell format for the new sheet."""
        def make() -> etree._Element:
            xf = self.root.makeelement(_m("xf"), numFmtId="0", fontId=str(self.font(look)),
                                       fillId=str(self.fill(look.fill) if look.fill else 0),
                                       borderId="0", xfId="0", applyFont="1")
            if look.fill:
                xf.set("applyFill", "1")
            if look.wrap:
                xf.set("applyAlignment", "1")
                etree.SubElement(xf, _m("alignment"), vertical="top", wrapText="1")
            return xf
        return self._add(("look", look), "cellXfs", make)

    def recount(self) -> None:
        for section, tag in (("fonts", "font"), ("fills", "fill"), ("borders", "border"),
                             ("cellStyleXfs", "xf"), ("cellXfs", "xf")):
            self.root.find(_m(section)).set("count", str(len(self._items(section, tag))))


def _fill(root: etree._Element, argb: str) -> etree._Element:
    fill = root.makeelement(_m("fill"))
    pattern = etree.SubElement(fill, _m("patternFill"), patternType="solid")
    etree.SubElement(pattern, _m("fgColor"), rgb=argb)
    etree.SubElement(pattern, _m("bgColor"), indexed="64")
    return fill


def _font(default: etree._Element, look: Look) -> etree._Element:
    """A copy of the `default` font with the boldness, size, colour and underline `look` sets
    (what it does not set stays the default's)."""
    font = copy.deepcopy(default)
    wanted = {"color": {"rgb": look.color} if look.color else None,
              "sz": {"val": f"{look.size:g}"} if look.size else None,
              "u": {"val": "single"} if look.underline else None,
              "b": {"val": "1"} if look.bold else None}
    for child in font.findall("*"):
        if wanted.get(_local(child)):
            font.remove(child)
    for name, attributes in wanted.items():
        if attributes:
            font.insert(0, font.makeelement(_m(name), attributes))
    return font


# --- worksheets: formulas out -----------------------------------------------------------------

def _strip_formulas(root: etree._Element) -> None:
    """Every cell formula replaced by its cached value (its text when none is cached), then
    the extensions (x14 validations, formats) that still hold a formula dropped."""
    formulas = [f for f in root.iter(_m("f")) if f.getparent().tag == _m("c")]
    masters = {f.get("si"): (f.text, _coordinate(f.getparent())) for f in formulas
               if f.get("t") == "shared" and f.text}
    for f in formulas:
        _defuse(f.getparent(), f, masters)
    for f in list(root.iter("{*}f")):
        ext = next((a for a in f.iterancestors() if a.getparent() is not None
                    and _local(a.getparent()) == "extLst"), None)
        if ext is not None and ext.getparent() is not None:
            ext.getparent().remove(ext)


def _defuse(c: etree._Element, f: etree._Element,
            masters: dict[str, tuple[str, str]]) -> None:
    """A formula cell as its cached value, or its formula as text when nothing is cached (an
    empty <v/> without a type, as openpyxl writes a formula, caches nothing; an empty text
    result, t="str", is an empty cell, as the district saw it)."""
    cached = c.find(_m("v"))
    c.remove(f)
    c.attrib.pop("cm", None)  # dynamic-array metadata of the formula
    if cached is not None and not cached.text and c.get("t") == "str":
        c.remove(cached)
        c.attrib.pop("t")
    elif cached is None or not cached.text:
        if c.find(_m("is")) is None:
            _inline(c, "=" + _formula_text(c, f, masters))
    elif c.get("t") == "str":  # a text result
        _inline(c, cached.text)


def _formula_text(c: etree._Element, f: etree._Element,
                  masters: dict[str, tuple[str, str]]) -> str:
    """What the district typed; a shared formula's dependent: its master's (text, cell)
    translated to it."""
    if f.text:
        return f.text
    if f.get("t") == "dataTable":
        return f"TABLE({f.get('r1', '')},{f.get('r2', '')})"
    master = masters.get(f.get("si")) if f.get("t") == "shared" else None
    if master is None:
        return ""
    from openpyxl.formula.translate import Translator  # only for this rare case

    text, origin = master
    try:
        return Translator("=" + text, origin).translate_formula(_coordinate(c))[1:]
    except Exception:  # a formula the translator cannot read: the master's own text
        return text


def _inline(c: etree._Element, text: str) -> None:
    """The cell holds `text` as an inline string (never read as a formula)."""
    for old in c.findall(_m("v")) + c.findall(_m("is")):
        c.remove(old)
    c.set("t", "inlineStr")
    string = c.makeelement(_m("is"))
    t = etree.SubElement(string, _m("t"))
    t.text = _clean(text)
    t.set(XML_SPACE, "preserve")
    c.insert(0, string)


def _position(element: etree._Element, number) -> int:
    """A row's or cell's number: its r, else one past the row or cell before it."""
    behind = 0
    while element is not None:
        if element.get("r"):
            return number(element.get("r")) + behind
        behind += 1
        element = element.getprevious()
        while element is not None and element.tag != _m("row") and element.tag != _m("c"):
            element = element.getprevious()
    return behind


def _coordinate(c: etree._Element) -> str:
    row = _position(c.getparent(), int)
    return f"{get_column_letter(_position(c, lambda r: _cell_ref(r)[1]))}{row}"


def _untab(root: etree._Element) -> None:
    for view in root.iterfind(f"{_m('sheetViews')}/{_m('sheetView')}"):
        view.attrib.pop("tabSelected", None)


# --- worksheets: marks ------------------------------------------------------------------------

def _fill_cells(root: etree._Element, marks: list[Mark], styles: _Styles) -> None:
    """Each mark's cell (made if missing) with its format plus the mark's fill."""
    data = _child(root, "sheetData", WORKSHEET_ORDER)
    rows, n = {}, 0
    for row in data.iterchildren(_m("row")):
        n = int(row.get("r") or n + 1)
        rows[n] = row
    for mark in marks:
        row = _row(data, rows, mark.row)
        c, made = _cell(row, mark.row, mark.col)
        base = c.get("s") or (_inherited(root, row, mark.col) if made else None)
        c.set("s", str(styles.marked(int(base or 0), mark.fill)))


def _row(data: etree._Element, rows: dict[int, etree._Element], r: int) -> etree._Element:
    """Row `r` of the sheet, made in its place if missing (rows are in order)."""
    if r not in rows:
        after = [n for n in rows if n > r]
        row = data.makeelement(_m("row"))
        if after:
            rows[min(after)].addprevious(row)
        else:
            data.append(row)
        rows[r] = row
    rows[r].set("r", str(r))
    return rows[r]


def _cell(row: etree._Element, r: int, col: int) -> tuple[etree._Element, bool]:
    """Cell `col` of `row`, made in its place if missing; whether it was made."""
    ref, n = f"{get_column_letter(col)}{r}", 0
    for c in row.iterchildren(_m("c")):
        n = _cell_ref(c.get("r"))[1] if c.get("r") else n + 1
        if n == col:
            c.set("r", ref)
            return c, False
        if n > col:
            c.addprevious(row.makeelement(_m("c"), r=ref))
            return c.getprevious(), True
    cells = row.findall(_m("c"))
    new = row.makeelement(_m("c"), r=ref)
    if cells:
        cells[-1].addnext(new)
    else:
        row.insert(0, new)
    return new, True


def _inherited(root: etree._Element, row: etree._Element, col: int) -> str | None:
    """The format an empty cell shows: its row's, else its column's."""
    if row.get("customFormat") in ("1", "true"):
        return row.get("s")
    for spec in root.iter(_m("col")):
        if int(spec.get("min", 0)) <= col <= int(spec.get("max", 0)):
            return spec.get("style")
    return None


# --- comments ---------------------------------------------------------------------------------

def _comment_text(comment: etree._Element) -> str:
    """A comment's plain text (its runs joined, phonetic guides left out)."""
    text = comment.find(_m("text"))
    if text is None:
        return ""
    return "".join(t.text or "" for t in text.iter(_m("t")) if _local(t.getparent()) != "rPh")


def _put_comments(root: etree._Element, marks: list[Mark], author: str) -> None:
    """The marks' comments by `author`, each replacing the one its cell had; in cell order."""
    authors = _child(root, "authors", ["authors", "commentList", "extLst"])
    names = [a.text or "" for a in authors.findall(_m("author"))]
    if author not in names:
        etree.SubElement(authors, _m("author")).text = _clean(author)
        names.append(author)
    listed = _child(root, "commentList", ["authors", "commentList", "extLst"])
    marked = {(mark.row, mark.col) for mark in marks}
    for old in listed.findall(_m("comment")):
        if _cell_ref(old.get("ref", "A1")) in marked:
            listed.remove(old)
    for mark in marks:
        comment = etree.SubElement(listed, _m("comment"), ref=f"{get_column_letter(mark.col)}{mark.row}",
                                   authorId=str(names.index(author)), shapeId="0")
        t = etree.SubElement(etree.SubElement(comment, _m("text")), _m("t"))
        t.text = _clean(mark.comment)
        t.set(XML_SPACE, "preserve")
    listed[:] = sorted(listed, key=lambda c: _cell_ref(c.get("ref", "A1")))


def _box(text: str) -> tuple[int, int]:
    """A comment box's width and height (px) for its text."""
    lines = sum(1 + len(part) // 60 for part in text.split("\n"))
    return COMMENT_WIDTH, min(18 * lines + 20, 600)


def _vml(comments: etree._Element, block: int) -> bytes:
    """The legacy drawing that shows `comments` (hidden note boxes), shape ids in `block`
    (and the blocks after it when there are more than 1023 comments)."""
    v, o = f"{{{VML['v']}}}", f"{{{VML['o']}}}"
    root = etree.Element("xml", nsmap=VML)
    notes = comments.findall(f"{_m('commentList')}/{_m('comment')}")
    blocks = range(block, block + len(notes) // 1024 + 1)
    layout = etree.SubElement(root, o + "shapelayout", {v + "ext": "edit"})
    etree.SubElement(layout, o + "idmap", {v + "ext": "edit",
                                           "data": ",".join(map(str, blocks))})
    shapetype = etree.SubElement(root, v + "shapetype", {
        "id": "_x0000_t202", "coordsize": "21600,21600", o + "spt": "202",
        "path": "m,l,21600r21600,l21600,xe"})
    etree.SubElement(shapetype, v + "stroke", joinstyle="miter")
    etree.SubElement(shapetype, v + "path", {"gradientshapeok": "t", o + "connecttype": "rect"})
    for n, note in enumerate(notes, 1):
        _shape(root, block * 1024 + n, _cell_ref(note.get("ref", "A1")),
               _box(_comment_text(note)))
    return etree.tostring(root)


def _shape(root: etree._Element, shape_id: int, cell: tuple[int, int],
           box: tuple[int, int]) -> None:
    """One hidden note box, anchored at `cell` (row, column)."""
    v, o, x = (f"{{{VML[p]}}}" for p in "vox")
    shape = etree.SubElement(root, v + "shape", {
        "id": f"_x0000_s{shape_id}", "type": "#_x0000_t202", "fillcolor": "#ffffe1",
        "style": (f"position:absolute;margin-left:59.25pt;margin-top:1.5pt;width:{box[0]}px;"
                  f"height:{box[1]}px;z-index:1;visibility:hidden"),
        o + "insetmode": "auto"})
    etree.SubElement(shape, v + "fill", color2="#ffffe1")
    etree.SubElement(shape, v + "shadow", color="black", obscured="t")
    etree.SubElement(shape, v + "path", {o + "connecttype": "none"})
    textbox = etree.SubElement(shape, v + "textbox", style="mso-direction-alt:auto")
    etree.SubElement(textbox, "div", style="text-align:left")
    data = etree.SubElement(shape, x + "ClientData", ObjectType="Note")
    for name, text in (("MoveWithCells", None), ("SizeWithCells", None), ("AutoFill", "False"),
                       ("Row", str(cell[0] - 1)), ("Column", str(cell[1] - 1))):
        etree.SubElement(data, x + name).text = text


# --- the new sheet ----------------------------------------------------------------------------

def _new_sheet_xml(sheet: NewSheet, styles: _Styles) -> etree._Element:
    """The worksheet of `sheet`: inline strings, column widths, frozen pane, filter, links."""
    root = etree.Element(_m("worksheet"), nsmap={None: MAIN, "r": R})
    last_row = max((r for r, _ in sheet.cells), default=1)
    last_col = max([c for _, c in sheet.cells] + [len(sheet.widths), 1])
    etree.SubElement(root, _m("dimension"), ref=f"A1:{get_column_letter(last_col)}{last_row}")
    _view(etree.SubElement(etree.SubElement(root, _m("sheetViews")), _m("sheetView"),
                           tabSelected="1", workbookViewId="0"), sheet.frozen_rows)
    etree.SubElement(root, _m("sheetFormatPr"), defaultRowHeight="15")
    _widths(root, sheet.widths)
    _sheet_data(etree.SubElement(root, _m("sheetData")), sheet.cells, styles)
    if sheet.autofilter:
        etree.SubElement(root, _m("autoFilter"), ref=sheet.autofilter)
    _links(root, sheet.links)
    etree.SubElement(root, _m("pageMargins"), left="0.75", right="0.75", top="1", bottom="1",
                     header="0.5", footer="0.5")
    return root


def _widths(root: etree._Element, widths: tuple[float, ...]) -> None:
    if widths:
        cols = etree.SubElement(root, _m("cols"))
        for n, width in enumerate(widths, 1):
            etree.SubElement(cols, _m("col"), min=str(n), max=str(n), width=f"{width:g}",
                             customWidth="1")


def _sheet_data(data: etree._Element, cells: dict, styles: _Styles) -> None:
    """The rows of `cells`, in order, each cell with its Look's format."""
    rows: dict[int, etree._Element] = {}
    for (r, c), (value, look) in sorted(cells.items()):
        if r not in rows:
            rows[r] = etree.SubElement(data, _m("row"), r=str(r))
        _value_cell(rows[r], f"{get_column_letter(c)}{r}", value, styles.look(look) if look else None)


def _view(view: etree._Element, frozen_rows: int) -> None:
    """Rows 1 … `frozen_rows` stay in view; the cursor starts under them."""
    top = f"A{frozen_rows + 1}"
    if frozen_rows:
        etree.SubElement(view, _m("pane"), ySplit=str(frozen_rows), topLeftCell=top,
                         activePane="bottomLeft", state="frozen")
    etree.SubElement(view, _m("selection"), pane="bottomLeft" if frozen_rows else "topLeft",
                     activeCell=top, sqref=top)


def _value_cell(row: etree._Element, ref: str, value: object, s: int | None) -> None:
    """One cell: a number as a number, anything else as an inline string, "" as empty."""
    c = etree.SubElement(row, _m("c"), r=ref)
    if s:
        c.set("s", str(s))
    if isinstance(value, bool):
        c.set("t", "b")
        etree.SubElement(c, _m("v")).text = "1" if value else "0"
    elif isinstance(value, (int, float)) and math.isfinite(value):
        etree.SubElement(c, _m("v")).text = str(value) if isinstance(value, int) else repr(value)
    elif value is not None and value != "":
        _inline(c, str(value))


def _links(root: etree._Element, links: dict[tuple[int, int], str]) -> None:
    """Links inside the workbook (a location, no relationship)."""
    if links:
        parent = etree.SubElement(root, _m("hyperlinks"))
        for (r, c), location in sorted(links.items()):
            etree.SubElement(parent, _m("hyperlink"), ref=f"{get_column_letter(c)}{r}",
                             location=_clean(location))


def _first_tab_active(workbook: etree._Element) -> None:
    """Every window of the workbook opens on its first sheet."""
    views = _child(workbook, "bookViews", WORKBOOK_ORDER)
    if views.find(_m("workbookView")) is None:
        etree.SubElement(views, _m("workbookView"))
    for view in views.findall(_m("workbookView")):
        view.set("activeTab", "0")
        view.set("firstSheet", "0")


def _refers_to(formula: str, sheet: str) -> bool:
    """Whether a defined name's formula points into `sheet` (Macro1!A1, 'Macro 1'!A1)."""
    quoted = "'" + sheet.replace("'", "''") + "'!"
    return quoted in formula or re.search(rf"(?<![\w.']){re.escape(sheet)}!", formula) is not None


# --- the package ------------------------------------------------------------------------------

class Package:
    """One workbook package, read from its bytes (NotAWorkbook when they are not an .xlsx,
    .xlsm or .xltx). `write` edits it: call it once."""

    def __init__(self, data: bytes):
        self._parts = _Parts(data)
        self._book = self._main_part()
        self._sheets = self._read_sheets()
        self._merged: dict[str, list[tuple[int, int, int, int]]] = {}
        self._next_block: int | None = None

    def _main_part(self) -> str:
        """The workbook part, as the package's relationships name it."""
        found = [t for _, kind, t in self._parts.targets("") if kind == "officeDocument" and t]
        if not found or not found[0].casefold().endswith(".xml") \
                or self._parts.tree(found[0]).tag != _m("workbook"):
            raise NotAWorkbook("the package holds no XML workbook")
        return found[0]

    def _read_sheets(self) -> list[_Sheet]:
        rels = {rel.get("Id"): (kind, t) for rel, kind, t in self._parts.targets(self._book)}
        sheets = self._parts.tree(self._book).find(_m("sheets"))
        return [_Sheet(el.get("name", ""), el, *rels.get(el.get(f"{{{R}}}id"), ("", None)))
                for el in (sheets.findall(_m("sheet")) if sheets is not None else [])]

    # what is in it
    @property
    def sheet_names(self) -> list[str]:
        """Every sheet's name, in the workbook's order (worksheets, chart sheets, …)."""
        return [s.name for s in self._sheets]

    @property
    def worksheets(self) -> list[str]:
        """The names of the sheets that hold cells."""
        return [s.name for s in self._sheets if s.kind == "worksheet" and s.part]

    def _worksheet(self, name: str) -> str:
        return next(s.part for s in self._sheets
                    if s.name == name and s.kind == "worksheet" and s.part)

    def merged(self, sheet: str) -> list[tuple[int, int, int, int]]:
        """A worksheet's merged ranges: (first row, first column, last row, last column)."""
        if sheet not in self._merged:
            root = self._parts.tree(self._worksheet(sheet))
            self._merged[sheet] = [_range(m.get("ref")) for m in root.iter(_m("mergeCell"))
                                   if m.get("ref")]
        return self._merged[sheet]

    def comments(self, sheet: str) -> dict[tuple[int, int], str]:
        """A worksheet's comments by (row, column), as plain text."""
        part = self._comments_part(self._worksheet(sheet))
        if part is None:
            return {}
        return {_cell_ref(c.get("ref", "A1")): _comment_text(c)
                for c in self._parts.tree(part).iter(_m("comment"))}

    def _comments_part(self, sheet_part: str) -> str | None:
        return next((t for _, kind, t in self._parts.targets(sheet_part)
                     if kind == "comments" and t), None)

    # the edit
    def write(self, marks: list[Mark], sheet: NewSheet, author: str) -> bytes:
        """The package as a plain .xlsx: no formula, no macro, `marks` filled and
        commented (by `author`), `sheet` first and active."""
        unknown = {m.sheet for m in marks} - set(self.worksheets)
        if unknown:
            raise ValueError(f"no worksheet named {sorted(unknown)}")
        self._drop_code_and_links()
        self._drop_macro_sheets()
        styles = _Styles(self._parts.tree(self._styles_part()))
        for s in self._sheets:
            if s.part and s.kind in ("worksheet", "chartsheet", "dialogsheet"):
                self._edit_sheet(s, [m for m in marks if m.sheet == s.name], styles, author)
        self._add_first(sheet, styles)
        styles.recount()
        parts = self._parts.serialize()
        self._refuse_formulas(parts)
        return self._parts.zip(parts)

    def _drop_code_and_links(self) -> None:
        """Macros (with their signatures), links to other workbooks, the calculation chain;
        the workbook typed as a plain workbook."""
        parts, workbook = self._parts, self._parts.tree(self._book)
        for rel, kind, target in parts.targets(self._book):
            if kind in DROPPED:
                for _, _, inner in parts.targets(target) if target else []:
                    if inner:
                        parts.drop(inner)
                parts.unrelate(self._book, rel)
        for element in workbook.findall(_m("externalReferences")):
            workbook.remove(element)
        for name in list(workbook.iter(_m("definedName"))):
            if EXTERNAL.search(name.text or ""):
                name.getparent().remove(name)
        parts.override(self._book, WORKBOOK_CT)
        for default in parts.types.findall(f"{{{TYPES_NS}}}Default"):
            if default.get("ContentType") == VBA_CT and not self._typed_by(default):
                parts.types.remove(default)

    def _typed_by(self, default: etree._Element) -> list[str]:
        """The parts that take their content type from `default`."""
        ext = "." + default.get("Extension", "").casefold()
        return [n for n in self._parts.order
                if n.casefold().endswith(ext) and not self._parts.overrides(n)]

    def _drop_macro_sheets(self) -> None:
        """Excel 4.0 macro sheets are macros too: gone, with the names local to them or
        pointing into them."""
        kept = [s for s in self._sheets if s.kind not in MACRO_SHEETS]
        if len(kept) == len(self._sheets):
            return
        self._renumber({self._sheets.index(s): n for n, s in enumerate(kept)})
        gone = [s.name for s in self._sheets if s not in kept]
        for name in list(self._parts.tree(self._book).iter(_m("definedName"))):
            if any(_refers_to(name.text or "", sheet) for sheet in gone):  # e.g. Auto_Open
                name.getparent().remove(name)
        rels = {rel.get("Id"): rel for rel, _, _ in self._parts.targets(self._book)}
        for s in self._sheets:
            if s not in kept:
                s.element.getparent().remove(s.element)
                if s.element.get(f"{{{R}}}id") in rels:
                    self._parts.unrelate(self._book, rels[s.element.get(f"{{{R}}}id")])
        self._sheets = kept

    def _renumber(self, moves: dict[int, int]) -> None:
        """Names local to a sheet follow it to its new index (or go with it)."""
        for name in list(self._parts.tree(self._book).iter(_m("definedName"))):
            if name.get("localSheetId") is not None:
                new = moves.get(int(name.get("localSheetId")))
                if new is None:
                    name.getparent().remove(name)
                else:
                    name.set("localSheetId", str(new))

    def _styles_part(self) -> str:
        """The styles part, made (minimal) when the package has none."""
        found = next((t for _, kind, t in self._parts.targets(self._book)
                      if kind == "styles" and t), None)
        if found:
            return found
        part = posixpath.join(posixpath.dirname(self._book), "styles.xml")  # where openpyxl
        if self._parts.find(part):                                          # looks for it
            part = self._parts.free(part.replace(".xml", "{}.xml"))
        self._parts.put(part, etree.fromstring(MINIMAL_STYLES, PARSER))
        self._parts.override(part, STYLES_CT)
        self._parts.relate(self._book, part, REL + "styles")
        return part

    def _edit_sheet(self, s: _Sheet, marks: list[Mark], styles: _Styles, author: str) -> None:
        """Formulas out, tab not selected, marks in; a sheet needing none is left as it is."""
        raw = self._parts.raw.get(s.part, b"")
        if (s.part not in self._parts.trees and not marks and not FORMULA.search(raw)
                and not TAB_SELECTED.search(raw)):
            return
        root = self._parts.tree(s.part)
        _strip_formulas(root)
        _untab(root)
        if marks:
            _fill_cells(root, marks, styles)
            self._comment(s.part, root, marks, author)

    def _comment(self, part: str, root: etree._Element, marks: list[Mark], author: str) -> None:
        """The marks' comments in the sheet's comments part (made if missing) and its VML;
        threaded comments, which Excel would show instead, dropped."""
        parts = self._parts
        name = self._comments_part(part)
        if name is None:
            name = parts.free(posixpath.join(posixpath.dirname(self._book), "comments{}.xml"))
            parts.put(name, etree.fromstring(EMPTY_COMMENTS, PARSER))
            parts.relate(part, name, REL + "comments")
        _put_comments(parts.tree(name), marks, author)
        parts.override(name, COMMENTS_CT)
        self._drawing(part, root, parts.tree(name))
        for rel, kind, _ in parts.targets(part):
            if kind == "threadedComment":
                parts.unrelate(part, rel)

    def _drawing(self, part: str, root: etree._Element, comments: etree._Element) -> None:
        """The sheet's legacy drawing, made anew to show its comments."""
        parts = self._parts
        legacy = root.find(_m("legacyDrawing"))
        vml = parts.target(part, legacy.get(f"{{{R}}}id")) if legacy is not None else None
        if vml is None:
            vml = parts.free(posixpath.join(posixpath.dirname(self._book),
                                            "drawings/vmlDrawing{}.vml"))
            if legacy is None:
                legacy = _insert(root, root.makeelement(_m("legacyDrawing"), nsmap={"r": R}),
                                 WORKSHEET_ORDER)
            legacy.set(f"{{{R}}}id", parts.relate(part, vml, REL + "vmlDrawing"))
        count = len(comments.findall(f"{_m('commentList')}/{_m('comment')}"))
        parts.put(vml, _vml(comments, self._block(count)))
        parts.default("vml", VML_CT)
        if not vml.casefold().endswith(".vml"):
            parts.override(vml, VML_CT)

    def _block(self, shapes: int) -> int:
        """A VML shape-id block (1024 ids each) no drawing of the workbook uses."""
        if self._next_block is None:
            used = [int(n) for name in self._parts.order if name.casefold().endswith(".vml")
                    for data in IDMAP.findall(self._parts.raw.get(name, b""))
                    for n in re.findall(rb"\d+", data)]
            self._next_block = max(used, default=0) + 1
        block = self._next_block
        self._next_block += shapes // 1024 + 1
        return block

    def _add_first(self, sheet: NewSheet, styles: _Styles) -> None:
        """`sheet` as the workbook's first and active sheet."""
        parts, workbook = self._parts, self._parts.tree(self._book)
        part = parts.free(posixpath.join(posixpath.dirname(self._book), "worksheets/sheet{}.xml"))
        parts.put(part, _new_sheet_xml(sheet, styles))
        parts.override(part, WORKSHEET_CT)
        sheets = _child(workbook, "sheets", WORKBOOK_ORDER)
        ids = [int(s.get("sheetId", 0)) for s in sheets.findall(_m("sheet"))]
        entry = sheets.makeelement(_m("sheet"), name=_clean(sheet.name),
                                   sheetId=str(max(ids, default=0) + 1), nsmap={"r": R})
        entry.set(f"{{{R}}}id", parts.relate(self._book, part, REL + "worksheet"))
        sheets.insert(0, entry)
        self._renumber({n: n + 1 for n in range(len(self._sheets))})
        _first_tab_active(workbook)
        if sheet.autofilter:
            self._filter_name(workbook, sheet)

    def _filter_name(self, workbook: etree._Element, sheet: NewSheet) -> None:
        """The hidden name Excel keeps for a sheet's filter range."""
        names = _child(workbook, "definedNames", WORKBOOK_ORDER)
        name = names.makeelement(_m("definedName"), name="_xlnm._FilterDatabase",
                                 localSheetId="0", hidden="1")
        quoted = "'" + sheet.name.replace("'", "''") + "'"
        name.text = _clean(f"{quoted}!" + re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", sheet.autofilter))
        names.insert(0, name)

    def _refuse_formulas(self, parts: dict[str, bytes]) -> None:
        for _, kind, target in self._parts.targets(self._book):
            if kind == "worksheet" and target and FORMULA.search(parts[target]):
                raise RuntimeError(f"a formula is left in {target}")
