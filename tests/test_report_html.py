"""The HTML run report: one self-contained page a steward opens from the reports folder.

Plain checks read the page as HTML; the browser checks open it in a real headless
Chromium (Debian's `chromium` package, at /usr/bin/chromium) and read the DOM it built
and the screenshot it took.

EXPECTATION: Chromium is a system package, not a Python one. `.ci/run` installs it
(`apt-get install -y chromium`); where it is missing the browser tests FAIL, on purpose,
with a message saying so — they are never skipped silently.
"""

from __future__ import annotations

import copy
import re
import shutil
import struct
import subprocess
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from markupsafe import escape

from transforms.text import vi_number
import outputs.report_html
from outputs.charts import Bar, bar_chart, district_bars
from outputs.report_html import TEMPLATES, render_chart, render_html
from outputs.summary import run_summary, vietnam_time

SECTION_IDS = ["completeness", "rejected", "warnings", "waivers", "indicators"]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
EVIL = "<script>alert('htx')</script>.xlsx"
BREAKOUT = '"><svg onload=alert(1)>'  # closes an attribute, then opens an element
TEMPLATE_DIR = Path(outputs.report_html.__file__).parent / "templates"


class Page(HTMLParser):
    """A page's elements (tag, attributes) and its text, section by section."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.text: dict[str | None, str] = defaultdict(str)
        self._section: str | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag == "section":
            self._section = attrs.get("id")

    def handle_data(self, data):
        self.text[self._section] += data

    def having(self, tag: str, css: str) -> list[dict]:
        return [a for t, a in self.elements if t == tag and css in (a.get("class") or "").split()]


@pytest.fixture(scope="module")
def summary(demo) -> dict:
    """The demo run's summary, recomputed from the published warehouse opened read-only."""
    with duckdb.connect(str(demo.consolidation.warehouse), read_only=True) as con:
        return run_summary(con, demo.first_run["run"])


@pytest.fixture(scope="module")
def report(summary, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_html(summary, "data/warehouse.duckdb"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def page(report) -> Page:
    return Page(report.read_text(encoding="utf-8"))


def rejected_files(summary: dict) -> list[str]:
    return [f["file_name"] for f in summary["files"] if f["status"] == "rejected"]


def errors_of(summary: dict, file_name: str) -> list[dict]:
    return [f for f in summary["failures"]
            if f["file_name"] == file_name and f["severity"] == "error"]


# --- the page as HTML -----------------------------------------------------------------

def test_the_sections_come_in_order(report):
    text = report.read_text(encoding="utf-8")
    positions = [text.index(f'<section id="{s}"') for s in SECTION_IDS]
    assert positions == sorted(positions)
    assert text.index('<header id="run"') < positions[0]


def test_every_district_of_the_completeness_appears(summary, page):
    rows = {a["data-district"] for a in page.having("tr", "district")}
    assert rows == {c["district_code"] for c in summary["completeness"]}
    for c in summary["completeness"]:
        assert c["district_name"] in page.text["completeness"]


def test_every_rejected_file_and_each_of_its_errors_appears(summary, page):
    assert len(rejected_files(summary)) == 3  # the demo's three deliberate errors
    for name in rejected_files(summary):
        assert name in page.text["rejected"]
        for error in errors_of(summary, name):
            assert error["message_vi"] in page.text["rejected"]
            assert error["cell"] in page.text["rejected"]


def test_warnings_awaiting_review_are_listed_apart(summary, page):
    warnings = [f for f in summary["failures"] if f["severity"] == "warning"]
    assert warnings
    for warning in warnings:
        assert warning["message_vi"] in page.text["warnings"]
        assert warning["message_vi"] not in page.text["rejected"]


def test_no_waiver_says_so(summary, page):
    assert summary["waivers"] == []
    assert "Không có" in page.text["waivers"]


def test_a_waiver_says_who_when_why_and_which_failure(summary):
    failure = errors_of(summary, rejected_files(summary)[0])[0]
    waiver = {k: failure[k] for k in ("failure_id", "file_name", "district_code", "period",
                                      "rule_code", "cell", "message_vi")}
    waiver |= {"reason": "Đã xác minh với huyện", "waived_by": "Nguyễn Thị Hoa",
               "waived_at": "2024-01-20T09:30:00.000", "file_status": "rejected"}
    text = Page(render_html(summary | {"waivers": [waiver]}, "w.duckdb")).text["waivers"]
    shown_at = vietnam_time("2024-01-20T09:30:00")  # recorded in the machine's time
    assert shown_at.startswith("20/01/2024 ")
    for expected in ("Đã xác minh với huyện", "Nguyễn Thị Hoa", shown_at,
                     failure["failure_id"], failure["cell"]):
        assert expected in text
    assert "Không có" not in text


def test_province_indicators_in_vietnamese_numbers(summary, page):
    for h in summary["headline"]:
        assert h["indicator_name_vi"] in page.text["indicators"]
        if h["value"] is not None:
            assert vi_number(h["value"], 1) in page.text["indicators"]
    assert "30.229" in page.text["indicators"]  # members: '.' between thousands


def test_charts_are_inline_svg(page):
    charts = page.having("svg", "chart")
    assert len(charts) >= 3  # attainment, HTX_TOTAL and REVENUE_PER_HTX by district
    assert "Tổng số hợp tác xã (HTX) theo đơn vị" in page.text["indicators"]
    assert "Doanh thu bình quân một HTX (triệu đồng/HTX) theo đơn vị" in page.text["indicators"]


def test_nothing_is_fetched_from_anywhere(report):
    text = report.read_text(encoding="utf-8")
    for pattern in (r"https?://", r"src\s*=", r"url\(", r"@import", r"<script", r"<link"):
        assert not re.search(pattern, text, flags=re.I), pattern


def test_text_from_district_files_is_escaped(summary):
    evil = copy.deepcopy(summary)
    name = rejected_files(evil)[0]
    for row in evil["files"] + evil["failures"]:
        if row["file_name"] == name:
            row["file_name"] = EVIL
    evil["failures"][0]["message_vi"] = '<img src=x onerror="alert(1)">'
    evil["completeness"][0]["district_name"] = "<b>Huyện</b> & co"
    text = render_html(evil, "data/<w>.duckdb")
    for raw in ("<script", "<img", "<b>Huyện", "<w>"):
        assert raw not in text, raw
    assert str(escape(EVIL)) in text and "&lt;b&gt;Huyện&lt;/b&gt; &amp; co" in text
    assert EVIL in Page(text).text["rejected"]


def test_markup_in_any_template_variable_from_data_arrives_as_text(summary):
    """District codes and names, file names, indicator names (a chart's aria-label and
    title) and the warehouse path reach the templates as data: autoescape turns them into
    text, in element content and in attribute values alike."""
    evil = copy.deepcopy(summary)
    code = evil["completeness"][0]["district_code"]
    for row in evil["completeness"] + evil["district_values"]:
        if row["district_code"] == code:
            row["district_code"], row["district_name"] = BREAKOUT, "<script>alert(2)</script>"
    for row in evil["district_values"] + evil["headline"]:
        if row["indicator_code"] == "HTX_TOTAL":
            row["indicator_name_vi"] = f"Tổng {BREAKOUT}"
    evil["files"][0]["file_name"] = BREAKOUT + ".xlsx"
    text = render_html(evil, BREAKOUT)
    page = Page(text)
    assert "<script" not in text and "<svg onload" not in text and BREAKOUT not in text
    assert not [t for t, a in page.elements if t == "script" or "onload" in a]
    assert BREAKOUT in {a["data-district"] for a in page.having("tr", "district")}
    assert any(a.get("aria-label") == f"Tổng {BREAKOUT} (HTX) theo đơn vị (by district)"
               for a in page.having("svg", "chart"))
    assert "<script>alert(2)</script>" in page.text["completeness"]
    assert "<script>alert(2)</script>" in page.text["indicators"]  # the chart's labels


def test_the_templates_escape_everything_and_are_found_beside_the_package(monkeypatch, tmp_path):
    assert TEMPLATES.autoescape is True
    monkeypatch.chdir(tmp_path)
    _, found, _ = TEMPLATES.loader.get_source(TEMPLATES, "report.html.j2")
    assert Path(found) == TEMPLATE_DIR / "report.html.j2"
    sources = [p.read_text(encoding="utf-8") for p in TEMPLATE_DIR.rglob("*") if p.is_file()]
    sources.append(Path(outputs.report_html.__file__).read_text(encoding="utf-8"))
    for source in sources:  # nothing is ever marked safe, nor escaping switched off
        assert not re.search(r"\|\s*safe\b|Markup|autoescape\s+false", source)


def test_the_bar_chart_marks_the_reference_and_says_when_a_value_is_missing():
    svg = render_chart(bar_chart([Bar("A", 120.0, "120 %", "met"),
                                  Bar("B", None, "không có số liệu")],
                                 title="t", floor=110, reference=(100, "100 %")))
    chart = Page(svg)
    assert chart.having("svg", "chart") and chart.having("line", "ref")
    assert len(chart.having("rect", "bar")) == 1
    assert "không có số liệu" in chart.text[None]


def test_a_district_the_reference_list_no_longer_names_is_charted_by_its_code():
    """Units merged away (the 2025 commune reform) keep their returns: the chart names them
    by code instead of failing on a missing name."""
    bars = district_bars([{"district_code": "116", "district_name": "Thành phố Sơn La"},
                          {"district_code": "042", "district_name": None}],
                         {"116": 683.0, "042": 12.0})
    chart = Page(render_chart(bar_chart(bars, title="t")))
    assert [b.label for b in bars] == ["Thành phố Sơn La", "042"]
    assert "042" in chart.text[None]


# --- the page in a real browser -------------------------------------------------------

def chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium")
                                         .exists() else None)
    if found is None:
        pytest.fail("Chromium is not installed (/usr/bin/chromium): .ci/run installs it "
                    "with `apt-get update && apt-get install -y chromium`; install it to "
                    "run the browser tests.")
    return found


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    command = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


def test_the_browser_builds_the_tables_and_the_charts(summary, report, tmp_path):
    dom = Page(run_chromium(tmp_path, "--dump-dom", report.as_uri()).stdout)
    rows = [a["data-district"] for a in dom.having("tr", "district")]
    assert sorted(rows) == sorted(c["district_code"] for c in summary["completeness"])
    for name in rejected_files(summary):
        assert name in dom.text["rejected"]
        for error in errors_of(summary, name):
            assert error["message_vi"] in dom.text["rejected"]
    assert len(dom.having("svg", "chart")) >= 2
    assert len(dom.having("rect", "bar")) >= 9


def test_the_browser_takes_a_screenshot(report, tmp_path):
    shot = tmp_path / "shot.png"
    run_chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2400", report.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1280, 2400)
    assert len(data) > 50_000  # a blank page of that size is a few kilobytes
