"""Finding returns in the inbox: a file still being copied waits for the next run."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time

from intake.inbox import scan_inbox


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
    first = scan_inbox(tmp_path, tmp_path / "archive", dt.datetime.now(), settle_seconds=1)
    writer.join()
    assert [f.name for f in first] == ["done.xlsx"]
    later = scan_inbox(tmp_path, tmp_path / "archive", dt.datetime.now(), settle_seconds=1)
    assert [f.name for f in later] == ["done.xlsx", "growing.xlsx"]


def test_old_files_are_read_without_waiting(tmp_path):
    old = tmp_path / "old.xlsx"
    old.write_bytes(b"PK")
    stamp = time.time() - 3600
    os.utime(old, (stamp, stamp))
    start = time.monotonic()
    assert [f.name for f in scan_inbox(tmp_path, tmp_path / "archive", dt.datetime.now(), settle_seconds=5)] == \
        ["old.xlsx"]
    assert time.monotonic() - start < 5


def test_office_lock_files_and_hidden_files_are_not_returns(tmp_path):
    (tmp_path / "~$116_2023.xlsx").write_bytes(b"lock")
    (tmp_path / ".DS_Store").write_bytes(b"x")
    assert scan_inbox(tmp_path, tmp_path / "archive", dt.datetime.now()) == []


# --- the inbox as it is: links, huge files, files that cannot be opened, odd names ---------

import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import duckdb  # noqa: E402
import pytest  # noqa: E402

from conftest import run_htx  # noqa: E402
from flows import steps  # noqa: E402
from flows.settings import Settings, load_settings  # noqa: E402
from intake import archive as archive_module  # noqa: E402
from intake import inbox as inbox_module  # noqa: E402
from demo.province import write_demo_returns  # noqa: E402
from transforms.periods import period_from_code  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GIGABYTE = 1 << 30


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> dict[str, Path]:
    """The demo province's 2023 returns, by unit code (116 is accepted)."""
    folder = tmp_path_factory.mktemp("returns")
    return {p.name.split("_")[0]: p
            for p in write_demo_returns(folder, period_from_code("2023"), 2023)}


def settings(root: Path, **extra) -> Settings:
    return Settings(inbox=root / "inbox", warehouse=root / "w.duckdb", reports=root / "reports",
                    archive=root / "archive", settle_seconds=0, **extra)


def deliver(root: Path, *paths: Path, names: list[str] | None = None) -> list[Path]:
    (root / "inbox").mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(p, root / "inbox" / (n or p.name)))
            for p, n in zip(paths, names or [None] * len(paths))]


def query(root: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(root / "w.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def failure_of(root: Path, file_name: str) -> list[tuple]:
    return query(root, "SELECT f.rule_code, f.severity, f.message_vi FROM "
                       "quality.validation_failures f JOIN raw.submissions s USING (file_hash) "
                       "WHERE s.file_name = ? ORDER BY 1", [file_name])


def archived_bytes(root: Path) -> list[bytes]:
    return [p.read_bytes() for p in (root / "archive").rglob("*") if p.is_file()]


def sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as fh:
        fh.truncate(size)
    return path


def never_hashed(monkeypatch, *names: str) -> None:
    """Fail the test if a file of these names is ever read (hashed and kept) by the inbox."""
    real = inbox_module.keep

    def spy(archive, path, *args, **kwargs):
        assert Path(path).name not in names, f"{path} was read"
        return real(archive, path, *args, **kwargs)
    monkeypatch.setattr(inbox_module, "keep", spy)


@pytest.mark.parametrize("target", ["/proc/self/environ", "/etc/passwd", "sparse file",
                                    "folder"])
def test_a_link_in_the_inbox_is_never_followed(tmp_path, returns, monkeypatch, target):
    outside = tmp_path / "outside"
    outside.mkdir()
    if target == "sparse file":
        target = str(sparse(outside / "huge.bin", GIGABYTE))
    elif target == "folder":
        shutil.copy2(returns["116"], outside / "116_2023.xlsx")
        target = str(outside)
    deliver(tmp_path, returns["116"])
    os.symlink(target, tmp_path / "inbox" / "bao_cao.xlsx")
    never_hashed(monkeypatch, "bao_cao.xlsx")

    steps.consolidate(settings(tmp_path), str(uuid.uuid4()))

    ((rule, severity, message),) = failure_of(tmp_path, "bao_cao.xlsx")
    assert (rule, severity) == ("FILE_LINK", "error") and "'bao_cao.xlsx'" in message
    assert query(tmp_path, "SELECT status, archived_path FROM raw.submissions "
                           "WHERE file_name = 'bao_cao.xlsx'") == [("unreadable", "")]
    assert query(tmp_path, "SELECT status FROM raw.submissions WHERE file_name = "
                           "'116_2023.xlsx'") == [("accepted",)]  # the others go on
    assert archived_bytes(tmp_path) == [returns["116"].read_bytes()]  # target not archived
    assert os.path.islink(tmp_path / "inbox" / "bao_cao.xlsx")  # left for the steward
    steps.consolidate(settings(tmp_path), str(uuid.uuid4()))
    assert query(tmp_path, "SELECT count(*) FROM raw.submissions WHERE file_name = "
                           "'bao_cao.xlsx'") == [(1,)]  # recorded once, not every night


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path, returns,
                                                               monkeypatch):
    deliver(tmp_path, returns["116"])
    sparse(tmp_path / "inbox" / "khong_lo.xlsx", GIGABYTE)
    never_hashed(monkeypatch, "khong_lo.xlsx")

    steps.consolidate(settings(tmp_path), str(uuid.uuid4()))

    ((rule, _, message),) = failure_of(tmp_path, "khong_lo.xlsx")
    assert rule == "FILE_TOO_LARGE" and "tối đa 50 MB" in message
    assert archived_bytes(tmp_path) == [returns["116"].read_bytes()]
    assert (tmp_path / "inbox" / "khong_lo.xlsx").exists()
    assert query(tmp_path, "SELECT status FROM raw.submissions WHERE file_name = "
                           "'116_2023.xlsx'") == [("accepted",)]


def test_the_size_cap_is_a_setting(tmp_path, returns, monkeypatch):
    monkeypatch.setenv("HTX_MAX_FILE_MB", "1")
    assert load_settings().max_file_mb == 1
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "hai_mb.xlsx").write_bytes(os.urandom(2_000_000))
    (found,) = scan_inbox(tmp_path / "inbox", tmp_path / "archive", dt.datetime.now(), max_bytes=1_000_000)
    assert found.refused == "FILE_TOO_LARGE" and found.detail == "2 MB"


PLAIN_RUN = ("import sys, uuid; from pathlib import Path; from flows.settings import Settings; "
             "from flows.steps import consolidate; r = Path(sys.argv[1]); "
             "consolidate(Settings(inbox=r / 'inbox', warehouse=r / 'w.duckdb', "
             "reports=r / 'reports', archive=r / 'archive', settle_seconds=0), str(uuid.uuid4()))")
# Root reads every file whatever its permissions; a service account does not. As root, the
# run is started without the capabilities that let root ignore them.
UNPRIVILEGED = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
                "--bounding-set=-dac_override,-dac_read_search"]


def test_a_file_that_cannot_be_opened_is_a_failure_and_the_others_go_on(tmp_path, returns):
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: every file can be opened")
    deliver(tmp_path, returns["116"], returns["118"])
    os.chmod(tmp_path / "inbox" / "118_2023.xlsx", 0)
    prefix = UNPRIVILEGED if os.geteuid() == 0 else []
    done = subprocess.run([*prefix, sys.executable, "-c", PLAIN_RUN, str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    ((rule, _, message),) = failure_of(tmp_path, "118_2023.xlsx")
    assert rule == "FILE_UNREADABLE" and "không mở được tệp" in message
    assert query(tmp_path, "SELECT status FROM raw.submissions WHERE file_name = "
                           "'116_2023.xlsx'") == [("accepted",)]
    assert (tmp_path / "inbox" / "118_2023.xlsx").exists()  # kept for the steward
    assert not (tmp_path / "inbox" / "116_2023.xlsx").exists()  # archived and cleared


def test_a_name_that_is_not_utf8_is_read_and_flagged(tmp_path, returns):
    odd = os.fsdecode("B\u00e1o c\u00e1o 118".encode("cp1258") + b".xlsx")  # Windows-1258
    deliver(tmp_path, returns["116"], returns["118"], names=[None, odd])

    result = steps.consolidate(settings(tmp_path), str(uuid.uuid4()))

    shown = "B\ufffdo c\ufffdo 118.xlsx"
    assert "FILE_NAME_NOT_UNICODE" in [r for r, _, _ in failure_of(tmp_path, shown)]
    assert query(tmp_path, "SELECT status FROM raw.submissions WHERE file_name = ?",
                 [shown]) == [("rejected",)]  # read as any return: its own error stands
    assert shown in (Path(result["report_folder"]) / "summary.md").read_text("utf-8")
    assert query(tmp_path, "SELECT outcome FROM ops.runs") == [("completed",)]
    assert os.listdir(tmp_path / "inbox") == []


def rewrite(path: Path, source: Path) -> None:
    shutil.copyfile(source, path)


def test_rows_come_from_the_archived_copy_when_the_inbox_file_is_rewritten(tmp_path,
                                                                          returns):
    """The district overwrites its file while the run reads: the warehouse's rows for hash
    X are those of archived file X, and the new content is a new version next run."""
    (sent,) = deliver(tmp_path, returns["116"])
    first_hash = hashlib.sha256(sent.read_bytes()).hexdigest()

    def stage(fn):
        if fn.__name__ == "read_returns":
            rewrite(sent, returns["121"])  # after archiving, before reading
        return fn
    steps.consolidate(settings(tmp_path), str(uuid.uuid4()), stage=stage)

    assert query(tmp_path, "SELECT file_hash, district_code FROM raw.submissions") == \
        [(first_hash, "116")]
    (archived,) = query(tmp_path, "SELECT archived_path FROM raw.submissions")
    assert hashlib.sha256(Path(archived[0]).read_bytes()).hexdigest() == first_hash
    assert query(tmp_path, "SELECT DISTINCT file_hash FROM raw.coop_rows") == [(first_hash,)]
    assert sent.exists()  # its new content was never processed: it stays
    steps.consolidate(settings(tmp_path), str(uuid.uuid4()))
    assert sorted(query(tmp_path, "SELECT district_code FROM raw.submissions")) == \
        [("116",), ("121",)]


def test_a_file_rewritten_while_it_is_read_waits_for_the_next_run(tmp_path, returns,
                                                                  monkeypatch):
    """The district overwrites its file while the run reads it: nothing of it is kept (its
    bytes are neither the old file nor the new one), and the next run takes the new one."""
    (sent,) = deliver(tmp_path, returns["116"])
    real = archive_module._copy

    def overwritten_meanwhile(src, dst, max_bytes):
        digest = real(src, dst, max_bytes)
        rewrite(sent, returns["121"])  # the same file (inode), new bytes, new size and time
        return digest
    monkeypatch.setattr(archive_module, "_copy", overwritten_meanwhile)
    steps.consolidate(settings(tmp_path), str(uuid.uuid4()))
    monkeypatch.undo()

    assert query(tmp_path, "SELECT count(*) FROM raw.submissions") == [(0,)]
    assert archived_bytes(tmp_path) == []
    steps.consolidate(settings(tmp_path), str(uuid.uuid4()))
    assert query(tmp_path, "SELECT district_code FROM raw.submissions") == [("121",)]


def test_each_file_is_read_once_to_be_hashed_and_kept(tmp_path, returns, monkeypatch):
    """One read hashes and archives a file; the only other read is the check, before the
    inbox copy is deleted, that it is still those bytes."""
    deliver(tmp_path, returns["116"], returns["118"])
    opened = []
    real = archive_module.open_regular

    def counted(path):
        opened.append(re.sub(r"^\.clearing-[0-9a-f]+-", "", Path(path).name))  # moved aside
        return real(path)
    monkeypatch.setattr(archive_module, "open_regular", counted)
    steps.consolidate(settings(tmp_path), str(uuid.uuid4()))
    assert sorted(opened) == ["116_2023.xlsx"] * 2 + ["118_2023.xlsx"] * 2
    assert os.listdir(tmp_path / "inbox") == []


def test_an_archive_inside_the_inbox_is_never_taken_for_returns(tmp_path, returns):
    deliver(tmp_path, returns["116"])
    inside = Settings(inbox=tmp_path / "inbox", warehouse=tmp_path / "w.duckdb",
                      reports=tmp_path / "reports", archive=tmp_path / "inbox" / "luu_tru",
                      settle_seconds=0)
    steps.consolidate(inside, str(uuid.uuid4()))
    steps.consolidate(inside, str(uuid.uuid4()))
    assert query(tmp_path, "SELECT file_name, status FROM raw.submissions") == \
        [("116_2023.xlsx", "accepted")]
    assert [p.read_bytes() for p in (tmp_path / "inbox" / "luu_tru").rglob("*")
            if p.is_file()] == [returns["116"].read_bytes()]


def test_a_back_dated_file_is_not_received_before_the_last_run_started(tmp_path, returns):
    deliver(tmp_path, returns["116"])
    steps.consolidate(settings(tmp_path), str(uuid.uuid4()))
    (late,) = deliver(tmp_path, returns["121"])
    stamp = dt.datetime(1999, 1, 1).timestamp()
    os.utime(late, (stamp, stamp))  # "sent in 1999", long before the 2023 deadline

    steps.consolidate(settings(tmp_path), str(uuid.uuid4()))

    ((received, first_start),) = query(
        tmp_path, "SELECT s.received_at, (SELECT min(started_at) FROM ops.runs) "
                  "FROM raw.submissions s WHERE district_code = '121'")
    assert received >= first_start
    assert query(tmp_path, "SELECT on_time FROM mart.completeness WHERE district_code = "
                           "'121' AND period = '2023'") == [(False,)]


def test_the_first_run_takes_a_files_own_time(tmp_path, returns):
    (sent,) = deliver(tmp_path, returns["116"])
    stamp = dt.datetime(2024, 1, 10).timestamp()
    os.utime(sent, (stamp, stamp))
    steps.consolidate(settings(tmp_path), str(uuid.uuid4()))
    assert query(tmp_path, "SELECT received_at FROM raw.submissions") == \
        [(dt.datetime(2024, 1, 10).astimezone(),)]  # the same instant, with its zone


def test_a_file_replaced_by_a_link_after_it_was_found_is_not_followed(tmp_path, returns,
                                                                     monkeypatch):
    (sent,) = deliver(tmp_path, returns["116"])
    real = inbox_module.keep

    def link_meanwhile(archive, path, *args, **kwargs):
        sent.unlink()  # after the inbox was listed, before the file is opened
        os.symlink("/etc/passwd", sent)
        return real(archive, path, *args, **kwargs)
    monkeypatch.setattr(inbox_module, "keep", link_meanwhile)
    steps.consolidate(settings(tmp_path), str(uuid.uuid4()))
    monkeypatch.undo()

    assert archived_bytes(tmp_path) == []
    steps.consolidate(settings(tmp_path), str(uuid.uuid4()))
    assert [r for r, _, _ in failure_of(tmp_path, "116_2023.xlsx")] == ["FILE_LINK"]
    assert archived_bytes(tmp_path) == []


def test_folders_however_deep_are_scanned(tmp_path):
    """More folders deep than Python allows frames (the limit is lowered for the scan, so
    that the test's folders stay shallow enough for pytest to remove)."""
    deep = tmp_path
    for _ in range(300):
        deep = deep / "d"
        deep.mkdir()
    (deep / "r.xlsx").write_bytes(b"PK")
    frames, frame = 0, sys._getframe()
    while frame:
        frames, frame = frames + 1, frame.f_back
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(frames + 100)
    try:
        found = scan_inbox(tmp_path, tmp_path / "archive", dt.datetime.now())
    finally:
        sys.setrecursionlimit(limit)
    assert [f.name for f in found] == ["r.xlsx"]


def test_htx_run_takes_an_odd_name_and_a_link_and_publishes(tmp_path, returns):
    """The real command, through Prefect (which records every task's arguments): a name
    that is not UTF-8 and a link to /etc/passwd are each a line of the summary, exit 0."""
    odd = os.fsdecode("B\u00e1o c\u00e1o".encode("cp1258") + b".xlsx")
    deliver(tmp_path, returns["116"], returns["118"], names=[None, odd])
    os.symlink("/etc/passwd", tmp_path / "inbox" / "passwd.xlsx")

    done = run_htx("run", "--inbox", "inbox", "--warehouse", "w.duckdb", "--reports",
                   "reports", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "B\ufffdo c\ufffdo.xlsx" in done.stdout and "FILE_LINK" in done.stdout
    assert sorted(os.listdir(tmp_path / "inbox")) == ["passwd.xlsx"]
    assert b"root:" not in b"".join(archived_bytes(tmp_path))


def test_a_file_saved_under_the_same_name_while_the_inbox_is_cleared_is_kept(
        tmp_path, returns, monkeypatch):
    (sent,) = deliver(tmp_path, returns["116"])
    (found,) = scan_inbox(tmp_path / "inbox", tmp_path / "archive", dt.datetime.now())
    real = inbox_module.unchanged

    def saved_meanwhile(path, sha256):
        rewrite(sent, returns["121"])  # the district saves its new version, same name
        return real(path, sha256)
    monkeypatch.setattr(inbox_module, "unchanged", saved_meanwhile)

    assert inbox_module.clear(found) is True  # what was kept is gone from the inbox ...
    assert sent.read_bytes() == returns["121"].read_bytes()  # ... the new version is not
    assert [p.name for p in (tmp_path / "inbox").iterdir()] == ["116_2023.xlsx"]


def test_a_file_rewritten_before_the_inbox_is_cleared_stays_for_the_next_run(tmp_path,
                                                                           returns):
    (sent,) = deliver(tmp_path, returns["116"])
    (found,) = scan_inbox(tmp_path / "inbox", tmp_path / "archive", dt.datetime.now())
    rewrite(sent, returns["121"])
    assert inbox_module.clear(found) is False
    assert [p.name for p in (tmp_path / "inbox").iterdir()] == ["116_2023.xlsx"]
    assert sent.read_bytes() == returns["121"].read_bytes()
