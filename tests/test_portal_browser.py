"""The portal in a real browser (Playwright driving Debian's chromium) against `htx web`
started as a real process on a free loopback port, over a real warehouse. Screenshots of
the main pages go to docs/portal-*.png."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.portal_setup import PASSWORD, build_site, settings_env

CHROMIUM = "/usr/bin/chromium"
DOCS = Path(__file__).parent.parent / "docs"
playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("portal_browser")
    site = build_site(root)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HTX_")} | settings_env(site)
    htx = str(Path(sys.executable).parent / "htx")
    process = subprocess.Popen([htx, "web", "--host", "127.0.0.1", "--port", str(port)],
                               cwd=root, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            httpx.get(url + "/login", timeout=1)
            break
        except httpx.HTTPError:
            if process.poll() is not None:
                pytest.fail(process.stdout.read().decode())
            time.sleep(0.2)
    yield site, url
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="module")
def browser():
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
    analyst.screenshot(path=str(DOCS / "portal-indicators.png"), full_page=True)
