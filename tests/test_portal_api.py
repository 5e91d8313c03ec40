"""The portal's JSON API (../shared/spec/portal.md) with FastAPI's TestClient, over real
files: demo returns, a warehouse made by the pipeline's own steps, the portal database."""

from __future__ import annotations

import sqlite3
import time

import pytest
from fastapi.testclient import TestClient

from flows.web import create_app
from intake.decisions import mark_applied, pending_decisions
from tests.portal_setup import PASSWORD, build_site


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return build_site(tmp_path_factory.mktemp("portal"))


@pytest.fixture()
def app(site):
    return create_app(site.settings)


def login(app, name: str) -> tuple[TestClient, dict]:
    client = TestClient(app)
    response = client.post("/api/login", json={"username": name, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    return client, {"X-CSRF-Token": body["csrf_token"]}


def upload(client, headers, path, name=None):
    with open(path, "rb") as fh:
        return client.post("/api/returns", headers=headers,
                           files={"file": (name or path.name, fh, "application/octet-stream")})


def test_log_in_gives_role_unit_and_an_httponly_cookie(app):
    client = TestClient(app)
    response = client.post("/api/login", json={"username": "huyen119", "password": PASSWORD})
    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("username", "role", "unit")} == {
        "username": "huyen119", "role": "district", "unit": "119"}
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_wrong_password_is_401(app):
    response = TestClient(app).post("/api/login", json={"username": "huyen119",
                                                        "password": "sai-mat-khau"})
    assert response.status_code == 401


@pytest.mark.parametrize("method,path", [
    ("get", "/api/returns"), ("get", "/api/failures"), ("get", "/api/indicators"),
    ("post", "/api/runs"), ("post", "/api/failures/abc/waive"), ("get", "/api/nothing")])
def test_no_session_is_401(app, method, path):
    assert getattr(TestClient(app), method)(path).status_code == 401


def test_change_without_csrf_token_is_403(app, site):
    client, headers = login(app, "thamdinh")
    assert client.post("/api/periods/2023/lock", json={"reason": "x"}).status_code == 403
    assert client.post("/api/periods/2023/lock", json={"reason": "x"},
                       headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert upload(client, {}, site.returns["116"]).status_code == 403


def test_faulty_upload_lists_every_fault_at_its_cell_in_seconds(app, site):
    client, headers = login(app, "huyen119")
    started = time.perf_counter()
    response = upload(client, headers, site.returns["119"])
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["check_status"] == "rejected" and body["district_code"] == "119"
    assert body["period"] == "2023"
    found = {(f["cell"], f["rule_code"]) for f in body["failures"]}
    expected = {(f["cell"], f["rule"]) for f in site.faults if f["unit_code"] == "119"}
    assert expected and expected <= found
    for f in body["failures"]:
        assert set(f) == {"failure_id", "sheet", "cell", "rule_code", "severity",
                          "value_found", "message_vi"}
        assert f["message_vi"]
    assert elapsed < 5
    feedback = client.get(body["feedback_url"])
    assert feedback.status_code == 200 and feedback.content[:2] == b"PK"
    # the file is in the inbox, whole, for the next consolidation
    assert [p.name for p in site.settings.inbox.rglob("119_2023.xlsx")] == ["119_2023.xlsx"]
    assert not [p for p in site.settings.inbox.rglob(".*") if p.is_file()]


def test_cross_return_check_against_the_published_warehouse(app, site):
    client, headers = login(app, "huyen120")
    body = upload(client, headers, site.returns["120"]).json()
    expected = {(f["cell"], f["rule"]) for f in site.faults if f["unit_code"] == "120"}
    assert ("Tong_hop!B3", "TOTAL_MISMATCH") in expected
    assert expected <= {(f["cell"], f["rule_code"]) for f in body["failures"]}


def test_district_refused_another_units_return_naming_both(app, site):
    client, headers = login(app, "huyen119")
    response = upload(client, headers, site.returns["121"])
    assert response.status_code == 403
    message = response.json()["detail"]
    assert "Huyện Bắc Yên" in message and "Huyện Thuận Châu" in message
    assert not list(site.settings.inbox.rglob("121_2023.xlsx"))


def test_district_cannot_read_another_units_returns_or_failures(app, site):
    client, headers = login(app, "huyen119")
    own = client.get("/api/returns").json()
    assert own and {r["district_code"] for r in own} == {"119"}
    steward, _ = login(app, "thamdinh")
    every = steward.get("/api/returns", params={"period": "2023"}).json()
    others = [r for r in every if r["district_code"] not in ("119", None)]
    assert others
    for r in others[:3]:
        assert client.get(f"/api/returns/{r['submission_id']}").status_code in (403, 404)
        assert client.get(f"/api/returns/{r['submission_id']}/feedback").status_code in (403, 404)
    assert client.get("/api/failures", params={"district": "118"}).status_code == 403
    assert {f["district_code"] for f in client.get("/api/failures").json()} <= {"119"}
    assert client.get("/api/returns/" + "0" * 64).status_code == 404


def test_a_districts_indicators_page_shows_no_other_units_returns_or_runs(app):
    district, _ = login(app, "huyen119")
    steward, _ = login(app, "thamdinh")
    assert "Tình hình nộp" in steward.get("/chi-tieu").text
    page = district.get("/chi-tieu")
    assert page.status_code == 200 and "Tổng số hợp tác xã" in page.text
    assert "Tình hình nộp" not in page.text and "Các lần tổng hợp" not in page.text


def test_an_upload_of_unsaid_length_is_refused_before_it_is_read(app):
    client, headers = login(app, "huyen119")
    body = iter([b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.xlsx\""
                 b"\r\n\r\n", b"PK" * 1000, b"\r\n--b--\r\n"])
    answer = client.post("/api/returns", content=body, headers=headers | {
        "content-type": "multipart/form-data; boundary=b"})
    assert answer.status_code == 411


def test_over_the_size_cap_is_413(app, site, tmp_path):
    client, headers = login(app, "huyen119")
    big = tmp_path / "lon.xlsx"
    big.write_bytes(site.returns["119"].read_bytes() + b"\0" * 1_100_000)
    assert upload(client, headers, big).status_code == 413


def test_waivers_locks_and_runs_are_for_stewards(app, site):
    client, headers = login(app, "huyen119")
    failure = client.get("/api/failures").json() or [{"failure_id": "x"}]
    assert client.post(f"/api/failures/{failure[0]['failure_id']}/waive", headers=headers,
                       json={"reason": "muốn thế"}).status_code == 403
    assert client.post("/api/periods/2023/lock", headers=headers,
                       json={"reason": "x"}).status_code == 403
    assert client.post("/api/runs", headers=headers).status_code == 403
    analyst, a_headers = login(app, "phantich")
    assert analyst.get("/api/failures").status_code == 403
    assert analyst.get("/api/indicators", params={"period": "2023"}).json()


def test_steward_waiver_needs_a_reason_and_is_queued(app, site):
    client, headers = login(app, "thamdinh")
    failure = client.get("/api/failures", params={"district": "118"}).json()[0]
    path = f"/api/failures/{failure['failure_id']}/waive"
    assert client.post(path, headers=headers, json={}).status_code in (400, 422)
    assert client.post(path, headers=headers, json={"reason": "   "}).status_code in (400, 422)
    assert client.post("/api/failures/nosuchfailure/waive", headers=headers,
                       json={"reason": "x"}).status_code == 404
    response = client.post(path, headers=headers, json={"reason": "Đã xác minh với huyện"})
    assert response.status_code == 200
    queued = [d for d in pending_decisions(site.db) if d.target == failure["failure_id"]]
    assert [(d.kind, d.reason, d.decided_by) for d in queued] == [
        ("waive", "Đã xác minh với huyện", "thamdinh")]
    assert queued[0].detail["submission_id"] == failure["submission_id"]
    listed = client.get("/api/failures", params={"district": "118"}).json()
    assert [f["waiver_recorded"] for f in listed if f["failure_id"] == failure["failure_id"]] \
        == [True]
    assert mark_applied(site.db, [queued[0].seq], "run-1") == 1
    assert not [d for d in pending_decisions(site.db) if d.seq == queued[0].seq]


def test_lock_and_unlock_are_queued_with_their_reason(app, site):
    client, headers = login(app, "thamdinh")
    assert client.post("/api/periods/2023/lock", headers=headers, json={}).status_code == 400
    assert client.post("/api/periods/2023/lock", headers=headers,
                       json={"reason": "Phê duyệt số liệu năm"}).json()["locked"] is True
    assert client.post("/api/periods/2023/unlock", headers=headers,
                       json={"reason": "Huyện 119 gửi lại"}).json()["locked"] is False
    kinds = [(d.kind, d.target) for d in pending_decisions(site.db) if d.kind != "waive"]
    assert kinds[-2:] == [("lock", "2023"), ("unlock", "2023")]


def test_audit_rows_say_who_when_where_what(app, site):
    client, headers = login(app, "thamdinh")
    client.post("/api/periods/2023/lock", headers=headers, json={"reason": "Kiểm toán"})
    client.post("/api/periods/2023/unlock", headers=headers, json={"reason": "Kiểm toán"})
    with sqlite3.connect(site.db) as con:
        rows = con.execute("SELECT at, username, address, action, target FROM audit").fetchall()
    actions = {(r[1], r[3]) for r in rows}
    assert {("thamdinh", "login"), ("thamdinh", "lock"), ("thamdinh", "unlock"),
            ("huyen119", "upload"),
            ("huyen119", "upload_refused"), ("huyen119", "login_failed")} <= actions
    assert all(r[0] and r[2] for r in rows if r[3] != "upload_refused")


def test_log_in_is_rate_limited_per_user_name(app):
    client = TestClient(app)
    for _ in range(5):
        assert client.post("/api/login", json={"username": "huyen120",
                                               "password": "sai"}).status_code == 401
    right = client.post("/api/login", json={"username": "huyen120", "password": PASSWORD})
    assert right.status_code == 429


def test_missing_warehouse_is_a_friendly_page(site):
    from tests.portal_setup import without_warehouse

    app = create_app(without_warehouse(site).settings)
    client, _ = login(app, "phantich")
    page = client.get("/chi-tieu")
    assert page.status_code == 200 and "Chưa có số liệu công bố" in page.text
    assert client.get("/api/indicators").status_code == 503


def test_indicator_exports_are_formula_safe(app):
    client, _ = login(app, "phantich")
    csv = client.get("/chi-tieu.csv", params={"period": "2023"})
    assert csv.content.startswith("\ufeff".encode()) and b"HTX_TOTAL" in csv.content
    xlsx = client.get("/chi-tieu.xlsx", params={"period": "2023"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
