"""One clear line, never a traceback (issue 11, item 6): a bad setting, a bad reference file
or a damaged warehouse stops `run`, `review`, `waive`, `indicators` and `demo` with one
line naming the file or setting and what to do, exit 1, and nothing changed; publishing
keeps the previous warehouse, and `htx restore` brings it back."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from conftest import HTX

COMMANDS = {"run": ("run",), "review": ("review",), "indicators": ("indicators",),
            "waive": ("waive", "abc123", "--reason", "Đã xác minh", "--by", "Lò Văn Thắng"),
            "demo": ("demo",)}


def htx(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HTX_", "PREFECT_"))}
    return subprocess.run([HTX, *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env=clean | {"PREFECT_HOME": str(cwd / ".prefect"),
                                       "HTX_SETTLE_SECONDS": "0"} | env)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".prefect" not in p.parts}


def assert_one_line(result: subprocess.CompletedProcess, *names: str) -> None:
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    (line,) = result.stderr.strip().splitlines()
    for name in names:
        assert name in line, line


BAD_SETTINGS = {
    "toml": ({"htx.toml": "[htx\ninbox = 'x'"}, {}, "htx.toml"),
    "toml unknown": ({"htx.toml": "[htx]\ninbx = 'x'\n"}, {}, "inbx"),
    "toml type": ({"htx.toml": "[htx]\ndeadline_days = 'abc'\n"}, {}, "deadline_days"),
    "annual deadline": ({}, {"HTX_ANNUAL_DEADLINE": "13-45"}, "HTX_ANNUAL_DEADLINE"),
    "deadline days": ({}, {"HTX_DEADLINE_DAYS": "abc"}, "HTX_DEADLINE_DAYS"),
    "settle seconds": ({}, {"HTX_SETTLE_SECONDS": "-5"}, "HTX_SETTLE_SECONDS"),
    "unknown variable": ({}, {"HTX_INBX": "x"}, "HTX_INBX"),
    "settings file": ({}, {"HTX_SETTINGS": "nowhere.toml"}, "nowhere.toml"),
    "units columns": ({"units.csv": "code,name\n14,Sơn La\n"},
                      {"HTX_REPORTING_UNITS": "units.csv"}, "units.csv"),
    "units dates": ({"units.csv": "code,name,level,parent_code,valid_from,valid_to,aliases\n"
                                  "14,Sơn La,province,,ngày xưa,,\n"},
                    {"HTX_REPORTING_UNITS": "units.csv"}, "valid_from"),
    "targets number": ({"t.csv": "period,unit_code,indicator_code,target,source\n"
                                 "2023,14,HTX_TOTAL,chín trăm,KH\n"},
                       {"HTX_TARGETS": "t.csv"}, "t.csv"),
    "targets columns": ({"t.csv": "period,target\n2023,900\n"}, {"HTX_TARGETS": "t.csv"},
                        "t.csv"),
    "targets missing": ({}, {"HTX_TARGETS": "nowhere.xlsx"}, "nowhere.xlsx"),
}


@pytest.mark.parametrize("case", BAD_SETTINGS, ids=list(BAD_SETTINGS))
@pytest.mark.parametrize("command", ["run", "demo"])
def test_a_bad_setting_or_reference_file_stops_a_run_in_one_line_changing_nothing(
        tmp_path, case, command):
    files, env, name = BAD_SETTINGS[case]
    for file, text in files.items():
        (tmp_path / file).write_text(text, encoding="utf-8")
    before = snapshot(tmp_path)
    assert_one_line(htx(*COMMANDS[command], cwd=tmp_path, **env), name)
    assert snapshot(tmp_path) == before and not (tmp_path / "data").exists()


@pytest.mark.parametrize("command", ["review", "indicators", "waive", "serve"])
def test_a_bad_setting_stops_the_steward_commands_and_serve_in_one_line(tmp_path, command):
    result = htx(*COMMANDS.get(command, (command,)), cwd=tmp_path, HTX_DEADLINE_DAYS="abc",
                 PREFECT_API_URL="http://127.0.0.1:9/api")  # serve: said before serving
    assert_one_line(result, "HTX_DEADLINE_DAYS")
    assert not (tmp_path / "data").exists()


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A folder whose warehouse was published twice (a run, then a waiver)."""
    folder = tmp_path_factory.mktemp("published")
    made = htx("demo-data", "--out", "generated", cwd=folder)
    assert made.returncode == 0, made.stderr
    (folder / "data" / "inbox").mkdir(parents=True)
    for code in ("116", "120"):
        shutil.copy2(folder / "generated" / f"{code}_2023.xlsx", folder / "data" / "inbox")
    first = htx("run", cwd=folder)
    assert first.returncode == 0, first.stderr
    with duckdb.connect(str(folder / "data" / "warehouse.duckdb"), read_only=True) as con:
        (failure,) = con.execute("SELECT failure_id FROM quality.validation_failures "
                                 "WHERE rule_code = 'TOTAL_MISMATCH'").fetchone()
    waived = htx("waive", failure, "--reason", "Đã xác minh với huyện", "--by", "Lò Văn Thắng",
                 cwd=folder)
    assert waived.returncode == 0, waived.stderr
    return folder


def waivers(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT count(*) FROM quality.waivers").fetchone()[0]


def test_publishing_keeps_the_previous_warehouse(published):
    data = published / "data"
    assert waivers(data / "warehouse.duckdb") == 1
    assert waivers(data / "warehouse.duckdb.previous") == 0  # as the run published it


def damage(path: Path, how: str) -> None:
    if how == "truncated":
        with open(path, "r+b") as fh:
            fh.truncate(path.stat().st_size // 3)
    elif how == "not a warehouse":
        path.write_bytes(b"PK\x03\x04 this is a zip, not DuckDB" * 1000)
    else:  # bytes inside each block overwritten (as a bad disk does): found by checksums
        with open(path, "r+b") as fh:
            for start in range(3 * 4096, path.stat().st_size, 262_144):
                fh.seek(start + 4096)
                fh.write(b"\xff" * 64)


@pytest.mark.parametrize("how", ["truncated", "not a warehouse", "overwritten"])
def test_a_damaged_warehouse_is_said_in_one_line_and_htx_restore_brings_back_the_previous(
        published, tmp_path, how):
    folder = tmp_path / "copy"
    shutil.copytree(published, folder, ignore=shutil.ignore_patterns(".prefect"))
    warehouse = folder / "data" / "warehouse.duckdb"
    damage(warehouse, how)
    before = snapshot(folder)
    commands = ["run", "waive"] + ([] if how == "overwritten" else ["review", "indicators"])
    for command in commands:  # a run or a waiver reads every block before it copies
        assert_one_line(htx(*COMMANDS[command], cwd=folder), "warehouse.duckdb", "htx restore")
    assert snapshot(folder) == before  # nothing changed, the inbox still full

    restored = htx("restore", cwd=folder)

    assert restored.returncode == 0, restored.stderr
    assert waivers(warehouse) == 0 and (folder / "data" / "warehouse.duckdb.damaged").exists()
    assert htx("review", cwd=folder).returncode == 0


def test_restore_leaves_a_readable_warehouse_alone_unless_forced(published, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(published, folder, ignore=shutil.ignore_patterns(".prefect"))
    refused = htx("restore", cwd=folder)
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert waivers(folder / "data" / "warehouse.duckdb") == 1
    forced = htx("restore", "--force", cwd=folder)
    assert forced.returncode == 0 and waivers(folder / "data" / "warehouse.duckdb") == 0


def test_restore_without_a_previous_warehouse_says_so(tmp_path):
    result = htx("restore", cwd=tmp_path)
    assert_one_line(result, "previous")
    assert not (tmp_path / "data").exists()


def test_a_run_while_another_holds_the_warehouse_is_one_line(tmp_path):
    from warehouse.publish import run_lock

    (tmp_path / "data" / "inbox").mkdir(parents=True)
    with run_lock(tmp_path / "data" / "warehouse.duckdb"):
        result = htx("run", cwd=tmp_path)
    assert_one_line(result, "another run is already working", "một lần chạy khác")
    assert not (tmp_path / "data" / "warehouse.duckdb").exists()
