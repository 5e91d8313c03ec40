"""The `htx` command as a user runs it (a real subprocess), and its documentation."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import duckdb
import pytest

from conftest import run_htx
from contracts.reference import load_reporting_units
from flows.cli import build_parser
from transforms.returns import read_return
from transforms.reporting_units import reporting_units

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
def htx(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return run_htx(*args, cwd=cwd)


def commands() -> list[str]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return sorted(sub.choices)


@pytest.mark.parametrize("command", commands())
def test_every_command_is_documented_in_the_readme(command):
    assert f"htx {command}" in README


def test_ci_runs_the_readme_test_command():
    blocks = re.findall(r"```(?:sh|bash)\n(.*?)```", README, flags=re.S)
    quick_start = [line for line in blocks[0].splitlines() if line.strip()]
    assert len(quick_start) == 2 and "htx demo" in quick_start[0]
    assert quick_start[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert all("pip install -c constraints.txt " in line for line in quick_start)


def test_the_constraints_pin_what_the_tests_run_with_and_prefect_agrees():
    from importlib.metadata import version

    pinned = dict(line.split("==") for line in
                  (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
                  if "==" in line and not line.startswith("#"))
    for name in ("prefect", "fastapi", "duckdb", "pandas", "numpy", "pytest"):
        assert pinned[name] == version(name), name
    major, minor, patch = (int(x) for x in pinned["prefect"].split(".")[:3])
    assert (major, minor, patch) >= (3, 9, 1)
    assert f"prefect-version: {pinned['prefect']}" in (ROOT / "prefect.yaml").read_text("utf-8")
    assert '"prefect>=3.9.1,<4"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_template_writes_a_return_the_reader_knows(tmp_path):
    result = htx("template", "--district", "125", "--period", "6 tháng đầu năm 2024",
                 "-o", "mai_son.xlsx", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    read = read_return(tmp_path / "mai_son.xlsx", reporting_units(load_reporting_units()))
    assert (read.unit_code, read.period.code, read.failures) == ("125", "2024S1", [])


def test_template_for_an_unknown_unit_is_a_usage_error(tmp_path):
    result = htx("template", "--district", "999", "--period", "2024", "-o", "x.xlsx",
                 cwd=tmp_path)
    assert result.returncode == 2 and "999" in result.stderr
    assert not (tmp_path / "x.xlsx").exists()


def test_demo_data_writes_twelve_returns_and_a_manifest(tmp_path):
    result = htx("demo-data", "--out", "out", "--period", "2024", "--seed", "7", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "out").glob("*.xlsx"))) == 12
    assert (tmp_path / "out" / "manifest.json").exists()


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    """A fresh folder where a user ran `htx demo` with no arguments."""
    folder = tmp_path_factory.mktemp("user")
    result = htx("demo", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder, result


def test_demo_prints_the_summary_and_names_the_warehouse(demo_dir):
    folder, result = demo_dir
    out = result.stdout
    for text in ("chấp nhận (accepted): 9", "từ chối (rejected): 3", "TOTAL_MISMATCH",
                 "Chỉ tiêu toàn tỉnh kỳ 2023", "Tổng số hợp tác xã", "data/warehouse.duckdb"):
        assert text in out
    with duckdb.connect(str(folder / "data" / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM mart.province_indicators").fetchone()[0] > 0


def test_demo_ends_with_the_portal_and_demo_accounts_whose_passwords_work(demo_dir):
    from accounts.users import verify_password

    folder, result = demo_dir
    assert "htx web  →  http://127.0.0.1:8000" in result.stdout
    made = re.findall(r"^  (demo_\S+)\s+(\w+)\s.*mật khẩu \(password\): (\S+)$",
                      result.stdout, flags=re.M)
    assert {(name, role) for name, role, _ in made} == {
        ("demo_tinh", "steward"), ("demo_phan_tich", "analyst"), ("demo_116", "district"),
        ("demo_118", "district")}
    portal = folder / "data" / "portal.sqlite"
    assert all(verify_password(portal, name, password) for name, _, password in made)
    again = htx("user", "list", cwd=folder)
    assert again.returncode == 0 and "demo_116\tdistrict\t116" in again.stdout


def test_run_again_completes_with_nothing_new(demo_dir):
    folder, _ = demo_dir
    result = htx("run", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "mới (new): 0" in result.stdout


def test_indicators_and_review_read_the_warehouse(demo_dir):
    folder, _ = demo_dir
    indicators = htx("indicators", "--period", "2023", cwd=folder)
    assert indicators.returncode == 0 and "HTX_TOTAL" in indicators.stdout
    city = htx("indicators", "--district", "116", cwd=folder)
    assert city.returncode == 0 and re.search(r"HTX_TOTAL .* 73", city.stdout)
    review = htx("review", "--district", "118", cwd=folder)
    assert review.returncode == 0 and "TRAINED_ABOVE_MANAGERS" in review.stdout
    assert "DS_HTX!Q" in review.stdout


def test_review_without_a_warehouse_says_so(tmp_path):
    result = htx("review", cwd=tmp_path)
    assert result.returncode == 1 and "htx demo" in result.stderr


def test_indicators_print_vietnamese_numbers_within_100_columns(demo_dir):
    folder, _ = demo_dir
    province = htx("indicators", "--period", "2023", cwd=folder).stdout
    assert re.search(r"^HTX_TOTAL .* 683 +900 +75,9$", province, flags=re.M)
    assert re.search(r"^CAPITAL_TOTAL .* 1\.413\.933 ", province, flags=re.M)
    assert "9/12 đơn vị có báo cáo được chấp nhận" in province
    for shown in (province, htx("indicators", "--district", "116", cwd=folder).stdout,
                  htx("review", cwd=folder).stdout):
        assert not re.search(r"\de[+-]\d\d|NaN|<NA>|\bnan\b|None", shown)
        assert max(len(line) for line in shown.splitlines()) <= 100


def test_help_is_vietnamese_first_within_100_columns(tmp_path):
    for args in [("--help",)] + [(command, "--help") for command in commands()]:
        result = htx(*args, cwd=tmp_path)
        assert result.returncode == 0, args
        lines = result.stdout.splitlines()
        assert max(len(line) for line in lines) <= 100, args
        assert "tuỳ chọn (options)" in result.stdout, args
    top = htx("--help", cwd=tmp_path).stdout
    assert "Tổng hợp báo cáo kinh tế tập thể" in top and "tạo báo cáo mẫu" in top


def test_times_are_shown_in_vietnam_time():
    from outputs.summary import vietnam_time

    assert vietnam_time("2026-01-01T17:30:00+00:00") == "02/01/2026 00:30"
    assert vietnam_time("2026-01-01T17:30:00+07:00") == "01/01/2026 17:30"
    assert vietnam_time(None) == ""
