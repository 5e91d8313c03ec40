"""A whole consolidation as plain functions in a process of its own, killed (SIGKILL, as a
power cut or the OOM killer would) at a named point: the start of a stage of flows/steps.py
('read_returns', 'publish_feedback', …), or 'replace', right before the published warehouse
is swapped for the new one. Without a point it runs to the end. Fault injection lives here,
in the tests; no production module knows of it.

    python tests/killed_run.py ROOT [POINT]     (ROOT holds inbox/, w.duckdb, …)
"""

from __future__ import annotations

import os
import signal
import sys
import uuid
from pathlib import Path

from flows import steps
from flows.settings import Settings


def die(*_args, **_kwargs) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def kill_at(point: str, warehouse: Path) -> None:
    """Make the run die at `point`."""
    if point == "replace":
        real = os.replace

        def replace(source, target, *args, **kwargs):
            if Path(target) == warehouse:
                die()
            return real(source, target, *args, **kwargs)

        os.replace = replace
    else:
        getattr(steps, point)  # a stage of the consolidation, by its name
        setattr(steps, point, die)


def main(root: Path, point: str | None) -> None:
    settings = Settings(inbox=root / "inbox", warehouse=root / "w.duckdb",
                        reports=root / "reports", archive=root / "archive", settle_seconds=0)
    if point:
        kill_at(point, settings.warehouse)
    steps.consolidate(settings, str(uuid.uuid4()))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None)
