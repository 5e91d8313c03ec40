"""File-system steps shared by everything that puts a file in place (the archive, portal
uploads, the warehouse's publish, the run's own work files): a rename made durable, and a
run's private files written whole."""

from __future__ import annotations

import os
import pickle
from pathlib import Path


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk: a file renamed into it stays there after a power
    cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_private(value: object, path: Path) -> Path:
    """`value` saved to `path` whole or not at all (written beside, then renamed), for a
    later stage of the same run to read back with load_private: how the run's stages,
    perhaps in other processes or on other machines, hand each other their data by path.
    Pickled: the file is private to the run that writes and reads it, with this program's
    own versions, and keeps every frame's dtypes exactly (a Parquet round trip would
    retype columns the loading SQL relies on, e.g. one that is all missing)."""
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as fh:
        pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, path)
    return path


def load_private(path: Path) -> object:
    """What save_private wrote in this run's work folder (never a file from input)."""
    with open(path, "rb") as fh:
        return pickle.load(fh)  # noqa: S301 - written by this run, see save_private
