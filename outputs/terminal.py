"""What `htx review` and `htx indicators` print: Vietnamese first, English beside,
numbers the Vietnamese way, within a 100-column terminal, with no control character from
data reaching the terminal."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import pandas as pd

from contracts.vocabularies import SUBMISSION_STATUSES
from transforms.text import vi_number
from outputs.escape import terminal_text

WIDTH = 100
NONE = "—"
SEVERITY = {"error": "lỗi (error)", "warning": "cảnh báo (warning)"}
STATUS = {t.code: f"{t.name_vi} ({t.code})" for t in SUBMISSION_STATUSES.terms}


def number(value: object, digits: int = 2) -> str:
    """683 -> '683', 1413933 -> '1.413.933', 3132.14 -> '3.132,14'; missing -> '—'."""
    if value is None or value is pd.NA or pd.isna(value):
        return NONE
    return vi_number(float(value), digits)


def cell(value: object) -> str:
    """Any value as one line of terminal-safe text ('' when missing)."""
    if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return terminal_text(value, one_line=True)


@dataclass(frozen=True)
class Column:
    header_vi: str
    header_en: str
    width: int
    right: bool = False


def table(columns: list[Column], rows: list[list[str]]) -> str:
    """Rows under a two-line header (Vietnamese, then English in parentheses); text longer
    than its column wraps onto the next lines."""
    def line(values: list[str]) -> str:
        parts = [v.rjust(c.width) if c.right else v.ljust(c.width)
                 for c, v in zip(columns, values)]
        return "  ".join(parts).rstrip()

    out = [line([c.header_vi for c in columns]),
           line([f"({c.header_en})" if c.header_en else "" for c in columns])]
    for row in rows:
        wrapped = [textwrap.wrap(v, c.width, break_on_hyphens=False) or [""]
                   for c, v in zip(columns, row)]
        for i in range(max(len(w) for w in wrapped)):
            out.append(line([w[i] if i < len(w) else "" for w in wrapped]))
    return "\n".join(out)


INDICATOR_COLUMNS = [Column("mã chỉ tiêu", "code", 23), Column("chỉ tiêu", "indicator", 21),
                     Column("đơn vị tính", "unit", 14), Column("giá trị", "value", 13, True),
                     Column("kế hoạch", "target", 12, True), Column("đạt %", "att.", 6, True)]


def indicators_text(frame: pd.DataFrame, unit_name: str | None) -> str:
    """Indicator values by period: value, target and attainment, then the rows left out."""
    if frame.empty:
        return "(không có số liệu chỉ tiêu nào / no indicator values)"
    blocks = []
    for period, rows in frame.groupby("period", sort=True):
        if unit_name:
            title = f"Kỳ {cell(period)} — {cell(unit_name)}"
        else:
            first = rows.iloc[0]
            title = (f"Kỳ {cell(period)} — toàn tỉnh (province): "
                     f"{number(first['districts_covered'])}/{number(first['districts_expected'])}"
                     " đơn vị có báo cáo được chấp nhận (units covered)")
        lines = [[cell(r["indicator_code"]), cell(r["indicator_name_vi"]), cell(r["unit"]),
                  number(r["value"]), number(r["target"]), number(r["attainment_pct"], 1)]
                 for _, r in rows.iterrows()]
        blocks += [textwrap.fill(title, WIDTH), table(INDICATOR_COLUMNS, lines)]
        left = [f"{cell(r['indicator_code'])} {number(r['rows_left_out'])}"
                for _, r in rows.iterrows()
                if not pd.isna(r["rows_left_out"]) and r["rows_left_out"]]
        if left:
            blocks.append(textwrap.fill(
                "Dòng bị loại vì thiếu số liệu (rows left out for a missing value): "
                + ", ".join(left), WIDTH))
        blocks.append("")
    return "\n".join(blocks).rstrip() + "\n"


def review_text(frame: pd.DataFrame) -> str:
    """Failures grouped by unit and file, each as a short block a steward reads: where,
    which rule, how severe, the value found, the message, its id and its waiver."""
    if frame.empty:
        return "(không có lỗi nào / no failures)\n"
    blocks = []
    for (code, name), unit in frame.groupby(["district_code", "district_name"],
                                            dropna=False, sort=False):
        blocks.append(f"== {cell(name) or 'Không rõ đơn vị (unknown unit)'} "
                      f"({cell(code) or '?'}) ==")
        for (file, period, status), rows in unit.groupby(
                ["file_name", "period", "file_status"], dropna=False, sort=False):
            blocks.append(textwrap.fill(
                f"-- {cell(file)} · kỳ (period) {cell(period) or '?'} · "
                f"{STATUS.get(status, cell(status))}", WIDTH, subsequent_indent="   "))
            blocks += [_failure(r) for _, r in rows.iterrows()]
        blocks.append("")
    return "\n".join(blocks)


def _failure(r: pd.Series) -> str:
    head = (f"  {cell(r['cell']) or '(toàn tệp / whole file)'} · {cell(r['rule_code'])} · "
            f"{SEVERITY.get(r['severity'], cell(r['severity']))} · mã lỗi (id) "
            f"{cell(r['failure_id'])}")
    lines = [textwrap.fill(head, WIDTH, subsequent_indent="    ")]
    if cell(r.get("waiver_state")):
        lines.append(f"    {cell(r['waiver_state'])}")
    if cell(r["value_found"]):
        lines.append(textwrap.fill(f"giá trị (value found): {cell(r['value_found'])}",
                                   WIDTH, initial_indent="    ", subsequent_indent="    "))
    lines.append(textwrap.fill(cell(r["message_vi"]), WIDTH, initial_indent="    ",
                               subsequent_indent="    "))
    return "\n".join(lines)
