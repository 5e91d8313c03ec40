"""The steward's loop with the real command line: review the failures, waive the errors of
a rejected demo return, run again, and the return is accepted with the waiver on record."""

from __future__ import annotations

import json
import os
import re
import subprocess

import duckdb
import pytest

from conftest import HTX, run_htx


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("steward")
    result = run_htx("demo", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder


def review(folder, *args) -> list[dict]:
    result = run_htx("review", *args, "--format", "json", cwd=folder)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_review_filters_by_district_severity_and_rule(demo_folder):
    errors = review(demo_folder, "--severity", "error")
    assert {f["district_code"] for f in errors} == {"118", "119", "120"}
    assert all(f["severity"] == "error" for f in errors)
    (mismatch,) = review(demo_folder, "--rule", "TOTAL_MISMATCH")
    assert mismatch["district_code"] == "120" and mismatch["cell"] == "Tong_hop!B3"
    table = run_htx("review", "--district", "119", cwd=demo_folder).stdout
    assert "Huyện Thuận Châu (119)" in table and "119_2023.xlsx" in table
    assert "từ chối (rejected)" in table
    csv = run_htx("review", "--format", "csv", cwd=demo_folder).stdout
    assert csv.splitlines()[0].startswith("\ufeffdistrict_code,district_name,period")


def test_waiving_every_error_of_a_rejected_return_accepts_it_at_the_next_run(demo_folder):
    errors = review(demo_folder, "--district", "119", "--severity", "error")
    assert errors and {f["file_status"] for f in errors} == {"rejected"}
    for failure in errors:
        result = run_htx("waive", failure["failure_id"], "--reason",
                         "Hai HTX cùng mã do đăng ký lại; đã xác minh với huyện",
                         "--by", "Lò Văn Thắng", cwd=demo_folder)
        assert result.returncode == 0, result.stderr
    again = run_htx("waive", errors[0]["failure_id"], "--reason", "x", "--by", "y",
                    cwd=demo_folder)
    assert again.returncode == 2 and "already waived" in again.stderr
    pending = review(demo_folder, "--district", "119", "--severity", "error")
    assert all(f["waiver_recorded"] and not f["waived"] for f in pending)
    table = run_htx("review", "--district", "119", cwd=demo_folder).stdout
    assert table.count("chờ lần chạy tới (waived, pending the next run)") == len(errors)

    run = run_htx("run", cwd=demo_folder)

    assert run.returncode == 0, run.stderr
    assert "Lỗi được chấp nhận (waivers)" in run.stdout and "Lò Văn Thắng" in run.stdout
    changed = run.stdout.split("(returns re-evaluated after waivers)")[1].split("##")[0]
    assert "119_2023.xlsx (119, kỳ 2023)" in changed and "nay chấp nhận (accepted)" in changed
    assert re.search(r"chấp nhận bởi Lò Văn Thắng \(\d\d/\d\d/\d{4} \d\d:\d\d\)",
                     run.stdout)  # when, in Vietnam's time
    assert run.stdout.rstrip().splitlines()[-1].startswith("Báo cáo (reports):")
    assert "`htx review`" in run.stdout.split("## Việc cần làm tiếp (what to do next)")[1]
    table = run_htx("review", "--district", "119", cwd=demo_folder).stdout
    assert "đã được chấp nhận (waived)" in table and "chờ lần chạy tới" not in table
    with duckdb.connect(str(demo_folder / "data" / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT status FROM mart.completeness WHERE district_code = '119'"
                           ).fetchone() == ("accepted",)
        waivers = con.execute("SELECT failure_id, waived_by, reason FROM quality.waivers"
                              ).fetchall()
        waived = con.execute("SELECT count(*) FROM quality.validation_failures WHERE waived"
                             ).fetchone()[0]
    assert {w[0] for w in waivers} == {f["failure_id"] for f in errors}
    assert all(w[1] == "Lò Văn Thắng" and "đã xác minh" in w[2] for w in waivers)
    assert waived == len(errors)


def test_waiving_an_unknown_failure_is_a_usage_error(demo_folder):
    result = run_htx("waive", "000000000000", "--reason", "x", "--by", "y", cwd=demo_folder)
    assert result.returncode == 2 and "000000000000" in result.stderr


@pytest.mark.parametrize("reason, by, says", [
    ("", "Lò Văn Thắng", "--reason"), ("   ", "Lò Văn Thắng", "--reason"),
    ("Đã xác minh", "", "--by"), ("Đã xác minh", " \t ", "--by"),
    ("x" * 2001, "Lò Văn Thắng", "2000"), ("Đã xác minh", "y" * 130_000, "2000"),
    ("Đã xác minh\x1b[2J", "Lò Văn Thắng", "control"),
])
def test_a_waiver_needs_a_reason_and_a_name_of_sensible_length(demo_folder, reason, by, says):
    (failure,) = review(demo_folder, "--rule", "TOTAL_MISMATCH")
    result = run_htx("waive", failure["failure_id"], "--reason", reason, "--by", by,
                     cwd=demo_folder)
    assert result.returncode == 2 and says in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    (after,) = review(demo_folder, "--rule", "TOTAL_MISMATCH")
    assert not after["waiver_recorded"]


def test_a_waiver_without_a_warehouse_creates_nothing_and_says_so(tmp_path):
    result = run_htx("waive", "abc123", "--reason", "Đã xác minh", "--by", "Lò Văn Thắng",
                     cwd=tmp_path)
    assert result.returncode == 1 and "htx demo" in result.stderr
    assert list(tmp_path.iterdir()) == []  # no data folder, no lock file


@pytest.mark.parametrize("command", ["review", "indicators"])
def test_unknown_district_and_period_codes_are_said_so(demo_folder, command):
    unit = run_htx(command, "--district", "999", cwd=demo_folder)
    assert unit.returncode == 2 and "999" in unit.stderr and "unknown district" in unit.stderr
    period = run_htx(command, "--period", "2031", cwd=demo_folder)
    assert period.returncode == 2 and "2031" in period.stderr and "2023" in period.stderr
    text = run_htx(command, "--period", "năm hai nghìn", cwd=demo_folder)
    assert text.returncode == 2 and "Traceback" not in text.stderr
    if command == "review":
        rule = run_htx(command, "--rule", "TOTAL_MISMATH", cwd=demo_folder)
        assert rule.returncode == 2 and "TOTAL_MISMATH" in rule.stderr


def test_review_into_a_closed_pipe_prints_no_broken_pipe(demo_folder):
    """`htx review | head`: the reader leaves before the review is written."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HTX_", "PREFECT_"))}
    process = subprocess.Popen([HTX, "review"], cwd=demo_folder, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE,
                               env=env | {"PREFECT_HOME": str(demo_folder / ".prefect")})
    process.stdout.close()  # as `head` does once it has its lines
    _, errors = process.communicate(timeout=120)
    assert b"Broken pipe" not in errors and b"BrokenPipeError" not in errors, errors
    assert process.returncode == 0
