"""The portal in a real browser (Playwright driving Debian's chromium) against `htx web`
started as a real process on a free loopback port, over a real warehouse. Screenshots of
the main pages go to docs/portal-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright import sync_api as playwright

from tests.portal_setup import PASSWORD, build_site
from tests.portal_setup import served as serve_portal

CHROMIUM = "/usr/bin/chromium"
DOCS = Path(__file__).parent.parent / "docs"


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
    analyst.screenshot(path=str(DOCS / "portal-indicators.png"), full_page=True)
