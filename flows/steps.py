"""The stages of a consolidation as plain functions: flows/nightly.py wraps each in a
Prefect task, and tests call them directly. Each stage only calls transforms/ and
warehouse/; none holds business logic of its own."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import replace
from pathlib import Path

import pandas as pd

from contracts.reference import TARGETS_CSV, load_reporting_units
from flows.settings import Settings
from warehouse.batch import to_batch
from warehouse.cross_checks import warehouse_failures
from intake.decisions import mark_applied, pending_decisions
from intake.inbox import IncomingFile, clear, inbox_failures, new_files, scan_inbox
from transforms.parallel import parallel_map
from transforms.returns import ReturnRead, read_many
from transforms.returns import check_returns
from transforms.targets import read_targets
from transforms.reporting_units import reporting_units
from outputs import summary
from warehouse import publish, store
from warehouse.db import connect
from outputs.feedback import aside_folder, feedback_names, put_in_place, write_feedback
from outputs.report_html import render_html

log = logging.getLogger("htx")


def retried(step):
    """Declares a stage that touches files outside the warehouse: as a Prefect task
    (flows/nightly.py) it is tried again when it fails. Declared here, on the stage, so
    a renamed stage keeps it."""
    step.retried = True
    return step


def read_reference(units_csv: Path | None) -> pd.DataFrame:
    """The reporting units, read once a run: loaded into the warehouse and used by the
    reader to tell whose return a file is."""
    return load_reporting_units(units_csv)


@retried
def prepare_warehouse(settings: Settings, units: pd.DataFrame) -> Path:
    """A staging copy of the published warehouse, with schema and reference data."""
    staging = publish.open_staging(settings.warehouse)
    with connect(staging) as con:
        store.ensure_schema(con)
        store.load_reference(con, units,
                             read_targets(settings.targets or TARGETS_CSV))
        store.add_periods(con, store.known_periods(con), settings.deadlines)  # as configured
    return staging


@retried
def find_returns(inbox: Path, archive: Path, staging: Path, now: dt.datetime,
                 settle_seconds: int = 0, max_file_mb: int | None = None
                 ) -> tuple[list[IncomingFile], list[IncomingFile]]:
    """(every settled file in the inbox, those never processed before), each read once and
    kept in the archive, unchanged, under its hash. A file arrived after the last run
    started, whatever its own time says (that run did not see it)."""
    inbox.mkdir(parents=True, exist_ok=True)
    with connect(staging) as con:
        last_start, known = store.last_run_start(con), store.known_hashes(con)
    files = scan_inbox(inbox, archive, now, settle_seconds, max_bytes=_bytes(max_file_mb),
                       not_before=last_start)
    return files, new_files(files, known)


def read_returns(files: list[IncomingFile], units: pd.DataFrame,
                 workers: int | None = None, max_file_mb: int | None = None
                 ) -> list[ReturnRead]:
    """Read every new file from its archived copy (the bytes its hash names); many files
    are shared between processes, one per core. A refused file is not read: its read
    says why."""
    readable = [f for f in files if not f.refused]
    done = iter(read_many([(f.archived, f.name) for f in readable], reporting_units(units),
                          workers))
    reads = []
    for i, f in enumerate(files, 1):
        read = next(done) if not f.refused else ReturnRead(f.name, readable=False)
        read = replace(read, failures=read.failures + inbox_failures(f, _bytes(max_file_mb)))
        reads.append(read)
        errors = sum(x.severity == "error" for x in read.failures)
        log.info("[%d/%d] %s: %s", i, len(files), f.name,
                 f"{errors} lỗi" if errors else "đọc xong", extra={"progress": (i, len(files))})
    return reads


def _bytes(megabytes: int | None) -> int | None:
    return None if megabytes is None else megabytes * 1_000_000


def validate_returns(reads: list[ReturnRead], staging: Path) -> list[ReturnRead]:
    with connect(staging) as con:
        known = store.known_unions(con)
    return check_returns(reads, known)


def load_returns(staging: Path, files: list[IncomingFile], reads: list[ReturnRead],
                 run_id: str, deadlines: tuple[int, tuple[int, int]]) -> None:
    """Load new files into raw and quality, then check them against the warehouse."""
    batch = to_batch([(f, r, str(f.archived or "")) for f, r in zip(files, reads)], run_id)
    with connect(staging) as con:
        store.add_periods(con, [r.period for r in reads if r.period], deadlines)
        store.load_batch(con, batch)
        findings = store.warehouse_checks(con, batch.submissions)
        by_hash = {f.sha256: r for f, r in zip(files, reads)}
        store.add_failures(con, warehouse_failures(findings, by_hash, store.unit_names(con)))


def apply_decisions(staging: Path, portal: Path, run_id: str) -> list[int]:
    """The stewards' decisions the portal recorded since the last run (waivers, period
    locks and reopenings), applied to the staging warehouse before its models run; the
    ids of those applied (marked in the portal once the warehouse is published)."""
    if not portal.exists():
        return []
    with connect(staging) as con:
        return store.apply_decisions(con, pending_decisions(portal), run_id)


@retried
def mark_decisions_applied(portal: Path, seqs: list[int], run_id: str) -> None:
    """Tell the portal which of its decisions this run published."""
    if seqs:
        mark_applied(portal, seqs, run_id)


def materialize_indicators(staging: Path, run: dict) -> dict:
    """Statuses, core tables, marts; then the run's own record, which it returns."""
    with connect(staging) as con:
        store.materialize(con, run["run_id"])
        run = store.finish_run(con, run)
        con.execute("CHECKPOINT")
    return run


@retried
def publish_warehouse(staging: Path, warehouse: Path) -> None:
    publish.publish(staging, warehouse)


@retried
def clear_inbox(files: list[IncomingFile]) -> int:
    """Remove from the inbox every file now safe in the archive and published (unless its
    bytes changed since: a new file under the same name is never lost); how many."""
    return sum(clear(f) for f in files)


class OutputsOwed(RuntimeError):
    """The warehouse is published, but the run's feedback workbooks or report could not
    all be written: ops.runs says they are owed and the next run writes them."""

    def __init__(self, cause: object):
        super().__init__(
            f"kho dữ liệu đã được công bố nhưng chưa ghi được tệp phản hồi hoặc báo cáo "
            f"({cause}); lần chạy sau sẽ ghi lại / the warehouse is published but its feedback "
            f"workbooks or report could not be written; the next run writes them")


@retried
def write_run_summary(warehouse: Path, reports: Path, run: dict,
                      feedback: list[Path] | None = None) -> dict:
    """The run's report, from what the warehouse records: summary.json, summary.md and
    report.html in reports/run_<id>/."""
    with connect(warehouse, read_only=True) as con:
        result = summary.run_summary(con, run)
    result = result | {"feedback": [str(p) for p in feedback or []]}
    folder = reports / f"run_{run['run_id']}"
    folder.mkdir(parents=True, exist_ok=True)
    _write_text(folder / "summary.json", json.dumps(result, ensure_ascii=False, default=str))
    markdown = summary.render_markdown(result, warehouse)  # rendered once: file, artifact, terminal
    _write_text(folder / "summary.md", markdown)
    _write_text(folder / "report.html", render_html(result, warehouse))
    return result | {"report_folder": str(folder), "markdown": markdown}


def _write_text(path: Path, text: str) -> None:
    """Written beside, then renamed: a report file is whole or absent."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def gather_feedback(staging: Path, run_id: str) -> list[dict]:
    """What the feedback workbooks of the run's rejected or flagged returns need, read from
    the staging warehouse once the run's failures are all loaded."""
    with connect(staging) as con:
        files = store.feedback_files(con, run_id)
        failures = store.feedback_failures(con, run_id, [f["file_hash"] for f in files])
    return [f | {"failures": failures[f["file_hash"]]} for f in files]


@retried
def write_feedback_workbooks(jobs: list[dict], reports: Path, run_id: str) -> list[Path]:
    """Each rejected or flagged return of the run, back to its district with its faulty
    cells marked, written aside (publish_feedback puts them in place). Names that would
    collide get the file's short hash. OutputsOwed when a workbook could not be written
    for a reason a later run may not meet."""
    aside = aside_folder(reports, run_id)
    names = feedback_names(jobs)
    written, owed = [], []
    for job, (path, error, again) in zip(jobs, parallel_map(
            _feedback_job, [(j, aside, n) for j, n in zip(jobs, names)])):
        if error:  # one workbook that cannot be written never stops the others
            log.warning("%s: không tạo được tệp phản hồi (feedback not written): %s",
                        job["file_name"], error)
            owed += [error] if again else []
        else:
            written.append(path)
    if owed:
        raise OutputsOwed(owed[0])
    return written


def _feedback_job(job: tuple[dict, Path, str]) -> tuple[Path | None, str | None, bool]:
    """(the workbook written, else the error and whether a later run may succeed: an
    error of the file system (folder not writable, disk full) is owed; with the archived
    original gone, or a workbook the editor cannot take, it would happen again, so it is
    only logged)."""
    f, aside, name = job
    try:
        return write_feedback(Path(f["archived_path"]), f["failures"],
                              aside / (f["period"] or "khong_ro_ky"),
                              district_name=f["district_name"] or "", period=f["period"] or "",
                              file_name=f["file_name"], district_code=f["district_code"],
                              name=name), None, False
    except Exception as exc:  # noqa: BLE001 - reported in the log, the run goes on
        again = isinstance(exc, OSError) and Path(f["archived_path"]).is_file()
        return None, f"{type(exc).__name__}: {exc}", again


@retried
def publish_feedback(writing: Future, reports: Path, run_id: str) -> list[Path]:
    """The run's feedback workbooks, once written (`writing`: write_feedback_workbooks
    running alongside) and the warehouse published, in place:
    reports/feedback/<period>/<district>_<period>_phan_hoi_<file>.xlsx."""
    return put_in_place(writing.result(), reports, run_id)


def write_owed_outputs(staging: Path, warehouse: Path, reports: Path) -> list[str]:
    """The feedback workbooks and report of every earlier run that published its warehouse
    without them (killed, folder not writable, disk full), from what the warehouse
    records; the ids of the runs now written. A run still owed is logged and left owed."""
    with connect(staging) as con:
        owed = store.owed_runs(con)
    done = []
    for run in owed:
        try:
            jobs = gather_feedback(staging, run["run_id"])
            placed = put_in_place(write_feedback_workbooks(jobs, reports, run["run_id"]),
                                  reports, run["run_id"])
            write_run_summary(warehouse, reports, run | {"outcome": "completed"}, placed)
        except (OSError, OutputsOwed) as exc:
            log.warning("lần chạy %s: vẫn chưa ghi được tệp phản hồi hoặc báo cáo (outputs "
                        "still owed): %s", run["run_id"], exc)
            continue
        done.append(run["run_id"])
    return done


@retried
def record_outputs_written(warehouse: Path, run_ids: list[str]) -> None:
    """Mark these runs completed in the published warehouse (a small publish of its own)."""
    staging = publish.open_staging(warehouse)
    with connect(staging) as con:
        store.outputs_written(con, run_ids)
        con.execute("CHECKPOINT")
    publish.publish(staging, warehouse)


def consolidate(settings: Settings, run_id: str, stage=lambda fn: fn) -> dict:
    """One whole consolidation. `stage` wraps each step (flows/nightly.py makes each a
    Prefect task); the default runs them as plain functions. The run is recorded
    completed once its feedback workbooks and report are written; until then they are
    owed, and the next run writes them first (OutputsOwed says so)."""
    started = store.now()
    run = {"run_id": run_id, "started_at": started}

    step = stage

    with publish.run_lock(settings.warehouse), ThreadPoolExecutor(1) as alongside:
        units = step(read_reference)(settings.reporting_units)
        staging = step(prepare_warehouse)(settings, units)
        earlier = step(write_owed_outputs)(staging, settings.warehouse, settings.reports)
        seen, files = step(find_returns)(settings.inbox, settings.archive, staging, started,
                                         settings.settle_seconds, settings.max_file_mb)
        reads = step(read_returns)(files, units, None, settings.max_file_mb)
        reads = step(validate_returns)(reads, staging)
        step(load_returns)(staging, files, reads, run_id, settings.deadlines)
        decided = step(apply_decisions)(staging, settings.portal_database, run_id)
        jobs = step(gather_feedback)(staging, run_id)
        # the workbooks are written while the marts are built and published (both cores)
        writing = alongside.submit(copy_context().run, step(write_feedback_workbooks), jobs,
                                   settings.reports, run_id)
        run = step(materialize_indicators)(
            staging, run | {"files_seen": len(seen), "files_new": len(files)})
        step(publish_warehouse)(staging, settings.warehouse)
        step(mark_decisions_applied)(settings.portal_database, decided, run_id)
        step(clear_inbox)(seen)
        try:
            placed = step(publish_feedback)(writing, settings.reports, run_id)
            result = step(write_run_summary)(settings.warehouse, settings.reports,
                                             run | {"outcome": "completed"}, placed)
        except OSError as exc:
            raise OutputsOwed(exc) from exc
        step(record_outputs_written)(settings.warehouse, [*earlier, run_id])
    return result


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
