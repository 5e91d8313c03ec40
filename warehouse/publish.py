"""Crash-safe publishing: a run works on a private copy and swaps it in at the end.

Analysts open the published file read-only at any time. A run copies it to a staging
file, does all its work there, checkpoints and closes it, then renames it over the
published one (an atomic replace on the same filesystem). Readers that hold the old file
open keep their consistent view; new readers see the new one; a run that dies leaves the
published file untouched. One run at a time: a lock file guards the staging copy.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from intake.files import sync_folder


def staging_path(published: Path) -> Path:
    return published.with_name(published.name + ".staging")


def work_folder(published: Path) -> Path:
    """A run's own work files (the batches its chunks read, the feedback jobs), beside the
    warehouse: an absolute path, so that workers in other processes or on other machines
    find them; emptied when a run starts (one a killed run left behind is stale) and
    removed when it ends."""
    folder = published.absolute().with_name(published.name + ".work")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def remove_work_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def run_lock(published: Path):
    """Hold the warehouse's run lock; raise RuntimeError if another run holds it."""
    published.parent.mkdir(parents=True, exist_ok=True)
    with open(published.with_name(published.name + ".lock"), "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RuntimeError(f"một lần chạy khác đang làm việc với {published}, hãy chờ nó "
                               f"xong rồi chạy lại / another run is already working on "
                               f"{published}: wait for it to finish") from exc
        yield


def open_staging(published: Path) -> Path:
    """A fresh staging copy of the published warehouse (or none, for a first run)."""
    staging = staging_path(published)
    staging.parent.mkdir(parents=True, exist_ok=True)
    for stale in (staging, staging.with_name(staging.name + ".wal")):
        stale.unlink(missing_ok=True)
    if published.exists():
        shutil.copyfile(published, staging)
    return staging


def previous_path(published: Path) -> Path:
    return published.with_name(published.name + ".previous")


def publish(staging: Path, published: Path) -> None:
    """Make the staging copy the published warehouse, atomically and durably; the file it
    replaces is kept as <warehouse>.previous (`htx restore` brings it back)."""
    with open(staging, "rb+") as fh:
        os.fsync(fh.fileno())
    if published.exists():
        keep_previous(published)
    os.replace(staging, published)
    sync_folder(published.parent)


def keep_previous(published: Path) -> None:
    """<warehouse>.previous: the published file as it is now, replaced atomically (a hard
    link, no copy, where the filesystem allows it)."""
    partial = previous_path(published).with_name(previous_path(published).name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        os.link(published, partial)
    except OSError:
        shutil.copyfile(published, partial)
    os.replace(partial, previous_path(published))


def restore_previous(published: Path) -> Path | None:
    """Put <warehouse>.previous back in place (a copy: the previous file stays), under the
    run lock; the damaged file, if any, is kept beside it. Returns where it was kept."""
    with run_lock(published):
        kept = None
        if published.exists():
            kept = published.with_name(published.name + ".damaged")
            os.replace(published, kept)
        partial = published.with_name(published.name + ".restoring")
        shutil.copyfile(previous_path(published), partial)
        with open(partial, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, published)
        sync_folder(published.parent)
    return kept
