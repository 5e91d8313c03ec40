"""The run summary as one self-contained HTML page: inline CSS, inline SVG charts, no
script, no external address, no font to download. Vietnamese, with English labels in
parentheses.

The markup lives in outputs/templates/ (report.html.j2, its macros, chart.svg.j2 and
report.css), rendered by a Jinja2 environment with autoescape on: every text that comes
from data (file names, district names, messages, reasons) is escaped, because it comes
from district files and stewards. This module only prepares what the page shows: the
counts, the formatted numbers and times, the badges and the bars; the bars' geometry is
outputs/charts.py, shared with the portal's indicators page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from contracts.vocabularies import SUBMISSION_STATUSES
from outputs.charts import Bar, Chart, bar_chart, district_bars
from transforms.text import vi_number
from outputs.summary import vietnam_time

DISTRICT_CHARTS = ("HTX_TOTAL", "REVENUE_PER_HTX")
STATUS_LABELS = {**{t.code: t.name_vi for t in SUBMISSION_STATUSES.terms},
                 "missing": "chưa nộp", "warning": "cảnh báo", "waived": "đã chấp nhận lỗi"}
RUN_COUNTS = (("files_seen", "Tệp trong hộp thư", "files seen"), ("files_new", "Mới", "new"),
              ("files_accepted", "Chấp nhận", "accepted"),
              ("files_rejected", "Từ chối", "rejected"),
              ("files_unreadable", "Không đọc được", "unreadable"),
              ("files_held", "Giữ lại, kỳ đã khoá", "held"))
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
            "counts": [(run.get(key), vi, en) for key, vi, en in RUN_COUNTS
                       if run.get(key) is not None]}


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
    bars = district_bars(units, {k: v["value"] for k, v in values.items()},
                         "không có số liệu (no accepted return)")
    title = f"{some['indicator_name_vi']} ({some['unit']}) theo đơn vị (by district)"
    return bar_chart(bars, title=title, width=580)


def render_chart(chart: Chart) -> str:
    """One chart alone as SVG markup (what the page includes in a figure)."""
    return TEMPLATES.get_template("chart.svg.j2").render(chart=chart)


# --- the templates, found beside this module whatever the working folder --------------

TEMPLATES = Environment(loader=PackageLoader("outputs", "templates"), autoescape=True,
                        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
TEMPLATES.filters.update(dash=dash, when=when, day=day)
