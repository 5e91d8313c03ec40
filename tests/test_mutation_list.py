"""The mutation list of benchmarks/mutation.py stays honest as the code moves: every mutant's
snippet is in its file exactly once, and the tests it names exist. (The mutation run itself is
too slow for the suite; see docs/mutation.md.)"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _mutation():
    spec = importlib.util.spec_from_file_location("mutation", ROOT / "benchmarks" / "mutation.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("mutation", module)
    spec.loader.exec_module(module)
    return module


mutation = _mutation()


def test_every_mutant_snippet_is_found_exactly_once():
    stale = [(m.id, m.path, found) for m, found in mutation.stale(mutation.MUTANTS)]
    assert stale == []  # update the snippet (or drop the mutant) in benchmarks/mutation.py


def test_every_mutant_has_its_own_id_and_changes_something():
    ids = [m.id for m in mutation.MUTANTS]
    assert len(ids) == len(set(ids))
    assert all(m.original != m.replacement for m in mutation.MUTANTS)


@pytest.mark.parametrize("m", mutation.MUTANTS, ids=lambda m: m.id)
def test_the_tests_a_mutant_names_exist(m):
    files = [arg.split("::")[0] for arg in m.tests if arg.startswith("tests/")]
    assert files and all((ROOT / f).is_file() for f in files)
    for arg in m.tests:
        if "::" in arg:
            path, name = arg.split("::")
            assert f"def {name}(" in (ROOT / path).read_text(encoding="utf-8"), arg
