"""Shared fixtures. Prefect runs in embedded mode under one session-wide test harness,
with its home in a temporary folder; the demo province is generated and consolidated once
per session and shared by the end-to-end tests."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

_PREFECT_HOME = tempfile.mkdtemp(prefix="htx-prefect-")
atexit.register(shutil.rmtree, _PREFECT_HOME, ignore_errors=True)  # leave no home behind
os.environ.update({
    "PREFECT_HOME": _PREFECT_HOME,
    "PREFECT_LOGGING_TO_API_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED": "false",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "HTX_SETTLE_SECONDS": "0",  # test files are written whole before each run
})
for name in ("HTX_INBOX", "HTX_WAREHOUSE", "HTX_REPORTS", "HTX_ARCHIVE", "HTX_SETTINGS",
             "HTX_TARGETS", "HTX_REPORTING_UNITS", "HTX_DASK_ADDRESS", "HTX_CHUNK_FILES"):
    os.environ.pop(name, None)

# What differs from one test's runs to another's: when they ran, and where.
RUN_TIMES = ["received_at", "first_received_at", "last_received_at", "run_id", "archived_path"]


HTX = str(Path(sys.executable).parent / "htx")


def run_htx(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The real `htx` command, as a user runs it in `cwd` (Prefect's home inside it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HTX_", "PREFECT_"))}
    env["PREFECT_HOME"] = str(cwd / ".prefect")
    env["HTX_SETTLE_SECONDS"] = "0"
    return subprocess.run([HTX, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


DEMO_PERIOD = "2023"
DEMO_SEED = 2023


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@dataclass
class Consolidation:
    """A folder with an inbox, an archive, reports and a warehouse, and a way to run."""

    root: Path

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    def run(self) -> dict:
        from flows.nightly import nightly_consolidation

        return nightly_consolidation(inbox=self.inbox, warehouse=self.warehouse,
                                     reports=self.root / "reports", archive=self.root / "archive")

    def query(self, sql: str, params: list | None = None):
        import duckdb

        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).df()


@dataclass
class Demo:
    consolidation: Consolidation
    first_run: dict
    manifest: dict
    returns: dict  # unit code -> demo.province.DemoReturn


@pytest.fixture(scope="session")
def demo(tmp_path_factory, prefect_harness) -> Demo:
    """The demo province, generated, copied into an inbox and consolidated once."""
    from demo.province import generate_province, write_demo_returns
    from transforms.periods import period_from_code

    period = period_from_code(DEMO_PERIOD)
    root = tmp_path_factory.mktemp("demo")
    generated = write_demo_returns(root / "generated", period, DEMO_SEED)
    consolidation = Consolidation(root)
    consolidation.inbox.mkdir()
    for path in generated:
        shutil.copy2(path, consolidation.inbox / path.name)
    manifest = json.loads((root / "generated" / "manifest.json").read_text(encoding="utf-8"))
    return Demo(consolidation, consolidation.run(), manifest,
                generate_province(period, DEMO_SEED))


def without_run_times(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """What a run produces, without when and where it ran (a received time is never before
    the previous run's start, so it differs from one test's runs to another's)."""
    return {name: frame.drop(columns=[c for c in RUN_TIMES if c in frame]).sort_values(
                [c for c in frame.columns if c not in RUN_TIMES]).reset_index(drop=True)
            for name, frame in tables.items()}
