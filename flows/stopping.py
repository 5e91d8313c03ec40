"""Stopping a run on SIGTERM or SIGINT, within seconds, leaving nothing behind.

A run may be stopped at any moment (a scheduler's time-out, a shutdown, Ctrl-C), whether
the signal goes to its whole process group or to the main process only. Whatever the run
was doing, its processes end: the worker processes of Prefect's task runner (reading
returns and writing feedback, see flows/nightly.py) and Prefect's embedded server (a
child process). Workers of a Dask cluster are the cluster's own: they finish or drop the
chunk they hold, and write only into what the next run clears (its work folder and the
feedback set aside). Nothing needs
undoing: the published warehouse only ever changes by one atomic rename (warehouse/
publish.py), the inbox only loses files already archived and published, and outputs not
yet written are owed to the next run (flows/steps.py). So stopping is: end every child,
then exit with status 128 + the signal's number, as a shell reports a signal.

The main thread may be deep in a database query when the signal comes, where Python runs
no handler until the query returns; so the signal is taken by a thread of its own, woken
through `signal.set_wakeup_fd` (written by the C-level handler, in whichever thread).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import contextmanager
from pathlib import Path

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
GRACE_SECONDS = 0.5  # children asked to end get this long before they are killed


@contextmanager
def stopping_on_signals(command: str = "htx run"):
    """Within this block, SIGTERM or SIGINT ends every child process and exits at once."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may take signals (a served flow run is stopped by
        return  # its worker)
    owner, (read_fd, write_fd) = os.getpid(), os.pipe()
    os.set_blocking(write_fd, False)

    def handler(signum, frame):  # the watcher thread does the work
        if os.getpid() != owner:  # a forked child that has not reset its handlers yet
            os._exit(128 + signum)

    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    before = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    threading.Thread(target=_watch, args=(read_fd, command), daemon=True,
                     name="htx-signals").start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(before)
        for s, h in previous.items():
            signal.signal(s, h)
        os.close(write_fd)  # the watcher reads the end and returns


def _watch(read_fd: int, command: str) -> None:
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        while data := pipe.read(64):
            for signum in data:
                if signum in STOP_SIGNALS:
                    _stop(signum, command)


def _stop(signum: int, command: str) -> None:
    name = signal.Signals(signum).name
    _quiet()  # what the main thread may still log as it is torn down is not for the reader
    _say(f"{command}: dừng theo tín hiệu {name}; kho dữ liệu đã công bố không bị ghi dở, "
         f"tệp chưa được lưu trữ vẫn còn trong hộp thư; lần chạy sau sẽ làm tiếp / stopped "
         f"by {name}: the published warehouse is never left half-written, the inbox keeps "
         f"every file not yet archived, and the next run completes the work\n")
    end_children()
    os._exit(128 + signum)


def end_children(grace: float = GRACE_SECONDS) -> None:
    """SIGTERM to every descendant of this process, SIGKILL to those still there after
    `grace` seconds."""
    children = descendants(os.getpid())
    for pid in children:
        _send(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while (alive := [p for p in children if _running(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in alive:
        _send(pid, signal.SIGKILL)
    for pid in descendants(os.getpid()):  # forked meanwhile
        _send(pid, signal.SIGKILL)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children first, then theirs), from /proc."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        for child in parents.get(queue.pop(0), []):
            found.append(child)
            queue.append(child)
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting for its parent."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _send(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except OSError:
        pass  # already gone


_SAVED_STDERR: list[int] = []


def _quiet() -> None:
    """Standard error to /dev/null from now on, keeping a copy for our own last line."""
    try:
        _SAVED_STDERR.append(os.dup(2))
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
    except OSError:
        pass


def _say(text: str) -> None:
    try:
        os.write(_SAVED_STDERR[-1] if _SAVED_STDERR else 2, text.encode("utf-8", "replace"))
    except OSError:
        pass
