"""Stopping a run: SIGTERM or SIGINT to `htx run`, sent to its process group (a scheduler,
Ctrl-C in a terminal) or to its main process only (`kill PID`), ends it within 5 seconds
while it reads its returns or after; the published warehouse is as before the run, the
inbox keeps every file, no process of the run is left (reading workers, Prefect's embedded
server), and the next run completes as an uninterrupted one would.

The run is the real command, in a process group of its own, with enough returns (60, read
by worker processes) to be caught in the middle."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest

from conftest import HTX
from conftest import without_run_times
from test_warehouse_safety import snapshot
from flows import steps
from flows.settings import Settings
from flows.stopping import descendants
from demo.province import write_demo_returns
from transforms.periods import period_from_code

ROOT = Path(__file__).resolve().parent.parent
YEARS = range(2019, 2024)  # 5 periods x 12 districts = 60 returns
STOPPED_WITHIN = 5.0  # seconds
TABLES = ["raw.submissions", "core.coop_returns", "core.union_returns", "mart.completeness",
          "mart.district_indicators", "mart.province_indicators"]


@pytest.fixture(scope="module")
def batches(tmp_path_factory) -> tuple[list[Path], list[Path]]:
    """A first night's returns (2018), then 60 more."""
    folder = tmp_path_factory.mktemp("returns")
    first = write_demo_returns(folder / "2018", period_from_code("2018"), 2018)
    later = [p for year in YEARS
             for p in write_demo_returns(folder / str(year), period_from_code(str(year)), year)]
    return first, later


def settings(root: Path) -> Settings:
    return Settings(inbox=root / "inbox", warehouse=root / "w.duckdb", reports=root / "reports",
                    archive=root / "archive", settle_seconds=0)


def deliver(root: Path, files: list[Path]) -> None:
    (root / "inbox").mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copy2(path, root / "inbox" / path.name)


def assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for table in a:
        pd.testing.assert_frame_equal(a[table], b[table], obj=table)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, batches) -> dict[str, pd.DataFrame]:
    root = tmp_path_factory.mktemp("uninterrupted")
    for batch in batches:
        deliver(root, batch)
        steps.consolidate(settings(root), str(uuid.uuid4()))
    return without_run_times(snapshot(root / "w.duckdb", TABLES))


def start_htx_run(root: Path) -> tuple[subprocess.Popen, queue.Queue]:
    """`htx run` in a process group of its own; its standard error, line by line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HTX_", "PREFECT_"))}
    env.update(PREFECT_HOME=str(root / ".prefect"), HTX_SETTLE_SECONDS="0",
               PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="90")
    process = subprocess.Popen(
        [HTX, "run", "--inbox", "inbox", "--warehouse", "w.duckdb", "--reports", "reports"],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    lines: queue.Queue = queue.Queue()

    def pump():
        for line in process.stderr:
            lines.put(line)
        lines.put(None)
    threading.Thread(target=pump, daemon=True).start()
    return process, lines


def wait_for(lines: queue.Queue, text: str, timeout: float = 400) -> None:
    deadline, seen = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        line = lines.get(timeout=deadline - time.monotonic())
        assert line is not None, f"the run ended before {text!r}:\n{''.join(seen)}"
        seen.append(line)
        if text in line:
            return
    pytest.fail(f"no {text!r} within {timeout} s:\n{''.join(seen)}")


def processes_of(root: Path) -> list[int]:
    """Every running process started for the run in `root` (its Prefect home is there)."""
    marker = f"PREFECT_HOME={root / '.prefect'}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0") and _running(environ.parent):
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def _running(proc: Path) -> bool:
    try:
        return (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


@pytest.mark.parametrize("signum, to, when", [
    (signal.SIGTERM, "group", "reading"),
    (signal.SIGTERM, "main", "reading"),
    (signal.SIGINT, "group", "read"),
    (signal.SIGINT, "main", "read"),
], ids=["SIGTERM-group-reading", "SIGTERM-main-reading", "SIGINT-group-after-reading",
        "SIGINT-main-after-reading"])
def test_a_signal_stops_the_run_within_seconds_leaving_nothing_behind(
        tmp_path, batches, uninterrupted, signum, to, when):
    first, later = batches
    deliver(tmp_path, first)
    steps.consolidate(settings(tmp_path), str(uuid.uuid4()))
    before = snapshot(tmp_path / "w.duckdb")
    deliver(tmp_path, later)
    inbox = {p.name: p.read_bytes() for p in (tmp_path / "inbox").iterdir()}

    process, lines = start_htx_run(tmp_path)
    wait_for(lines, f"[{3 if when == 'reading' else len(later)}/{len(later)}]")
    children = descendants(process.pid)
    assert children, "the run has started no process (Prefect's server, readers)"
    sent = time.monotonic()
    if to == "group":
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    code = process.wait(timeout=60)
    took = time.monotonic() - sent

    assert took <= STOPPED_WITHIN, f"stopped after {took:.1f} s"
    assert code in (128 + signum, -signum)
    time.sleep(0.5)  # a child told to end has gone by now, or never will
    assert processes_of(tmp_path) == []
    assert [p for p in children if _running(Path(f"/proc/{p}"))] == []
    assert_same(snapshot(tmp_path / "w.duckdb"), before)
    assert {p.name: p.read_bytes() for p in (tmp_path / "inbox").iterdir()} == inbox

    steps.consolidate(settings(tmp_path), str(uuid.uuid4()))
    assert_same(without_run_times(snapshot(tmp_path / "w.duckdb", TABLES)), uninterrupted)


BUSY = """
import subprocess, duckdb
from flows.stopping import stopping_on_signals
with stopping_on_signals("test"):
    child = subprocess.Popen(["sleep", "300"])
    print(child.pid, flush=True)
    duckdb.sql("SELECT sum(hash(range)) FROM range(100000000000)").fetchall()  # minutes
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_is_taken_even_while_a_long_query_holds_the_main_thread(signum):
    """Python runs no handler in the main thread until a database call returns; the run
    still stops at once, and its children with it."""
    process = subprocess.Popen([sys.executable, "-c", BUSY], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    child = int(process.stdout.readline())
    time.sleep(1)  # inside the query
    sent = time.monotonic()
    process.send_signal(signum)
    code = process.wait(timeout=60)
    assert time.monotonic() - sent <= STOPPED_WITHIN
    assert code == 128 + signum
    assert not _running(Path(f"/proc/{child}"))
    assert f"stopped by {signum.name}" in process.stderr.read()
