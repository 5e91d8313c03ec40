"""Spreading per-file work over the machine's cores.

Worker processes are forked, so they start at once with everything imported and need no
main-module guard. They only read and write files (no open database, no logging, no
Prefect in them). Below `threshold` items, starting them costs more than it saves."""

from __future__ import annotations

import multiprocessing
import os
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
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        yield from pool.map(fn, items, chunksize=max(1, len(items) // (workers * 8)))


def _methods() -> Iterable[str]:
    return multiprocessing.get_all_start_methods()
