"""The steward's loop through the JSON API of a real `htx web` on loopback (portal.md):
waivers recorded in the portal are applied by a consolidation started through the API,
and a locked period's figures do not change when a correction arrives, and do once it is
reopened. Each consolidation is the real `htx run`, in a process of its own."""

from __future__ import annotations

import time

import httpx
import pytest

from demo.province import write_demo_returns
from tests.portal_setup import PASSWORD, build_site, served
from transforms.periods import period_from_code

RUN_TIMEOUT = 600  # seconds: a cold Prefect start on two busy cores


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    root = tmp_path_factory.mktemp("portal_live")
    site = build_site(root)
    with served(site, root) as url:
        yield site, url, root


def log_in(url: str, name: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    answer = client.post("/api/login", json={"username": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


def upload(client: httpx.Client, path) -> dict:
    with open(path, "rb") as fh:
        answer = client.post("/api/returns", files={"file": (path.name, fh)})
    assert answer.status_code == 200, answer.text
    return answer.json()


def consolidate(client: httpx.Client) -> None:
    """Start a consolidation through the API and wait until it has completed."""
    answer = client.post("/api/runs")
    assert answer.status_code == 200, answer.text
    run_id = answer.json()["run_id"]
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        state = client.get(f"/api/runs/{run_id}").json()["state"]
        if state != "running":
            assert state == "completed"
            return
        time.sleep(1)
    pytest.fail(f"the consolidation {run_id} did not finish in {RUN_TIMEOUT} s")


def returns_of(client: httpx.Client, district: str) -> list[tuple]:
    rows = client.get("/api/returns", params={"period": "2023"}).json()
    return sorted((r["version"], r["status"], r["submission_id"]) for r in rows
                  if r["district_code"] == district)


def figures(client: httpx.Client) -> list[dict]:
    answer = client.get("/api/indicators", params={"period": "2023"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_waivers_then_a_lock_a_held_correction_and_a_reopening(portal, tmp_path):
    site, url, _ = portal
    steward, district = log_in(url, "thamdinh"), log_in(url, "huyen119")

    check = upload(district, site.returns["119"])
    errors = [f for f in check["failures"] if f["severity"] == "error"]
    assert check["check_status"] == "rejected" and errors
    for f in errors:
        answer = steward.post(f"/api/failures/{f['failure_id']}/waive",
                              json={"reason": "Đã xác minh với huyện qua điện thoại"})
        assert answer.status_code == 200, answer.text
    consolidate(steward)

    assert [s for _, s, _ in returns_of(steward, "119")] == ["accepted"]
    assert not any((site.settings.inbox / "portal").iterdir())  # taken, and its folder gone
    waived = district.get("/api/failures", params={"period": "2023"}).json()
    assert {f["failure_id"] for f in waived if f["waived"]} >= {f["failure_id"] for f in errors}
    published = figures(steward)

    answer = steward.post("/api/periods/2023/lock", json={"reason": "Phê duyệt số liệu 2023"})
    assert answer.status_code == 200, answer.text
    (correction,) = [p for p in write_demo_returns(tmp_path, period_from_code("2023"), 7)
                     if p.name.startswith("121_")]
    assert upload(steward, correction)["check_status"] == "accepted"
    consolidate(steward)

    assert [s for _, s, _ in returns_of(steward, "121")] == ["accepted", "held"]
    assert figures(steward) == published

    answer = steward.post("/api/periods/2023/unlock", json={"reason": "Huyện 121 sửa số liệu"})
    assert answer.status_code == 200, answer.text
    consolidate(steward)

    assert [s for _, s, _ in returns_of(steward, "121")] == ["superseded", "accepted"]
    assert figures(steward) != published
