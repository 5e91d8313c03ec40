"""Finding returns in the inbox: every file, identified by the SHA-256 of its bytes."""

from __future__ import annotations

import datetime as dt
import hashlib
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


def scan_inbox(inbox: Path, now: dt.datetime) -> list[IncomingFile]:
    """Every file under the inbox (sorted by path), with its hash and arrival time: its
    modification time, never later than now. The nightly run sees a file up to a day
    after it arrived; the deadline counts arrival."""
    files = []
    for path in sorted(p for p in inbox.rglob("*") if p.is_file()):
        if path.name.startswith(IGNORED_PREFIXES):
            continue
        stat = path.stat()
        arrived = min(dt.datetime.fromtimestamp(stat.st_mtime), now)
        files.append(IncomingFile(path, path.name, sha256_of(path), stat.st_size, arrived))
    return files


def new_files(files: list[IncomingFile], known: set[str]) -> list[IncomingFile]:
    """Files whose hash was never processed, each distinct content once."""
    seen, fresh = set(known), []
    for f in files:
        if f.sha256 not in seen:
            seen.add(f.sha256)
            fresh.append(f)
    return fresh
