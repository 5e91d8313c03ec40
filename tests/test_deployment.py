"""The nightly deployment on a real Prefect server on loopback: `htx serve` serves it with
its 01:00 Asia/Ho_Chi_Minh schedule, a run triggered through the Prefect API completes,
and the run, its artifacts and the warehouse are as expected (README: "Scheduled runs").
`htx run` runs on the server PREFECT_API_URL names; Prefect's own `deployment ls` and
`flow-run ls` work against it, and its UI, on a port that is not Prefect's default, lists
the runs in headless Chromium (docs/production.md). Embedded mode that cannot start its
server says so in one line."""

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

from demo.province import write_demo_returns
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


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("HTX_", "PREFECT_"))}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`prefect server start` on a free loopback port (never Prefect's default 4200), told
    the address its UI must call (PREFECT_SERVER_UI_API_URL), as docs/production.md says."""
    port, home = free_port(), tmp_path_factory.mktemp("server")
    api_url = f"http://127.0.0.1:{port}/api"
    env = clean_env() | {"PREFECT_HOME": str(home / ".prefect"),
                         "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                         "PREFECT_API_URL": api_url, "HTX_SETTLE_SECONDS": "0"}
    process = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                                "--port", str(port)], cwd=home,
                               env=env | {"PREFECT_SERVER_UI_API_URL": api_url},
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
    served_log = open(tmp_path / "serve.log", "wb")
    serving = subprocess.Popen([str(BIN / "htx"), "serve"], env=env, cwd=tmp_path,
                               stdout=served_log, stderr=subprocess.STDOUT)
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

    served_log.close()
    said = (tmp_path / "serve.log").read_text("utf-8", "replace")[-4000:]
    assert state == "COMPLETED", _logs(api, flow_run["id"]) + said
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


def _logs(api: httpx.Client, flow_run_id: str) -> str:
    """The flow run's log, to say why it did not complete."""
    logs = api.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": [flow_run_id]}},
                                          "limit": 200, "offset": 0, "sort": "TIMESTAMP_ASC"})
    return "\n".join(entry["message"] for entry in logs.json())[-6000:]


def _final_state(api: httpx.Client, flow_run_id: str) -> str | None:
    state = api.get(f"/flow_runs/{flow_run_id}").json()["state"]["type"]
    return state if state in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None


def test_htx_run_uses_the_server_and_prefects_own_commands_and_ui_list_it(server, tmp_path):
    api, env = server
    generated = write_demo_returns(tmp_path / "generated", period_from_code("2023"), 2023)
    (tmp_path / "data" / "inbox").mkdir(parents=True)
    shutil.copy2(generated[0], tmp_path / "data" / "inbox" / generated[0].name)
    env = env | {"PREFECT_HOME": str(tmp_path / ".prefect"), "COLUMNS": "250"}

    run = subprocess.run([str(BIN / "htx"), "run"], env=env, cwd=tmp_path, capture_output=True,
                         text=True, timeout=300)

    assert run.returncode == 0, run.stderr
    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as con:
        (flow_run_id,) = con.execute("SELECT flow_run_id FROM ops.runs").fetchone()
    name = api.get(f"/flow_runs/{flow_run_id}").json()["name"]  # the server knows the run
    listed = subprocess.run([str(BIN / "prefect"), "flow-run", "ls"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0 and name in listed.stdout, listed.stdout + listed.stderr
    deployments = subprocess.run([str(BIN / "prefect"), "deployment", "ls"], env=env,
                                 cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert deployments.returncode == 0, deployments.stdout + deployments.stderr
    assert "422" not in deployments.stdout + deployments.stderr

    ui = env["PREFECT_API_URL"].removesuffix("/api") + "/flow-runs"
    assert name in wait_for(lambda: _browser_text(ui, tmp_path, name), 240, "the UI")


def _browser_text(url: str, folder: Path, expected: str) -> str | None:
    """The page as headless Chromium built it, once it shows `expected` (the UI fetches
    its runs from the API after the page loads: some loads end before they come)."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail("Chromium is not installed (/usr/bin/chromium): .ci/run installs it")
    shown = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                            "--window-size=1400,2400", "--virtual-time-budget=30000",
                            f"--user-data-dir={folder / f'profile-{time.monotonic_ns()}'}",
                            "--dump-dom", url], capture_output=True, text=True, timeout=180)
    assert "Unable to connect" not in shown.stdout
    return shown.stdout if expected in shown.stdout else None


def test_an_embedded_server_that_does_not_start_is_one_line(tmp_path):
    from flows.cli import PREFECT_DEFAULTS, PREFECT_STARTUP

    assert int(PREFECT_DEFAULTS[PREFECT_STARTUP]) >= 90  # Prefect's own 20 s is too short
    generated = write_demo_returns(tmp_path / "generated", period_from_code("2023"), 2023)
    inbox = tmp_path / "data" / "inbox"
    inbox.mkdir(parents=True)
    shutil.copy2(generated[0], inbox / generated[0].name)
    env = clean_env() | {"PREFECT_HOME": str(tmp_path / ".prefect"), "HTX_SETTLE_SECONDS": "0",
                         PREFECT_STARTUP: "0"}  # as a machine too busy to start it in time

    run = subprocess.run([str(BIN / "htx"), "run"], env=env, cwd=tmp_path, capture_output=True,
                         text=True, timeout=300)

    assert run.returncode == 1 and "Traceback" not in run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert "máy chủ Prefect" in line and "Prefect's embedded server did not start" in line
    assert PREFECT_STARTUP in line and "PREFECT_API_URL" in line
    assert [p.name for p in inbox.iterdir()] == [generated[0].name]
    assert not (tmp_path / "data" / "warehouse.duckdb").exists()
