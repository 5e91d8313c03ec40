"""The audit trail: every action in the portal, with who, when, from where and what."""

from __future__ import annotations

import json
from pathlib import Path

from accounts.db import connect, now


def record(db: Path, username: str | None, address: str | None, action: str,
           target: str | None = None, **detail: object) -> None:
    with connect(db) as con:
        con.execute("INSERT INTO audit (at, username, address, action, target, detail) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (now(), username, address, action, target,
                     json.dumps(detail, ensure_ascii=False, default=str)))


def entries(db: Path, limit: int = 200) -> list[dict]:
    """The latest entries, newest first."""
    with connect(db) as con:
        rows = con.execute("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [dict(r) for r in rows]
