"""Returns as they really arrive ("What arrives in practice", return-workbook.md): each
fixture of tests/fixtures/returns.py reads back exactly like the same data on the template,
or gives exactly its expected failures; and all of them together go through one nightly run
without harming it."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from conftest import Consolidation, run_htx
from contracts.reference import load_reporting_units
from contracts.return_form import RETURN_FORM
from contracts.rules import rule
from fixtures.returns import (FIXTURES, ROSTER_ROWS, UNION_ROWS, UNIT_CODE, Fixture,
                              base_totals, fixture_period, write_template_version)
from transforms.returns import ReturnRead, read_return, check_return
from transforms.reporting_units import reporting_units

UNITS = reporting_units(load_reporting_units())
TABLE_SHEETS = [s for s in RETURN_FORM if s.layout == "table"]
FILE_RULES = {"FILE_UNREADABLE", "FILE_EMPTY", "FILE_PASSWORD", "FILE_HOSTILE"}
PERIODS = {f.name: fixture_period(i) for i, f in enumerate(FIXTURES)}
SAME = [f for f in FIXTURES if f.same_as_template]


def _ids(fixture: Fixture) -> str:
    return fixture.name


def _plain(value: object) -> object:
    """A value compared as plain Python: missing as None, timestamps as dates. Amounts are
    compared exactly: a unit conversion gives the very number the template holds."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):
        value = value.item()
    return value


def _rows(read: ReturnRead, sheet) -> list[dict] | None:
    frame = read.frames.get(sheet.name)
    if frame is None:
        return None
    names = [f.name for f in sheet.stored_fields]
    return [{n: _plain(v) for n, v in zip(names, row)}
            for row in frame[names].itertuples(index=False)]


def _declared(read: ReturnRead) -> dict[str, float]:
    return {f: _plain(v) for f, v in zip(read.totals.get("field", []),
                                         read.totals.get("declared", []))}


def _failures(read: ReturnRead) -> list[tuple]:
    return [(f.rule, f.cell, f.value) for f in read.failures]


@pytest.fixture(scope="module")
def reads(tmp_path_factory):
    """fixture, template? -> the file built for it, read and validated (built once)."""
    folder, done = tmp_path_factory.mktemp("real_returns"), {}

    def read(fixture: Fixture, template: bool = False) -> ReturnRead:
        if (fixture.name, template) not in done:
            period = PERIODS[fixture.name]
            path = (write_template_version(folder / "template" / f"{fixture.name}.xlsx", period)
                    if template else fixture.build(folder / "variant", period))
            done[(fixture.name, template)] = check_return(read_return(path, UNITS),
                                                             frozenset())
        return done[(fixture.name, template)]

    return read


# --- the catalogue and the base ------------------------------------------------------------------

def test_the_catalogue_says_one_consistent_thing_per_fixture():
    assert len({f.name for f in FIXTURES}) == len(FIXTURES)
    for f in FIXTURES:
        errors = {r for r in f.rules if rule(r).severity == "error"}
        expected = ("unreadable" if f.rules & FILE_RULES else
                    "rejected" if errors else "accepted")
        assert f.status == expected, f.name
        assert set(f.cells) <= f.rules, f.name
        assert not (f.same_as_template and errors), f.name


def test_the_template_version_of_the_base_reads_cleanly_with_consistent_totals(reads):
    fixture = FIXTURES[0]
    read = reads(fixture, template=True)
    assert read.readable and read.failures == []
    assert (read.unit_code, read.period) == (UNIT_CODE, PERIODS[fixture.name])
    assert len(read.frames["DS_HTX"]) == 8 and len(read.frames["DS_LHHTX"]) == 2
    # Written out by hand from the indicator catalogue, independently of base_totals.
    assert base_totals() == {
        "total_coops": 8, "coops_nn": 2, "coops_cn": 1, "coops_xd": 1, "coops_tm": 1,
        "coops_vt": 1, "coops_td": 1, "coops_th": 1, "coops_kh": 0, "new_coops": 1,
        "members": 1617, "workers": 103, "total_capital": 65681.5, "revenue": 15775.5,
    }
    assert _declared(read) == pytest.approx(base_totals())


def test_every_fixture_has_its_own_period_after_every_founding_date():
    assert len({p.code for p in PERIODS.values()}) == len(FIXTURES)
    founded = [r[5] for r in ROSTER_ROWS if r[5]] + [r[3] for r in UNION_ROWS if r[3]]
    assert max(founded) < min(p.start for p in PERIODS.values())
    assert max(p.end for p in PERIODS.values()) < dt.date(2025, 7, 1)  # Mai Sơn still reports


# --- each fixture ---------------------------------------------------------------------------

@pytest.mark.parametrize("fixture", SAME, ids=_ids)
def test_reads_back_exactly_like_the_template_version(reads, fixture):
    got, want = reads(fixture), reads(fixture, template=True)
    assert got.readable, _failures(got)
    assert (got.unit_code, got.period) == (want.unit_code, want.period)
    for sheet in TABLE_SHEETS:
        expected = _rows(want, sheet)
        for (name, index, field_name), value in fixture.reads_as.items():
            if name == sheet.name:
                expected[index][field_name] = value
        assert _rows(got, sheet) == expected, sheet.name
    assert _declared(got) == _declared(want)


@pytest.mark.parametrize("fixture", FIXTURES, ids=_ids)
def test_finds_exactly_the_expected_failures(reads, fixture):
    read = reads(fixture)
    assert {f.rule for f in read.failures} == fixture.rules, _failures(read)
    for code, cell in fixture.cells.items():
        assert cell in {f.cell for f in read.failures if f.rule == code}, _failures(read)
    assert read.readable == (fixture.status != "unreadable")


# --- all of them in one run ------------------------------------------------------------------

def test_htx_run_over_every_fixture_gives_each_its_status(tmp_path):
    run = Consolidation(tmp_path)
    run.inbox.mkdir()
    expected = {fixture.build(run.inbox, PERIODS[fixture.name]).name: fixture
                for fixture in FIXTURES}
    assert sorted(p.name for p in run.inbox.iterdir()) == sorted(expected)

    result = run_htx("run", "--inbox", str(run.inbox), "--warehouse", str(run.warehouse),
                     cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert f"mới (new): {len(FIXTURES)}" in result.stdout
    got = run.query("SELECT s.file_name, s.status, list(DISTINCT f.rule_code) AS rules "
                    "FROM raw.submissions AS s LEFT JOIN quality.validation_failures AS f "
                    "USING (file_hash) GROUP BY ALL")
    found = {r.file_name: (r.status, set(r.rules) - {None}) for r in got.itertuples()}
    wrong = {name: {"status": found.get(name, ("missing", set()))[0],
                    "rules_missing": sorted(f.rules - found.get(name, ("", set()))[1])}
             for name, f in expected.items()}
    assert {name: w for name, w in wrong.items()
            if w["status"] != expected[name].status or w["rules_missing"]} == {}
    assert set(found) == set(expected)
