"""A real portal for the tests: the demo province generated, all but two districts'
returns consolidated into a real warehouse by the pipeline's own steps (no Prefect),
and accounts made as `htx user add` makes them."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from accounts.users import add_user
from contracts.reference import load_reporting_units
from flows.portal import places
from flows.settings import Settings, as_environment
from flows.steps import consolidate

PASSWORD = "mat-khau-thu-nghiem"
HELD_BACK = ("119", "120")  # their returns are uploaded through the portal
ACCOUNTS = {"huyen119": ("district", "119"), "huyen120": ("district", "120"),
            "thamdinh": ("steward", None), "phantich": ("analyst", None)}


@dataclass
class PortalSite:
    settings: Settings
    returns: dict[str, Path]  # unit code -> its demo return
    faults: list[dict]  # the manifest's deliberate faults

    @property
    def db(self) -> Path:
        return places(self.settings).database


def build_site(root: Path) -> PortalSite:
    from demo.province import write_demo_returns
    from transforms.periods import period_from_code

    written = write_demo_returns(root / "generated", period_from_code("2023"), 2023)
    returns = {p.name.split("_")[0]: p for p in written}
    settings = Settings(inbox=root / "data" / "inbox", warehouse=root / "data" / "warehouse.duckdb",
                        reports=root / "data" / "reports", archive=root / "data" / "archive",
                        settle_seconds=0, max_file_mb=1)
    settings.inbox.mkdir(parents=True)
    for code, path in returns.items():
        if code not in HELD_BACK:
            shutil.copy2(path, settings.inbox / path.name)
    consolidate(settings, uuid.uuid4().hex)
    known = set(load_reporting_units()["code"])
    for name, (role, unit) in ACCOUNTS.items():
        add_user(places(settings).database, name, role, unit, PASSWORD, known)
    manifest = json.loads((root / "generated" / "manifest.json").read_text(encoding="utf-8"))
    return PortalSite(settings, returns, manifest["faults"])


@contextmanager
def served(site: PortalSite, cwd: Path) -> Iterator[str]:
    """`htx web` started as a real process on a free loopback port with the site's
    settings (and nothing else of HTX_ from the test's environment); its address. Its
    output goes to a file (a pipe nobody reads would block it); the consolidations it
    started and that still run are stopped with it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HTX_")} \
        | as_environment(site.settings)
    htx = str(Path(sys.executable).parent / "htx")
    log = cwd / f"htx_web_{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([htx, "web", "--host", "127.0.0.1", "--port", str(port)],
                                   cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        _stop_runs(site)


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/login", timeout=2)
            return
        except httpx.HTTPError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    raise RuntimeError(f"htx web did not answer at {url}:\n"
                       + log.read_text("utf-8", "replace")[-3000:])


def _stop_runs(site: PortalSite) -> None:
    """End every consolidation the portal started that is still running (its own session)."""
    if not site.db.exists():
        return
    with sqlite3.connect(site.db) as con:
        pids = [pid for (pid,) in con.execute(
            "SELECT pid FROM runs WHERE state = 'running' AND pid IS NOT NULL")]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGTERM)


def without_warehouse(site: PortalSite) -> PortalSite:
    """The same site (its portal database beside) with no published warehouse yet."""
    s = site.settings
    none = s.warehouse.parent / "not_published_yet.duckdb"
    changed = s.model_copy(update={"warehouse": none}) \
        if hasattr(s, "model_copy") else replace(s, warehouse=none)
    return replace(site, settings=changed)
