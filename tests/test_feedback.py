"""The feedback workbook sent back to a district (outputs/feedback.py): the district's own
workbook with every failing cell marked and a first sheet listing what to fix, its values
otherwise unchanged, and never a formula in it."""

from __future__ import annotations

import copy
import datetime as dt
import posixpath
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.utils import quote_sheetname

from contracts.return_form import ROSTER, TOTALS
from outputs.template import field_cell
from tests.fixtures.returns import (
    XLSX_MAIN,
    XCell,
    _edit_zip,
    _sheet_member,
    formulas_with_cached_values,
    headers_over_two_rows_with_merged_cells,
    macro_enabled_xlsm,
    ods_saved_by_libreoffice,
    tcvn3_text_in_a_legacy_xls,
    template_book,
    write_ods,
    write_template_version,
    write_xls,
    write_xlsxwriter,
    xls_saved_by_excel_97_2003,
    xlsx_saved_by_another_producer,
)
from transforms.failures import Failure, failures_frame
from transforms.periods import period_from_code
from transforms.workbook import UnreadableFile, read_book
from outputs.feedback import (
    CELL_COLUMN,
    COLORS,
    COMMENT_AUTHOR,
    FEEDBACK_SHEET,
    FORMAT_ROW,
    LABELS,
    LIST_HEADER_ROW,
    LIST_HEADERS,
    RANK,
    UNIT_ROW,
    feedback_name,
    write_feedback,
)

PERIOD = period_from_code("2011")
FAILURE_ID = LIST_HEADERS.index("Mã lỗi") + 1
SEVERITY = LIST_HEADERS.index("Mức độ") + 1


# --- helpers ---------------------------------------------------------------------------------

def _split(ref: str) -> tuple[str, str]:
    sheet, _, coordinate = ref.rpartition("!")
    return sheet, coordinate


def _status(rec: dict) -> str:
    return "waived" if rec.get("waived") is True or rec.get("waived") == 1 else rec["severity"]


def _listed(wb) -> dict[str, tuple]:
    """failure_id -> the cells of its line on the first sheet."""
    ws = wb.worksheets[0]
    return {row[FAILURE_ID - 1].value: row
            for row in ws.iter_rows(min_row=LIST_HEADER_ROW + 1) if row[0].value is not None}


def _sheet_values(path: Path) -> dict[str, dict[str, object]]:
    """Every cell's value by sheet and coordinate; a formula counts as its cached value (its
    text when the file keeps none)."""
    formulas, cached = load_workbook(path), load_workbook(path, data_only=True)
    return {ws.title: {c.coordinate: (cached[ws.title][c.coordinate].value
                                      if c.data_type == "f" else c.value)
                       for row in ws.iter_rows() for c in row}
            for ws in formulas.worksheets}


def _formula_fallback(original: dict, path: Path) -> dict:
    """Formulas without a cached value come out as their text."""
    formulas = load_workbook(path)
    for ws in formulas.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f" and original[ws.title][c.coordinate] is None:
                    original[ws.title][c.coordinate] = str(c.value)
    return original


def _marked(wb) -> set[tuple[str, str]]:
    return {(ws.title, c.coordinate) for ws in wb.worksheets[1:] for row in ws.iter_rows()
            for c in row if c.comment is not None and "Kiểm tra số liệu HTX" in c.comment.author}


def _assert_no_formula(path: Path) -> None:
    """No cell of any sheet is a formula, neither as openpyxl reads it nor in the XML."""
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", f"{ws.title}!{c.coordinate} is a formula"
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                assert not re.search(rb"<(\w+:)?f[ >/]", z.read(name)), name
        assert not any("vbaProject" in n or n.startswith("xl/externalLinks") for n in z.namelist())


TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _target(source: str, target: str) -> str:
    """A relationship's target as a part name (relative to its source part, or absolute)."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _source(rels: str) -> str:
    """'xl/worksheets/_rels/sheet1.xml.rels' -> 'xl/worksheets/sheet1.xml'; the package's
    own relationships -> ''."""
    folder, name = posixpath.split(rels)
    return posixpath.join(posixpath.dirname(folder), name[:-len(".rels")]).lstrip(".")


def _assert_consistent(path: Path) -> None:
    """What Excel would repair or refuse: a part without content type, a content type or a
    relationship naming a part that is not there, a name twice; a calculation chain pointing
    at formulas that are gone; a workbook typed as macro-enabled."""
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if not n.endswith("/")]
        types = etree.fromstring(z.read("[Content_Types].xml"))
        rels = {n: etree.fromstring(z.read(n)) for n in names if n.endswith(".rels")}
    assert len(names) == len(set(names))
    overrides = {o.get("PartName").lstrip("/"): o.get("ContentType")
                 for o in types.iter(TYPES + "Override")}
    defaults = {d.get("Extension").lower() for d in types.iter(TYPES + "Default")}
    assert set(overrides) <= set(names), set(overrides) - set(names)
    assert all(n in overrides or n.rsplit(".", 1)[-1].lower() in defaults for n in names)
    for name, tree in rels.items():
        assert _source(name) in names + [""], name
        ids = [rel.get("Id") for rel in tree.iter(RELS + "Relationship")]
        assert len(ids) == len(set(ids)), name
        for rel in tree.iter(RELS + "Relationship"):
            if rel.get("TargetMode") != "External":
                assert _target(_source(name), rel.get("Target")) in names, (name, rel.attrib)
    main = next(_target("", r.get("Target")) for r in rels["_rels/.rels"]
                if r.get("Type").endswith("/officeDocument"))
    assert overrides[main] == XLSX_MAIN
    assert not any("calcChain" in t or "macroEnabled" in t for t in overrides.values())
    assert not any("calcchain" in n.lower() or "vbaproject" in n.lower() for n in names)


def _assert_marks(wb, failures: pd.DataFrame) -> None:
    """Every failure with a cell: filled by the worst severity on that cell, and its message
    and rule in the cell's comment."""
    with_cell = failures[failures["cell"].notna()]
    worst: dict[str, str] = {}
    for rec in with_cell.to_dict("records"):
        status = _status(rec)
        if rec["cell"] not in worst or RANK[status] < RANK[worst[rec["cell"]]]:
            worst[rec["cell"]] = status
    for rec in with_cell.to_dict("records"):
        sheet, coordinate = _split(rec["cell"])
        cell = wb[sheet][coordinate]
        assert cell.fill.fill_type == "solid"
        assert cell.fill.fgColor.rgb == COLORS[worst[rec["cell"]]], rec["cell"]
        assert rec["message_vi"] in cell.comment.text and rec["rule_code"] in cell.comment.text
        if _status(rec) == "waived":
            assert "đã được chấp nhận" in cell.comment.text.lower()
    assert _marked(wb) == {_split(c) for c in with_cell["cell"]}


def _assert_list(wb, failures: pd.DataFrame) -> None:
    """The first sheet lists every failure, each cell a link to itself in the workbook."""
    assert wb.sheetnames[0] == FEEDBACK_SHEET and wb.active.title == FEEDBACK_SHEET
    assert [c.value for c in wb.worksheets[0][LIST_HEADER_ROW]] == list(LIST_HEADERS)
    listed = _listed(wb)
    assert set(listed) == set(failures["failure_id"])
    assert len(listed) == len(failures)
    for rec in failures.to_dict("records"):
        line = listed[rec["failure_id"]]
        assert line[SEVERITY - 1].value == LABELS[_status(rec)]
        assert rec["message_vi"] in line[LIST_HEADERS.index("Nội dung cần sửa")].value
        assert line[LIST_HEADERS.index("Mã quy tắc")].value == rec["rule_code"]
        link = line[CELL_COLUMN - 1].hyperlink
        if not isinstance(rec["cell"], str):
            assert link is None
            continue
        sheet, coordinate = _split(rec["cell"])
        assert line[CELL_COLUMN - 1].value == rec["cell"]
        assert link.location == f"{quote_sheetname(sheet)}!{coordinate}" and not link.target
        assert wb[sheet][coordinate].comment is not None  # the link lands on the marked cell


def _assert_unchanged(original: dict, feedback_path: Path) -> None:
    """Every original sheet is there, in order, every cell holding its original value."""
    feedback = _sheet_values(feedback_path)
    assert list(feedback)[1:] == list(original)
    for sheet, cells in original.items():
        for coordinate, value in cells.items():
            assert feedback[sheet].get(coordinate) == value, f"{sheet}!{coordinate}"
        extra = {k for k, v in feedback[sheet].items() if v is not None} - set(cells)
        assert not extra, f"{sheet}: values added at {sorted(extra)[:5]}"


def _plain(value: object) -> object:
    """A grid value as openpyxl reads it back (dates as datetimes, empty as None)."""
    if value == "":
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    return value


def _grid_values(path: Path) -> dict[str, dict[tuple[int, int], object]]:
    return {g.name: {(r + 1, c + 1): _plain(v) for r, row in enumerate(g.rows)
                     for c, v in enumerate(row) if _plain(v) is not None}
            for g in read_book(path).grids}


# --- the demo province ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_feedback(demo, tmp_path_factory) -> list[tuple[dict, pd.DataFrame, Path]]:
    """The feedback workbook of every rejected or flagged demo return."""
    out = tmp_path_factory.mktemp("feedback")
    submissions = demo.consolidation.query(
        "SELECT s.*, u.name AS district_name FROM raw.submissions s "
        "LEFT JOIN ref.reporting_units u ON u.code = s.district_code "
        "WHERE s.status = 'rejected' OR (s.status = 'accepted' AND s.warnings > 0) "
        "ORDER BY s.district_code")
    made = []
    for sub in submissions.to_dict("records"):
        failures = demo.consolidation.query(
            "SELECT * FROM quality.validation_failures WHERE file_hash = ?", [sub["file_hash"]])
        original = Path(sub["archived_path"])
        if not original.is_absolute():
            original = demo.consolidation.root / original
        sub["original"] = original
        path = write_feedback(original, failures, out, district_name=sub["district_name"],
                              period=sub["period"], file_name=sub["file_name"])
        made.append((sub, failures, path))
    return made


def test_demo_has_rejected_and_flagged_returns(demo_feedback):
    statuses = {sub["status"] for sub, _, _ in demo_feedback}
    assert statuses == {"rejected", "accepted"}
    for sub, failures, path in demo_feedback:
        assert len(failures) > 0
        assert path.name == feedback_name(sub["district_code"], sub["period"], sub["file_name"])
        assert path.name.startswith(f"{sub['district_code']}_{sub['period']}_phan_hoi_")


def test_demo_every_failure_marked_at_its_cell(demo_feedback):
    for _, failures, path in demo_feedback:
        _assert_marks(load_workbook(path), failures)


def test_demo_first_sheet_lists_every_failure_with_links(demo_feedback):
    for sub, failures, path in demo_feedback:
        wb = load_workbook(path)
        _assert_list(wb, failures)
        heading = wb.worksheets[0].cell(UNIT_ROW, 1).value
        for part in (sub["district_name"], period_from_code(sub["period"]).label_vi,
                     sub["file_name"]):
            assert part in heading


def test_demo_values_and_formatting_otherwise_unchanged(demo_feedback):
    for sub, _, path in demo_feedback:
        _assert_unchanged(_sheet_values(sub["original"]), path)
        original, feedback = load_workbook(sub["original"]), load_workbook(path)
        marked = _marked(feedback)
        for ws in original.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    f = feedback[ws.title][c.coordinate]
                    assert f.number_format == c.number_format
                    assert copy.copy(f.font) == copy.copy(c.font)
                    assert copy.copy(f.alignment) == copy.copy(c.alignment)
                    if (ws.title, c.coordinate) not in marked:
                        assert copy.copy(f.fill) == copy.copy(c.fill) and f.comment is None
            assert feedback[ws.title].sheet_state == ws.sheet_state


def test_demo_feedback_has_no_formula(demo_feedback):
    for _, _, path in demo_feedback:
        _assert_no_formula(path)


def test_demo_feedback_is_a_consistent_package_in_the_original_order(demo_feedback):
    """Every member of the district's file is there, in its order; new ones come after."""
    for sub, _, path in demo_feedback:
        _assert_consistent(path)
        with zipfile.ZipFile(sub["original"]) as z:
            before = z.namelist()
        with zipfile.ZipFile(path) as z:
            after = z.namelist()
        assert after[:len(before)] == before and len(after) > len(before)


# --- formula safety ---------------------------------------------------------------------------

FORMULA_LIKE_TEXT = {  # (row index, field) -> text typed by the district
    (0, "name"): '=HYPERLINK("http://x")',
    (1, "note"): "+84 912 345 678",
    (2, "commune"): "-",
    (3, "note"): "@abc",
    (4, "name"): "=1+1",
}
REAL_FORMULAS = {  # (row index, field) -> (formula, cached value)
    (0, "revenue"): ("=2000+150", 2150),
    (5, "name"): ('=HYPERLINK("http://evil.example","Quỹ tín dụng")', "Quỹ tín dụng"),
    (6, "note"): ('="=cmd|\' /C calc\'!A0"', "=cmd|' /C calc'!A0"),  # result looks like one
}


def _formula_return(folder: Path) -> Path:
    """A return with formula-like text and real formulas with cached values (xlsxwriter)."""
    book = template_book(PERIOD)
    roster = book[ROSTER.name]
    for (i, name), text in FORMULA_LIKE_TEXT.items():
        _, coordinate = _split(field_cell(ROSTER.name, name, i))
        roster.cells[_rc(coordinate)] = XCell(text)
    for (i, name), (formula, cached) in REAL_FORMULAS.items():
        _, coordinate = _split(field_cell(ROSTER.name, name, i))
        roster.cells[_rc(coordinate)] = XCell(cached, formula=formula)
    return write_xlsxwriter(book, folder / "formula_like.xlsx")


def _rc(coordinate: str) -> tuple[int, int]:
    from openpyxl.utils.cell import coordinate_to_tuple

    return coordinate_to_tuple(coordinate)


def _failures(*failures: Failure, waived: tuple[int, ...] = ()) -> pd.DataFrame:
    frame = failures_frame(list(failures), "0" * 64)
    frame["waived"] = [i in waived for i in range(len(frame))]
    return frame


def test_formula_like_text_and_formulas_come_out_as_text_or_values(tmp_path):
    original = _formula_return(tmp_path / "in")
    name_cell = field_cell(ROSTER.name, "name", 0)
    failures = _failures(
        Failure("VALUE_REQUIRED", ROSTER.name, 5, "name", name_cell, '=HYPERLINK("http://x")'),
        Failure("VALUE_NEGATIVE", ROSTER.name, 6, "profit", field_cell(ROSTER.name, "profit", 1),
                "-45,5"),
        Failure("MACROS_IGNORED", value="@SUM(A1)"),
    )
    path = write_feedback(original, failures, tmp_path / "out", district_name="Huyện Mai Sơn",
                          period=PERIOD.code, file_name="=evil.xlsx", district_code="125")
    _assert_no_formula(path)
    wb = load_workbook(path)
    roster = wb[ROSTER.name]
    for (i, name), text in FORMULA_LIKE_TEXT.items():
        c = roster[_split(field_cell(ROSTER.name, name, i))[1]]
        assert (c.value, c.data_type) == (text, "s")
    for (i, name), (_, cached) in REAL_FORMULAS.items():
        c = roster[_split(field_cell(ROSTER.name, name, i))[1]]
        assert c.value == cached and c.data_type in ("n", "s")
    listed = wb.worksheets[0]
    texts = {c.value for row in listed.iter_rows() for c in row if isinstance(c.value, str)}
    assert {'=HYPERLINK("http://x")', "-45,5", "@SUM(A1)"} <= texts
    _assert_marks(wb, failures)
    _assert_list(wb, failures)
    _assert_unchanged(_sheet_values(original), path)


def test_formula_without_cached_value_comes_out_as_its_text(tmp_path):
    """openpyxl writes formulas with no cached value: the feedback shows the formula text."""
    original = write_template_version(tmp_path / "in.xlsx", PERIOD)
    wb = load_workbook(original)
    total = field_cell(TOTALS.name, "total_coops")
    sheet, coordinate = _split(total)
    wb[sheet][coordinate] = "=COUNTA(DS_HTX!B5:B12)"
    wb.save(original)
    failures = _failures(Failure("TOTAL_MISMATCH", sheet, 3, "total_coops", total, "?"))
    path = write_feedback(original, failures, tmp_path / "out", district_name="Huyện Mai Sơn",
                          period=PERIOD.code, file_name="in.xlsx", district_code="125")
    _assert_no_formula(path)
    c = load_workbook(path)[sheet][coordinate]
    assert (c.value, c.data_type) == ("=COUNTA(DS_HTX!B5:B12)", "s")
    _assert_unchanged(_formula_fallback(_sheet_values(original), original), path)


# --- formats and layouts the districts send ---------------------------------------------------

MEMBERS = field_cell(ROSTER.name, "members", 2)
PROFIT = field_cell(ROSTER.name, "profit", 1)
DECLARED = field_cell(TOTALS.name, "total_coops")


def _mixed_failures() -> pd.DataFrame:
    """An error and a warning on one cell, a waived failure, a sheet-level and a file-level
    failure, and one whose cell is not in the file."""
    return _failures(
        Failure("MEMBERS_BELOW_MINIMUM", ROSTER.name, 7, "members", MEMBERS, "3"),
        Failure("VALUE_NEGATIVE", ROSTER.name, 7, "members", MEMBERS, "-3"),
        Failure("PROFIT_ABOVE_REVENUE", ROSTER.name, 6, "profit", PROFIT, "-45,5"),
        Failure("TOTAL_MISMATCH", TOTALS.name, 3, "total_coops", DECLARED, "8"),
        Failure("SHEET_DUPLICATE", ROSTER.name),
        Failure("MACROS_IGNORED"),
        waived=(3,),
    )


BUILDERS = [xls_saved_by_excel_97_2003, ods_saved_by_libreoffice, tcvn3_text_in_a_legacy_xls,
            macro_enabled_xlsm, xlsx_saved_by_another_producer, formulas_with_cached_values,
            headers_over_two_rows_with_merged_cells]


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__)
def test_variants_are_marked_and_keep_their_values(build, tmp_path):
    original = build(tmp_path / "in", PERIOD)
    failures = _mixed_failures()
    path = write_feedback(original, failures, tmp_path / "out", district_name="Huyện Mai Sơn",
                          period=PERIOD.code, file_name=original.name, district_code="125")
    assert path.suffix == ".xlsx" and path.parent == tmp_path / "out"
    assert path.name == f"125_{PERIOD.code}_phan_hoi_{original.stem}.xlsx"
    _assert_no_formula(path)
    _assert_consistent(path)
    wb = load_workbook(path)
    kept = original.suffix in (".xlsx", ".xlsm")
    format_note = wb.worksheets[0].cell(FORMAT_ROW, 1).value
    assert (format_note is None) == kept
    if not kept:
        assert original.suffix in format_note
    _assert_list(wb, failures)
    _assert_marks(wb, failures)
    members = wb[ROSTER.name][_split(MEMBERS)[1]]
    assert members.fill.fgColor.rgb == COLORS["error"]  # the worst of error and warning
    assert wb[TOTALS.name][_split(DECLARED)[1]].fill.fgColor.rgb == COLORS["waived"]
    if kept:
        _assert_unchanged(_sheet_values(original), path)
    else:
        _assert_grid_unchanged(original, path)


def _assert_grid_unchanged(original: Path, path: Path) -> None:
    """An .xls/.ods: the same sheets in order, the same value at every position."""
    grids = _grid_values(original)
    feedback = load_workbook(path)
    assert feedback.sheetnames[1:] == list(grids)
    for sheet, cells in grids.items():
        ws = feedback[sheet]
        found = {(c.row, c.column): c.value for row in ws.iter_rows() for c in row
                 if c.value is not None}
        assert found == cells, sheet


def test_cell_inside_a_merged_range_is_marked_on_its_first_cell(tmp_path):
    original = headers_over_two_rows_with_merged_cells(tmp_path / "in", PERIOD)
    covered = f"{ROSTER.name}!H4"  # the "Số thành viên" header is merged over H3:H4
    failures = _failures(Failure("COLUMN_MISSING", ROSTER.name, 4, "members", covered, "x"))
    path = write_feedback(original, failures, tmp_path / "out", district_name="Huyện Mai Sơn",
                          period=PERIOD.code, file_name=original.name, district_code="125")
    wb = load_workbook(path)
    assert _marked(wb) == {(ROSTER.name, "H3")}
    assert wb[ROSTER.name]["H3"].fill.fgColor.rgb == COLORS["error"]
    line = _listed(wb)[failures["failure_id"][0]]
    assert line[CELL_COLUMN - 1].hyperlink.location == f"'{ROSTER.name}'!H4"
    _assert_unchanged(_sheet_values(original), path)


def test_cell_missing_from_the_file_is_listed_without_link(tmp_path):
    original = xls_saved_by_excel_97_2003(tmp_path / "in", PERIOD)
    failures = _failures(Failure("VALUE_REQUIRED", "Khong_co", 5, "name", "Khong_co!C5", ""))
    path = write_feedback(original, failures, tmp_path / "out", district_name="Huyện Mai Sơn",
                          period=PERIOD.code, file_name=original.name, district_code="125")
    line = _listed(load_workbook(path))[failures["failure_id"][0]]
    assert line[CELL_COLUMN - 1].value == "Khong_co!C5" and line[CELL_COLUMN - 1].hyperlink is None
    assert "không tìm thấy" in line[LIST_HEADERS.index("Nội dung cần sửa")].value


def test_no_failure_still_writes_a_feedback(tmp_path):
    original = write_template_version(tmp_path / "in.xlsx", PERIOD)
    path = write_feedback(original, _failures(), tmp_path / "out", district_name="Huyện Mai Sơn",
                          period=PERIOD.code, file_name="in.xlsx", district_code="125")
    assert _listed(load_workbook(path)) == {}
    _assert_unchanged(_sheet_values(original), path)


def test_feedback_name_is_plain_ascii():
    assert feedback_name("125", "2023S1", "Báo cáo HTX Đợt 1.xls") == \
        "125_2023S1_phan_hoi_Bao_cao_HTX_Dot_1.xlsx"
    assert feedback_name("116", "2023", "116_2023.xlsx") == "116_2023_phan_hoi_116_2023.xlsx"


# --- the package as Excel reads it ------------------------------------------------------------
# openpyxl reads back marks, comments and links; these check what it would not notice.

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml."
PRINT_AREA = "A1:C10"


def _feedback_of(original: Path, failures: pd.DataFrame, out: Path) -> Path:
    return write_feedback(original, failures, out, district_name="Huyện Mai Sơn",
                          period=PERIOD.code, file_name=original.name, district_code="125")


def _links_chain_and_print_area(folder: Path) -> Path:
    """An .xlsx with a print area on the totals sheet, a formula, a calculation chain and a
    link to another workbook (a part, its relationship, a name using it)."""
    path = write_template_version(folder / "links.xlsx", PERIOD)
    wb = load_workbook(path)
    wb[TOTALS.name].print_area = PRINT_AREA
    wb[TOTALS.name]["F1"] = "=1+1"
    wb.save(path)
    link = (f'<externalLink xmlns="{MAIN}" xmlns:r="{REL[:-1]}"><externalBook r:id="rId1">'
            '<sheetNames><sheetName val="Sheet1"/></sheetNames></externalBook></externalLink>')
    link_rels = (f'<Relationships xmlns="{RELS[1:-1]}"><Relationship Id="rId1" '
                 f'Type="{REL}externalLinkPath" Target="file:///C:/khac.xlsx" '
                 'TargetMode="External"/></Relationships>')
    return _edit_zip(path, {
        "[Content_Types].xml": lambda x: x.replace("</Types>", (
            f'<Override PartName="/xl/calcChain.xml" ContentType="{CT}calcChain+xml"/>'
            '<Override PartName="/xl/externalLinks/externalLink1.xml" '
            f'ContentType="{CT}externalLink+xml"/></Types>')),
        "xl/_rels/workbook.xml.rels": lambda x: x.replace("</Relationships>", (
            f'<Relationship Id="rIdCalc" Type="{REL}calcChain" Target="calcChain.xml"/>'
            f'<Relationship Id="rIdLink" Type="{REL}externalLink" '
            'Target="externalLinks/externalLink1.xml"/></Relationships>')),
        "xl/workbook.xml": lambda x: x.replace("<definedNames>", (
            f'<externalReferences><externalReference xmlns:r="{REL[:-1]}" r:id="rIdLink"/>'
            '</externalReferences><definedNames><definedName name="Khac">[1]Sheet1!$A$1'
            "</definedName>")),
    }, add={"xl/calcChain.xml": f'<calcChain xmlns="{MAIN}"><c r="F1" i="5"/></calcChain>',
            "xl/externalLinks/externalLink1.xml": link,
            "xl/externalLinks/_rels/externalLink1.xml.rels": link_rels})


def test_links_and_calculation_chain_go_and_a_print_area_stays_on_its_sheet(tmp_path):
    original = _links_chain_and_print_area(tmp_path / "in")
    assert "Khac" in load_workbook(original).defined_names  # the fixture has what it says
    path = _feedback_of(original, _mixed_failures(), tmp_path / "out")
    _assert_consistent(path)
    _assert_no_formula(path)
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode()
    assert "externalReference" not in workbook and "[1]" not in workbook
    wb = load_workbook(path)
    assert "Khac" not in wb.defined_names
    assert wb[TOTALS.name].print_area == f"'{TOTALS.name}'!$A$1:$C$10"
    assert all(not ws.print_area for ws in wb.worksheets if ws.title != TOTALS.name)
    assert wb[TOTALS.name]["F1"].value == "=1+1" and wb[TOTALS.name]["F1"].data_type == "s"
    _assert_marks(wb, _mixed_failures())
    _assert_list(wb, _mixed_failures())


def _note_boxes(path: Path, sheet: str) -> list[tuple[int, int]]:
    """(row, column) of every note box in the sheet's legacy drawing, 1-based."""
    member = _sheet_member(path, sheet)
    folder, name = posixpath.split(member)
    with zipfile.ZipFile(path) as z:
        rels = etree.fromstring(z.read(f"{folder}/_rels/{name}.rels"))
        vml = next(_target(member, r.get("Target")) for r in rels
                   if r.get("Type") == REL + "vmlDrawing")
        root = etree.fromstring(z.read(vml))
    x = "{urn:schemas-microsoft-com:office:excel}"
    return [(int(d.find(x + "Row").text) + 1, int(d.find(x + "Column").text) + 1)
            for d in root.iter(x + "ClientData")]


def test_a_comment_of_the_district_stays_and_joins_the_marks_on_its_cell(tmp_path):
    original = write_template_version(tmp_path / "in.xlsx", PERIOD)
    wb = load_workbook(original)
    roster = wb[ROSTER.name]
    marked, other = _split(MEMBERS)[1], _split(PROFIT)[1]
    roster[marked].comment = Comment("Số liệu tạm tính", "Cán bộ huyện")
    roster[other].comment = Comment("Đã đối chiếu sổ sách", "Cán bộ huyện")
    wb.save(original)
    failures = _failures(Failure("MEMBERS_BELOW_MINIMUM", ROSTER.name, 7, "members", MEMBERS,
                                 "3"))
    path = _feedback_of(original, failures, tmp_path / "out")
    _assert_consistent(path)
    roster = load_workbook(path)[ROSTER.name]
    assert (roster[other].comment.text, roster[other].comment.author) == \
        ("Đã đối chiếu sổ sách", "Cán bộ huyện")
    note = roster[marked].comment
    assert note.author == COMMENT_AUTHOR and failures["message_vi"][0] in note.text
    assert note.text.endswith("\n\nGhi chú của đơn vị: Số liệu tạm tính")
    assert sorted(_note_boxes(path, ROSTER.name)) == sorted(
        (roster[c].row, roster[c].column) for c in (marked, other))


def _without_implicit_refs(xml: str) -> str:
    """The sheet with row 8 and cell C10 removed, and no `r` on every row and cell whose
    place follows from the one before it (as some writers leave them)."""
    root = etree.fromstring(xml.encode())
    data = root.find(f"{{{MAIN}}}sheetData")
    for row in data:
        if row.get("r") == "8":
            data.remove(row)
        for c in row:
            if c.get("r") == "C10":
                row.remove(c)
    last_row = 0
    for row in data:
        if int(row.get("r")) == last_row + 1:
            del row.attrib["r"]
        last_row, last_col = last_row + 1 if "r" not in row.attrib else int(row.get("r")), 0
        for c in row:
            col = _rc(c.get("r"))[1]
            if col == last_col + 1:
                del c.attrib["r"]
            last_col = col
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode()


def test_rows_and_cells_without_a_reference_are_marked_where_they_stand(tmp_path):
    original = write_template_version(tmp_path / "in.xlsx", PERIOD)
    member = _sheet_member(original, ROSTER.name)
    _edit_zip(original, {member: _without_implicit_refs})
    with zipfile.ZipFile(original) as z:
        xml = z.read(member).decode()
    assert '<row r="9"' in xml and '<c r="D10"' in xml and "<row>" in xml and "<c s=" in xml
    cells = {"H7": "an existing cell", "Z7": "a new cell at the end of a row",
             "C8": "a new row between rows", "C10": "a new cell between cells",
             "B200": "a new row at the end"}
    failures = _failures(*(Failure("VALUE_REQUIRED", ROSTER.name, 7, "name",
                                   f"{ROSTER.name}!{c}", what) for c, what in cells.items()))
    path = _feedback_of(original, failures, tmp_path / "out")
    _assert_consistent(path)
    wb = load_workbook(path)
    assert _marked(wb) == {(ROSTER.name, c) for c in cells}
    _assert_marks(wb, failures)
    _assert_unchanged(_sheet_values(original), path)


IGNORABLE = (b'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
             b'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" '
             b'mc:Ignorable="x14ac"')


def _prefixed(xml: str) -> str:
    """The sheet written with the main namespace under the prefix x: (<x:c>, <x:row> …),
    and a namespace that only mc:Ignorable names, as Excel declares x14ac."""
    xml = re.sub(r"<(/?)([A-Za-z]\w*)(?=[\s/>])", r"<\1x:\2", xml)
    return xml.replace(f'xmlns="{MAIN}"', f'xmlns:x="{MAIN}" {IGNORABLE.decode()}')


def test_a_sheet_with_prefixed_elements_is_marked_and_keeps_its_namespaces(tmp_path):
    original = write_template_version(tmp_path / "in.xlsx", PERIOD)
    member = _sheet_member(original, ROSTER.name)
    _edit_zip(original, {member: _prefixed})
    failures = _mixed_failures()
    path = _feedback_of(original, failures, tmp_path / "out")
    _assert_consistent(path)
    with zipfile.ZipFile(path) as z:
        xml = z.read(member)
    assert b"<x:c " in xml and b"<x:legacyDrawing " in xml and b"<c " not in xml
    assert all(part in xml for part in IGNORABLE.split())
    wb = load_workbook(path)
    _assert_marks(wb, failures)
    _assert_unchanged(_sheet_values(original), path)


SHARED = ('<row r="100"><c r="A100"><f t="shared" ref="A100:C100" si="7">A99+1</f></c>'
          '<c r="B100"><f t="shared" si="7"/></c>'
          '<c r="C100" t="str"><f t="shared" si="7"/><v>=C99+1</v></c>'
          '<c r="D100"><f t="array" ref="D100">SUM(A1:A3*2)</f><v>12</v></c></row>')


def _feedback_with_rows(tmp_path: Path, rows: str) -> Path:
    """The feedback of a template return with `rows` (XML) added to its totals sheet; it
    holds no formula."""
    original = write_template_version(tmp_path / "in.xlsx", PERIOD)
    _edit_zip(original, {_sheet_member(original, TOTALS.name):
                         lambda x: x.replace("</sheetData>", rows + "</sheetData>")})
    path = _feedback_of(original, _failures(), tmp_path / "out")
    _assert_no_formula(path)
    return path


def test_shared_formulas_with_no_cached_value_come_out_as_their_own_text(tmp_path):
    """A shared formula's dependent holds no text: its text is the master's, moved to it."""
    totals = load_workbook(_feedback_with_rows(tmp_path, SHARED))[TOTALS.name]
    assert [(c.value, c.data_type) for c in totals[100][:4]] == [
        ("=A99+1", "s"), ("=B99+1", "s"), ("=C99+1", "s"), (12, "n")]


def test_a_formula_left_anywhere_in_a_sheet_stops_the_feedback(tmp_path):
    """The last check reads the written XML: a formula the editor did not expect (here
    straight in a row) is refused, and no file is left behind."""
    original = write_template_version(tmp_path / "in.xlsx", PERIOD)
    _edit_zip(original, {_sheet_member(original, TOTALS.name): lambda x: x.replace(
        "</sheetData>", '<row r="100"><f>1+1</f></row></sheetData>')})
    with pytest.raises(RuntimeError, match="formula"):
        _feedback_of(original, _failures(), tmp_path / "out")
    assert not list((tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else True


def _without_styles(folder: Path) -> Path:
    """An .xlsx with no styles part at all (some writers leave it out)."""
    path = write_template_version(folder / "no_styles.xlsx", PERIOD)
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    unstyled = {n: lambda x: re.sub(r' (s|style)="\d+"', "", x) for n in sheets}
    _edit_zip(path, {
        **unstyled,
        "[Content_Types].xml": lambda x: re.sub(r'<Override PartName="/xl/styles.xml"[^>]*/>',
                                                "", x),
        "xl/_rels/workbook.xml.rels": lambda x: re.sub(r'<Relationship[^>]*/styles"[^>]*/>',
                                                       "", x),
    })
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(folder / "in.xlsx", "w") as out:
        for name in z.namelist():
            if name != "xl/styles.xml":
                out.writestr(name, z.read(name))
    return folder / "in.xlsx"


def test_a_workbook_without_styles_gets_a_minimal_one(tmp_path):
    original = _without_styles(tmp_path)
    failures = _mixed_failures()
    path = _feedback_of(original, failures, tmp_path / "out")
    _assert_consistent(path)
    wb = load_workbook(path)
    _assert_marks(wb, failures)
    _assert_list(wb, failures)
    assert wb.worksheets[0]["A1"].font.b and wb.worksheets[0]["A1"].font.sz == 14
    _assert_unchanged(_sheet_values(original), path)


def test_text_xml_cannot_hold_is_left_out(tmp_path):
    original = write_template_version(tmp_path / "in.xlsx", PERIOD)
    failures = _failures(Failure("VALUE_REQUIRED", ROSTER.name, 7, "members", MEMBERS,
                                 "=1\x00+\x0b1"))
    failures["message_vi"] = "Thiếu\x1f số\x08 liệu"
    path = _feedback_of(original, failures, tmp_path / "out")
    wb = load_workbook(path)
    line = _listed(wb)[failures["failure_id"][0]]
    assert line[LIST_HEADERS.index("Giá trị tìm thấy")].value == "=1+1"
    assert line[LIST_HEADERS.index("Nội dung cần sửa")].value == "Thiếu số liệu"
    assert "Thiếu số liệu" in wb[ROSTER.name][_split(MEMBERS)[1]].comment.text


TEMPLATE_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml"


def test_a_template_comes_back_as_a_plain_workbook(tmp_path):
    original = write_template_version(tmp_path / "in.xltx", PERIOD)
    _edit_zip(original, {"[Content_Types].xml": lambda x: x.replace(XLSX_MAIN, TEMPLATE_MAIN)})
    path = _feedback_of(original, _mixed_failures(), tmp_path / "out")
    assert path.suffix == ".xlsx"
    _assert_consistent(path)  # typed as a workbook
    _assert_marks(load_workbook(path), _mixed_failures())


def test_workbooks_written_aside_are_put_in_place_and_leftovers_removed(tmp_path):
    """A run writes its workbooks aside while its warehouse is built, then puts them in
    place; what an interrupted run left aside is removed by the next one."""
    from outputs.feedback import aside_folder, clear_aside, put_in_place

    left = aside_folder(tmp_path, "interrupted") / PERIOD.code / "old.xlsx"
    left.parent.mkdir(parents=True)
    left.write_bytes(b"half")
    clear_aside(tmp_path)
    aside = aside_folder(tmp_path, "run-2")
    assert not left.exists() and aside.parent == tmp_path / "feedback"
    original = write_template_version(tmp_path / "in.xlsx", PERIOD)
    written = write_feedback(original, _failures(), aside / PERIOD.code,
                             district_name="Huyện Mai Sơn", period=PERIOD.code,
                             file_name="in.xlsx", district_code="125")
    (placed,) = put_in_place([written], tmp_path, "run-2")
    assert placed == tmp_path / "feedback" / PERIOD.code / written.name
    assert load_workbook(placed).sheetnames[0] == FEEDBACK_SHEET
    assert sorted(p.name for p in (tmp_path / "feedback").iterdir()) == [PERIOD.code]


def test_a_workbook_that_cannot_be_written_does_not_stop_the_others(tmp_path, caplog):
    from flows.steps import write_feedback_workbooks

    good = write_template_version(tmp_path / "good.xlsx", PERIOD)
    gone = tmp_path / "gone.xlsx"  # archived once, missing now
    jobs = [{"archived_path": str(p), "failures": _failures().to_dict("records"),
             "period": PERIOD.code, "district_name": "Huyện Mai Sơn", "file_name": p.name,
             "district_code": "125"} for p in (gone, good)]
    written = write_feedback_workbooks(jobs, tmp_path / "reports", "run")
    assert [p.name for p in written] == [f"125_{PERIOD.code}_phan_hoi_good.xlsx"]
    assert "gone.xlsx" in caplog.text


EMPTY_RESULT = ('<row r="100"><c r="A100" t="str"><f>IF(1=1,"","x")</f><v></v></c>'
                '<c r="B100"><f>1+1</f><v></v></c></row>')


def test_a_formula_whose_result_is_empty_text_stays_an_empty_cell(tmp_path):
    """LibreOffice and Excel store an empty text result as t="str" with an empty value:
    the district saw an empty cell, so does the feedback (an empty value without a type is
    how openpyxl writes a formula it never computed: its text is shown)."""
    totals = load_workbook(_feedback_with_rows(tmp_path, EMPTY_RESULT))[TOTALS.name]
    assert totals["A100"].value is None
    assert (totals["B100"].value, totals["B100"].data_type) == ("=1+1", "s")


def test_marks_never_land_on_the_two_reserved_fills(tmp_path):
    """Fills 0 and 1 are 'none' and 'gray125' whatever a styles part says (Excel ignores
    anything else there): a part with a single fill is completed before marks are added."""
    original = write_template_version(tmp_path / "in.xlsx", PERIOD)
    _edit_zip(original, {"xl/styles.xml": lambda x: re.sub(
        r'<fills count="\d+">.*?</fills>',
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>', x)})
    failures = _mixed_failures()
    path = _feedback_of(original, failures, tmp_path / "out")
    _assert_consistent(path)
    with zipfile.ZipFile(path) as z:
        styles = z.read("xl/styles.xml").decode()
    fills = re.search(r"<fills[^>]*>(.*?)</fills>", styles, re.S)[1]
    assert re.findall(r'patternType="(\w+)"', fills)[:2] == ["none", "gray125"]
    wb = load_workbook(path)
    _assert_marks(wb, failures)
    cell = wb[ROSTER.name][_split(MEMBERS)[1]]
    assert cell.style_id and wb._cell_styles[cell.style_id].fillId >= 2


def test_names_using_a_table_column_are_kept_and_only_links_to_other_workbooks_go(tmp_path):
    original = write_template_version(tmp_path / "in.xlsx", PERIOD)
    names = ('<definedNames><definedName name="Nam2023">Bang1[2023]</definedName>'
             '<definedName name="Khac">\'[1]Sheet 1\'!$A$1</definedName></definedNames>')
    _edit_zip(original, {"xl/workbook.xml": lambda x: re.sub(
        r"<definedNames>.*?</definedNames>|(?=<calcPr)", names, x, count=1)})
    with zipfile.ZipFile(original) as z:
        assert "Nam2023" in z.read("xl/workbook.xml").decode()  # the fixture has both
    path = _feedback_of(original, _failures(), tmp_path / "out")
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode()
    assert "Bang1[2023]" in workbook and "Khac" not in workbook


MACROSHEET_REL = "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet"


def _with_macro_sheet(folder: Path) -> Path:
    """A return carrying an Excel 4.0 macro sheet (XLM macros, run by an Auto_Open name)
    with a name local to it, and a print area on the sheet after it."""
    path = write_template_version(folder / "xlm.xlsx", PERIOD)
    wb = load_workbook(path)
    wb[TOTALS.name].print_area = PRINT_AREA
    wb.save(path)
    last = len(load_workbook(path).sheetnames)  # Macro1 comes after every other sheet
    macro = (f'<xm:macrosheet xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main" '
             f'xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="str"><f>EXEC("calc")</f>'
             "<v>x</v></c></row></sheetData></xm:macrosheet>")
    return _edit_zip(path, {
        "[Content_Types].xml": lambda x: x.replace("</Types>", (
            '<Override PartName="/xl/macrosheets/sheet1.xml" '
            'ContentType="application/vnd.ms-excel.macrosheet+xml"/></Types>')),
        "xl/_rels/workbook.xml.rels": lambda x: x.replace("</Relationships>", (
            f'<Relationship Id="rIdXlm" Type="{MACROSHEET_REL}" '
            'Target="macrosheets/sheet1.xml"/></Relationships>')),
        "xl/workbook.xml": lambda x: x.replace("</sheets>", (
            f'<sheet xmlns:r="{REL[:-1]}" name="Macro1" sheetId="99" r:id="rIdXlm"/></sheets>'
        )).replace("<definedNames>", (
            '<definedNames><definedName name="Auto_Open">Macro1!$A$1</definedName>'
            f'<definedName name="Rieng" localSheetId="{last}">$A$2</definedName>')),
    }, add={"xl/macrosheets/sheet1.xml": macro})


def test_a_macro_sheet_goes_with_the_names_that_would_run_it(tmp_path):
    original = _with_macro_sheet(tmp_path / "in")
    with zipfile.ZipFile(original) as z:
        assert "Auto_Open" in z.read("xl/workbook.xml").decode()  # the fixture has what it says
    with pytest.raises(UnreadableFile, match="Excel 4.0 macro sheet"):  # calamine reads none
        read_book(original)
    path = _feedback_of(original, _failures(), tmp_path / "out")
    _assert_consistent(path)
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode()
        assert not any("macrosheet" in n for n in z.namelist())
    assert "Macro1" not in workbook and "Auto_Open" not in workbook and "Rieng" not in workbook
    wb = load_workbook(path)
    assert wb.sheetnames[0] == FEEDBACK_SHEET and "Macro1" not in wb.sheetnames
    assert wb[TOTALS.name].print_area == f"'{TOTALS.name}'!$A$1:$C$10"


# --- text that looks like a formula, everywhere the feedback writes it -------------------------
# "Text beginning with = + - @ in any cell the feedback writes stays text": the values it copies
# out of an .xls or .ods, the list of failures (value found, message, sheet, district, file
# name) and the comments. Stays text means: no formula in the package, the very text shown,
# and, where the feedback writes the district's own values, Excel's quote prefix, so that the
# text stays text when the district edits the cell.

LOOKS_LIKE_A_FORMULA = ['=HYPERLINK("http://x")', "+84 912 345 678", "-45,5", "@SUM(A1)",
                        "=1+1", "=cmd|' /C calc'!A0"]


def _book_with_formula_like_text():
    book = template_book(PERIOD)
    roster = book[ROSTER.name]
    placed = {}
    for i, text in enumerate(LOOKS_LIKE_A_FORMULA):
        _, coordinate = _split(field_cell(ROSTER.name, "note", i))
        roster.cells[_rc(coordinate)] = XCell(text)
        placed[coordinate] = text
    return book, placed


def _formula_like_failures() -> pd.DataFrame:
    frame = _failures(*(Failure("VALUE_NEGATIVE", ROSTER.name, 5 + i, "note",
                                field_cell(ROSTER.name, "note", i), text)
                        for i, text in enumerate(LOOKS_LIKE_A_FORMULA)),
                      Failure("MACROS_IGNORED", value="=2+2"))
    frame["message_vi"] = [f"{text} (sửa ô này)" for text in frame["value_found"]]
    frame["failure_id"] = [f"@{n}" for n in range(len(frame))]
    return frame


def _texts_in_package(path: Path) -> dict[str, list[str]]:
    """Every <t> text of every part, by part (shared and inline strings, comments)."""
    with zipfile.ZipFile(path) as z:
        return {name: [t.text or "" for t in etree.fromstring(z.read(name)).iter("{*}t")]
                for name in z.namelist() if name.endswith(".xml")}


@pytest.mark.parametrize("write", [write_xls, write_ods, write_xlsxwriter],
                         ids=["xls", "ods", "xlsx"])
def test_text_like_a_formula_stays_text_in_every_cell_the_feedback_writes(tmp_path, write):
    book, placed = _book_with_formula_like_text()
    original = write(book, tmp_path / f"in.{write.__name__.removeprefix('write_')}")
    failures = _formula_like_failures()
    path = write_feedback(original, failures, tmp_path / "out", district_name="=Huyện Mai Sơn",
                          period=PERIOD.code, file_name="-evil.xls", district_code="125")
    _assert_no_formula(path)
    wb = load_workbook(path)
    for coordinate, text in placed.items():  # the district's values, marked
        c = wb[ROSTER.name][coordinate]
        assert (c.value, c.data_type) == (text, "s"), coordinate
        if original.suffix in (".xls", ".ods"):  # written by the feedback: quote-prefixed
            assert c.quotePrefix, coordinate
        assert c.comment.text.startswith(f"[{LABELS['error']}] {text} (sửa ô này)")
    listed = {(c.row, c.column): c.value for row in wb.worksheets[0].iter_rows() for c in row}
    rows = range(LIST_HEADER_ROW + 1, LIST_HEADER_ROW + 1 + len(failures))
    found = LIST_HEADERS.index("Giá trị tìm thấy") + 1
    message = LIST_HEADERS.index("Nội dung cần sửa") + 1
    assert sorted(listed[r, found] for r in rows) == sorted(failures["value_found"])
    assert sorted(listed[r, message] for r in rows) == sorted(failures["message_vi"])
    assert sorted(listed[r, FAILURE_ID] for r in rows) == sorted(failures["failure_id"])
    assert listed[UNIT_ROW, 1].startswith("Đơn vị: =Huyện Mai Sơn")
    assert listed[UNIT_ROW, 1].endswith("Tệp gốc: -evil.xls")
    texts = [t for part in _texts_in_package(path).values() for t in part]
    for text in LOOKS_LIKE_A_FORMULA:
        assert text in texts  # the very text, as text, in the package
