"""Dask is optional: without the [dask] extra a run imports nothing of it, and a run told
to use a cluster it cannot use says so in one line before it starts any work."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from conftest import HTX

# A stand-in for an environment without the extra: these modules cannot be found and
# their packages declare nothing (no Prefect collection entry point), and every attempt of
# any process of the run (its workers and Prefect's server included) to import one is
# written down.
NOT_INSTALLED = '''
import importlib.metadata, os, sys
MISSING = ("dask", "distributed", "prefect_dask")
class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in MISSING:
            with open(os.environ["DASK_IMPORT_ATTEMPTS"], "a") as fh:
                fh.write(name + " " + repr(sys.argv)[:200] + "\\n")
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, NotInstalled())
declared = importlib.metadata.entry_points
def entry_points(**selection):
    found = declared(**selection)
    if not selection:
        return found
    return importlib.metadata.EntryPoints(
        e for e in found if e.value.split(".")[0].split(":")[0] not in MISSING)
importlib.metadata.entry_points = entry_points
'''


def run_without_dask(tmp_path: Path, returns: list[Path], **env: str
                     ) -> tuple[subprocess.CompletedProcess, list[str]]:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(NOT_INSTALLED)
    (tmp_path / "data" / "inbox").mkdir(parents=True)
    for path in returns:
        shutil.copy2(path, tmp_path / "data" / "inbox" / path.name)
    attempts = tmp_path / "attempts.txt"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("HTX_", "PREFECT_"))}
    environment |= {"PREFECT_HOME": str(tmp_path / ".prefect"), "HTX_SETTLE_SECONDS": "0",
                    "PYTHONPATH": str(tmp_path / "site"), "DASK_IMPORT_ATTEMPTS": str(attempts),
                    **env}
    done = subprocess.run([HTX, "run"], cwd=tmp_path, env=environment, capture_output=True,
                          text=True, timeout=600)
    return done, attempts.read_text().splitlines() if attempts.exists() else []


def test_without_the_dask_extra_a_run_imports_nothing_of_dask(tmp_path, demo):
    """Enough returns for two chunks: they go to Prefect's worker processes, which import
    nothing of Dask either."""
    generated = sorted(demo.consolidation.root.glob("generated/*.xlsx"))
    done, attempts = run_without_dask(tmp_path, generated, HTX_CHUNK_FILES="5")
    assert done.returncode == 0, done.stderr
    assert attempts == []
    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.submissions").fetchone()[0] == \
            len(generated)


def test_a_dask_address_without_the_extra_is_one_line_naming_the_extra(tmp_path, demo):
    generated = sorted(demo.consolidation.root.glob("generated/*.xlsx"))[:1]
    done, _ = run_without_dask(tmp_path, generated, HTX_DASK_ADDRESS="tcp://127.0.0.1:8786")
    assert done.returncode != 0
    (line,) = done.stderr.strip().splitlines()
    assert "HTX_DASK_ADDRESS" in line and "htx-consolidation[dask]" in line
    assert "Traceback" not in done.stderr
    assert any((tmp_path / "data" / "inbox").iterdir())  # nothing taken


@pytest.mark.parametrize("address", ["dask-scheduler", "tcp://"])
def test_a_dask_address_that_is_no_address_is_refused_as_a_setting(address):
    from flows.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="dask-address.*tcp://host:8786"):
        load_settings(dask_address=address)


def test_a_scheduler_that_does_not_answer_is_one_line_before_any_work(tmp_path, demo):
    """With the extra installed but no scheduler at the address: one line saying so, and
    every file still in the inbox."""
    import socket

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    (tmp_path / "data" / "inbox").mkdir(parents=True)
    (path,) = sorted(demo.consolidation.root.glob("generated/*.xlsx"))[:1]
    shutil.copy2(path, tmp_path / "data" / "inbox" / path.name)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("HTX_", "PREFECT_"))}
    environment |= {"PREFECT_HOME": str(tmp_path / ".prefect"), "HTX_SETTLE_SECONDS": "0",
                    "HTX_DASK_ADDRESS": f"tcp://127.0.0.1:{port}",
                    "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "3s"}
    done = subprocess.run([HTX, "run"], cwd=tmp_path, env=environment, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode != 0
    (line,) = done.stderr.strip().splitlines()
    assert f"tcp://127.0.0.1:{port}" in line and "HTX_DASK_ADDRESS" in line
    assert (tmp_path / "data" / "inbox" / path.name).exists()
    assert not (tmp_path / "data" / "warehouse.duckdb").exists()


def test_a_prefect_server_only_this_machine_reaches_is_refused_for_a_remote_cluster():
    """Workers on other machines would report to a loopback address, their own: refused
    in one line. A cluster on this machine may use it."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.nightly import workers_report_here
    from flows.settings import SettingsError

    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:4200/api"}):
        with pytest.raises(SettingsError, match="PREFECT_API_URL"):
            with workers_report_here("tcp://10.0.0.5:8786"):
                pass
        with workers_report_here("tcp://127.0.0.1:8786"):
            pass
    with temporary_settings(updates={PREFECT_API_URL: "http://10.0.0.2:4200/api"}):
        with workers_report_here("tcp://10.0.0.5:8786"):
            pass
