"""The nightly consolidation: find returns → read and validate → load → materialize →
publish → write the run summary. This module only wires; the work is in transforms/ and
warehouse/. Tasks are coarse (one per stage, not per file): a Prefect task costs a few
milliseconds of fixed overhead."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from contracts.reference import load_reporting_units, load_targets
from flows.settings import Settings, load_settings
from transforms.batch import mismatch_failures, to_batch
from transforms.failures import failures_frame
from transforms.inbox import IncomingFile, new_files, scan_inbox
from transforms.returns import ReturnRead, read_return, validate_return
from transforms.units import reporting_units
from warehouse import publish, store, summary
from warehouse.archive import archive_file
from warehouse.db import connect

io_task = task(retries=2, retry_delay_seconds=3, cache_policy=NO_CACHE)
work_task = task(cache_policy=NO_CACHE)


@io_task
def prepare_warehouse(settings: Settings) -> Path:
    """A staging copy of the published warehouse, with schema and reference data."""
    staging = publish.open_staging(settings.warehouse)
    with connect(staging) as con:
        store.ensure_schema(con)
        store.load_reference(con, load_reporting_units(settings.reporting_units),
                             load_targets(settings.targets))
    return staging


@io_task
def find_returns(inbox: Path, staging: Path, now: dt.datetime) -> tuple[int, list[IncomingFile]]:
    """(files in the inbox, those never processed before)."""
    inbox.mkdir(parents=True, exist_ok=True)
    files = scan_inbox(inbox, now)
    with connect(staging) as con:
        return len(files), new_files(files, store.known_hashes(con))


@io_task
def archive_returns(files: list[IncomingFile], archive: Path) -> list[str]:
    """Keep every original, unchanged, in the content-addressed archive."""
    return [str(archive_file(archive, f)) for f in files]


@work_task
def read_returns(files: list[IncomingFile], units_csv: Path | None) -> list[ReturnRead]:
    units = reporting_units(load_reporting_units(units_csv))
    logger = get_run_logger()
    reads = []
    for f in files:
        reads.append(read_return(f.path, units, f.name))
        logger.info("read %s: %d failures", f.name, len(reads[-1].failures))
    return reads


@work_task
def validate_returns(reads: list[ReturnRead], staging: Path) -> list[ReturnRead]:
    with connect(staging) as con:
        known = store.known_unions(con)
    return [validate_return(r, known) for r in reads]


@work_task
def load_returns(staging: Path, files: list[IncomingFile], reads: list[ReturnRead],
                 archived: list[str], run_id: str) -> None:
    """Load new files into raw and quality, then reconcile their declared totals."""
    batch = to_batch(list(zip(files, reads, archived)), run_id)
    with connect(staging) as con:
        store.add_periods(con, [r.period for r in reads if r.period])
        store.load_batch(con, batch)
        mismatches = mismatch_failures(store.totals_mismatches(con, batch.submissions))
        by_hash = {f.sha256: r for f, r in zip(files, reads)}
        for file_hash, failures in mismatches.items():
            frame = failures_frame(failures, file_hash)
            read = by_hash[file_hash]
            store.add_failures(con, frame.assign(
                district_code=read.unit_code, period=read.period.code if read.period else None))


@work_task
def materialize_indicators(staging: Path, run: dict) -> dict:
    """Statuses, core tables, marts; then the run's own record. Returns the run record."""
    with connect(staging) as con:
        store.materialize(con)
        run = store.finish_run(con, run)
        con.execute("CHECKPOINT")
    return run


@io_task
def publish_warehouse(staging: Path, warehouse: Path) -> None:
    publish.publish(staging, warehouse)


@io_task
def write_run_summary(warehouse: Path, reports: Path, run: dict) -> dict:
    with connect(warehouse, read_only=True) as con:
        result = summary.run_summary(con, run)
    folder = reports / f"run_{run['run_id']}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(json.dumps(result, ensure_ascii=False, indent=2,
                                                    default=str), encoding="utf-8")
    (folder / "summary.md").write_text(summary.render_markdown(result, warehouse),
                                       encoding="utf-8")
    result["report_folder"] = str(folder)
    return result


@flow(name="nightly_consolidation", log_prints=True)
def nightly_consolidation(inbox: Path | None = None, warehouse: Path | None = None,
                          reports: Path | None = None, archive: Path | None = None) -> dict:
    """Consolidate every new return of the inbox into the warehouse and publish it."""
    settings = load_settings(inbox=inbox, warehouse=warehouse, reports=reports, archive=archive)
    started = store.now()
    run = {"run_id": flow_run.get_id() or str(uuid.uuid4()), "started_at": started}
    with publish.run_lock(settings.warehouse):
        staging = prepare_warehouse(settings)
        seen, files = find_returns(settings.inbox, staging, started)
        archived = archive_returns(files, settings.archive)
        reads = validate_returns(read_returns(files, settings.reporting_units), staging)
        load_returns(staging, files, reads, archived, run["run_id"])
        run = materialize_indicators(staging, run | {"files_seen": seen, "files_new": len(files)})
        publish_warehouse(staging, settings.warehouse)
    return write_run_summary(settings.warehouse, settings.reports, run)
