"""The stages of a consolidation as plain functions: flows/nightly.py wraps each in a
Prefect task, and tests call them directly. Each stage only calls transforms/ and
warehouse/; none holds business logic of its own."""

from __future__ import annotations

import datetime as dt
import json
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import copy_context
from pathlib import Path

from contracts.reference import TARGETS_CSV, load_reporting_units
from flows.settings import Settings
from transforms.batch import to_batch
from transforms.findings import warehouse_failures
from transforms.inbox import IncomingFile, new_files, scan_inbox
from transforms.parallel import parallel_map
from transforms.returns import ReturnRead, read_many
from transforms.returns import validate_returns as validate_returns_together
from transforms.targets import read_targets
from transforms.units import reporting_units
from warehouse import publish, store, summary
from warehouse.archive import archive_file, remove_archived
from warehouse.db import connect
from warehouse.feedback import aside_folder, put_in_place, write_feedback
from warehouse.report_html import render_html

log = logging.getLogger("htx")


def prepare_warehouse(settings: Settings) -> Path:
    """A staging copy of the published warehouse, with schema and reference data."""
    staging = publish.open_staging(settings.warehouse)
    with connect(staging) as con:
        store.ensure_schema(con)
        store.load_reference(con, load_reporting_units(settings.reporting_units),
                             read_targets(settings.targets or TARGETS_CSV))
        store.add_periods(con, store.known_periods(con), settings.deadlines)  # as configured
    return staging


def find_returns(inbox: Path, staging: Path, now: dt.datetime,
                 settle_seconds: int = 0) -> tuple[list[IncomingFile], list[IncomingFile]]:
    """(every settled file in the inbox, those never processed before)."""
    inbox.mkdir(parents=True, exist_ok=True)
    files = scan_inbox(inbox, now, settle_seconds)
    with connect(staging) as con:
        return files, new_files(files, store.known_hashes(con))


def archive_returns(files: list[IncomingFile], archive: Path) -> list[str]:
    """Keep every original, unchanged, in the content-addressed archive."""
    return [str(archive_file(archive, f)) for f in files]


def read_returns(files: list[IncomingFile], units_csv: Path | None,
                 workers: int | None = None) -> list[ReturnRead]:
    """Read every new file; many files are shared between processes, one per core."""
    units = reporting_units(load_reporting_units(units_csv))
    jobs = [(f.path, f.name) for f in files]
    reads = []
    for i, (f, read) in enumerate(zip(files, read_many(jobs, units, workers)), 1):
        reads.append(read)
        errors = sum(x.severity == "error" for x in read.failures)
        log.info("[%d/%d] %s: %s", i, len(files), f.name,
                 f"{errors} lỗi" if errors else "đọc xong", extra={"progress": (i, len(files))})
    return reads


def validate_returns(reads: list[ReturnRead], staging: Path) -> list[ReturnRead]:
    with connect(staging) as con:
        known = store.known_unions(con)
    return validate_returns_together(reads, known)


def load_returns(staging: Path, files: list[IncomingFile], reads: list[ReturnRead],
                 archived: list[str], run_id: str,
                 deadlines: tuple[int, tuple[int, int]]) -> None:
    """Load new files into raw and quality, then check them against the warehouse."""
    batch = to_batch(list(zip(files, reads, archived)), run_id)
    with connect(staging) as con:
        store.add_periods(con, [r.period for r in reads if r.period], deadlines)
        store.load_batch(con, batch)
        findings = store.warehouse_checks(con, batch.submissions)
        by_hash = {f.sha256: r for f, r in zip(files, reads)}
        store.add_failures(con, warehouse_failures(findings, by_hash, store.unit_names(con)))


def materialize_indicators(staging: Path, run: dict) -> dict:
    """Statuses, core tables, marts; then the run's own record, which it returns."""
    with connect(staging) as con:
        store.materialize(con, run["run_id"])
        run = store.finish_run(con, run)
        con.execute("CHECKPOINT")
    return run


def publish_warehouse(staging: Path, warehouse: Path) -> None:
    publish.publish(staging, warehouse)


def clear_inbox(files: list[IncomingFile], archive: Path) -> int:
    """Remove from the inbox every file now safe in the archive (same bytes, checked by
    hash when archived) and published; returns how many were removed."""
    return sum(remove_archived(archive, f) for f in files)


def write_run_summary(warehouse: Path, reports: Path, run: dict,
                      feedback: list[Path] | None = None) -> dict:
    with connect(warehouse, read_only=True) as con:
        result = summary.run_summary(con, run)
    result["feedback"] = [str(p) for p in feedback or []]
    folder = reports / f"run_{run['run_id']}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(json.dumps(result, ensure_ascii=False,
                                                    default=str), encoding="utf-8")
    (folder / "summary.md").write_text(summary.render_markdown(result, warehouse),
                                       encoding="utf-8")
    (folder / "report.html").write_text(render_html(result, warehouse), encoding="utf-8")
    result["report_folder"] = str(folder)
    return result


def gather_feedback(staging: Path, run_id: str) -> list[dict]:
    """What the feedback workbooks of the run's rejected or flagged returns need, read from
    the staging warehouse once the run's failures are all loaded."""
    with connect(staging) as con:
        files = store.feedback_files(con, run_id)
        failures = store.feedback_failures(con, run_id, [f["file_hash"] for f in files])
    return [f | {"failures": failures[f["file_hash"]]} for f in files]


def write_feedback_workbooks(jobs: list[dict], reports: Path, run_id: str) -> list[Path]:
    """Each rejected or flagged return of the run, back to its district with its faulty
    cells marked, written aside (publish_feedback puts them in place)."""
    aside = aside_folder(reports, run_id)
    written = []
    for job, (path, error) in zip(jobs, parallel_map(_feedback_job, [(j, aside) for j in jobs])):
        if error:  # one workbook that cannot be written never stops the others
            log.warning("%s: không tạo được tệp phản hồi (feedback not written): %s",
                        job["file_name"], error)
        else:
            written.append(path)
    return written


def _feedback_job(job: tuple[dict, Path]) -> tuple[Path | None, str | None]:
    f, aside = job
    try:
        return write_feedback(Path(f["archived_path"]), f["failures"],
                              aside / (f["period"] or "khong_ro_ky"),
                              district_name=f["district_name"] or "", period=f["period"] or "",
                              file_name=f["file_name"], district_code=f["district_code"]), None
    except Exception as exc:  # noqa: BLE001 - reported in the log, the run goes on
        return None, f"{type(exc).__name__}: {exc}"


def publish_feedback(writing: Future, reports: Path, run_id: str) -> list[Path]:
    """The run's feedback workbooks, once written (`writing`: write_feedback_workbooks
    running alongside) and the warehouse published, in place:
    reports/feedback/<period>/<district>_<period>_phan_hoi_<file>.xlsx."""
    return put_in_place(writing.result(), reports, run_id)


def consolidate(settings: Settings, run_id: str, stage=lambda fn: fn) -> dict:
    """One whole consolidation. `stage` wraps each step (flows/nightly.py makes each a
    Prefect task); the default runs them as plain functions."""
    started = store.now()
    run = {"run_id": run_id, "started_at": started}

    def step(fn):
        publish.fault_point(fn.__name__)
        return stage(fn)

    with publish.run_lock(settings.warehouse), ThreadPoolExecutor(1) as alongside:
        staging = step(prepare_warehouse)(settings)
        seen, files = step(find_returns)(settings.inbox, staging, started,
                                         settings.settle_seconds)
        archived = step(archive_returns)(files, settings.archive)
        reads = step(read_returns)(files, settings.reporting_units)
        reads = step(validate_returns)(reads, staging)
        step(load_returns)(staging, files, reads, archived, run_id, settings.deadlines)
        jobs = step(gather_feedback)(staging, run_id)
        # the workbooks are written while the marts are built and published (both cores)
        writing = alongside.submit(copy_context().run, step(write_feedback_workbooks), jobs,
                                   settings.reports, run_id)
        run = step(materialize_indicators)(
            staging, run | {"files_seen": len(seen), "files_new": len(files)})
        step(publish_warehouse)(staging, settings.warehouse)
        step(clear_inbox)(seen, settings.archive)
        placed = step(publish_feedback)(writing, settings.reports, run_id)
    return step(write_run_summary)(settings.warehouse, settings.reports, run, placed)


def waive(settings: Settings, failure_id: str, reason: str, by: str) -> dict:
    """Record a steward's waiver and publish it; the next run re-evaluates the return."""
    with publish.run_lock(settings.warehouse):
        if not settings.warehouse.exists():
            raise RuntimeError(f"no warehouse at {settings.warehouse}")
        staging = publish.open_staging(settings.warehouse)
        with connect(staging) as con:
            store.ensure_schema(con)
            record = store.add_waiver(con, failure_id, reason, by)
            con.execute("CHECKPOINT")
        publish.publish(staging, settings.warehouse)
    return record
