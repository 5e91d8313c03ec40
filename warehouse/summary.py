"""The run summary: what came in, what was accepted or rejected and why, and the
province's headline indicators against their targets."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

from transforms.failures import vi_number
from warehouse import db


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
    }


FAILURE_SECTIONS = {"error": "Lý do từ chối (why returns were rejected)",
                    "warning": "Cảnh báo cần xem xét (warnings to review)"}


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False))


def _num(value: object) -> str:
    return "—" if value is None else vi_number(value, 1)


def render_markdown(summary: dict, warehouse: Path) -> str:
    """The summary as Vietnamese markdown (English labels in parentheses)."""
    run, files, failures = summary["run"], summary["files"], summary["failures"]
    lines = [f"# Tổng hợp báo cáo HTX — lần chạy {run['run_id']}", "",
             f"Tệp trong hộp thư (files seen): {run['files_seen']} · mới (new): {run['files_new']}"
             f" · chấp nhận (accepted): {run['files_accepted']} · từ chối (rejected): "
             f"{run['files_rejected']} · không đọc được (unreadable): {run['files_unreadable']}",
             ""]
    if files:
        lines += ["## Tệp đã xử lý (files processed)", "",
                  "| tệp | đơn vị | kỳ | tình trạng | lỗi | cảnh báo |", "| --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {f['file_name']} | {f['district_name'] or '?'} | {f['period'] or '?'} | "
                  f"{f['status']} | {f['errors']} | {f['warnings']} |" for f in files]
        lines.append("")
    for severity, title in FAILURE_SECTIONS.items():
        listed = [f for f in failures if f["severity"] == severity]
        if listed:
            lines += [f"## {title}", ""]
            lines += [f"- {f['file_name']} · {f['cell'] or ''} · {f['rule_code']}: "
                      f"{f['message_vi']}" for f in listed]
            lines.append("")
    if summary["waivers"]:
        lines += ["## Lỗi được chấp nhận (waivers)", ""]
        lines += [f"- {w['file_name']} · {w['cell'] or ''} · {w['rule_code']}: chấp nhận bởi "
                  f"{w['waived_by']} ({w['waived_at'][:16]}): {w['reason']}"
                  for w in summary["waivers"]]
        lines.append("")
    if summary["rule_skips"]:
        lines += ["## Quy tắc bỏ qua vì thiếu số liệu (rules skipped for missing values)", ""]
        lines += [f"- {k['rule_code']}: {k['rows_skipped']} dòng bỏ qua, {k['rows_checked']} "
                  f"dòng đã kiểm tra ({k['files']} tệp)" for k in summary["rule_skips"]]
        lines.append("")
    for period in summary["periods"]:
        rows = [h for h in summary["headline"] if h["period"] == period]
        if not rows:
            continue
        cov = rows[0]
        lines += [f"## Chỉ tiêu toàn tỉnh kỳ {period} (province indicators)", "",
                  f"Đơn vị có báo cáo được chấp nhận (coverage): {cov['districts_covered']}"
                  f"/{cov['districts_expected']}", "",
                  "| chỉ tiêu | đơn vị tính | giá trị | kế hoạch | đạt (%) |", "| --- | --- | ---: | ---: | ---: |"]
        lines += [f"| {h['indicator_name_vi']} | {h['unit']} | {_num(h['value'])} | "
                  f"{_num(h['target'])} | {_num(h['attainment_pct'])} |" for h in rows]
        lines.append("")
    if summary.get("feedback"):
        lines += ["## Tệp phản hồi gửi đơn vị (feedback workbooks, faulty cells marked)", ""]
        lines += [f"- `{path}`" for path in summary["feedback"]]
        lines.append("")
    lines += ["Báo cáo đầy đủ có biểu đồ (full report with charts): `report.html` in the "
              "reports folder", ""]
    lines += [f"Kho dữ liệu (warehouse): `{warehouse}` — mở chỉ đọc: "
              f"`duckdb -readonly {warehouse}`", ""]
    return "\n".join(lines)
