"""The content-addressed archive: every original file kept, unchanged, under its hash."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from transforms.inbox import IncomingFile, sha256_of


def archive_path(archive: Path, file: IncomingFile) -> Path:
    return archive / file.sha256[:2] / (file.sha256 + file.path.suffix.lower())


def archive_file(archive: Path, file: IncomingFile) -> Path:
    """Copy the file into the archive (once) and check the copy's hash."""
    target = archive_path(archive, file)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        shutil.copy2(file.path, partial)
        if sha256_of(partial) != file.sha256:
            partial.unlink()
            raise OSError(f"{file.path} changed while being archived")
        os.replace(partial, target)
    return target


def remove_archived(archive: Path, file: IncomingFile) -> bool:
    """Delete the inbox copy of a file whose archived copy exists; False if it is not
    archived, or changed since it was hashed (then it stays for the next run)."""
    if not archive_path(archive, file).exists() or not file.path.exists():
        return False
    if sha256_of(file.path) != file.sha256:
        return False
    file.path.unlink()
    return True
