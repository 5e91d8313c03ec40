"""A consolidation started from the portal: through the served deployment when
PREFECT_API_URL is set, else `htx run` in a background process of its own; its state
kept in the portal database by run_id."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

from accounts.db import connect, now
from flows.portal import PortalPlaces
from flows.settings import Settings, as_environment

DEPLOYMENT = "nightly_consolidation/nightly"
PREFECT_STATES = {"COMPLETED": "completed", "FAILED": "failed", "CRASHED": "failed",
                  "CANCELLED": "failed", "CANCELLING": "failed"}


def start_run(places: PortalPlaces, settings: Settings, by: str) -> str:
    """Start a consolidation now; its run_id (the one already running, if any)."""
    running = [r for r in runs(places) if r["state"] == "running"]
    if running:
        return running[0]["run_id"]
    if os.environ.get("PREFECT_API_URL"):
        from prefect.deployments import run_deployment

        flow_run = run_deployment(DEPLOYMENT, timeout=0)
        _record(places, str(flow_run.id), "prefect", None, by, None)
        return str(flow_run.id)
    return _start_process(places, settings, by)


def _htx() -> list[str]:
    script = Path(sys.executable).parent / "htx"
    return [str(script)] if script.exists() else [sys.executable, "-m", "flows.cli"]


def _start_process(places: PortalPlaces, settings: Settings, by: str) -> str:
    run_id = uuid.uuid4().hex
    places.run_logs.mkdir(parents=True, exist_ok=True)
    log_path = places.run_logs / f"{run_id}.log"
    command = [*_htx(), "run"]
    env = os.environ | as_environment(settings)  # the portal's own settings, every one
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    _record(places, run_id, "process", process.pid, by, log_path)
    threading.Thread(target=_wait, args=(places, run_id, process), daemon=True).start()
    return run_id


def _wait(places: PortalPlaces, run_id: str, process: subprocess.Popen) -> None:
    code = process.wait()
    with connect(places.database) as con:
        con.execute("UPDATE runs SET state = ?, exit_code = ?, finished_at = ? WHERE run_id = ?",
                    ("completed" if code == 0 else "failed", code, now(), run_id))


def _record(places: PortalPlaces, run_id: str, how: str, pid: int | None, by: str,
            log_path: Path | None) -> None:
    with connect(places.database) as con:
        con.execute("INSERT INTO runs (run_id, how, pid, started_by, started_at, state, "
                    "log_path) VALUES (?, ?, ?, ?, ?, 'running', ?)",
                    (run_id, how, pid, by, now(), str(log_path) if log_path else None))


def run_state(places: PortalPlaces, run_id: str) -> dict | None:
    """{"run_id", "state": running|completed|failed, "started_at", "finished_at", "how",
    "started_by"}; None for a run the portal did not start."""
    with connect(places.database) as con:
        row = con.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    if row is None:
        return None
    run = {k: row[k] for k in ("run_id", "state", "started_at", "finished_at", "how",
                               "started_by", "exit_code")}
    if run["state"] == "running" and row["how"] == "prefect":
        run["state"] = _prefect_state(run_id)
    elif run["state"] == "running" and not _alive(row["pid"]):
        run["state"] = "failed"  # the portal restarted and the process is gone unrecorded
    return run


def runs(places: PortalPlaces) -> list[dict]:
    with connect(places.database) as con:
        ids = [r["run_id"] for r in con.execute(
            "SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 20").fetchall()]
    return [run_state(places, i) for i in ids]


def _prefect_state(run_id: str) -> str:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        state = client.read_flow_run(uuid.UUID(run_id)).state
    return PREFECT_STATES.get(state.type.value if state else "", "running")


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
