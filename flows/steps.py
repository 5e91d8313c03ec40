"""The stages of a consolidation as plain functions: flows/nightly.py wraps each in a
Prefect task, and tests call them directly. Each stage only calls transforms/ and
warehouse/; none holds business logic of its own.

Stages hand each other references, never rows: paths, ids, the staging warehouse and the
files of the run's work folder. The per-file work (reading and checking returns, writing
feedback workbooks) is done in chunks of up to hundreds of files (the `chunk_files`
setting), which flows/nightly.py sends to a Prefect task runner (other processes, or a
Dask cluster); each chunk saves what it made to the work folder and returns its path.
One process writes the warehouse."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pandas as pd

from contracts.reference import TARGETS_CSV, load_reporting_units
from flows.settings import Settings
from warehouse.batch import LoadBatch, to_batch
from warehouse.cross_checks import file_layouts, warehouse_failures
from intake.decisions import mark_applied, pending_decisions
from intake.files import load_private, save_private
from intake.inbox import IncomingFile, clear, inbox_failures, new_files, scan_inbox
from transforms.periods import period_from_code
from transforms.returns import ReturnRead, check_returns, read_return
from transforms.targets import read_targets
from transforms.reporting_units import reporting_units
from outputs import summary
from warehouse import publish, store
from warehouse.db import connect
from outputs.feedback import (aside_folder, clear_aside, feedback_names, put_in_place,
                              write_feedback)
from outputs.report_html import render_html

log = logging.getLogger("htx")

def chunks(items: list, size: int, workers: int = 1) -> list[list]:
    """`items` in as few consecutive chunks of at most `size` as can be, of even sizes (31
    files at 30 a chunk are 16 and 15, not 30 and 1), and, when there is more than one,
    as many as keeps each of `workers` processes equally busy (a multiple of `workers`:
    708 files at 250 a chunk for 2 workers are 4 chunks of 177, not 3). A chunk is large
    (the `chunk_files` setting, 250 by default): each costs the main process a task to
    submit and the checks a fixed start (pandera, the load's statements), so fewer is
    faster. A run that fits in one chunk is not split even with many workers: reading 250
    returns takes about as long as starting a worker process (about 3 s of imports), so
    the run reads them in its own process (flows/nightly.py)."""
    count = -(-len(items) // size)
    if count > 1 and workers > 1:
        count = min(len(items), -(-count // workers) * workers)
    bounds = [round(i * len(items) / count) for i in range(count + 1)] if count else []
    return [items[a:b] for a, b in zip(bounds, bounds[1:])]


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
    started, whatever its own time says (that run did not see it). The archived copies are
    named by absolute paths: a worker in another process or on another machine reads them
    by the same name."""
    inbox.mkdir(parents=True, exist_ok=True)
    with connect(staging) as con:
        last_start, known = store.last_run_start(con), store.known_hashes(con)
    files = scan_inbox(inbox, archive.absolute(), now, settle_seconds,
                       max_bytes=_bytes(max_file_mb), not_before=last_start)
    return files, new_files(files, known)


def write_known_unions(staging: Path, work: Path) -> Path:
    """The unions the warehouse already knows (the row rules' context), saved once for
    every chunk to read."""
    with connect(staging) as con:
        known = store.known_unions(con)
    return save_private(known, work / "known_unions.pickle")


def read_returns(files: list[IncomingFile], units: pd.DataFrame, known_unions: Path,
                 batch: Path, run_id: str, max_file_mb: int | None = None) -> dict:
    """Read and check a chunk of new files, each from its archived copy (the bytes its
    hash names), and save what the warehouse loads of them to `batch`; returns that path
    and, per file, its name and number of errors, and which process read them (host/pid).
    A refused file is not read: its read says why. Runs wherever the task runner puts it;
    an archived copy this process cannot see stops the run (the next run tries again): it
    is never taken for an unreadable return."""
    missing = [f for f in files if not f.refused and not (f.archived and f.archived.is_file())]
    if missing:
        raise FileNotFoundError(
            f"không thấy bản lưu trữ {missing[0].archived} của tệp {missing[0].name} (máy "
            f"chạy phải thấy thư mục lưu trữ ở cùng đường dẫn) / the archived copy "
            f"{missing[0].archived} of {missing[0].name} is not visible here: every worker "
            f"must see the archive folder at the same path")
    lookup = reporting_units(units)
    reads = []
    for f in files:
        read = read_return(f.archived, lookup, f.name) if not f.refused \
            else ReturnRead(f.name, readable=False)
        reads.append(replace(read, failures=read.failures + inbox_failures(
            f, _bytes(max_file_mb))))
    reads = check_returns(reads, load_private(known_unions))
    save_private(to_batch([(f, r, str(f.archived or "")) for f, r in zip(files, reads)],
                          run_id), batch)
    return {"batch": str(batch), "worker": f"{socket.gethostname()}/{os.getpid()}",
            "files": [(r.file_name, sum(x.severity == "error" for x in r.failures))
                      for r in reads]}


def report_progress(read: dict, done: int, total: int) -> int:
    """One log line per file of a chunk read (its name, and its errors if any); how many
    files are done now."""
    for name, errors in read["files"]:
        done += 1
        log.info("[%d/%d] %s: %s", done, total, name,
                 f"{errors} lỗi" if errors else "đọc xong", extra={"progress": (done, total)})
    return done


def _bytes(megabytes: int | None) -> int | None:
    return None if megabytes is None else megabytes * 1_000_000


def load_returns(staging: Path, batches: list[str], deadlines: tuple[int, tuple[int, int]]
                 ) -> None:
    """Load the chunks' batches into raw and quality, one at a time; then check every new
    file against the others and the rest of the warehouse."""
    submissions, layouts = [], []
    with connect(staging) as con:
        for path in batches:
            batch: LoadBatch = load_private(Path(path))
            periods = batch.submissions.get("period", pd.Series()).dropna().unique()
            store.add_periods(con, [period_from_code(p) for p in periods], deadlines)
            store.load_batch(con, batch)
            submissions.append(batch.submissions)
            layouts.append(batch.roster_layouts)
        if not submissions:
            return
        new = pd.concat(submissions, ignore_index=True)
        findings = store.warehouse_checks(con, new)
        store.add_failures(con, warehouse_failures(
            findings, file_layouts(new, pd.concat(layouts, ignore_index=True)),
            store.unit_names(con)))


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
        self.cause = cause
        super().__init__(
            f"kho dữ liệu đã được công bố nhưng chưa ghi được tệp phản hồi hoặc báo cáo "
            f"({cause}); lần chạy sau sẽ ghi lại / the warehouse is published but its feedback "
            f"workbooks or report could not be written; the next run writes them")

    def __reduce__(self):  # raised in a worker process, unpickled whole in the run's
        return OutputsOwed, (self.cause,)


@retried
def write_run_summary(warehouse: Path, reports: Path, run: dict,
                      feedback: list[Path] | None = None) -> summary.RunSummary:
    """The run's report, from what the warehouse records: summary.json, summary.md and
    report.html in reports/run_<id>/; returned by reference (outputs.summary.RunSummary)."""
    with connect(warehouse, read_only=True) as con:
        result = summary.run_summary(con, run)
    result = result | {"feedback": [str(p) for p in feedback or []]}
    folder = reports / f"run_{run['run_id']}"
    folder.mkdir(parents=True, exist_ok=True)
    _write_text(folder / "summary.json", json.dumps(result, ensure_ascii=False, default=str))
    markdown = summary.render_markdown(result, warehouse)  # rendered once: file, artifact, terminal
    _write_text(folder / "summary.md", markdown)
    _write_text(folder / "report.html", render_html(result, warehouse))
    return summary.RunSummary(folder, markdown)  # the rest by reference: summary.json


def _write_text(path: Path, text: str) -> None:
    """Written beside, then renamed: a report file is whole or absent."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def gather_feedback(staging: Path, run_id: str, work: Path, chunk_files: int,
                    workers: int = 1) -> list[str]:
    """What the feedback workbooks of the run's rejected or flagged returns need, read from
    the staging warehouse once the run's failures are all loaded, with each workbook's
    name (names that would collide get the file's short hash); saved to the work folder
    in chunks of at most `chunk_files` returns (`chunks`), whose paths it returns."""
    with connect(staging) as con:
        files = store.feedback_files(con, run_id)
        failures = store.feedback_failures(con, run_id, [f["file_hash"] for f in files])
    jobs = [f | {"failures": failures[f["file_hash"]], "workbook_name": name}
            for f, name in zip(files, feedback_names(files))]
    return [str(save_private(part, work / f"feedback_{run_id}_{i:05d}.pickle"))
            for i, part in enumerate(chunks(jobs, chunk_files, workers))]


@retried
def write_feedback_chunk(jobs: str, reports: Path, run_id: str) -> list[str]:
    """The feedback workbooks of one chunk gather_feedback saved (write_feedback_workbooks);
    the paths written."""
    return [str(p) for p in write_feedback_workbooks(load_private(Path(jobs)), reports,
                                                     run_id)]


def write_feedback_workbooks(jobs: list[dict], reports: Path, run_id: str) -> list[Path]:
    """Each rejected or flagged return of the run, back to its district with its faulty
    cells marked, written aside (publish_feedback puts them in place). OutputsOwed when a
    workbook could not be written for a reason a later run may not meet."""
    aside = aside_folder(reports, run_id)
    names = [j.get("workbook_name") for j in jobs]
    names = names if all(names) else feedback_names(jobs)
    written, owed = [], []
    for job, name in zip(jobs, names):
        path, error, again = _feedback_job(job, aside, name)
        if error:  # one workbook that cannot be written never stops the others
            log.warning("%s: không tạo được tệp phản hồi (feedback not written): %s",
                        job["file_name"], error)
            owed += [error] if again else []
        else:
            written.append(path)
    if owed:
        raise OutputsOwed(owed[0])
    return written


def _feedback_job(f: dict, aside: Path, name: str) -> tuple[Path | None, str | None, bool]:
    """(the workbook written, else the error and whether a later run may succeed: an
    error of the file system (folder not writable, disk full) is owed; with the archived
    original gone, or a workbook the editor cannot take, it would happen again, so it is
    only logged)."""
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
def publish_feedback(written: list[str], reports: Path, run_id: str) -> list[Path]:
    """The run's feedback workbooks, written aside while the warehouse was built and
    published, in place: reports/feedback/<period>/<district>_<period>_phan_hoi_<file>.xlsx."""
    return put_in_place([Path(p) for p in written], reports, run_id)


def write_owed_outputs(staging: Path, warehouse: Path, reports: Path, work: Path,
                       chunk_files: int) -> list[str]:
    """The feedback workbooks and report of every earlier run that published its warehouse
    without them (killed, folder not writable, disk full), from what the warehouse
    records; the ids of the runs now written. A run still owed is logged and left owed.
    First, what interrupted runs left aside is removed."""
    clear_aside(reports)
    with connect(staging) as con:
        owed = store.owed_runs(con)
    done = []
    for run in owed:
        try:
            written = [p for jobs in gather_feedback(staging, run["run_id"], work, chunk_files)
                       for p in write_feedback_chunk(jobs, reports, run["run_id"])]
            placed = publish_feedback(written, reports, run["run_id"])
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


class Done:
    """A step run at once, answered as a future: `result()` gives its value or raises what
    it raised (how plain functions answer `spread`: a failure shows where the result is
    asked for, as it would from a task runner)."""

    def __init__(self, step: Callable, call: dict):
        try:
            self.value, self.error = step(**call), None
        except Exception as exc:  # noqa: BLE001 - raised again by result()
            self.value, self.error = None, exc

    def result(self) -> object:
        if self.error is not None:
            raise self.error
        return self.value


Spread = Callable[[Callable, list[dict]], list]


def consolidate(settings: Settings, run_id: str, stage=lambda fn: fn,
                spread: Spread | None = None, workers: int = 1) -> summary.RunSummary:
    """One whole consolidation. `stage` wraps each step (flows/nightly.py makes each a
    Prefect task); the default runs them as plain functions. `spread(step, calls)` starts
    a per-chunk step once for each call's arguments and returns futures of their results
    in order (flows/nightly.py sends them to a task runner of `workers` processes); by
    default each is run here, at once. The run is recorded completed once its feedback
    workbooks and report are written; until then they are owed, and the next run writes
    them first (OutputsOwed says so)."""
    started = store.now()
    run = {"run_id": run_id, "started_at": started}
    step = stage
    spread = spread or (lambda fn, calls: [Done(step(fn), call) for call in calls])

    with publish.run_lock(settings.warehouse):
        work = publish.work_folder(settings.warehouse)
        try:
            units = step(read_reference)(settings.reporting_units)
            staging = step(prepare_warehouse)(settings, units)
            earlier = step(write_owed_outputs)(staging, settings.warehouse, settings.reports,
                                               work, settings.chunk_files)
            seen, files = step(find_returns)(settings.inbox, settings.archive, staging,
                                             started, settings.settle_seconds,
                                             settings.max_file_mb)
            if files:  # a night with nothing new reads, loads and writes back nothing
                known = step(write_known_unions)(staging, work)
                reading = spread(read_returns, [
                    {"files": part, "units": units, "known_unions": known,
                     "batch": work / f"batch_{i:05d}.pickle", "run_id": run_id,
                     "max_file_mb": settings.max_file_mb}
                    for i, part in enumerate(chunks(files, settings.chunk_files, workers))])
                batches, done = [], 0
                for future in reading:
                    read = future.result()
                    done = report_progress(read, done, len(files))
                    batches.append(read["batch"])
                step(load_returns)(staging, batches, settings.deadlines)
            decided = step(apply_decisions)(staging, settings.portal_database, run_id)
            # the workbooks are written while the marts are built and published
            jobs = step(gather_feedback)(staging, run_id, work, settings.chunk_files, workers) \
                if files else []
            writing = spread(write_feedback_chunk, [
                {"jobs": part, "reports": settings.reports.absolute(), "run_id": run_id}
                for part in jobs])  # absolute: a worker elsewhere writes to the same folder
            run = step(materialize_indicators)(
                staging, run | {"files_seen": len(seen), "files_new": len(files)})
            step(publish_warehouse)(staging, settings.warehouse)
            step(mark_decisions_applied)(settings.portal_database, decided, run_id)
            step(clear_inbox)(seen)
            try:
                written = [p for future in writing for p in future.result()]
                placed = step(publish_feedback)(written, settings.reports, run_id)
                result = step(write_run_summary)(settings.warehouse, settings.reports,
                                                 run | {"outcome": "completed"}, placed)
            except OSError as exc:
                raise OutputsOwed(exc) from exc
            step(record_outputs_written)(settings.warehouse, [*earlier, run_id])
        finally:
            publish.remove_work_folder(work)
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
