"""Finding returns in the inbox: every file read once, kept in the archive and identified
by the SHA-256 of its bytes (intake/archive.py).

The inbox is taken as it is, whoever can write to it:
- a symbolic link is never followed (its target is neither read nor archived) and a file
  larger than the size cap is never read: each is a refused file, recorded with a failure
  that names it, and left where it is;
- a file that cannot be opened (no permission, an I/O error) is refused the same way;
- a name that is not valid UTF-8 is shown with its undecodable bytes as "�", and flagged;
- a file that vanishes while the inbox is scanned is simply not there, and one that changes
  while it is read is still being written: it waits for the next run;
- hidden files and Office lock files are not returns.
A refused file has no hash of its bytes: it is known by a digest of what was seen of it (its
place in the inbox, refusal, size and time), so that the same refusal is recorded once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import os
import stat
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from intake.archive import ChangedWhileRead, TooLarge, Unopenable, keep, unchanged
from intake.upload import PORTAL_FOLDER
from transforms.failures import Failure
from transforms.text import vi_number

IGNORED_PREFIXES = (".", "~$")  # hidden files, Office lock files
# Refusals (rule codes of contracts/rules.py): the file is not read at all.
LINK, TOO_LARGE, NOT_OPENED = "FILE_LINK", "FILE_TOO_LARGE", "FILE_NOT_OPENED"
NAME_NOT_UNICODE = "FILE_NAME_NOT_UNICODE"  # a warning: the file is read


@dataclass(frozen=True)
class IncomingFile:
    path: Path  # where it is in the inbox (as the file system spells it)
    name: str  # its name as shown and stored: always valid Unicode
    sha256: str  # of its bytes; for a refused file, of what was seen of it
    size: int
    received_at: dt.datetime
    refused: str | None = None  # rule code when the file is not read at all
    detail: str = ""  # what the refusal's message says of it (an error, a size)
    archived: Path | None = None  # its copy in the archive (None when refused)

    @property
    def name_not_unicode(self) -> bool:
        return _display(self.path.name) != self.path.name


def scan_inbox(inbox: Path, archive: Path, now: dt.datetime, settle_seconds: float = 0, *,
               max_bytes: int | None = None,
               not_before: dt.datetime | None = None) -> list[IncomingFile]:
    """Every settled file under the inbox (sorted by path), kept in the archive, with its
    hash and arrival time:
    its modification time, never later than now and never earlier than `not_before` (the
    start of the last run, which did not see it: a back-dated time proves nothing). The
    nightly run sees a file up to a day after it arrived; the deadline counts arrival. A
    file modified within the last minute is looked at again after `settle_seconds`: if its
    size or time changed, it is still being copied and waits for the next run. Links,
    files over `max_bytes` and files that cannot be opened come back refused."""
    entries = sorted(_walk(Path(inbox), skip=Path(archive)))
    young = [(p, st) for p, st in entries
             if not stat.S_ISLNK(st.st_mode) and now.timestamp() - st.st_mtime < 60]
    if young and settle_seconds:
        time.sleep(settle_seconds)
        moving = {p for p, st in young if _changed(p, st)}
        entries = [(p, st) for p, st in entries if p not in moving]
    found = (_incoming(Path(inbox), archive, p, st, max_bytes) for p, st in entries)
    return [_received(f, now, not_before) for f in found if f is not None]


def _walk(folder: Path, skip: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """(path, lstat) of every file and link under `folder`, never through a link (however
    deep the folders go), nor into `skip` (the archive, should it be inside the inbox)."""
    skipped = _same_as(skip)
    folders = [folder]
    while folders:
        try:
            with os.scandir(folders.pop()) as it:
                children = list(it)
        except OSError:
            continue  # a folder that vanished or cannot be listed holds nothing we can take
        for entry in children:
            if entry.name.startswith(IGNORED_PREFIXES):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                if (st.st_dev, st.st_ino) != skipped:
                    folders.append(Path(entry.path))
            elif stat.S_ISLNK(st.st_mode) or stat.S_ISREG(st.st_mode):
                yield Path(entry.path), st  # FIFOs, sockets and devices are not files sent


def _same_as(folder: Path) -> tuple[int, int] | None:
    try:
        st = folder.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _incoming(inbox: Path, archive: Path, path: Path, st: os.stat_result,
              max_bytes: int | None) -> IncomingFile | None:
    """The file as the run takes it: kept in the archive, or refused; None when it vanished
    or is still being written."""
    if stat.S_ISLNK(st.st_mode):
        return _refused(inbox, path, st, LINK, 0)
    if max_bytes is not None and st.st_size > max_bytes:
        return _refused(inbox, path, st, TOO_LARGE, st.st_size, _megabytes(st.st_size))
    try:
        digest, archived, size = keep(archive, path, max_bytes)
    except TooLarge:
        return _refused(inbox, path, st, TOO_LARGE, st.st_size, f"> {_megabytes(max_bytes)}")
    except ChangedWhileRead:
        return None
    except Unopenable as exc:
        if exc.errno in (errno.ENOENT, errno.ELOOP):  # gone, or a link now: seen next run
            return None
        return _refused(inbox, path, st, NOT_OPENED, st.st_size,
                        exc.strerror or type(exc).__name__)
    return IncomingFile(path, _display(path.name), digest, size, _mtime(st), archived=archived)


def _refused(inbox: Path, path: Path, st: os.stat_result, rule: str, size: int,
             detail: str = "") -> IncomingFile:
    seen = b"\0".join([b"htx-refused", rule.encode(), os.fsencode(path.relative_to(inbox)),
                       str(st.st_size).encode(), str(st.st_mtime_ns).encode()])
    return IncomingFile(path, _display(path.name), hashlib.sha256(seen).hexdigest(), size,
                        _mtime(st), refused=rule, detail=detail)


def _received(file: IncomingFile, now: dt.datetime,
              not_before: dt.datetime | None) -> IncomingFile:
    at = min(_like(file.received_at, now), now)
    if not_before is not None:
        at = max(at, _like(not_before, at))
    return replace(file, received_at=at)


def _like(moment: dt.datetime, other: dt.datetime) -> dt.datetime:
    """`moment` comparable with `other` (both naive local time, or both with a zone)."""
    if (moment.tzinfo is None) == (other.tzinfo is None):
        return moment
    return moment.astimezone() if other.tzinfo else moment.astimezone().replace(tzinfo=None)


def _mtime(st: os.stat_result) -> dt.datetime:
    return dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc)


def _megabytes(size: int) -> str:
    return f"{vi_number(size / 1_000_000, 1)} MB"


def _display(name: str) -> str:
    """A name as text that can be stored and shown: bytes that are not UTF-8 become "�"."""
    return os.fsencode(name).decode("utf-8", "replace")


def _changed(path: Path, before: os.stat_result) -> bool:
    try:
        after = path.stat(follow_symlinks=False)
    except FileNotFoundError:
        return True
    return (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns)


def inbox_failures(file: IncomingFile, max_bytes: int | None = None) -> list[Failure]:
    """What the inbox itself says of a file: why it was refused, or that its name is not
    Unicode."""
    named = {"file_name": file.name}
    if file.refused == TOO_LARGE:
        limit = _megabytes(max_bytes) if max_bytes is not None else "?"
        return [Failure(TOO_LARGE, params=named | {"size": file.detail, "limit": limit})]
    if file.refused == NOT_OPENED:
        return [Failure("FILE_UNREADABLE", params=named | {
            "reason": f"không mở được tệp để đọc ({file.detail})"})]
    if file.refused:
        return [Failure(file.refused, params=named)]
    return [Failure(NAME_NOT_UNICODE, params=named)] if file.name_not_unicode else []


def new_files(files: list[IncomingFile], known: set[str]) -> list[IncomingFile]:
    """Files whose hash was never processed, each distinct content once."""
    seen, fresh = set(known), []
    for f in files:
        if f.sha256 not in seen:
            seen.add(f.sha256)
            fresh.append(f)
    return fresh


def clear(file: IncomingFile) -> bool:
    """Delete the inbox copy of a file kept in the archive; False if it is refused, not
    kept, or no longer the bytes that were kept (then it stays for the next run). The file
    is first moved aside under a hidden name (the scan skips it), then checked: a district
    saving a new file under the same name meanwhile is never deleted with it."""
    if file.refused or file.archived is None or not file.archived.exists():
        return False
    aside = file.path.with_name(f".clearing-{uuid.uuid4().hex}-{file.path.name}")
    try:
        os.rename(file.path, aside)
    except OSError:  # gone, or the folder cannot be written: nothing is lost
        return False
    if not unchanged(aside, file.sha256):
        _put_back(aside, file.path)
        return False
    aside.unlink()
    if file.path.parent.parent.name == PORTAL_FOLDER:  # inbox/portal/<hash>/: its own folder
        with contextlib.suppress(OSError):
            file.path.parent.rmdir()
    return True


def _put_back(aside: Path, path: Path) -> None:
    """A file moved aside that is not what was kept, back under its name; beside it when a
    new file took that name meanwhile (both wait for the next run)."""
    try:
        os.link(aside, path)
    except FileExistsError:
        os.link(aside, path.with_name(f"{path.stem}-{uuid.uuid4().hex[:8]}{path.suffix}"))
    aside.unlink()
