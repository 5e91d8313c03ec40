"""Nothing owed is lost: a run's feedback workbooks and report are derived from what the
warehouse records. A run that published its warehouse but could not write them (reports
folder not writable, disk full, killed right after publishing) is recorded as owing them
(`ops.runs.outcome = 'outputs_owed'`), and the next run writes them before its own; a run
is `completed` only once they are written. Feedback names never collide, and a return
whose period or unit cannot be read gets its feedback too."""

from __future__ import annotations

import datetime as dt
import errno
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from outputs.template import write_return
from fixtures.returns import (UNIT_CODE, UNIT_NAME, base_roster, base_tasks, base_totals,
                              base_unions)
from flows import steps
from flows.settings import Settings
from demo.province import write_demo_returns
from transforms.periods import period_from_code
from outputs import feedback

ROOT = Path(__file__).resolve().parent.parent
KILLED_RUN = str(ROOT / "tests" / "killed_run.py")  # a run in its own process, killable


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> list[Path]:
    """Four demo returns: 116 accepted with a warning, 118, 119 and 120 rejected."""
    folder = tmp_path_factory.mktemp("returns")
    made = write_demo_returns(folder, period_from_code("2023"), 2023)
    return [p for p in made if p.name[:3] in {"116", "118", "119", "120"}]


def settings(root: Path) -> Settings:
    return Settings(inbox=root / "inbox", warehouse=root / "w.duckdb", reports=root / "reports",
                    archive=root / "archive", settle_seconds=0)


def run(root: Path) -> dict:
    return steps.consolidate(settings(root), str(uuid.uuid4()))


def deliver(root: Path, paths: list[Path], names: list[str] | None = None) -> None:
    (root / "inbox").mkdir(parents=True, exist_ok=True)
    for path, name in zip(paths, names or [p.name for p in paths]):
        shutil.copy2(path, root / "inbox" / name)


def query(root: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(root / "w.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def outcomes(root: Path) -> list[str]:
    return [o for (o,) in query(root, "SELECT outcome FROM ops.runs ORDER BY started_at")]


def feedback_files(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "reports" / "feedback").rglob("*.xlsx"))


def assert_outputs_of_every_run_written(root: Path) -> None:
    """Each run's report is there, and each flagged return's feedback workbook."""
    for (run_id,) in query(root, "SELECT run_id FROM ops.runs"):
        folder = root / "reports" / f"run_{run_id}"
        assert {p.name for p in folder.iterdir()} >= {"summary.md", "summary.json",
                                                     "report.html"}, run_id
    flagged = query(root, "SELECT count(*) FROM raw.submissions s WHERE readable AND EXISTS "
                          "(FROM quality.validation_failures f WHERE f.file_hash = s.file_hash)")
    assert len(feedback_files(root)) == flagged[0][0] > 0
    assert set(outcomes(root)) == {"completed"}


def test_reports_folder_not_writable_leaves_the_outputs_owed_until_the_next_run(tmp_path,
                                                                             returns):
    deliver(tmp_path, returns)
    (tmp_path / "reports").write_text("a file where the reports folder should be")

    with pytest.raises(steps.OutputsOwed, match="lần chạy sau sẽ ghi lại"):
        run(tmp_path)

    assert query(tmp_path, "SELECT count(*) FROM raw.submissions") == [(4,)]  # published
    assert os.listdir(tmp_path / "inbox") == []  # safe in the archive
    assert outcomes(tmp_path) == ["outputs_owed"]
    (tmp_path / "reports").unlink()  # the operator fixes the folder
    run(tmp_path)  # nothing new: it writes what the first run owes
    assert_outputs_of_every_run_written(tmp_path)


def test_disk_full_while_writing_feedback_leaves_the_outputs_owed(tmp_path, returns,
                                                                  monkeypatch):
    deliver(tmp_path, returns)
    real = feedback._save

    def full(data, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    monkeypatch.setattr(feedback, "_save", full)

    with pytest.raises(steps.OutputsOwed):
        run(tmp_path)

    assert outcomes(tmp_path) == ["outputs_owed"]
    monkeypatch.setattr(feedback, "_save", real)
    run(tmp_path)
    assert_outputs_of_every_run_written(tmp_path)


@pytest.mark.parametrize("point", ["clear_inbox", "publish_feedback", "write_run_summary",
                                   "record_outputs_written"])
def test_a_run_killed_after_publishing_owes_its_outputs_to_the_next(tmp_path, returns, point):
    deliver(tmp_path, returns)
    killed = subprocess.run([sys.executable, KILLED_RUN, str(tmp_path), point], cwd=ROOT,
                            capture_output=True,
                            text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr
    assert query(tmp_path, "SELECT count(*) FROM raw.submissions") == [(4,)]  # published
    assert outcomes(tmp_path) == ["outputs_owed"]

    run(tmp_path)

    assert_outputs_of_every_run_written(tmp_path)
    assert os.listdir(tmp_path / "inbox") == []


def base_return(folder: Path, name: str, revenue: float, **cover) -> Path:
    """The base return with a warning (profit above revenue) on its first row."""
    roster = base_roster()
    roster.loc[0, "revenue"] = revenue
    roster.loc[0, "profit"] = revenue + 100
    tasks = base_tasks()
    return write_return(folder / name, unit_code=cover.get("code", UNIT_CODE),
                        unit_name=cover.get("name", UNIT_NAME),
                        period=period_from_code("2023"), roster=roster, unions=base_unions(),
                        totals=base_totals(roster), tasks=tasks,
                        declared_task_count=len(tasks), prepared_on=dt.date(2024, 1, 5))


def test_feedback_names_that_would_collide_each_get_their_own_file(tmp_path):
    made = tmp_path / "made"
    made.mkdir()
    deliver(tmp_path, [base_return(made, "a.xlsx", 500), base_return(made, "b.xlsx", 600)],
            names=["Báo cáo.xlsx", "Bao cao.xlsx"])

    result = run(tmp_path)

    hashes = dict(query(tmp_path, "SELECT file_name, file_hash FROM raw.submissions"))
    assert sorted(Path(p).name for p in result["feedback"]) == sorted(
        f"{UNIT_CODE}_2023_phan_hoi_Bao_cao_{hashes[n][:8]}.xlsx" for n in hashes)
    assert len(feedback_files(tmp_path)) == 2
    assert outcomes(tmp_path) == ["completed"]


def edited(path: Path, **cells) -> Path:
    book = load_workbook(path)
    for ref, value in cells.items():
        book["Thong_tin"][ref] = value
    book.save(path)
    return path


def test_a_return_without_a_readable_period_or_unit_gets_its_feedback(tmp_path):
    made = tmp_path / "made"
    made.mkdir()
    no_period = edited(base_return(made, "khong_ky.xlsx", 500), B5="Năm ngoái")
    no_unit = edited(base_return(made, "khong_don_vi.xlsx", 600), B3="Huyện Không Có",
                     B4=None)
    deliver(tmp_path, [no_period, no_unit])

    result = run(tmp_path)

    written = sorted(Path(p).relative_to(tmp_path / "reports" / "feedback").as_posix()
                     for p in result["feedback"])
    assert written == ["2023/don_vi_2023_phan_hoi_khong_don_vi.xlsx",
                       f"khong_ro_ky/{UNIT_CODE}_ky_phan_hoi_khong_ky.xlsx"]
    assert not any("nan" in name.lower() for name in written)
    assert outcomes(tmp_path) == ["completed"]
