"""The content-addressed archive: every original file kept, unchanged, under its hash.

A file is copied once, by a single read of the inbox file (never through a link) that
hashes what it copies: the archived copy is exactly the bytes with that hash, and the run
reads its rows from that copy, never from the inbox, so a file rewritten in the inbox during
the run cannot make the warehouse disagree with the archive."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from intake.inbox import CHUNK, IncomingFile, open_regular, sha256_of

SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}")


class ChangedWhileArchived(OSError):
    """The inbox file is no longer what it was found to be (being rewritten, gone, replaced
    by a link): whatever is there waits for the next run."""


def archive_path(archive: Path, file: IncomingFile) -> Path:
    suffix = file.path.suffix.lower()
    return archive / file.sha256[:2] / (file.sha256 + (suffix if SUFFIX.fullmatch(suffix) else ""))


def archive_file(archive: Path, file: IncomingFile) -> Path:
    """Copy the file into the archive (once), hashing the bytes as they are copied;
    ChangedWhileArchived when they are not the bytes the file was found with."""
    target = archive_path(archive, file)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    try:
        source = open_regular(file.path)
    except OSError as exc:  # gone, or replaced by a link or a FIFO, since it was found
        raise ChangedWhileArchived(f"{file.name}: {exc.strerror or exc}") from exc
    copied = 0
    with os.fdopen(source, "rb") as src, open(partial, "wb") as dst:
        for chunk in iter(lambda: src.read(CHUNK), b""):
            copied += len(chunk)
            if copied > file.size:  # it grew: never copy more than was found
                break
            digest.update(chunk)
            dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    if copied > file.size or digest.hexdigest() != file.sha256:
        partial.unlink()
        raise ChangedWhileArchived(f"{file.name} changed while being archived")
    os.replace(partial, target)
    return target


def remove_archived(archive: Path, file: IncomingFile) -> bool:
    """Delete the inbox copy of a file whose archived copy exists; False if it is not
    archived, refused, or changed since it was hashed (then it stays for the next run)."""
    if file.refused or not archive_path(archive, file).exists():
        return False
    try:
        if sha256_of(file.path) != file.sha256:
            return False
    except OSError:  # gone, or replaced by something that is not a plain file
        return False
    file.path.unlink()
    return True
