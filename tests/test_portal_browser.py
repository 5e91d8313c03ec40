"""The portal in a real browser (Playwright driving Debian's chromium) against `htx web`
started as a real process on a free loopback port, over a real warehouse: a district's
check, a steward's whole loop (waive, approve and lock, a correction held, consolidate
from the page, reopen, consolidate again), the analyst's indicators and their charts.
Screenshots of the main pages go to docs/portal-*.png."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient
from playwright import sync_api as playwright

from contracts.indicators import INDICATORS
from demo.province import write_demo_returns
from flows.portal import places
from flows.web import create_app
from tests.portal_setup import PASSWORD, build_site
from tests.portal_setup import served as serve_portal
from transforms.periods import period_from_code

CHROMIUM = "/usr/bin/chromium"
DOCS = Path(__file__).parent.parent / "docs"
RUN_TIMEOUT = 600  # seconds a consolidation may take: a real `htx run`, cold, on busy cores


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("portal_browser")
    site = build_site(root)
    with serve_portal(site, root) as url:
        yield site, url


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():  # never a silent skip: .ci/run installs it
        pytest.fail("Chromium is not installed (/usr/bin/chromium): .ci/run installs it with "
                    "`apt-get install -y chromium`")
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def log_in(browser, url: str, name: str):
    page = browser.new_context(viewport={"width": 1280, "height": 900},
                               accept_downloads=True).new_page()
    page.goto(url + "/login")
    page.get_by_label("Tên đăng nhập").fill(name)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()
    return page


def test_district_uploads_a_faulty_return_and_sees_its_cells(served, browser, tmp_path):
    site, url = served
    page = log_in(browser, url, "huyen119")
    assert page.url.endswith("/bao-cao")
    page.screenshot(path=str(DOCS / "portal-district.png"), full_page=True)
    page.set_input_files("#file", str(site.returns["119"]))
    page.get_by_role("button", name="Gửi và kiểm tra").click()
    page.wait_for_selector("#verdict")
    assert "Chưa đạt" in page.inner_text("#verdict")
    cells = page.locator("td.cell").all_inner_texts()
    for fault in (f for f in site.faults if f["unit_code"] == "119"):
        assert fault["cell"] in cells
    page.screenshot(path=str(DOCS / "portal-check.png"), full_page=True)
    with page.expect_download() as download:
        page.locator("#feedback").click()
    saved = tmp_path / "phan_hoi.xlsx"
    download.value.save_as(saved)
    assert saved.read_bytes()[:2] == b"PK"
    return_url = page.get_by_role("link", name="Trang của báo cáo này").get_attribute("href")

    other = log_in(browser, url, "huyen120")
    response = other.goto(url + return_url)
    assert response.status == 403
    assert "không phải của đơn vị bạn" in other.inner_text("main")


def test_steward_waives_with_a_reason_and_sees_the_board(served, browser):
    site, url = served
    page = log_in(browser, url, "thamdinh")
    assert page.url.endswith("/tinh")
    page.screenshot(path=str(DOCS / "portal-board.png"), full_page=True)
    page.goto(url + "/loi?district=118")
    row = page.locator("tr.error").first
    failure_id = row.get_attribute("data-failure")
    row.get_by_role("button", name="Chấp nhận").click()  # no reason: the browser refuses
    assert page.url.endswith("/loi?district=118")
    row.get_by_placeholder("Lý do chấp nhận").fill("Đã xác minh với huyện qua điện thoại")
    row.get_by_role("button", name="Chấp nhận").click()
    page.wait_for_load_state()
    waived = page.locator(f'tr[data-failure="{failure_id}"]')
    assert "chờ lần tổng hợp tới" in waived.inner_text()
    page.screenshot(path=str(DOCS / "portal-failures.png"), full_page=True)

    analyst = log_in(browser, url, "phantich")
    assert analyst.url.endswith("/chi-tieu")
    assert "Tổng số hợp tác xã" in analyst.inner_text("main")
    assert analyst.locator("#charts svg.chart").count() == len(INDICATORS)
    analyst.screenshot(path=str(DOCS / "portal-indicators.png"), full_page=True,  # the
                       clip={"x": 0, "y": 0, "width": 1280, "height": 2000})  # first charts


# --- the steward's whole loop ---------------------------------------------------------------

def consolidate_now(page, url: str, site) -> None:
    """From the board, "Tổng hợp ngay", then watch the run's page (it reloads itself) until
    it says the consolidation is done."""
    page.goto(url + "/tinh")
    page.get_by_role("button", name="Tổng hợp ngay").click()
    page.wait_for_load_state()
    assert "/chay/" in page.url
    deadline = time.monotonic() + RUN_TIMEOUT
    state = None
    while time.monotonic() < deadline:
        try:
            state = page.locator("#run-state").get_attribute("data-state", timeout=5_000)
        except playwright.Error:  # caught between two reloads of the page
            state = None
        if state in ("completed", "failed"):
            break
        time.sleep(2)
    if state != "completed":
        logs = sorted(places(site.settings).run_logs.glob("*.log"),
                      key=lambda p: p.stat().st_mtime)
        tail = logs[-1].read_text(errors="replace")[-3000:] if logs else "(no log)"
        pytest.fail(f"the consolidation ended {state!r} (or not in {RUN_TIMEOUT} s):\n{tail}")
    assert "xong" in page.inner_text("#run-state")


def province_figures(page, url: str) -> list[str]:
    """The province's published figures for 2023 as the indicators page shows them."""
    page.goto(url + "/chi-tieu?period=2023")
    rows = page.locator("#indicators tbody tr").all_inner_texts()
    assert len(rows) == len(INDICATORS)
    return rows


def status_of(page, url: str, district: str) -> list[str]:
    """The statuses the list of returns shows for one district's 2023 returns."""
    page.goto(url + "/bao-cao?period=2023")
    rows = page.locator(f'tbody tr[data-district="{district}"][data-period="2023"]')
    return [r.locator(".badge").inner_text() for r in rows.all()]


def test_steward_locks_a_period_a_correction_is_held_then_counts_once_reopened(
        served, browser, tmp_path):
    site, url = served
    page = log_in(browser, url, "thamdinh")

    # waive a failure with a reason
    page.goto(url + "/loi?district=124")
    row = page.locator("tbody tr", has=page.locator("form.waive")).first
    failure_id = row.get_attribute("data-failure")
    row.get_by_placeholder("Lý do chấp nhận").fill("Huyện đã giải trình bằng công văn")
    row.get_by_role("button", name="Chấp nhận").click()
    page.wait_for_load_state()
    assert "chờ lần tổng hợp tới" in page.locator(f'tr[data-failure="{failure_id}"]').inner_text()

    # approve and lock 2023 with a reason, from the board (the waiver and the uploads of the
    # tests before were made before the lock: they count in the run that applies it)
    page.goto(url + "/tinh")
    page.get_by_role("button", name="Phê duyệt và khoá kỳ 2023").click()  # no reason: refused
    assert page.url.endswith("/tinh")
    page.get_by_label("Lý do khoá kỳ 2023").fill("Phê duyệt số liệu năm 2023")
    page.get_by_role("button", name="Phê duyệt và khoá kỳ 2023").click()
    page.wait_for_load_state()
    assert "đã khoá" in page.locator("table.board thead").inner_text()
    assert "Phê duyệt số liệu năm 2023" in page.inner_text("#khoa-ky")
    consolidate_now(page, url, site)  # applies the lock, with what came before it
    published = province_figures(page, url)

    # a correction that passes the check
    (correction,) = [p for p in write_demo_returns(tmp_path, period_from_code("2023"), 7)
                     if p.name.startswith("121_")]
    page.goto(url + "/bao-cao")
    page.set_input_files("#file", str(correction))
    page.get_by_role("button", name="Gửi và kiểm tra").click()
    page.wait_for_selector("#verdict")
    assert "Đạt" in page.inner_text("#verdict")

    consolidate_now(page, url, site)
    page.goto(url + "/loi?district=124")
    assert "đã chấp nhận" in page.locator(f'tr[data-failure="{failure_id}"]').inner_text()
    assert status_of(page, url, "121") == ["chấp nhận", "giữ lại, kỳ đã khoá"]
    page.goto(url + "/tinh")
    held = page.locator('td[data-cell="121-2023"] .badge.held')
    assert held.inner_text().startswith("giữ lại")
    page.screenshot(path=str(DOCS / "portal-locked.png"), full_page=True)
    held.click()
    page.wait_for_load_state()
    assert "giữ lại" in page.inner_text("main") and "mở lại kỳ" in page.inner_text("main")
    assert province_figures(page, url) == published
    assert "đã khoá" in page.inner_text("#locked-notice")

    # reopen with a reason, consolidate again: the correction counts
    page.goto(url + "/tinh")
    page.get_by_label("Lý do mở lại kỳ 2023").fill("Huyện 121 sửa số liệu")
    page.get_by_role("button", name="Mở lại kỳ 2023").click()
    page.wait_for_load_state()
    assert "đã khoá" not in page.locator("table.board thead").inner_text()
    consolidate_now(page, url, site)
    assert status_of(page, url, "121") == ["đã thay thế", "chấp nhận"]
    assert province_figures(page, url) != published


# --- the analyst's charts -------------------------------------------------------------------

def test_indicators_page_charts_every_indicator_across_districts(served, browser):
    site, url = served
    page = log_in(browser, url, "phantich")
    page.goto(url + "/chi-tieu?period=2023&district=121")
    figures = page.locator("#charts figure")
    assert figures.count() == len(INDICATORS)
    total = page.locator('#charts figure[data-indicator="HTX_TOTAL"]')
    assert re.search(r"\d+/12 đơn vị có số liệu", total.inner_text())
    chart = total.locator("svg.chart")
    assert chart.locator("rect.bar").count() >= 9
    assert chart.locator("rect.bar.picked").count() == 1  # the chosen district
    assert "Huyện Bắc Yên" in chart.text_content()
    assert page.evaluate("document.querySelectorAll('script[src^=http], link[href^=http], "
                         "img[src^=http]').length") == 0


MARKUP = '<b>Huyện</b> "Bắc Yên" <script>alert(1)</script> & <img src=x onerror=alert(2)>'


def test_a_district_name_with_markup_arrives_escaped(served, tmp_path):
    site, _ = served
    warehouse = tmp_path / "data" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    shutil.copy2(site.settings.warehouse, warehouse)
    settings = site.settings.model_copy(update={"warehouse": warehouse, "portal": None})
    shutil.copy2(site.db, places(settings).database)
    with duckdb.connect(str(warehouse)) as con:
        for table in ("mart.completeness", "mart.district_indicators"):
            con.execute(f"UPDATE {table} SET district_name = ? WHERE district_code = '121'",
                        [MARKUP])
    client = TestClient(create_app(settings))
    answer = client.post("/api/login", json={"username": "phantich", "password": PASSWORD})
    assert answer.status_code == 200
    page = client.get("/chi-tieu", params={"period": "2023"})
    assert page.status_code == 200
    charts = page.text[page.text.index('id="charts"'):]
    assert charts.count('<svg class="chart"') == len(INDICATORS)
    assert "<script>alert(1)" not in page.text and "<img src=x" not in page.text
    assert "&lt;b&gt;Huyện&lt;/b&gt;" in charts and "&lt;script&gt;alert(1)" in charts
    assert "<b>Huyện</b>" not in page.text
