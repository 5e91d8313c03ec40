"""A run reads its files in chunks, on Prefect's task runners, and hands its stages
references, never rows: whatever the chunks and wherever they run, the warehouse is the
same: every status, row, failure (the cross-return and cross-period ones included, found
between files of different chunks), indicator and feedback workbook."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from conftest import without_run_times
from demo.province import write_demo_returns
from fixtures.returns import base_roster
from flows import steps
from flows.settings import Settings
from test_warehouse_safety import base_return
from transforms.periods import period_from_code

SCHEMAS = ("raw", "quality", "core", "mart")  # what a run makes (ops records the run itself)
NIGHTS = [("2022", 7), ("2023", 2023)]  # the demo province over two periods: cross-period
# checks find cooperatives vanished since 2022, and the 2023 returns carry every fault


def nights(folder: Path) -> list[list[Path]]:
    """Each night's files: the demo province, and on the second night two more returns of
    2023 listing the same cooperatives under two districts (found across chunks) and a
    file that is no workbook."""
    out = []
    for period, seed in NIGHTS:
        out.append(write_demo_returns(folder / period, period_from_code(period), seed))
    twice = folder / "twice"
    twice.mkdir()
    out[-1] += [base_return(twice, "125_bo_sung.xlsx", "2023"),
                base_return(twice, "118_bo_sung.xlsx", "2023", unit_code="118",
                            unit_name="Huyện Quỳnh Nhai", roster=base_roster()),
                twice / "hong.xlsx"]
    (twice / "hong.xlsx").write_bytes(b"not a workbook")
    return out


@pytest.fixture(scope="module")
def delivered(tmp_path_factory) -> list[list[Path]]:
    return nights(tmp_path_factory.mktemp("nights"))


def settings(root: Path, chunk_files: int) -> Settings:
    return Settings(inbox=root / "inbox", warehouse=root / "w.duckdb", reports=root / "reports",
                    archive=root / "archive", settle_seconds=0, chunk_files=chunk_files)


def consolidated(root: Path, delivered: list[list[Path]], run) -> dict[str, pd.DataFrame]:
    """Every night delivered and run by `run(root)`; the warehouse's tables then, and its
    feedback workbooks' names."""
    for night in delivered:
        (root / "inbox").mkdir(parents=True, exist_ok=True)
        for path in night:
            shutil.copy2(path, root / "inbox" / path.name)
        run(root)
    with duckdb.connect(str(root / "w.duckdb"), read_only=True) as con:
        names = [t for (t,) in con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
            "WHERE schema_name IN ? ORDER BY 1", [list(SCHEMAS)]).fetchall()]
        tables = {t: con.execute(f"SELECT * FROM {t}").df() for t in names}
        tables["quality.validation_failures"] = con.execute(
            "SELECT * FROM quality.validation_failures").df()
    tables["feedback"] = pd.DataFrame({"name": sorted(
        p.name for p in (root / "reports" / "feedback").rglob("*.xlsx"))})
    return without_run_times(tables)


def plain(chunk_files: int):
    return lambda root: steps.consolidate(settings(root, chunk_files), str(uuid.uuid4()))


def assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for table in a:
        pd.testing.assert_frame_equal(a[table], b[table], obj=table)


def flow(root: Path) -> None:
    """The nightly flow, with its task runner, on the folders of `root`."""
    from flows.nightly import nightly_consolidation

    nightly_consolidation(inbox=root / "inbox", warehouse=root / "w.duckdb",
                          reports=root / "reports", archive=root / "archive")


def readers_of_chunks(monkeypatch) -> list[str]:
    """Filled, as a run goes, with the host/process that read each of its chunks."""
    readers = []
    real = steps.report_progress

    def seen(read, done, total):
        readers.append(read["worker"])
        return real(read, done, total)

    monkeypatch.setattr(steps, "report_progress", seen)
    return readers


@pytest.fixture(scope="module")
def whole(tmp_path_factory, delivered) -> dict[str, pd.DataFrame]:
    """The nights read as one chunk each, by plain functions."""
    return consolidated(tmp_path_factory.mktemp("whole"), delivered, plain(1000))


def test_the_reference_run_finds_what_the_chunked_runs_must_find(whole):
    rules = set(whole["quality.validation_failures"]["rule_code"])
    assert {"COOP_VANISHED", "COOP_IN_TWO_DISTRICTS", "TOTAL_MISMATCH", "ID_DUPLICATE",
            "FILE_UNREADABLE"} <= rules
    assert len(whole["feedback"]) >= 6


def test_a_run_is_cut_into_even_chunks_that_keep_every_worker_busy():
    def sizes(files: int, size: int, workers: int = 1) -> list[int]:
        return [len(c) for c in steps.chunks(list(range(files)), size, workers)]

    assert sizes(31, 30) == [16, 15]
    assert sizes(708, 250, workers=2) == [177] * 4  # not 3 chunks for 2 workers
    assert sorted(set(sizes(3321, 250, workers=2))) == [237, 238] and \
        len(sizes(3321, 250, workers=2)) == 14
    assert sizes(240, 250, workers=2) == [240]  # read in the run's own process
    assert sizes(3, 1, workers=4) == [1, 1, 1]  # never an empty chunk
    assert sizes(0, 250, workers=2) == []


def test_chunks_of_any_size_give_the_same_warehouse(tmp_path, delivered, whole):
    assert_same(consolidated(tmp_path, delivered, plain(3)), whole)


def test_chunks_read_by_worker_processes_give_the_same_warehouse(tmp_path, monkeypatch,
                                                                 delivered, whole,
                                                                 prefect_harness):
    """The flow sends its chunks to Prefect's process pool: each read in another process."""
    from flows.nightly import worker_processes

    monkeypatch.setenv("HTX_CHUNK_FILES", "4")
    readers = readers_of_chunks(monkeypatch)

    assert_same(consolidated(tmp_path, delivered, flow), whole)
    pids = {int(w.rsplit("/", 1)[1]) for w in readers}
    assert len(readers) == sum(len(steps.chunks(n, 4, worker_processes())) for n in delivered)
    assert os.getpid() not in pids


def test_an_archived_copy_a_worker_cannot_see_stops_the_run_instead_of_calling_it_unreadable(
        tmp_path, delivered):
    """A worker on a machine that does not see the archive folder must not make a good
    return 'unreadable': its chunk stops with the reason and saves no batch (so the run
    stops before it publishes, and the next run reads the file)."""
    from intake.files import save_private
    from intake.inbox import scan_inbox
    import datetime as dt

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy2(delivered[0][0], inbox / delivered[0][0].name)
    (found,) = scan_inbox(inbox, tmp_path / "archive", dt.datetime.now(dt.timezone.utc))
    found.archived.unlink()
    known = save_private(frozenset(), tmp_path / "known.pickle")
    with pytest.raises(FileNotFoundError, match="same path"):
        steps.read_returns([found], steps.read_reference(None), known,
                           tmp_path / "batch.pickle", "run")
    assert not (tmp_path / "batch.pickle").exists()


def test_a_dask_cluster_reads_the_chunks_and_gives_the_same_warehouse(
        tmp_path, monkeypatch, delivered, whole, prefect_harness):
    """With HTX_DASK_ADDRESS naming a scheduler, every chunk is read by the cluster's
    workers (and each feedback workbook written there); the warehouse is the same."""
    from distributed import Client, LocalCluster

    readers = readers_of_chunks(monkeypatch)
    monkeypatch.setenv("HTX_CHUNK_FILES", "5")

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster:
        monkeypatch.setenv("HTX_DASK_ADDRESS", cluster.scheduler_address)
        assert_same(consolidated(tmp_path, delivered, flow), whole)
        with Client(cluster) as client:  # only now: the run must find the cluster by address
            workers = set(client.run(os.getpid).values())
    assert {int(w.rsplit("/", 1)[1]) for w in readers} <= workers
    assert len(readers) == sum(len(steps.chunks(n, 5, len(workers))) for n in delivered)
