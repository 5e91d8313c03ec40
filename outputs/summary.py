"""The run summary: what came in, what was accepted or rejected and why, and the
province's headline indicators against their targets."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from contracts.reference import TIME_ZONE
from contracts.vocabularies import SUBMISSION_STATUSES
from transforms.text import vi_number
from warehouse import db
from outputs.escape import md_code, md_text

VIETNAM = ZoneInfo(TIME_ZONE)


def run_summary(con: duckdb.DuckDBPyConnection, run: dict) -> dict:
    """Everything the summary shows, as plain data."""
    files = db.query(con, "report/run_files.sql", run_id=run["run_id"])
    periods = sorted(set(files["period"].dropna()))
    if not periods:
        latest = db.query(con, "report/latest_period.sql")
        periods = latest["period"].tolist()
    return {
        "run": run,
        "periods": periods,
        "files": _records(files),
        "failures": _records(db.query(con, "report/run_failures.sql", run_id=run["run_id"])),
        "rule_skips": _records(db.query(con, "report/run_rule_skips.sql", run_id=run["run_id"])),
        "completeness": _records(db.query(con, "report/completeness.sql", periods=periods)),
        "headline": _records(db.query(con, "report/headline.sql", periods=periods)),
        "district_values": _records(db.query(con, "report/district_values.sql",
                                             periods=periods)),
        "waivers": _records(db.query(con, "report/waivers.sql", periods=periods)),
        "waived_returns": _records(db.query(con, "report/run_waived_returns.sql",
                                            started_at=run["started_at"])),
    }


class RunSummary(Mapping):
    """A run's summary by reference: its report folder and markdown at hand, everything
    else (files, failures, indicators…) read from the folder's summary.json when first
    asked for. A flow returns this, and Prefect, which walks every list and dict a task
    returns, has one object to look at instead of a summary that grows with the files."""

    def __init__(self, folder: Path, markdown: str):
        self.folder, self.markdown = Path(folder), markdown
        self._whole: dict | None = None

    def _data(self) -> dict:
        if self._whole is None:
            self._whole = json.loads((self.folder / "summary.json").read_text(encoding="utf-8"))
            self._whole |= {"report_folder": str(self.folder), "markdown": self.markdown}
        return self._whole

    def __getitem__(self, key: str) -> object:
        if key == "markdown":
            return self.markdown
        if key == "report_folder":
            return str(self.folder)
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())

    def __getstate__(self) -> dict:  # pickled by reference, never with what it read
        return {"folder": self.folder, "markdown": self.markdown, "_whole": None}


FAILURE_SECTIONS = {"error": "Lý do từ chối (why returns were rejected)",
                    "warning": "Cảnh báo cần xem xét (warnings to review)"}


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False))


def _num(value: object) -> str:
    return "—" if value is None else vi_number(value, 1)


def render_markdown(summary: dict, warehouse: Path) -> str:
    """The summary as Vietnamese markdown (English labels in parentheses). Every text
    from data (file and unit names, cells, messages, reasons, paths) is escaped: it
    renders as itself, never as HTML, a link, a heading or a broken table."""
    run = summary["run"]
    lines = [f"# Tổng hợp báo cáo HTX — lần chạy {md_text(run['run_id'])}", "",
             f"Tệp trong hộp thư (files seen): {run['files_seen']} · mới (new): {run['files_new']}"
             f" · chấp nhận (accepted): {run['files_accepted']} · từ chối (rejected): "
             f"{run['files_rejected']} · không đọc được (unreadable): {run['files_unreadable']}"
             + (f" · giữ lại, kỳ đã khoá (held): {run['files_held']}"
                if run.get("files_held") else ""),
             ""]
    for part in (_files, _failures, _waived_returns, _waivers, _rule_skips, _headline,
                 _feedback):
        lines += part(summary)
    lines += ["Báo cáo đầy đủ có biểu đồ (full report with charts): `report.html` in the "
              "reports folder", "",
              f"Kho dữ liệu (warehouse): {md_code(warehouse)} — mở chỉ đọc: "
              f"{md_code(f'duckdb -readonly {warehouse}')}", ""]
    return "\n".join(lines + _next_steps(summary))


def _files(summary: dict) -> list[str]:
    if not summary["files"]:
        return []
    lines = ["## Tệp đã xử lý (files processed)", "",
             "| tệp | đơn vị | kỳ | tình trạng | lỗi | cảnh báo |",
             "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {md_text(f['file_name'])} | {md_text(f['district_name'] or '?')} | "
              f"{md_text(f['period'] or '?')} | {md_text(f['status'])} | {f['errors']} | "
              f"{f['warnings']} |" for f in summary["files"]]
    return lines + [""]


def _failures(summary: dict) -> list[str]:
    lines = []
    for severity, title in FAILURE_SECTIONS.items():
        listed = [f for f in summary["failures"] if f["severity"] == severity]
        if listed:
            lines += [f"## {title}", ""]
            lines += [f"- {md_text(f['file_name'])} · {md_text(f['cell'] or '')} · "
                      f"{md_text(f['rule_code'])}: {md_text(f['message_vi'])}" for f in listed]
            lines.append("")
    return lines


STATUS_VI = {t.code: f"{t.name_vi} ({t.code})" for t in SUBMISSION_STATUSES.terms}


def _waived_returns(summary: dict) -> list[str]:
    """Which returns the waivers recorded since the last run changed, and to what."""
    changed = summary.get("waived_returns") or []
    if not changed:
        return []
    lines = ["## Báo cáo thay đổi tình trạng nhờ lỗi được chấp nhận "
             "(returns re-evaluated after waivers)", ""]
    for r in changed:
        status = STATUS_VI.get(r["status"], md_text(r["status"]))
        left = (f"; còn {r['errors_left']} lỗi chưa được chấp nhận "
                f"({r['errors_left']} errors not waived)" if r["errors_left"] else "")
        lines.append(f"- {md_text(r['file_name'])} ({md_text(r['district_code'] or '?')}, "
                     f"kỳ {md_text(r['period'] or '?')}): {r['waivers']} lỗi được chấp nhận "
                     f"→ nay {status}{left}")
    return lines + [""]


def _waivers(summary: dict) -> list[str]:
    if not summary["waivers"]:
        return []
    lines = ["## Lỗi được chấp nhận (waivers)", ""]
    lines += [f"- {md_text(w['file_name'])} · {md_text(w['cell'] or '')} · "
              f"{md_text(w['rule_code'])}: chấp nhận bởi {md_text(w['waived_by'])} "
              f"({md_text(vietnam_time(w['waived_at']))}): {md_text(w['reason'])}"
              for w in summary["waivers"]]
    return lines + [""]


def _rule_skips(summary: dict) -> list[str]:
    if not summary["rule_skips"]:
        return []
    lines = ["## Quy tắc bỏ qua vì thiếu số liệu (rules skipped for missing values)", ""]
    lines += [f"- {md_text(k['rule_code'])}: {k['rows_skipped']} dòng bỏ qua, "
              f"{k['rows_checked']} dòng đã kiểm tra ({k['files']} tệp)"
              for k in summary["rule_skips"]]
    return lines + [""]


def _headline(summary: dict) -> list[str]:
    lines = []
    for period in summary["periods"]:
        rows = [h for h in summary["headline"] if h["period"] == period]
        if not rows:
            continue
        cov = rows[0]
        lines += [f"## Chỉ tiêu toàn tỉnh kỳ {md_text(period)} (province indicators)", "",
                  f"Đơn vị có báo cáo được chấp nhận (coverage): {cov['districts_covered']}"
                  f"/{cov['districts_expected']}", "",
                  "| chỉ tiêu | đơn vị tính | giá trị | kế hoạch | đạt (%) |",
                  "| --- | --- | ---: | ---: | ---: |"]
        lines += [f"| {md_text(h['indicator_name_vi'])} | {md_text(h['unit'])} | "
                  f"{_num(h['value'])} | {_num(h['target'])} | {_num(h['attainment_pct'])} |"
                  for h in rows]
        lines.append("")
    return lines


def _feedback(summary: dict) -> list[str]:
    if not summary.get("feedback"):
        return []
    lines = ["## Tệp phản hồi gửi đơn vị (feedback workbooks, faulty cells marked)", ""]
    return lines + [f"- {md_code(path)}" for path in summary["feedback"]] + [""]


def _next_steps(summary: dict) -> list[str]:
    """What a steward does next: review what failed, waive what is acceptable."""
    pending = [f for f in summary["failures"] if not f.get("waived")]
    lines = ["## Việc cần làm tiếp (what to do next)", ""]
    if pending:
        lines += ["- Xem các lỗi và cảnh báo (review the failures): `htx review` "
                  "(một đơn vị / one unit: `htx review --district MÃ`)",
                  "- Chấp nhận một lỗi có lý do (accept one failure, with a reason): "
                  "`htx waive MÃ_LỖI --reason \"…\" --by \"Họ tên\"`; lần chạy tới đánh giá "
                  "lại báo cáo (the next run re-evaluates the return)",
                  "- Gửi tệp phản hồi cho đơn vị để sửa và nộp lại (send the feedback "
                  "workbooks to the units to correct and resend)"]
    else:
        lines += ["- Không có lỗi mới cần xem (no new failures to review); "
                  "xem lại bất cứ lúc nào (review any time): `htx review`"]
    return lines + ["- Xem chỉ tiêu (indicators): `htx indicators`", ""]


def local_date(value: object) -> str:
    """A recorded time's date (YYYY-MM-DD) in the reporting units' zone, to compare with a
    deadline; "" when there is none."""
    if value is None or value == "":
        return ""
    return _local(value).strftime("%Y-%m-%d")


def vietnam_time(value: object) -> str:
    """A recorded time shown in the reporting units' zone (Asia/Ho_Chi_Minh); a time stored
    without its zone (an older warehouse) is the machine's local time."""
    if value is None or value == "":
        return ""
    return _local(value).strftime("%d/%m/%Y %H:%M")


def _local(value: object) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(dt.datetime.now().astimezone().tzinfo)
    return stamp.tz_convert(VIETNAM)
