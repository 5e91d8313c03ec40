"""A return uploaded through the portal: taken in under the inbox's size cap, then put
into the inbox atomically for the next consolidation.

The upload is first written to a hidden file (the inbox reader skips names starting with
"."), flushed to disk, then renamed into place in the same folder: the nightly run sees
the whole file or nothing. Each upload gets its own folder, named by its hash, so two
districts' files of the same name never replace each other and the file keeps the name
the district gave it."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from intake.files import sync_folder

PORTAL_FOLDER = "portal"  # inbox/portal/<hash>/<name>
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


class UploadTooLarge(ValueError):
    """The upload is over the inbox's size cap."""


def safe_name(name: str | None) -> str:
    """The file's own name without any folder, control or reserved character."""
    base = re.split(r"[/\\]", name or "")[-1].strip().lstrip(".")
    base = _UNSAFE.sub("_", base)[:180]
    return base or "bao_cao.xlsx"


def take_upload(chunks: Iterable[bytes], folder: Path, max_bytes: int | None,
                name: str = "") -> tuple[Path, str, int]:
    """Write the uploaded bytes to a private temporary file in `folder` (with the suffix of
    `name`); (its path, the SHA-256 of its bytes, its size). UploadTooLarge (and nothing
    kept) past `max_bytes`."""
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(safe_name(name)).suffix.lower()
    fd, name = tempfile.mkstemp(prefix=".upload-", suffix=suffix if len(suffix) <= 8 else "",
                                dir=folder)
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise UploadTooLarge(f"{size} > {max_bytes} bytes")
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        os.unlink(name)
        raise
    return Path(name), digest.hexdigest(), size


def into_inbox(taken: Path, inbox: Path, sha256: str, name: str) -> Path:
    """Copy the checked upload into the inbox, whole or not at all; the path it has there.
    The same bytes sent again land on the same path."""
    folder = inbox / PORTAL_FOLDER / sha256[:16]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / safe_name(name)
    fd, partial = tempfile.mkstemp(prefix=".partial-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out, open(taken, "rb") as src:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    except BaseException:
        if os.path.exists(partial):
            os.unlink(partial)
        raise
    sync_folder(folder)  # the rename itself survives a power cut
    return target
