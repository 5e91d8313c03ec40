"""Spreading per-file work over the machine's cores.

Worker processes are forked, so they start at once with everything imported and need no
main-module guard. They only read and write files (no open database, no logging, no
Prefect in them). Below `threshold` items, starting them costs more than it saves.
A worker takes SIGTERM and SIGINT as a plain process does (it ends at once), whatever
handlers the run installed before forking it: a run that is stopped stops its workers."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def parallel_map(fn: Callable[[T], R], items: list[T], threshold: int = 48,
                 workers: int | None = None) -> Iterator[R]:
    """fn over items, results in order; in one process per core when there are enough."""
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(items) < threshold or "fork" not in _methods():
        yield from map(fn, items)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                             initializer=_plain_signals) as pool:
        yield from pool.map(fn, items, chunksize=max(1, len(items) // (workers * 8)))


def _plain_signals() -> None:
    signal.set_wakeup_fd(-1)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, signal.SIG_DFL)


def _methods() -> Iterable[str]:
    return multiprocessing.get_all_start_methods()
