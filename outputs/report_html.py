"""The run summary as one self-contained HTML page: inline CSS, inline SVG charts, no
script, no external address, no font to download. Vietnamese, with English labels in
parentheses.

The markup lives in outputs/templates/ (report.html.j2, its macros, chart.svg.j2 and
report.css), rendered by a Jinja2 environment with autoescape on: every text that comes
from data (file names, district names, messages, reasons) is escaped, because it comes
from district files and stewards. This module only prepares what the page shows: the
counts, the formatted numbers and times, the badges, the bars and their geometry."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from contracts.vocabularies import SUBMISSION_STATUSES
from transforms.text import vi_number
from outputs.summary import vietnam_time

DISTRICT_CHARTS = ("HTX_TOTAL", "REVENUE_PER_HTX")
STATUS_LABELS = {**{t.code: t.name_vi for t in SUBMISSION_STATUSES.terms},
                 "missing": "chưa nộp", "warning": "cảnh báo", "waived": "đã chấp nhận lỗi"}
RUN_COUNTS = (("files_seen", "Tệp trong hộp thư", "files seen"), ("files_new", "Mới", "new"),
              ("files_accepted", "Chấp nhận", "accepted"),
              ("files_rejected", "Từ chối", "rejected"),
              ("files_unreadable", "Không đọc được", "unreadable"))
FAILURE_SECTIONS = (("error", "rejected", "Báo cáo bị từ chối và lý do",
                     "rejected returns and why"),
                    ("warning", "warnings", "Cảnh báo cần xem xét", "warnings awaiting review"))


def render_html(summary: dict, warehouse: str | Path) -> str:
    """The whole page for one run summary (the dict of outputs.summary.run_summary)."""
    return TEMPLATES.get_template("report.html.j2").render(
        run=run_view(summary["run"]), periods=summary["periods"],
        completeness=[completeness_view(summary, p) for p in summary["periods"]],
        failures=[failures_view(summary, *s) for s in FAILURE_SECTIONS],
        waivers=[waiver_view(w) for w in summary["waivers"]],
        indicators=[indicators_view(summary, p) for p in summary["periods"]],
        warehouse=str(warehouse))


# --- formatting: the environment's filters and the small tagged texts -----------------

def dash(value: object) -> object:
    """'—' for a missing value; anything else as it is (the template escapes it)."""
    return "—" if value is None else value


def when(text: str | None, with_time: bool = True) -> str:
    """An ISO timestamp as dd/mm/yyyy [hh:mm], times in Asia/Ho_Chi_Minh; what cannot be
    read is shown as it is."""
    if text is None:
        return "—"
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return str(text)
    return vietnam_time(moment) if with_time else moment.strftime("%d/%m/%Y")


def day(text: str | None) -> str:
    return when(text, with_time=False)


def number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else vi_number(value, digits)


@dataclass(frozen=True)
class Tagged:
    """A short text and the CSS class that colours it (a status badge, an attainment)."""

    css: str
    text: str


def badge(status: str | None) -> Tagged | None:
    if status is None:
        return None
    return Tagged(status if status in STATUS_LABELS else "", STATUS_LABELS.get(status, status))


def attainment(pct: float | None) -> Tagged | None:
    if pct is None:
        return None
    return Tagged("met" if pct >= 100 else "short", f"{vi_number(pct, 1)} %")


def yes_no(flag: bool | None) -> str | None:
    return None if flag is None else ("yes" if flag else "no")


# --- header and completeness ----------------------------------------------------------

def run_view(run: dict) -> dict:
    """The run's id, times and outcome, and its counts as (value, vi, en)."""
    return {"run_id": run["run_id"], "started_at": run.get("started_at"),
            "finished_at": run.get("finished_at"), "outcome": run.get("outcome"),
            "counts": [(run.get(key), vi, en) for key, vi, en in RUN_COUNTS]}


def completeness_view(summary: dict, period: str) -> dict:
    """One period's districts, with the counts of the line above its table."""
    rows = [c for c in summary["completeness"] if c["period"] == period]
    counts = {s: sum(r["status"] == s for r in rows) for s in ("accepted", "rejected", "missing")}
    return {"period": period, "rows": [district_view(r) for r in rows], **counts,
            "received": sum(r["first_received_at"] is not None for r in rows),
            "on_time": sum(bool(r["on_time"]) for r in rows)}


def district_view(c: dict) -> dict:
    """A district's line. On time only means something once an accepted return stands
    (the mart's rule); the latest version's status is shown when it differs from the one
    in force (a rejected v2 leaves an accepted v1 standing)."""
    received = c["first_received_at"] is not None
    if c["status"] == "accepted":
        on_time = yes_no(c["on_time"])
    else:
        on_time = "pending" if received else None
    latest = c.get("latest_status")
    return {"code": c["district_code"], "name": c["district_name"],
            "received": yes_no(received), "on_time": on_time, "status": badge(c["status"]),
            "latest": None if latest in (None, c["status"]) else badge(latest),
            "version": c["accepted_version"], "first_received_at": c["first_received_at"],
            "deadline": c["deadline"]}


# --- failures: rejected returns and warnings, waivers ---------------------------------

def failures_view(summary: dict, severity: str, anchor: str, vi: str, en: str) -> dict:
    """One severity's section: its files, each with its failures."""
    files = {f["file_name"]: f for f in summary["files"]}
    blocks = [file_view(files.get(name, {"file_name": name}), listed)
              for name, listed in failures_by_file(summary, severity).items()]
    return {"anchor": anchor, "vi": vi, "en": en, "files": blocks}


def failures_by_file(summary: dict, severity: str) -> dict[str, list[dict]]:
    """Failures of one severity grouped by file, in the summary's order. Errors: every
    rejected or unreadable file appears, even without a listed failure. Warnings: only
    those not waived are awaiting review."""
    groups: dict[str, list[dict]] = {}
    if severity == "error":
        for f in summary["files"]:
            if f["status"] in ("rejected", "unreadable"):
                groups[f["file_name"]] = []
    for f in summary["failures"]:
        if f["severity"] == severity and not (severity == "warning" and f["waived"]):
            groups.setdefault(f["file_name"], []).append(f)
    return groups


def file_view(file: dict, failures: list[dict]) -> dict:
    return {"file_name": file["file_name"], "district_name": file.get("district_name"),
            "period": file.get("period"), "version": file.get("version"),
            "received_at": file.get("received_at"), "status": badge(file.get("status")),
            "failures": [f | {"waived": badge("waived") if f.get("waived") else None}
                         for f in failures]}


def waiver_view(w: dict) -> dict:
    return w | {"message_vi": w.get("message_vi"), "file_status": badge(w.get("file_status"))}


# --- indicators and their charts ------------------------------------------------------

def indicators_view(summary: dict, period: str) -> dict:
    """One period's province indicators, the attainment chart and the district charts."""
    rows = [h for h in summary["headline"] if h["period"] == period]
    return {"period": period, "rows": [indicator_view(h) for h in rows],
            "attainment": attainment_chart(rows),
            "districts": [c for c in (district_chart(summary, period, code)
                                      for code in DISTRICT_CHARTS) if c is not None]}


def indicator_view(h: dict) -> dict:
    left_out = h.get("rows_left_out")
    return {"name": h["indicator_name_vi"], "code": h["indicator_code"], "unit": h["unit"],
            "value": number(h["value"]), "target": number(h["target"]),
            "attainment": attainment(h["attainment_pct"]),
            "covered": h["districts_covered"], "expected": h["districts_expected"],
            "left_out": number(left_out, 0) if left_out else None}


def attainment_chart(rows: list[dict]) -> Chart | None:
    tagged = [(h, attainment(h["attainment_pct"])) for h in rows]
    bars = [Bar(h["indicator_name_vi"], h["attainment_pct"], tag.text, tag.css)
            for h, tag in tagged if tag is not None]
    return bar_chart(bars, title="Mức đạt kế hoạch (attainment of targets, %)", width=1100,
                     floor=110, reference=(100, "100 % kế hoạch"))


def district_chart(summary: dict, period: str, code: str) -> Chart | None:
    """One indicator for every expected district of the period; a district without an
    accepted return has no bar and says so."""
    values = {d["district_code"]: d for d in summary["district_values"]
              if d["period"] == period and d["indicator_code"] == code}
    if not values:
        return None
    some = next(iter(values.values()))
    units = [c for c in summary["completeness"] if c["period"] == period]
    bars = [district_bar(c, values.get(c["district_code"])) for c in units]
    title = f"{some['indicator_name_vi']} ({some['unit']}) theo đơn vị (by district)"
    return bar_chart(bars, title=title, width=580)


def district_bar(unit: dict, value: dict | None) -> Bar:
    if value is None or value["value"] is None:
        return Bar(unit["district_name"], None, "không có số liệu (no accepted return)")
    return Bar(unit["district_name"], value["value"], vi_number(value["value"], 1))


# --- the one SVG bar chart's geometry -------------------------------------------------

@dataclass(frozen=True)
class Bar:
    """One horizontal bar: its label, its value (None: no bar, the text says why), the text
    written after it and a CSS tone (met, short or the default colour)."""

    label: str
    value: float | None
    text: str
    tone: str = ""


@dataclass(frozen=True)
class Line:
    """A vertical line from y1 to y2 at x, and its text at (text_x, text_y)."""

    x: float
    y1: float
    y2: float
    text: str
    text_x: float
    text_y: float


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Row:
    """A bar as drawn: its label (shortened to its column, the full text as its title),
    its rectangle (None when there is no value) and the text after it."""

    label: str
    short_label: str
    label_x: float
    tone: str
    rect: Rect | None
    text: str
    text_x: float
    text_y: float


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    ticks: list[Line]
    rows: list[Row]
    reference: Line | None


ROW, TOP, BOTTOM, RIGHT = 24, 30, 24, 110
CHAR, LABEL_MAX = 7, 380  # px per character of a 12px label; widest label column


def bar_chart(bars: list[Bar], *, title: str, width: int = 760, floor: float = 0,
              reference: tuple[float, str] | None = None) -> Chart | None:
    """A horizontal bar chart's geometry (None without bars): labels on the left, a
    gridline scale, an optional dashed reference line (e.g. 100 %). chart.svg.j2 draws it."""
    if not bars:
        return None
    left = min(LABEL_MAX, 16 + CHAR * max(len(b.label) for b in bars))
    top_value = max([floor] + [b.value for b in bars if b.value is not None])
    step = _nice_step(top_value or 1)
    scale = Scale(left, width - RIGHT, math.ceil((top_value or 1) / step) * step)
    height = TOP + ROW * len(bars) + BOTTOM
    ref = None if reference is None else _reference(scale, height, *reference)
    return Chart(title, width, height, _grid(scale, step, height),
                 [_row(i, b, scale) for i, b in enumerate(bars)], ref)


def render_chart(chart: Chart) -> str:
    """One chart alone as SVG markup (what the page includes in a figure)."""
    return TEMPLATES.get_template("chart.svg.j2").render(chart=chart)


@dataclass(frozen=True)
class Scale:
    left: float
    right: float
    top: float

    def x(self, value: float) -> float:
        return round(self.left + (self.right - self.left) * max(value, 0) / self.top, 1)


def _nice_step(top: float) -> float:
    """A round gridline step giving about five lines up to `top`."""
    raw = top / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def _grid(scale: Scale, step: float, height: int) -> list[Line]:
    ticks = [i * step for i in range(int(round(scale.top / step)) + 1)]
    return [Line(scale.x(t), TOP - 6, height - BOTTOM + 2, vi_number(t, 1), scale.x(t),
                 height - 6) for t in ticks]


def _row(index: int, bar: Bar, scale: Scale) -> Row:
    y = TOP + index * ROW
    short = _clip(bar.label, scale.left)
    if bar.value is None:
        return Row(bar.label, short, scale.left - 8, bar.tone, None, bar.text,
                   scale.left + 6, y + 16)
    end = scale.x(bar.value)
    rect = Rect(scale.left, y + 4, round(end - scale.left, 1), ROW - 8)
    return Row(bar.label, short, scale.left - 8, bar.tone, rect, bar.text, end + 6, y + 16)


def _clip(label: str, width: float) -> str:
    """The label shortened with '…' to fit the label column (the full text is its title)."""
    room = int((width - 16) / CHAR)
    return label if len(label) <= room else label[:room - 1].rstrip() + "…"


def _reference(scale: Scale, height: int, value: float, text: str) -> Line:
    x = scale.x(value)
    return Line(x, TOP - 8, height - BOTTOM + 2, text, x + 4, TOP - 12)


# --- the templates, found beside this module whatever the working folder --------------

TEMPLATES = Environment(loader=PackageLoader("outputs", "templates"), autoescape=True,
                        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
TEMPLATES.filters.update(dash=dash, when=when, day=day)
