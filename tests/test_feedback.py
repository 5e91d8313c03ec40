"""The feedback workbook sent back to a district (warehouse/feedback.py): the district's own
workbook with every failing cell marked and a first sheet listing what to fix, its values
otherwise unchanged, and never a formula in it."""

from __future__ import annotations

import copy
import datetime as dt
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import quote_sheetname

from contracts.return_form import ROSTER, TOTALS
from contracts.template import cell_ref
from tests.fixtures.returns import (
    XCell,
    formulas_with_cached_values,
    headers_over_two_rows_with_merged_cells,
    macro_enabled_xlsm,
    ods_saved_by_libreoffice,
    tcvn3_text_in_a_legacy_xls,
    template_book,
    write_template_version,
    write_xlsxwriter,
    xls_saved_by_excel_97_2003,
    xlsx_saved_by_another_producer,
)
from transforms.failures import Failure, failures_frame
from transforms.periods import period_from_code
from transforms.workbook import read_book
from warehouse.feedback import (
    CELL_COLUMN,
    COLORS,
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
        _, coordinate = _split(cell_ref(ROSTER.name, name, i))
        roster.cells[_rc(coordinate)] = XCell(text)
    for (i, name), (formula, cached) in REAL_FORMULAS.items():
        _, coordinate = _split(cell_ref(ROSTER.name, name, i))
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
    name_cell = cell_ref(ROSTER.name, "name", 0)
    failures = _failures(
        Failure("VALUE_REQUIRED", ROSTER.name, 5, "name", name_cell, '=HYPERLINK("http://x")'),
        Failure("VALUE_NEGATIVE", ROSTER.name, 6, "profit", cell_ref(ROSTER.name, "profit", 1),
                "-45,5"),
        Failure("MACROS_IGNORED", value="@SUM(A1)"),
    )
    path = write_feedback(original, failures, tmp_path / "out", district_name="Huyện Mai Sơn",
                          period=PERIOD.code, file_name="=evil.xlsx", district_code="125")
    _assert_no_formula(path)
    wb = load_workbook(path)
    roster = wb[ROSTER.name]
    for (i, name), text in FORMULA_LIKE_TEXT.items():
        c = roster[_split(cell_ref(ROSTER.name, name, i))[1]]
        assert (c.value, c.data_type) == (text, "s")
    for (i, name), (_, cached) in REAL_FORMULAS.items():
        c = roster[_split(cell_ref(ROSTER.name, name, i))[1]]
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
    total = cell_ref(TOTALS.name, "total_coops")
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

MEMBERS = cell_ref(ROSTER.name, "members", 2)
PROFIT = cell_ref(ROSTER.name, "profit", 1)
DECLARED = cell_ref(TOTALS.name, "total_coops")


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
