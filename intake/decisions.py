"""What stewards decided: waivers, period locks and reopenings, recorded at once and
applied by the next consolidation.

An append-only queue in the portal's SQLite database (WAL, synchronous=FULL): a decision
is one committed INSERT, so it is durable the moment the steward is told it is recorded,
whatever the nightly run is doing with the warehouse (the warehouse is never touched
here). Rows are never updated except to note once that a run applied them
(`applied_run`, `applied_at`); they are never deleted, so the queue is also the history.

The nightly run calls `pending_decisions(db)` at its start, applies them in `seq` order
to its staging warehouse, and after it has published calls `mark_applied(db, seqs,
run_id)`. A run that dies before publishing marks nothing: the next one takes the same
decisions again (applying one twice must be harmless: a waiver of a failure already
waived, a lock of a locked period)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from accounts.db import connect, now

KINDS = ("waive", "lock", "unlock")
SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('waive', 'lock', 'unlock')),
    target TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    applied_run TEXT,
    applied_at TEXT
);
"""


@dataclass(frozen=True)
class Decision:
    """One steward decision. `target` is a failure_id (waive) or a period code (lock,
    unlock); `detail` what the portal knew of it (for a waiver: file_hash, rule_code,
    cell, district_code, period)."""

    seq: int
    kind: str
    target: str
    reason: str
    decided_by: str
    decided_at: str  # ISO 8601, UTC
    detail: dict
    applied_run: str | None = None
    applied_at: str | None = None


def record_decision(db: Path, kind: str, target: str, reason: str, by: str,
                    **detail: object) -> Decision:
    """Append one decision (committed before this returns)."""
    if kind not in KINDS:
        raise ValueError(f"unknown decision {kind!r}")
    if not reason.strip():
        raise ValueError("a decision needs a reason")
    at = now()
    with connect(db, SCHEMA) as con:
        seq = con.execute(
            "INSERT INTO decisions (kind, target, reason, decided_by, decided_at, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (kind, target, reason.strip(), by, at,
             json.dumps(detail, ensure_ascii=False, default=str))).lastrowid
    return Decision(seq, kind, target, reason.strip(), by, at, detail)


def _decisions(db: Path, where: str, params: tuple) -> list[Decision]:
    with connect(db, SCHEMA) as con:
        rows = con.execute(f"SELECT * FROM decisions WHERE {where} ORDER BY seq",  # noqa: S608 - constant clauses
                           params).fetchall()
    return [Decision(**{**dict(r), "detail": json.loads(r["detail"])}) for r in rows]


def pending_decisions(db: Path) -> list[Decision]:
    """Every decision no run has applied yet, oldest first."""
    return _decisions(db, "applied_run IS NULL", ())


def all_decisions(db: Path, kind: str | None = None) -> list[Decision]:
    return _decisions(db, "(? IS NULL OR kind = ?)", (kind, kind))


def mark_applied(db: Path, seqs: list[int], run_id: str) -> int:
    """Note that run `run_id` applied (and published) these decisions; how many were
    still pending."""
    at = now()
    with connect(db, SCHEMA) as con:
        return sum(con.execute("UPDATE decisions SET applied_run = ?, applied_at = ? "
                               "WHERE seq = ? AND applied_run IS NULL",
                               (run_id, at, seq)).rowcount for seq in seqs)


def locked_periods(db: Path) -> dict[str, Decision]:
    """Periods whose latest lock or unlock decision is a lock (applied or not): period
    code -> that lock."""
    latest: dict[str, Decision] = {}
    for d in all_decisions(db):
        if d.kind in ("lock", "unlock"):
            latest[d.target] = d
    return {p: d for p, d in latest.items() if d.kind == "lock"}


def waived_failures(db: Path) -> dict[str, Decision]:
    """failure_id -> the steward's waiver of it (applied or not)."""
    return {d.target: d for d in all_decisions(db, "waive")}
