"""Outputs that cannot be turned against their readers (issue 11, item 5): file names and
cells written by a hostile or careless district reach the summary, the terminal and the
steward's CSV as text, never as HTML, markdown structure, escape sequences or formulas."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from conftest import HTX, run_htx
from outputs.escape import EXCEL_CELL_LIMIT, md_code, md_text, terminal_text, to_csv
from outputs.summary import render_markdown

HTML_NAME = "<img src=x onerror=alert(1)>|# Mai Sơn [x](javascript:alert(1)).xlsx"
ESC_NAME = "\x1b[31mđỏ\x1b]0;pwned\x07.xlsx"
FORMULAS = {"H5": "=cmd|' /C calc'!A0", "I6": "@SUM(1+1)*cmd|' /C calc'!A0",
            "J7": "12\r=HYPERLINK(\"http://evil\",\"x\")", "K8": "+1+cmd|' /C calc'!A0",
            "L5": "-2+cmd|' /C calc'!A0"}


def _as_text(ws, ref: str, value: str) -> None:
    ws[ref].value = value
    ws[ref].data_type = "s"  # text in the file, as a district's careless paste would be


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A run over the demo returns, two of them sent under hostile names, one with
    formula-like text in its number cells."""
    folder = tmp_path_factory.mktemp("hostile")
    made = run_htx("demo-data", "--out", "generated", cwd=folder)
    assert made.returncode == 0, made.stderr
    inbox = folder / "data" / "inbox"
    inbox.mkdir(parents=True)
    for path in (folder / "generated").glob("*.xlsx"):
        shutil.copy2(path, inbox / path.name)
    book = openpyxl.load_workbook(inbox / "125_2023.xlsx")
    for ref, value in FORMULAS.items():
        _as_text(book["DS_HTX"], ref, value)
    book.save(inbox / HTML_NAME)
    (inbox / "125_2023.xlsx").unlink()
    (inbox / "116_2023.xlsx").rename(inbox / ESC_NAME)
    result = run_htx("run", cwd=folder)
    assert result.returncode == 0, result.stderr
    (summary,) = (folder / "data" / "reports").glob("run_*/summary.md")
    return folder, result, summary.read_text(encoding="utf-8")


def test_the_summary_shows_hostile_file_names_as_text_not_html_or_markdown(hostile):
    _, _, summary = hostile
    assert "<img" not in summary and "&lt;img src=x onerror=alert(1)&gt;" in summary
    assert not re.search(r"(?<!\\)\]\(javascript:", summary)  # no link: its ] is escaped
    headings = [line for line in summary.splitlines() if line.startswith("#")]
    assert all(line.startswith(("# Tổng hợp báo cáo HTX", "## ")) for line in headings)
    assert not any("Mai Sơn" in line for line in headings)
    for table in re.findall(r"(?:^\|.*\n)+", summary, flags=re.M):
        header, *rows = table.splitlines()
        for row in rows:  # every row has its table's columns, never more
            assert len(re.findall(r"(?<!\\)\|", row)) == header.count("|"), row


def test_no_escape_sequence_reaches_the_terminal(hostile):
    folder, result, _ = hostile
    assert "\x1b" not in result.stdout + result.stderr and "\x07" not in result.stderr
    assert "[31mđỏ" in result.stdout  # the name is shown, without its control characters
    for args in (("review",), ("review", "--format", "csv"), ("indicators",)):
        shown = run_htx(*args, cwd=folder)
        assert shown.returncode == 0, shown.stderr
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", shown.stdout), args


def exported_csv(folder: Path) -> str:
    """`htx review --format csv > file`, the file's text as Excel reads it (bytes kept)."""
    with open(folder / "review.csv", "wb") as out:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HTX_", "PREFECT_"))}
        subprocess.run([HTX, "review", "--format", "csv"], cwd=folder, stdout=out, check=True,
                       env=env | {"PREFECT_HOME": str(folder / ".prefect")}, timeout=120)
    return (folder / "review.csv").read_bytes().decode("utf-8")


def test_review_csv_neutralises_formulas_quotes_line_breaks_and_starts_with_a_bom(hostile):
    folder, _, _ = hostile
    exported = exported_csv(folder)
    assert exported.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(exported[1:], newline="")))
    failures = json.loads(run_htx("review", "--format", "json", cwd=folder).stdout)
    assert len(rows) == 1 + len(failures)  # a CR inside a value never starts a new row
    for row in rows:
        for field in row:
            assert not field.startswith(("=", "+", "-", "@", "\t", "\r")), field
    values = {field for row in rows for field in row}
    assert "'=cmd|' /C calc'!A0" in values
    assert any(v.startswith("'@SUM(") for v in values)
    assert any(v.startswith("12\r=HYPERLINK") for v in values)  # one quoted field
    assert "\r\n=HYPERLINK" not in exported.replace('"', "")


def test_markdown_from_data_renders_as_itself():
    summary = {
        "run": {"run_id": "r1", "files_seen": 1, "files_new": 1, "files_accepted": 0,
                "files_rejected": 1, "files_unreadable": 0},
        "files": [{"file_name": "a|b\n# Injected\n<script>alert(1)</script>.xlsx",
                   "district_name": "![x](http://evil/x.png)", "period": "2023",
                   "status": "rejected", "errors": 1, "warnings": 0}],
        "failures": [{"file_name": "x.xlsx", "cell": "A1", "rule_code": "R", "severity": "error",
                      "message_vi": "ô\n\n## Heading <b>x</b> `code` [link](http://e)",
                      "waived": False}],
        "waivers": [{"file_name": "x.xlsx", "cell": None, "rule_code": "R",
                     "waived_by": "<i>Lò</i>", "waived_at": "2026-01-02T03:04:05",
                     "reason": "| | |"}],
        "rule_skips": [], "periods": [], "headline": [], "feedback": ["a`b<c>.xlsx"],
    }
    text = render_markdown(summary, Path("data/w`h.duckdb"))
    assert "<script>" not in text and "<b>" not in text and "<i>" not in text
    assert "\n# Injected" not in text and "\n## Heading" not in text
    assert "![x](" not in text and "[link](" not in text
    assert "| a\\|b # Injected &lt;script&gt;" in text
    assert "`` a`b<c>.xlsx ``" not in text and "``a`b<c>.xlsx``" in text


def test_escaping_helpers_keep_what_they_must():
    assert terminal_text("Sơn La\x1b[2J\x9b\u202e") == "Sơn La[2J"
    assert md_text("TOTAL_MISMATCH 1.234,5") == "TOTAL_MISMATCH 1.234,5"
    assert md_code("data/w.duckdb") == "`data/w.duckdb`"
    assert to_csv(["a"], [[-5], ["-5"], [None]]) == '\ufeffa\r\n-5\r\n\'-5\r\n""\r\n'


def test_feedback_text_stays_within_excel_cell_limits(tmp_path):
    from outputs.feedback import write_feedback

    source = tmp_path / "r.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "DS_HTX"
    book.active["B7"] = "x"
    book.save(source)
    long = "Ô DS_HTX!B7: " + "rất dài " * 6000
    failures = [{"failure_id": f"f{i}", "severity": "error", "rule_code": "R", "sheet": "DS_HTX",
                 "cell": "DS_HTX!B7", "value_found": "v" * 40_000, "message_vi": long,
                 "waived": False, "district_code": "125"} for i in range(2)]
    out = write_feedback(source, failures, tmp_path / "out", district_name="Huyện Mai Sơn",
                         period="2023", file_name="r.xlsx", district_code="125")
    written = openpyxl.load_workbook(out)
    for ws in written.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert len(str(cell.value or "")) <= EXCEL_CELL_LIMIT
                if cell.comment:
                    assert len(cell.comment.text) <= EXCEL_CELL_LIMIT
    assert written["DS_HTX"]["B7"].comment is not None
