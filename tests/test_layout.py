"""The house by stage (docs/architecture.md): each folder holds one stage and imports run one
way, from a later stage to an earlier one, never back.

    contracts ← accounts ← transforms ← intake ← warehouse ← outputs ← demo ← flows

The stages' order is declared once, here; every package pyproject.toml ships must have its
place in it, so a new folder cannot slip in without saying where it stands."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("contracts", "accounts", "transforms", "intake", "warehouse", "outputs", "demo",
          "flows")
# What writes workbooks, XML or HTML: the warehouse stage never imports it.
WRITERS = ("openpyxl", "xlsxwriter", "lxml", "xml", "defusedxml", "html", "jinja2",
           "outputs")
FAULT_HOOKS = re.compile(r"HTX_TEST_|fault_point|kill_at", re.IGNORECASE)
# A pool of the project's own: per-file work goes to Prefect's task runners instead.
OWN_POOLS = ("multiprocessing", "concurrent.futures.ProcessPoolExecutor", "os.fork",
             "os.forkpty")


def imported(source: str) -> set[str]:
    """Every module a Python source imports, by its full dotted name."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return names


def upward(stage: str, source: str) -> list[str]:
    """The imports of a module of `stage` that reach a later stage."""
    rank = STAGES.index(stage)
    return sorted(m for m in imported(source)
                  if m.split(".")[0] in STAGES and STAGES.index(m.split(".")[0]) > rank)


def modules(stage: str) -> list[Path]:
    return sorted((ROOT / stage).rglob("*.py"))


def test_every_shipped_package_has_its_stage():
    shipped = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert {p.split(".")[0] for p in shipped["packages"]} == set(STAGES)


@pytest.mark.parametrize("stage", STAGES)
def test_no_module_imports_a_later_stage(stage):
    found = {str(p.relative_to(ROOT)): upward(stage, p.read_text(encoding="utf-8"))
             for p in modules(stage)}
    assert {p: m for p, m in found.items() if m} == {}


def test_the_check_catches_an_upward_import():
    assert upward("transforms", "from warehouse.db import connect\nimport flows.cli\n") == [
        "flows.cli", "warehouse.db", "warehouse.db.connect"]
    assert upward("warehouse", "from contracts.fields import Field\nimport pandas\n") == []
    assert upward("contracts", "def f():\n    from outputs import template\n") == [
        "outputs", "outputs.template"]


def test_the_warehouse_writes_no_workbook_xml_or_html():
    reached = {str(p.relative_to(ROOT)): sorted(m for m in imported(p.read_text("utf-8"))
                                                 if m.split(".")[0] in WRITERS)
               for p in modules("warehouse")}
    assert {p: m for p, m in reached.items() if m} == {}


def test_no_production_module_carries_a_fault_hook():
    hooked = [str(p.relative_to(ROOT)) for stage in STAGES for p in modules(stage)
              if FAULT_HOOKS.search(p.read_text("utf-8"))]
    assert hooked == []


def test_no_production_module_runs_a_process_pool_of_its_own():
    pools = {str(p.relative_to(ROOT)): sorted(
        m for m in imported(p.read_text("utf-8")) | forked(p.read_text("utf-8"))
        if m in OWN_POOLS or m.split(".")[0] == "multiprocessing")
        for stage in STAGES for p in modules(stage)}
    assert {p: m for p, m in pools.items() if m} == {}


def forked(source: str) -> set[str]:
    """The os.fork-like calls of a source, as 'os.fork'."""
    return {f"os.{node.func.attr}" for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "os"
            and node.func.attr.startswith("fork")}


def test_the_pool_check_catches_a_pool():
    source = "import multiprocessing\nfrom concurrent.futures import ProcessPoolExecutor\n"
    assert {m for m in imported(source) if m in OWN_POOLS or m == "multiprocessing"} == {
        "multiprocessing", "concurrent.futures.ProcessPoolExecutor"}
    assert forked("import os\npid = os.fork()\n") == {"os.fork"}


def test_the_demo_generator_is_not_a_transform():
    assert not [p for p in modules("transforms") if "demo" in p.name]
    assert (ROOT / "demo" / "province.py").is_file()
