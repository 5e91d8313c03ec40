"""The run summary as one self-contained HTML page: inline CSS, inline SVG charts drawn
here, no script, no external address, no font to download. Vietnamese, with English
labels in parentheses. Every text that comes from data (file names, district names,
messages, reasons) is escaped: it comes from district files and stewards."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from transforms.failures import vi_number
from outputs.summary import vietnam_time

DISTRICT_CHARTS = ("HTX_TOTAL", "REVENUE_PER_HTX")
STATUS_LABELS = {"accepted": "chấp nhận", "rejected": "từ chối", "missing": "chưa nộp",
                 "superseded": "đã thay thế", "unreadable": "không đọc được",
                 "warning": "cảnh báo", "waived": "đã chấp nhận lỗi"}

CSS = """
:root{--ok:#1b7f3b;--bad:#b42318;--warn:#b54708;--miss:#667085;--ink:#1d2939;
--line:#d0d5dd;--soft:#f2f4f7;--brand:#1849a9}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;font-size:14px;line-height:1.45;
font-family:"DejaVu Sans","Noto Sans","Liberation Sans",Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:20px 32px 40px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:18px;margin:28px 0 8px;padding-bottom:4px;border-bottom:2px solid var(--brand)}
h3{font-size:15px;margin:14px 0 6px}
.en,.muted{color:#667085;font-weight:normal}.en{font-size:.85em}
nav a{color:var(--brand);margin-right:14px;text-decoration:none}
.stats{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.stat{border:1px solid var(--line);border-radius:8px;padding:6px 14px;min-width:130px}
.stat b{display:block;font-size:22px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-size:12.5px}
.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
#completeness td{white-space:nowrap}
.badge{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;
font-weight:bold;color:#fff;white-space:nowrap}
.badge.accepted{background:var(--ok)}.badge.rejected{background:var(--bad)}
.badge.missing{background:var(--miss)}.badge.superseded{background:#475467}
.badge.unreadable{background:#7a271a}.badge.warning{background:var(--warn)}
.badge.waived{background:#6941c6}
.yes{color:var(--ok);font-weight:bold}.no{color:var(--bad);font-weight:bold}
.met{color:var(--ok);font-weight:bold}.short{color:var(--warn);font-weight:bold}
code{font-family:"DejaVu Sans Mono",monospace;font-size:12.5px;background:var(--soft);
padding:0 3px;border-radius:3px}
.file{border:1px solid var(--line);border-left:5px solid var(--bad);border-radius:6px;
padding:2px 12px;margin:10px 0}
.file.warning{border-left-color:var(--warn)}
.msg-en{display:block;color:#667085;font-size:12px}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:16px}
figure{margin:8px 0}figcaption{font-weight:bold;margin-bottom:4px}
svg.chart{display:block;width:100%;height:auto;border:1px solid var(--line);border-radius:6px}
svg.chart text{font-size:12px;fill:var(--ink)}
svg.chart .bar{fill:#2e90fa}svg.chart .bar.met{fill:var(--ok)}
svg.chart .bar.short{fill:#f79009}svg.chart .none{fill:#98a2b3;font-style:italic}
svg.chart .grid{stroke:#eaecf0}svg.chart .ref{stroke:var(--bad);stroke-width:1.5;
stroke-dasharray:5 4}svg.chart text.ref-label{fill:var(--bad);font-weight:bold}
footer{margin-top:28px;color:#667085;font-size:12.5px}
@media print{.charts{grid-template-columns:1fr}}
"""


def render_html(summary: dict, warehouse: str | Path) -> str:
    """The whole page for one run summary (the dict of outputs.summary.run_summary)."""
    body = "".join([
        _header(summary),
        _completeness_section(summary),
        _failures_section(summary, "error"),
        _failures_section(summary, "warning"),
        _waivers_section(summary["waivers"]),
        _indicators_section(summary),
        _footer(str(warehouse)),
    ])
    title = f"Tổng hợp báo cáo HTX — lần chạy {_esc(summary['run']['run_id'])}"
    return ("<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{title}</title><style>{CSS}</style></head>"
            f"<body><main>{body}</main></body></html>\n")


# --- small formatting helpers -----------------------------------------------------------

def _esc(value: object) -> str:
    """Data as HTML text: escaped, '—' when missing."""
    return "—" if value is None else html.escape(str(value), quote=True)


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else vi_number(value, digits)


def _label(vi: str, en: str) -> str:
    return f"{vi} <span class=\"en\">({en})</span>"


def _when(text: str | None, with_time: bool = True) -> str:
    """An ISO timestamp as dd/mm/yyyy [hh:mm], times in Asia/Ho_Chi_Minh; what cannot be
    read is shown as it is."""
    if text is None:
        return "—"
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return _esc(text)
    return vietnam_time(moment) if with_time else moment.strftime("%d/%m/%Y")


def _badge(status: str | None) -> str:
    if status is None:
        return "—"
    css = status if status in STATUS_LABELS else ""
    text = STATUS_LABELS.get(status, status)
    return f"<span class=\"badge {css}\">{_esc(text)}</span>"


def _yes_no(flag: bool | None) -> str:
    if flag is None:
        return "—"
    return "<span class=\"yes\">✓ có</span>" if flag else "<span class=\"no\">✗ không</span>"


def _row(cells: list[str], numeric: frozenset[int] = frozenset(), attrs: str = "") -> str:
    tds = "".join(f"<td class=\"num\">{c}</td>" if i in numeric else f"<td>{c}</td>"
                  for i, c in enumerate(cells))
    return f"<tr{attrs}>{tds}</tr>"


def _table(head: list[str], rows: list[str], numeric: frozenset[int] = frozenset()) -> str:
    ths = "".join(f"<th class=\"num\">{h}</th>" if i in numeric else f"<th>{h}</th>"
                  for i, h in enumerate(head))
    return f"<table><thead><tr>{ths}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _section(anchor: str, title: str, content: str) -> str:
    return f"<section id=\"{anchor}\"><h2>{title}</h2>{content}</section>"


NONE = "<p class=\"muted\">Không có <span class=\"en\">(none)</span></p>"


# --- header ---------------------------------------------------------------------------

RUN_COUNTS = (("files_seen", "Tệp trong hộp thư", "files seen"), ("files_new", "Mới", "new"),
              ("files_accepted", "Chấp nhận", "accepted"),
              ("files_rejected", "Từ chối", "rejected"),
              ("files_unreadable", "Không đọc được", "unreadable"))
SECTIONS = (("completeness", "Tình hình nộp"), ("rejected", "Từ chối"),
            ("warnings", "Cảnh báo"), ("waivers", "Chấp nhận lỗi"), ("indicators", "Chỉ tiêu"))


def _header(summary: dict) -> str:
    run = summary["run"]
    stats = "".join(f"<div class=\"stat\"><b>{_esc(run.get(key))}</b>{_label(vi, en)}</div>"
                    for key, vi, en in RUN_COUNTS)
    links = "".join(f"<a href=\"#{anchor}\">{text}</a>" for anchor, text in SECTIONS)
    periods = ", ".join(_esc(p) for p in summary["periods"]) or "—"
    return (f"<header id=\"run\"><h1>Tổng hợp báo cáo HTX — kỳ {periods}</h1>"
            f"<div>{_label('Lần chạy', 'run')}: <code>{_esc(run['run_id'])}</code> · "
            f"{_label('bắt đầu', 'started')} {_when(run.get('started_at'))} · "
            f"{_label('kết thúc', 'finished')} {_when(run.get('finished_at'))} · "
            f"{_label('kết quả', 'outcome')} {_esc(run.get('outcome'))}</div>"
            f"<div class=\"stats\">{stats}</div><nav>{links}</nav></header>")


# --- completeness ---------------------------------------------------------------------

COMPLETENESS_HEAD = [_label("Mã", "code"), _label("Đơn vị", "district"),
                     _label("Đã nộp", "received"), _label("Đúng hạn", "on time"),
                     _label("Tình trạng", "status"), _label("Bản hiệu lực", "version in force"),
                     _label("Nhận lần đầu", "first received"), _label("Hạn nộp", "deadline")]


def _completeness_section(summary: dict) -> str:
    parts = [_completeness_table(period, [c for c in summary["completeness"]
                                          if c["period"] == period])
             for period in summary["periods"]]
    return _section("completeness", _label("Tình hình nộp báo cáo", "completeness"),
                    "".join(parts) or NONE)


def _completeness_table(period: str, rows: list[dict]) -> str:
    counts = {s: sum(r["status"] == s for r in rows) for s in ("accepted", "rejected", "missing")}
    received = sum(r["first_received_at"] is not None for r in rows)
    on_time = sum(bool(r["on_time"]) for r in rows)
    line = (f"Đã nộp {received}/{len(rows)} · chấp nhận {counts['accepted']} · từ chối "
            f"{counts['rejected']} · chưa nộp {counts['missing']} · đúng hạn {on_time}")
    table = _table(COMPLETENESS_HEAD, [_completeness_row(r) for r in rows], frozenset({5}))
    return f"<h3>Kỳ {_esc(period)}</h3><p>{line}</p>{table}"


def _completeness_row(c: dict) -> str:
    received = c["first_received_at"] is not None
    cells = [f"<code>{_esc(c['district_code'])}</code>", _esc(c["district_name"]),
             _yes_no(received), _on_time(c),
             _status_cell(c), _esc(c["accepted_version"]),
             _when(c["first_received_at"]), _when(c["deadline"], with_time=False)]
    attrs = f" class=\"district\" data-district=\"{_esc(c['district_code'])}\""
    return _row(cells, frozenset({5}), attrs)


def _on_time(c: dict) -> str:
    """On time only means something once an accepted return stands (the mart's rule)."""
    if c["status"] == "accepted":
        return _yes_no(c["on_time"])
    if c["first_received_at"] is None:
        return "—"
    return "<span class=\"muted\">— (chưa chấp nhận)</span>"


def _status_cell(c: dict) -> str:
    """The status in force, and the latest version's when it differs (a rejected v2 leaves
    an accepted v1 standing)."""
    cell = _badge(c["status"])
    if c.get("latest_status") not in (None, c["status"]):
        cell += f" <span class=\"muted\">bản mới nhất (latest): </span>{_badge(c['latest_status'])}"
    return cell


# --- failures: rejected returns and warnings --------------------------------------------

FAILURE_HEAD = [_label("Ô", "cell"), _label("Quy tắc", "rule"), _label("Giá trị", "value"),
                _label("Nội dung", "message")]
FAILURE_TITLES = {"error": ("rejected", _label("Báo cáo bị từ chối và lý do",
                                                "rejected returns and why")),
                  "warning": ("warnings", _label("Cảnh báo cần xem xét",
                                                 "warnings awaiting review"))}


def _failures_section(summary: dict, severity: str) -> str:
    anchor, title = FAILURE_TITLES[severity]
    groups = _failures_by_file(summary, severity)
    files = {f["file_name"]: f for f in summary["files"]}
    blocks = [_file_block(files.get(name, {"file_name": name}), listed, severity)
              for name, listed in groups.items()]
    return _section(anchor, title, "".join(blocks) or NONE)


def _failures_by_file(summary: dict, severity: str) -> dict[str, list[dict]]:
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


def _file_block(file: dict, failures: list[dict], severity: str) -> str:
    css = "file warning" if severity == "warning" else "file"
    meta = (f"{_esc(file.get('district_name'))} · kỳ {_esc(file.get('period'))} · "
            f"bản {_esc(file.get('version'))} · nhận {_when(file.get('received_at'))} · "
            f"{_badge(file.get('status'))}")
    table = _table(FAILURE_HEAD, [_failure_row(f) for f in failures]) if failures else ""
    return (f"<div class=\"{css}\"><h3><code>{_esc(file['file_name'])}</code></h3>"
            f"<div class=\"muted\">{meta}</div>{table}</div>")


def _failure_row(f: dict) -> str:
    message = f"{_esc(f['message_vi'])}<span class=\"msg-en\">{_esc(f['message_en'])}</span>"
    if f.get("waived"):
        message = f"{_badge('waived')} {message}"
    return _row([f"<code>{_esc(f['cell'])}</code>", f"<code>{_esc(f['rule_code'])}</code>",
                 _esc(f["value_found"]), message])


# --- waivers --------------------------------------------------------------------------

WAIVER_HEAD = [_label("Tệp", "file"), _label("Ô · quy tắc", "cell · rule"),
               _label("Lỗi", "failure"), _label("Lý do", "why"), _label("Người chấp nhận", "who"),
               _label("Lúc", "when"), _label("Tệp hiện", "file status")]


def _waivers_section(waivers: list[dict]) -> str:
    rows = [_waiver_row(w) for w in waivers]
    content = _table(WAIVER_HEAD, rows) if rows else NONE
    return _section("waivers", _label("Lỗi được chấp nhận", "waivers"), content)


def _waiver_row(w: dict) -> str:
    failure = f"<code>{_esc(w['failure_id'])}</code> {_esc(w.get('message_vi'))}"
    return _row([f"<code>{_esc(w['file_name'])}</code>",
                 f"<code>{_esc(w['cell'])}</code> · <code>{_esc(w['rule_code'])}</code>",
                 failure, _esc(w["reason"]), _esc(w["waived_by"]), _when(w["waived_at"]),
                 _badge(w.get("file_status"))])


# --- indicators -----------------------------------------------------------------------

INDICATOR_HEAD = [_label("Chỉ tiêu", "indicator"), _label("Đơn vị tính", "unit"),
                  _label("Giá trị", "value"), _label("Kế hoạch", "target"),
                  _label("Đạt", "attainment %"), _label("Đơn vị có số liệu", "coverage")]


def _indicators_section(summary: dict) -> str:
    parts = [_period_indicators(summary, period) for period in summary["periods"]]
    return _section("indicators", _label("Chỉ tiêu toàn tỉnh so với kế hoạch",
                                         "province indicators against targets"),
                    "".join(parts) or NONE)


def _period_indicators(summary: dict, period: str) -> str:
    rows = [h for h in summary["headline"] if h["period"] == period]
    if not rows:
        return f"<h3>Kỳ {_esc(period)}</h3>{NONE}"
    table = _table(INDICATOR_HEAD, [_indicator_row(h) for h in rows], frozenset({2, 3, 4, 5}))
    charts = [_attainment_chart(rows)] + [
        _district_chart(summary, period, code) for code in DISTRICT_CHARTS]
    return (f"<h3>Kỳ {_esc(period)}</h3>{table}{charts[0]}"
            f"<div class=\"charts\">{''.join(charts[1:])}</div>")


def _indicator_row(h: dict) -> str:
    name = f"{_esc(h['indicator_name_vi'])} <span class=\"muted\">{_esc(h['indicator_code'])}</span>"
    coverage = f"{_esc(h['districts_covered'])}/{_esc(h['districts_expected'])}"
    if h.get("rows_left_out"):
        coverage += (f"<br><span class=\"muted\">{_num(h['rows_left_out'], 0)} dòng để ngoài "
                     "(rows left out)</span>")
    return _row([name, _esc(h["unit"]), _num(h["value"]), _num(h["target"]),
                 _attainment(h["attainment_pct"]), coverage], frozenset({2, 3, 4, 5}))


def _attainment(pct: float | None) -> str:
    if pct is None:
        return "—"
    css = "met" if pct >= 100 else "short"
    return f"<span class=\"{css}\">{vi_number(pct, 1)} %</span>"


def _attainment_chart(rows: list[dict]) -> str:
    bars = [Bar(h["indicator_name_vi"], h["attainment_pct"],
                f"{vi_number(h['attainment_pct'], 1)} %",
                "met" if h["attainment_pct"] >= 100 else "short")
            for h in rows if h["attainment_pct"] is not None]
    if not bars:
        return ""
    svg = bar_chart(bars, title="Mức đạt kế hoạch (attainment of targets, %)", width=1100,
                    floor=110, reference=(100, "100 % kế hoạch"))
    return _figure("Mức đạt kế hoạch của từng chỉ tiêu (attainment of each target)", svg)


def _district_chart(summary: dict, period: str, code: str) -> str:
    """One indicator for every expected district of the period; a district without an
    accepted return has no bar and says so."""
    values = {d["district_code"]: d for d in summary["district_values"]
              if d["period"] == period and d["indicator_code"] == code}
    if not values:
        return ""
    some = next(iter(values.values()))
    units = [c for c in summary["completeness"] if c["period"] == period]
    bars = [_district_bar(c, values.get(c["district_code"])) for c in units]
    title = f"{some['indicator_name_vi']} ({some['unit']}) theo đơn vị (by district)"
    return _figure(_esc(title), bar_chart(bars, title=title, width=580))


def _district_bar(unit: dict, value: dict | None) -> Bar:
    if value is None or value["value"] is None:
        return Bar(unit["district_name"], None, "không có số liệu (no accepted return)")
    return Bar(unit["district_name"], value["value"], vi_number(value["value"], 1))


def _figure(caption: str, svg: str) -> str:
    return f"<figure><figcaption>{caption}</figcaption>{svg}</figure>"


def _footer(warehouse: str) -> str:
    where = _esc(warehouse)
    return (f"<footer>{_label('Kho dữ liệu', 'warehouse')}: <code>{where}</code> — mở chỉ đọc "
            f"(open read-only): <code>duckdb -readonly {where}</code></footer>")


# --- the one SVG bar chart ------------------------------------------------------------

@dataclass(frozen=True)
class Bar:
    """One horizontal bar: its label, its value (None: no bar, the text says why), the text
    written after it and a CSS tone (met, short or the default colour)."""

    label: str
    value: float | None
    text: str
    tone: str = ""


ROW, TOP, BOTTOM, RIGHT = 24, 30, 24, 110
CHAR, LABEL_MAX = 7, 380  # px per character of a 12px label; widest label column


def bar_chart(bars: list[Bar], *, title: str, width: int = 760, floor: float = 0,
              reference: tuple[float, str] | None = None) -> str:
    """A horizontal bar chart as inline SVG (no namespace URL needed inside HTML): labels
    on the left, a gridline scale, an optional dashed reference line (e.g. 100 %)."""
    if not bars:
        return ""
    left = min(LABEL_MAX, 16 + CHAR * max(len(b.label) for b in bars))
    top_value = max([floor] + [b.value for b in bars if b.value is not None])
    step = _nice_step(top_value or 1)
    scale = Scale(left, width - RIGHT, math.ceil((top_value or 1) / step) * step)
    height = TOP + ROW * len(bars) + BOTTOM
    parts = _grid(scale, step, height) + [_bar(i, b, scale) for i, b in enumerate(bars)]
    if reference is not None:
        parts.append(_reference(scale, height, *reference))
    return (f"<svg class=\"chart\" role=\"img\" aria-label=\"{_esc(title)}\" width=\"{width}\" "
            f"height=\"{height}\" viewBox=\"0 0 {width} {height}\">"
            f"<title>{_esc(title)}</title>{''.join(parts)}</svg>")


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


def _grid(scale: Scale, step: float, height: int) -> list[str]:
    ticks = [i * step for i in range(int(round(scale.top / step)) + 1)]
    return [f"<line class=\"grid\" x1=\"{scale.x(t)}\" y1=\"{TOP - 6}\" x2=\"{scale.x(t)}\" "
            f"y2=\"{height - BOTTOM + 2}\"/><text x=\"{scale.x(t)}\" y=\"{height - 6}\" "
            f"text-anchor=\"middle\">{vi_number(t, 1)}</text>" for t in ticks]


def _bar(index: int, bar: Bar, scale: Scale) -> str:
    y = TOP + index * ROW
    label = (f"<text x=\"{scale.left - 8}\" y=\"{y + 16}\" text-anchor=\"end\">"
             f"<title>{_esc(bar.label)}</title>{_esc(_clip(bar.label, scale.left))}</text>")
    if bar.value is None:
        return label + f"<text class=\"none\" x=\"{scale.left + 6}\" y=\"{y + 16}\">{_esc(bar.text)}</text>"
    end = scale.x(bar.value)
    return (label + f"<rect class=\"bar {bar.tone}\" x=\"{scale.left}\" y=\"{y + 4}\" "
            f"width=\"{round(end - scale.left, 1)}\" height=\"{ROW - 8}\" rx=\"2\"/>"
            f"<text x=\"{end + 6}\" y=\"{y + 16}\">{_esc(bar.text)}</text>")


def _clip(label: str, width: float) -> str:
    """The label shortened with '…' to fit the label column (the full text is its title)."""
    room = int((width - 16) / CHAR)
    return label if len(label) <= room else label[:room - 1].rstrip() + "…"


def _reference(scale: Scale, height: int, value: float, text: str) -> str:
    x = scale.x(value)
    return (f"<line class=\"ref\" x1=\"{x}\" y1=\"{TOP - 8}\" x2=\"{x}\" "
            f"y2=\"{height - BOTTOM + 2}\"/><text class=\"ref-label\" x=\"{x + 4}\" "
            f"y=\"{TOP - 12}\">{_esc(text)}</text>")
