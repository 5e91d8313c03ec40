"""Writing to the warehouse: schema, reference data, a run's returns, models, the run."""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb
import pandas as pd

from contracts.indicators import INDICATORS
from contracts.reference import TIME_ZONE
from contracts.rules import CHANGE_CHECKS, RULES
from contracts.vocabularies import SECTORS
from transforms.periods import Period, period_from_code
from warehouse import db

INCOMING = {  # LoadBatch field -> (registered view, load SQL file)
    "submissions": ("incoming_submissions", "load/submissions.sql"),
    "coop_rows": ("incoming_coop_rows", "load/coop_rows.sql"),
    "union_rows": ("incoming_union_rows", "load/union_rows.sql"),
    "declared_totals": ("incoming_declared_totals", "load/declared_totals.sql"),
    "failures": ("incoming_failures", "load/failures.sql"),
    "rule_checks": ("incoming_rule_checks", "load/rule_checks.sql"),
}
TOTALS_TOLERANCE = 0.5  # a declared figure rounded to a whole unit still agrees


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    db.run_folder(con, "schema")
    if db.query(con, "builds/stored_statuses.sql")["stored"][0]:
        # a warehouse from before statuses were derived by the models, opened by this
        # version for the first time: a published one, so every table it comments is there
        db.run(con, "builds/derive_statuses.sql")
        db.run(con, "schema/50_public_views.sql")
        db.run(con, "generated/comments.sql")
    for schema, table, column in db.query(con, "builds/naive_times.sql").itertuples(index=False):
        # a warehouse from before times were stored with their zone: its times were the
        # machine's local time, which is what the session's time zone reads them as
        con.execute(f"ALTER TABLE {db.quoted(schema, table)} ALTER {db.quoted(column)} "
                    "TYPE TIMESTAMPTZ")


def reference_frames(units: pd.DataFrame, targets: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The ref tables' content, from the contracts and the reference files."""
    indicators = pd.DataFrame(
        [{**dataclasses.asdict(i), "sort_order": n,
          "statuses": list(i.statuses) if i.statuses else None,
          "sectors": list(i.sectors) if i.sectors else None}
         for n, i in enumerate(INDICATORS, 1)])
    rules = pd.DataFrame([{"code": r.code, "severity": r.severity, "scope": r.scope,
                           "sheet": r.sheet, "column_name": r.field, "message_vi": r.message_vi,
                           "message_en": r.message_en, "description_en": r.description_en}
                          for r in RULES])
    sectors = pd.DataFrame([{"code": t.code, "name_vi": t.name_vi, "name_en": t.name_en}
                            for t in SECTORS.terms])
    return {"incoming_units": units, "incoming_targets": targets,
            "incoming_indicators": indicators, "incoming_rules": rules,
            "incoming_sectors": sectors}


def load_reference(con: duckdb.DuckDBPyConnection, units: pd.DataFrame,
                   targets: pd.DataFrame) -> None:
    with registered(con, reference_frames(units, targets)):
        db.run(con, "load/reference.sql")


def add_periods(con: duckdb.DuckDBPyConnection, periods: list[Period],
                deadlines: tuple[int, tuple[int, int]] | None = None) -> None:
    """Periods with their bounds and deadline (days after a period, annual month/day)."""
    frame = pd.DataFrame([{"code": p.code, "kind": p.kind, "start_date": p.start,
                           "end_date": p.end, "deadline": p.deadline(*(deadlines or ()))}
                          for p in periods],
                         columns=["code", "kind", "start_date", "end_date", "deadline"])
    with registered(con, {"incoming_periods": frame}):
        db.run(con, "load/periods.sql")


class registered:
    """Context manager: pandas frames visible to SQL under the given names."""

    def __init__(self, con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame]):
        self.con, self.frames = con, frames

    def __enter__(self):
        for name, frame in self.frames.items():
            self.con.register(name, frame)
        return self.con

    def __exit__(self, *exc):
        for name in self.frames:
            self.con.unregister(name)


def load_batch(con: duckdb.DuckDBPyConnection, batch) -> None:
    """Insert a run's new files, their rows, declared totals and failures, and compute
    each new file's indicator parts."""
    if batch.submissions.empty:
        return
    present = {name: view for name, (view, _) in INCOMING.items()
               if not getattr(batch, name).empty}
    with registered(con, {view: getattr(batch, name) for name, view in present.items()}):
        for name in present:
            db.run(con, INCOMING[name][1])
        db.run(con, "load/submission_indicators.sql")


def warehouse_checks(con: duckdb.DuckDBPyConnection,
                     submissions: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """What the new files' rows show against themselves and the rest of the warehouse:
    declared totals vs roster, a cooperative in two districts, cooperatives vanished or
    changed implausibly since the district's previous accepted return. Rule code -> rows."""
    if submissions.empty:
        return {}
    checks = pd.DataFrame([{"field": f, "ratio": r, "minimum": m}
                           for f, (r, m) in CHANGE_CHECKS.items()])
    with registered(con, {"incoming_submissions": submissions, "change_checks": checks}):
        db.run(con, "quality/previous_returns.sql")
        return {
            "TOTAL_MISMATCH": db.query(con, "quality/reconcile_totals.sql",
                                       tolerance=TOTALS_TOLERANCE),
            "COOP_IN_TWO_DISTRICTS": db.query(con, "quality/coops_in_two_districts.sql"),
            "COOP_VANISHED": db.query(con, "quality/vanished_coops.sql"),
            "IMPLAUSIBLE_CHANGE": db.query(con, "quality/implausible_changes.sql",
                                           fields=list(CHANGE_CHECKS)),
        }


def add_failures(con: duckdb.DuckDBPyConnection, failures: pd.DataFrame) -> None:
    if not failures.empty:
        with registered(con, {"incoming_failures": failures}):
            db.run(con, "load/failures.sql")


def materialize(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Statuses, core tables and marts from what raw and quality now hold; then comments
    (when a table is new).
    Core and district rows are rebuilt only for the periods that changed (see
    models/15_changed_periods.sql); ops.period_builds records what they were built from."""
    models = db.folder_digest("schema", "models")  # the macros the models use included
    changed = bool(db.query(con, "builds/models_changed.sql", models_digest=models,
                            run_id=run_id)["changed"][0])
    if changed:
        db.run(con, "builds/drop_rebuilt.sql", run_id=run_id)
    db.run_folder(con, "models", models_digest=models, run_id=run_id, built_at=now(),
                  time_zone=TIME_ZONE)
    if changed:
        db.run(con, "builds/restore_frozen.sql")
    if db.query(con, "builds/uncommented.sql")["missing"][0]:
        db.run(con, "generated/comments.sql")


def finish_run(con: duckdb.DuckDBPyConnection, run: dict) -> dict:
    """Record the run in ops.runs (counts from what it loaded) and return that record."""
    db.run(con, "load/finish_run.sql", flow_run_id=run["run_id"], finished_at=now(), **run)
    (record,) = db.query(con, "report/run.sql", run_id=run["run_id"]).to_dict("records")
    return record


def owed_runs(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Runs that published their warehouse and still owe feedback workbooks or a report."""
    return db.query(con, "report/owed_runs.sql").to_dict("records")


def outputs_written(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> None:
    """These runs' outputs are all written: they are completed."""
    db.run(con, "load/outputs_written.sql", run_ids=list(run_ids))


def last_run_start(con: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    """When the last recorded run started (None before the first)."""
    started = db.query(con, "report/last_run_start.sql")["started_at"][0]
    return None if pd.isna(started) else pd.Timestamp(started).to_pydatetime()


def known_periods(con: duckdb.DuckDBPyConnection) -> list[Period]:
    return [period_from_code(c) for c in db.query(con, "quality/known_periods.sql")["code"]]


def known_hashes(con: duckdb.DuckDBPyConnection) -> set[str]:
    return set(db.query(con, "quality/known_hashes.sql")["file_hash"])


def add_waiver(con: duckdb.DuckDBPyConnection, failure_id: str, reason: str,
               by: str, at: dt.datetime | None = None) -> dict:
    """Record a steward's waiver of one failure (made now, or `at`); KeyError when no such
    failure exists, ValueError when it is already waived."""
    if db.query(con, "report/failure.sql", failure_id=failure_id).empty:
        raise KeyError(failure_id)
    if not db.query(con, "report/waiver.sql", failure_id=failure_id).empty:
        raise ValueError(f"failure {failure_id} is already waived")
    db.run(con, "load/waiver.sql", failure_id=failure_id, reason=reason, waived_by=by,
           waived_at=at or now())
    (record,) = db.query(con, "report/waiver.sql", failure_id=failure_id).to_dict("records")
    return record


def apply_decisions(con: duckdb.DuckDBPyConnection, decisions: list, run_id: str) -> list[int]:
    """Stewards' decisions recorded by the portal (intake/decisions.py), in their order:
    waivers into quality.waivers, locks and reopenings into ops.period_decisions. The
    `seq` of each one now in the warehouse; a waiver of a failure the warehouse does not
    hold (its upload not yet consolidated) is left for a later run. Taking a decision
    twice changes nothing."""
    applied = []
    for d in decisions:
        if d.kind == "waive":
            try:
                add_waiver(con, d.target, d.reason, d.decided_by, _instant(d.decided_at))
            except KeyError:
                continue
            except ValueError:
                pass  # waived already (by this decision, taken before, or by htx waive)
        applied.append(d.seq)
    periods = pd.DataFrame(
        [{"decision_id": f"{d.seq}@{d.decided_at}", "period": d.target, "action": d.kind,
          "reason": d.reason, "decided_by": d.decided_by,
          "decided_at": _instant(d.decided_at)} for d in decisions if d.kind != "waive"],
        columns=["decision_id", "period", "action", "reason", "decided_by", "decided_at"])
    if not periods.empty:
        with registered(con, {"incoming_decisions": periods}):
            db.run(con, "load/period_decisions.sql", run_id=run_id)
    return applied


def _instant(iso: str) -> dt.datetime:
    """An ISO 8601 time (the portal writes UTC) as an aware datetime."""
    moment = dt.datetime.fromisoformat(iso)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def feedback_files(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict]:
    """The run's returns that get a feedback workbook; a value not known is None."""
    frame = db.query(con, "report/run_feedback.sql", run_id=run_id)
    return [{k: None if _missing(v) else v for k, v in rec.items()}
            for rec in frame.to_dict("records")]


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def feedback_failures(con: duckdb.DuckDBPyConnection, run_id: str,
                      file_hashes: list[str]) -> dict[str, list[dict]]:
    """The failures of each of the run's returns that get a feedback workbook (one query
    for the run), as records by file hash."""
    found: dict[str, list[dict]] = {h: [] for h in file_hashes}
    for rec in db.query(con, "report/run_feedback_failures.sql", run_id=run_id).to_dict("records"):
        found.setdefault(rec["file_hash"], []).append(rec)
    return found


def unit_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    frame = db.query(con, "report/unit_names.sql")
    return dict(zip(frame["code"], frame["name"]))


def known_unions(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    return frozenset(db.query(con, "quality/known_unions.sql")["union_id"])


def now() -> dt.datetime:
    """This instant, with its zone (stored as TIMESTAMPTZ)."""
    return dt.datetime.now(dt.timezone.utc)
