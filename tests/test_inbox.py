"""Finding returns in the inbox: a file still being copied waits for the next run."""

from __future__ import annotations

import datetime as dt
import threading
import time

from transforms.inbox import scan_inbox


def test_a_file_still_being_copied_waits_for_the_next_run(tmp_path):
    done, growing = tmp_path / "done.xlsx", tmp_path / "growing.xlsx"
    done.write_bytes(b"PK whole file")
    growing.write_bytes(b"PK first half")

    def keep_copying():
        time.sleep(0.3)
        with open(growing, "ab") as fh:
            fh.write(b" second half")

    writer = threading.Thread(target=keep_copying)
    writer.start()
    first = scan_inbox(tmp_path, dt.datetime.now(), settle_seconds=1)
    writer.join()
    assert [f.name for f in first] == ["done.xlsx"]
    later = scan_inbox(tmp_path, dt.datetime.now(), settle_seconds=1)
    assert [f.name for f in later] == ["done.xlsx", "growing.xlsx"]


def test_old_files_are_read_without_waiting(tmp_path):
    old = tmp_path / "old.xlsx"
    old.write_bytes(b"PK")
    stamp = time.time() - 3600
    import os

    os.utime(old, (stamp, stamp))
    start = time.monotonic()
    assert [f.name for f in scan_inbox(tmp_path, dt.datetime.now(), settle_seconds=5)] == \
        ["old.xlsx"]
    assert time.monotonic() - start < 5


def test_office_lock_files_and_hidden_files_are_not_returns(tmp_path):
    (tmp_path / "~$116_2023.xlsx").write_bytes(b"lock")
    (tmp_path / ".DS_Store").write_bytes(b"x")
    assert scan_inbox(tmp_path, dt.datetime.now()) == []
