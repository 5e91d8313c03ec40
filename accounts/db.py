"""The portal database: one SQLite file (WAL: many small writes from concurrent
requests, readers never blocked), beside the warehouse, never inside it.

Every module that keeps something in it declares its own tables (`SCHEMA` here for the
accounts side; intake/decisions.py for the stewards' decisions) and opens it with
`connect`, which creates what is missing."""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import contextmanager
from pathlib import Path

BUSY_MS = 10_000  # a writer waits this long for another before giving up

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('district', 'steward', 'analyst')),
    unit TEXT,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users (username),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    address TEXT
);
CREATE TABLE IF NOT EXISTS login_attempts (
    at TEXT NOT NULL,
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    succeeded INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS login_attempts_at ON login_attempts (at);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    username TEXT,
    address TEXT,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS uploads (
    submission_id TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    district_code TEXT,
    period TEXT,
    check_status TEXT NOT NULL,
    result_json TEXT NOT NULL,
    feedback_path TEXT,
    inbox_path TEXT,
    uploaded_by TEXT NOT NULL,
    uploader_unit TEXT,
    uploaded_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    how TEXT NOT NULL,
    pid INTEGER,
    started_by TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    state TEXT NOT NULL,
    exit_code INTEGER,
    log_path TEXT
);
"""


def now() -> str:
    """This instant in UTC, ISO 8601 (sorts as text)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


@contextmanager
def connect(path: Path, schema: str = SCHEMA):
    """A connection to the portal database at `path` (created with its tables when new),
    committed when the block ends without error, rolled back otherwise, always closed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=BUSY_MS / 1000, isolation_level=None)
    con.row_factory = sqlite3.Row
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")  # a recorded decision survives a power cut
        con.executescript(schema)
        con.execute("BEGIN IMMEDIATE")
        yield con
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    finally:
        con.close()
