"""Regenerate docs/report.png, the picture of the HTML run report: the demo province
consolidated by `htx demo` in a temporary folder, its run summary rendered by
`outputs.report_html.render_html`, photographed by headless Chromium (Debian's
`chromium` package; the page's Vietnamese text uses the system's DejaVu fonts).

    .venv/bin/python docs/make_report_screenshot.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from outputs.report_html import render_html

OUT = Path(__file__).resolve().parent / "report.png"
WINDOW = "1280,4400"  # desktop width; tall enough for the whole demo page (about 4,320 px)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def demo_summary(folder: Path) -> dict:
    """Run `htx demo` in `folder` as a user would (Prefect's home inside it); its summary."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HTX_", "PREFECT_"))}
    env["PREFECT_HOME"] = str(folder / ".prefect")
    htx = Path(sys.executable).parent / "htx"
    subprocess.run([str(htx), "demo"], cwd=folder, env=env, check=True, capture_output=True,
                   timeout=600)
    (path,) = (folder / "data" / "reports").glob("run_*/summary.json")
    return json.loads(path.read_text(encoding="utf-8"))


def screenshot(page: Path, out: Path, profile: Path) -> None:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={out}",
                    f"--window-size={WINDOW}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="htx-report-") as tmp:
        folder = Path(tmp)
        page = folder / "report.html"
        page.write_text(render_html(demo_summary(folder), "data/warehouse.duckdb"),
                        encoding="utf-8")
        screenshot(page, OUT, folder / "profile")
    print(f"{OUT} ({OUT.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
