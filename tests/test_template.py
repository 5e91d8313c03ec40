"""The return workbook written from the contract: layout, dropdowns, text safety, bytes.

Every expectation loops over RETURN_FORM, so a change in the contract cannot leave the
template behind.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from contracts.fields import EXCEL_FORMATS
from contracts.return_form import COVER, RETURN_FORM, ROSTER, TASKS, TOTALS, UNIONS
from outputs.template import (
    DECLARED_TASK_COUNT_CELL, FIRST_DATA_ROW, HEADER_ROW, HELP_SHEET, LABEL_FIRST_ROW,
    LISTS_SHEET, VALIDATION_LAST_ROW, field_cell, excel_value, form_vocabularies, safe_set,
    write_return, write_template,
)
from transforms.periods import period_from_code

PERIOD = period_from_code("2023")
UNIT = ("116", "Thành phố Sơn La")
SAMPLE = {  # one plain value per field kind, as the writer receives them
    "text": "Hợp tác xã Chè Chiềng Đen", "id": "0512345678", "integer": 12, "number": 1234.5,
    "date": dt.date(2015, 3, 8), "bool": True,
}


def _sample_row(sheet, i: int = 0) -> dict:
    """A value for every stored field: the first code of a vocabulary, a sample otherwise."""
    row = {}
    for f in sheet.stored_fields:
        if f.kind == "choice":
            row[f.name] = f.vocabulary.codes[i % len(f.vocabulary.codes)]
        else:
            row[f.name] = SAMPLE[f.kind]
    return row


def _frame(sheet, n: int = 3) -> pd.DataFrame:
    return pd.DataFrame([_sample_row(sheet, i) for i in range(n)], dtype=object)


def _totals() -> dict:
    return {f.name: k * 10 for k, f in enumerate(TOTALS.fields, start=1)}


@pytest.fixture
def filled(tmp_path):
    path = write_return(
        tmp_path / "r.xlsx", unit_code=UNIT[0], unit_name=UNIT[1], period=PERIOD,
        roster=_frame(ROSTER), unions=_frame(UNIONS), totals=_totals(), tasks=_frame(TASKS),
        declared_task_count=38, preparer="Lò Văn Thắng", prepared_on=dt.date(2024, 1, 10),
        contact="0212 3852 146")
    return load_workbook(path)


@pytest.fixture
def blank(tmp_path):
    return load_workbook(write_template(tmp_path / "t.xlsx", *UNIT, PERIOD))


def test_sheets_in_contract_order_between_help_and_lists(blank):
    assert blank.sheetnames == [HELP_SHEET, *(s.name for s in RETURN_FORM), LISTS_SHEET]
    assert blank[LISTS_SHEET].sheet_state == "hidden"


@pytest.mark.parametrize("sheet", [s for s in RETURN_FORM if s.layout == "table"],
                         ids=lambda s: s.name)
def test_table_headers_are_the_contracts(blank, sheet):
    ws = blank[sheet.name]
    headers = [c.value for c in ws[HEADER_ROW]][: len(sheet.fields)]
    assert headers == [f.header_with_unit for f in sheet.fields]
    numbers = [c.value for c in ws[HEADER_ROW + 1]][: len(sheet.fields)]
    assert numbers == [f"({i})" for i in range(1, len(sheet.fields) + 1)]
    assert ws.max_column == len(sheet.fields)
    assert ws.freeze_panes == f"A{FIRST_DATA_ROW}"


@pytest.mark.parametrize("sheet", [s for s in RETURN_FORM if s.layout == "labels"],
                         ids=lambda s: s.name)
def test_label_lines_are_the_contracts(blank, sheet):
    ws = blank[sheet.name]
    labels = [ws.cell(LABEL_FIRST_ROW + i, 1).value for i in range(len(sheet.fields))]
    units = [ws.cell(LABEL_FIRST_ROW + i, 3).value for i in range(len(sheet.fields))]
    assert labels == [f.header for f in sheet.fields]
    assert units == [f.unit for f in sheet.fields]
    assert ws.freeze_panes == f"A{LABEL_FIRST_ROW}"


def test_every_vocabulary_field_has_a_dropdown_from_danh_muc(blank):
    lists = blank[LISTS_SHEET]
    for sheet in (s for s in RETURN_FORM if s.layout == "table"):
        ws = blank[sheet.name]
        by_range = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
        for col, f in enumerate(sheet.fields, start=1):
            if f.vocabulary is None:
                continue
            letter = get_column_letter(col)
            dv = by_range[f"{letter}{FIRST_DATA_ROW}:{letter}{VALIDATION_LAST_ROW}"]
            sheet_name, ref = dv.formula1.split("!")
            assert dv.type == "list" and sheet_name == LISTS_SHEET
            listed = [row[0].value for row in lists[ref.replace("$", "")]]
            assert listed == [t.name_vi for t in f.vocabulary.terms]


def test_danh_muc_holds_every_vocabulary_used(blank):
    ws = blank[LISTS_SHEET]
    for col, v in enumerate(form_vocabularies(), start=1):
        column = [ws.cell(r, col).value for r in range(2, len(v.terms) + 2)]
        assert column == [t.name_vi for t in v.terms]


def test_help_sheet_has_a_line_per_field(blank):
    text = {c.value for row in blank[HELP_SHEET].iter_rows() for c in row if c.value}
    for sheet in RETURN_FORM:
        assert any(str(t).startswith(f"Trang {sheet.name}") for t in text)
        for f in sheet.fields:
            assert f.header in text and f.description_vi in text


def test_blank_template_has_cover_but_no_data(blank):
    cover = blank[COVER.name]
    assert cover[field_cell(COVER.name, "unit_name").split("!")[1]].value == UNIT[1]
    assert cover[field_cell(COVER.name, "unit_code").split("!")[1]].value == UNIT[0]
    assert cover[field_cell(COVER.name, "period").split("!")[1]].value == PERIOD.label_vi
    for f in TOTALS.fields:
        assert blank[TOTALS.name][field_cell(TOTALS.name, f.name).split("!")[1]].value is None
    for sheet in (ROSTER, UNIONS, TASKS):
        assert blank[sheet.name].max_row == FIRST_DATA_ROW - 1


def _at(wb, ref: str):
    sheet, cell = ref.split("!")
    return wb[sheet][cell]


@pytest.mark.parametrize("sheet", [ROSTER, UNIONS, TASKS], ids=lambda s: s.name)
def test_cell_ref_is_where_values_land(filled, sheet):
    frame = _frame(sheet)
    for i, row in frame.iterrows():
        for f in sheet.stored_fields:
            cell = _at(filled, field_cell(sheet.name, f.name, i))
            expected = excel_value(f, row[f.name])
            got = cell.value.date() if isinstance(cell.value, dt.datetime) else cell.value
            assert got == expected, (f.name, i)
            assert cell.number_format == EXCEL_FORMATS[f.kind]
    for f in (f for f in sheet.fields if not f.stored):  # row numbers: 1..n
        numbers = [_at(filled, field_cell(sheet.name, f.name, i)).value for i in frame.index]
        assert numbers == list(range(1, len(frame) + 1))


def test_cell_ref_on_label_sheets_and_declared_count(filled):
    for f, value in zip(TOTALS.fields, _totals().values()):
        assert _at(filled, field_cell(TOTALS.name, f.name, 99)).value == value
    assert _at(filled, field_cell(COVER.name, "prepared_on")).value == dt.datetime(2024, 1, 10)
    assert _at(filled, field_cell(COVER.name, "prepared_on")).number_format == "dd/mm/yyyy"
    ws = filled[TASKS.name]
    assert ws["A2"].value == TASKS.extra["declared_count_label"]
    assert _at(filled, DECLARED_TASK_COUNT_CELL).value == 38


def test_codes_are_written_by_name_and_ids_as_text(filled):
    row = _sample_row(ROSTER)
    for f in ROSTER.stored_fields:
        cell = _at(filled, field_cell(ROSTER.name, f.name, 0))
        if f.vocabulary is not None:
            code = row[f.name] if f.kind == "choice" else "true"
            assert cell.value == f.vocabulary.term(code).name_vi
        if f.kind == "id":
            assert cell.data_type == "s" and cell.value == "0512345678"


def test_missing_values_of_any_kind_are_empty_cells(tmp_path):
    typed = pd.DataFrame({
        "coop_id": pd.array(["0000000001", None], dtype="str"),
        "members": pd.array([7, None], dtype="Int64"),
        "revenue": pd.array([None, 2.5], dtype="Float64"),
        "high_tech": pd.array([None, False], dtype="boolean"),
        "founded_on": pd.to_datetime(["2020-05-01", None]),
        "rating": [None, float("nan")],
    })
    wb = load_workbook(write_return(tmp_path / "m.xlsx", unit_code="118", unit_name="X",
                                    period=PERIOD, roster=typed))
    values = {c: [_at(wb, field_cell(ROSTER.name, c, i)).value for i in (0, 1)] for c in typed}
    assert values == {"coop_id": ["0000000001", None], "members": [7, None],
                      "revenue": [None, 2.5], "high_tech": [None, "Không"],
                      "founded_on": [dt.datetime(2020, 5, 1), None], "rating": [None, None]}


@pytest.mark.parametrize("text", ["=1+2", "@x", "+84 912 345 678", "-abc", "=SUM(A1:A3)"])
def test_formula_like_text_stays_text(tmp_path, text):
    roster = pd.DataFrame([{**_sample_row(ROSTER), "name": text, "note": text}], dtype=object)
    path = write_return(tmp_path / "f.xlsx", unit_code="116", unit_name=UNIT[1], period=PERIOD,
                        roster=roster, preparer=text)
    cell = _at(load_workbook(path), field_cell(ROSTER.name, "name", 0))
    assert cell.data_type == "s" and cell.value == text
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(ROSTER.name).to_python()
    row, col = FIRST_DATA_ROW - 1, [f.name for f in ROSTER.fields].index("name")
    assert sheet[row][col] == text
    cover = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(COVER.name).to_python()
    assert [text] == [r[1] for r in cover if r[0] == COVER.field("preparer").header]


def test_safe_set_leaves_other_values_alone(blank):
    ws = blank.create_sheet("scratch")
    assert safe_set(ws, 1, 1, 5).value == 5
    assert safe_set(ws, 1, 2, "").value is None
    assert safe_set(ws, 1, 3, "a=b").data_type == "s"


def test_identical_inputs_give_identical_bytes(tmp_path):
    def write(name):
        return write_return(tmp_path / name, unit_code="116", unit_name=UNIT[1], period=PERIOD,
                            roster=_frame(ROSTER), totals=_totals(), tasks=_frame(TASKS),
                            declared_task_count=3).read_bytes()
    assert write("a.xlsx") == write("b.xlsx")
    template_a = write_template(tmp_path / "ta.xlsx", *UNIT, PERIOD).read_bytes()
    assert template_a == write_template(tmp_path / "tb.xlsx", *UNIT, PERIOD).read_bytes()


def test_unknown_columns_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not in the contract"):
        write_return(tmp_path / "x.xlsx", unit_code="116", unit_name=UNIT[1], period=PERIOD,
                     roster=pd.DataFrame({"coop_idd": ["0512345678"]}))


def test_unknown_codes_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not a code"):
        write_return(tmp_path / "x.xlsx", unit_code="116", unit_name=UNIT[1], period=PERIOD,
                     roster=pd.DataFrame({"sector": ["Nông nghiệp"]}))
