"""The content-addressed archive: every original file kept, unchanged, under its hash.

A file is read once a run: `keep` copies it into the archive and hashes the bytes as it
copies them, so the archived copy is exactly the bytes its hash names, and the run reads its
rows from that copy, never from the inbox (a file rewritten in the inbox during the run
cannot make the warehouse disagree with the archive). A file whose size or time changes
while it is read is still being written: nothing of it is kept, and it waits for the next
run. The one other read is `unchanged`, before a file leaves the inbox: a district may have
put a new file under the same name since, and that one must never be lost."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import uuid
from pathlib import Path

from intake.files import sync_folder

CHUNK = 1 << 20
SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}")
INCOMING = ".incoming"  # archive/.incoming/: copies being made, never a kept file


class TooLarge(OSError):
    """The file grew past the size cap while it was read."""


class Unopenable(OSError):
    """The inbox file cannot be opened or read (gone, a link, no permission, an I/O error):
    the fault is the file's, not the archive's."""


class ChangedWhileRead(OSError):
    """The file's size or time changed while it was read: it is still being written."""


def open_regular(path: Path) -> int:
    """A file descriptor for reading `path`, never through a symbolic link and never
    blocking on a FIFO; OSError when it is not a regular file."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{path} is not a regular file")
    return fd


def archive_path(archive: Path, sha256: str, suffix: str) -> Path:
    suffix = suffix.lower()
    return archive / sha256[:2] / (sha256 + (suffix if SUFFIX.fullmatch(suffix) else ""))


def keep(archive: Path, path: Path, max_bytes: int | None = None) -> tuple[str, Path, int]:
    """(SHA-256 of the file's bytes, its copy in the archive, its size), by one read of the
    file. Unopenable, TooLarge past `max_bytes`, ChangedWhileRead; an error of the archive's
    own folder (not writable, disk full) is raised as it is."""
    try:
        source = open_regular(path)
    except OSError as exc:
        raise Unopenable(exc.errno, exc.strerror or str(exc)) from exc
    partial = archive / INCOMING / f"{uuid.uuid4().hex}.partial"
    try:
        with os.fdopen(source, "rb") as src:
            before = _identity(os.fstat(src.fileno()))
            partial.parent.mkdir(parents=True, exist_ok=True)
            with open(partial, "wb") as dst:
                digest = _copy(src, dst, max_bytes)
                dst.flush()
                os.fsync(dst.fileno())
            after = _identity(os.fstat(src.fileno()))
        if after != before:
            raise ChangedWhileRead(f"{path} changed while it was read")
        target = archive_path(archive, digest, path.suffix)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            partial.unlink()
        else:
            os.replace(partial, target)
            sync_folder(target.parent)  # the rename survives a power cut: the inbox copy
        return digest, target, before[1]  # is deleted once this run has published
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _copy(src, dst, max_bytes: int | None) -> str:
    """Copy `src` to `dst`, hashing what is copied; the hex digest."""
    digest, copied = hashlib.sha256(), 0
    while True:
        try:
            chunk = src.read(CHUNK)
        except OSError as exc:
            raise Unopenable(exc.errno, exc.strerror or str(exc)) from exc
        if not chunk:
            return digest.hexdigest()
        copied += len(chunk)
        if max_bytes is not None and copied > max_bytes:
            raise TooLarge(f"larger than {max_bytes} bytes")
        digest.update(chunk)
        dst.write(chunk)


def _identity(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_ino, st.st_size, st.st_mtime_ns


def sha256_of(path: Path) -> str:
    """SHA-256 of the file's bytes, read without following a link."""
    digest = hashlib.sha256()
    with os.fdopen(open_regular(path), "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def unchanged(path: Path, sha256: str) -> bool:
    """Whether the file at `path` still holds the bytes with this hash (not gone, not
    replaced by a link or by a new file under the same name)."""
    try:
        return sha256_of(path) == sha256
    except OSError:
        return False
