"""Finding returns in the inbox: every file, identified by the SHA-256 of its bytes."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

IGNORED_PREFIXES = (".", "~$")  # hidden files, Office lock files


@dataclass(frozen=True)
class IncomingFile:
    path: Path
    name: str
    sha256: str
    size: int
    received_at: dt.datetime


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def scan_inbox(inbox: Path, now: dt.datetime, settle_seconds: float = 0) -> list[IncomingFile]:
    """Every settled file under the inbox (sorted by path), with its hash and arrival time:
    its modification time, never later than now. The nightly run sees a file up to a day
    after it arrived; the deadline counts arrival. A file modified within the last minute
    is looked at again after `settle_seconds`: if its size or time changed, it is still
    being copied and waits for the next run."""
    paths = sorted(p for p in inbox.rglob("*")
                   if p.is_file() and not p.name.startswith(IGNORED_PREFIXES))
    stats = {p: p.stat() for p in paths}
    young = [p for p, st in stats.items() if now.timestamp() - st.st_mtime < 60]
    if young and settle_seconds:
        time.sleep(settle_seconds)
        moving = {p for p in young if _changed(p, stats[p])}
        paths = [p for p in paths if p not in moving]
    return [IncomingFile(p, p.name, sha256_of(p), stats[p].st_size,
                         min(dt.datetime.fromtimestamp(stats[p].st_mtime), now))
            for p in paths]


def _changed(path: Path, before: os.stat_result) -> bool:
    try:
        after = path.stat()
    except FileNotFoundError:
        return True
    return (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns)


def new_files(files: list[IncomingFile], known: set[str]) -> list[IncomingFile]:
    """Files whose hash was never processed, each distinct content once."""
    seen, fresh = set(known), []
    for f in files:
        if f.sha256 not in seen:
            seen.add(f.sha256)
            fresh.append(f)
    return fresh
