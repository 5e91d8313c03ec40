"""Tables the analyst downloads: CSV (UTF-8 with BOM, formula-safe) and XLSX (no data
string is ever written as a formula)."""

from __future__ import annotations

import io

from openpyxl import Workbook

from outputs.escape import to_csv
from outputs.template import BOLD, safe_set


def csv_bytes(columns: list[str], rows: list[dict]) -> bytes:
    return to_csv(columns, ([r.get(c) for c in columns] for r in rows)).encode("utf-8")


def xlsx_bytes(columns: list[str], rows: list[dict], title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    for c, name in enumerate(columns, 1):
        safe_set(ws, 1, c, name).font = BOLD
    for r, row in enumerate(rows, 2):
        for c, name in enumerate(columns, 1):
            value = row.get(name)
            safe_set(ws, r, c, "" if value is None else value)
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
