"""The steward's loop with the real command line: review the failures, waive the errors of
a rejected demo return, run again, and the return is accepted with the waiver on record."""

from __future__ import annotations

import json

import duckdb
import pytest

from conftest import run_htx


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
    assert "Huyện Thuận Châu (119)" in table and "119_2023.xlsx (rejected)" in table
    csv = run_htx("review", "--format", "csv", cwd=demo_folder).stdout
    assert csv.splitlines()[0].startswith("district_code,district_name,period")


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

    run = run_htx("run", cwd=demo_folder)

    assert run.returncode == 0, run.stderr
    assert "Lỗi được chấp nhận (waivers)" in run.stdout and "Lò Văn Thắng" in run.stdout
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
