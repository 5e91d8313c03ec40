"""File-system steps that make a rename durable, shared by everything that puts a file in
place (the archive, portal uploads, the warehouse's publish)."""

from __future__ import annotations

import os
from pathlib import Path


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk: a file renamed into it stays there after a power
    cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
