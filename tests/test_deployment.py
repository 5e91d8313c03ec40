"""The nightly deployment on a real Prefect server on loopback: `htx serve` serves it with
its 01:00 Asia/Ho_Chi_Minh schedule, a run triggered through the Prefect API completes,
and the run, its artifacts and the warehouse are as expected (README: "Scheduled runs")."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
import pytest

from transforms.demo_province import write_demo_returns
from transforms.periods import period_from_code

BIN = Path(sys.executable).parent
DEPLOYMENT = "nightly_consolidation/nightly"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HTX_", "PREFECT_"))}
    env |= {"PREFECT_HOME": str(tmp_path / ".prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED":
            "false", "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
            "HTX_SETTLE_SECONDS": "0"}
    process = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                                "--port", str(port)], env=env, cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api = httpx.Client(base_url=env["PREFECT_API_URL"], timeout=30)
    try:
        wait_for(lambda: api.get("/health").status_code == 200, 180, "the Prefect server")
        yield api, env
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_the_served_deployment_runs_on_schedule_and_on_demand(server, tmp_path):
    api, env = server
    generated = write_demo_returns(tmp_path / "generated", period_from_code("2023"), 2023)
    (tmp_path / "data" / "inbox").mkdir(parents=True)
    for path in generated:
        shutil.copy2(path, tmp_path / "data" / "inbox" / path.name)
    serving = subprocess.Popen([str(BIN / "htx"), "serve"], env=env, cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deployment = wait_for(lambda: _deployment(api), 120, "the served deployment")
        (schedule,) = deployment["schedules"]
        assert schedule["schedule"]["cron"] == "0 1 * * *"
        assert schedule["schedule"]["timezone"] == "Asia/Ho_Chi_Minh"

        flow_run = wait_for(lambda: _create_run(api, deployment["id"]), 120,
                            "the server to accept a run")
        state = wait_for(lambda: _final_state(api, flow_run["id"]), 300, "the flow run")
    finally:
        serving.terminate()
        serving.wait(timeout=60)

    assert state == "COMPLETED"
    artifacts = api.post("/artifacts/filter", json={
        "artifacts": {"flow_run_id": {"any_": [flow_run["id"]]}}, "limit": 20, "offset": 0,
        "sort": "CREATED_DESC"}).json()
    assert {a["key"] for a in artifacts} >= {"htx-run-summary", "htx-validation-failures"}
    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as con:
        run = con.execute("SELECT flow_run_id, files_new, files_accepted, files_rejected, "
                          "outcome FROM ops.runs").fetchall()
    assert run == [(flow_run["id"], 12, 9, 3, "completed")]


def _deployment(api: httpx.Client) -> dict | None:
    response = api.get(f"/deployments/name/{DEPLOYMENT}")
    return response.json() if response.status_code == 200 else None


def _create_run(api: httpx.Client, deployment_id: str) -> dict | None:
    """A flow run of the deployment; None while the server is still starting its services
    (it answers 503 for a few seconds after /health is up)."""
    response = api.post(f"/deployments/{deployment_id}/create_flow_run", json={})
    if response.status_code == 503:
        return None
    assert response.status_code in (200, 201), response.text
    return response.json()


def _final_state(api: httpx.Client, flow_run_id: str) -> str | None:
    state = api.get(f"/flow_runs/{flow_run_id}").json()["state"]["type"]
    return state if state in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None
