"""The contract is the one declaration: every artefact derived from it agrees with it."""

from __future__ import annotations

import duckdb
import pytest
from pandera.engines import pandas_engine

from contracts.fields import PANDAS_DTYPES, WAREHOUSE_TYPES
from contracts.indicators import INDICATORS
from contracts.return_form import RETURN_FORM, TOTALS
from contracts.rules import RULES, RULES_BY_CODE
from contracts.schemas import field_checks, sheet_schema
from contracts.vocabularies import SECTORS
from transforms.text import key
from warehouse import codegen, store
from warehouse.catalog import TABLES

TABLE_SHEETS = [s for s in RETURN_FORM if s.layout == "table"]


@pytest.mark.parametrize("sheet", RETURN_FORM, ids=lambda s: s.name)
def test_headers_and_variants_name_one_field_each(sheet):
    seen: dict[str, str] = {}
    for f in sheet.fields:
        for name in (f.header, *f.variants):
            assert seen.setdefault(key(name), f.name) == f.name, (sheet.name, name)


@pytest.mark.parametrize("sheet", TABLE_SHEETS, ids=lambda s: s.name)
def test_pandera_schema_is_the_contract(sheet):
    schema = sheet_schema(sheet)
    assert list(schema.columns) == [f.name for f in sheet.stored_fields]
    for f in sheet.stored_fields:
        column = schema.columns[f.name]
        # every kind, as pandera spells the contract's dtype ('str' is string[python])
        assert column.dtype == pandas_engine.Engine.dtype(PANDAS_DTYPES[f.kind]), f.name
        assert column.nullable is (not f.required)
        assert column.unique is f.unique
        assert len(column.checks) == len(field_checks(f))


def test_every_rule_a_schema_can_raise_is_in_the_catalogue():
    codes = {code for s in TABLE_SHEETS for f in s.stored_fields for code, _ in field_checks(f)}
    assert codes | {"VALUE_REQUIRED", "ID_DUPLICATE", "VALUE_UNREADABLE"} <= set(RULES_BY_CODE)


def test_rules_have_both_messages_and_a_known_severity():
    for rule in RULES:
        assert rule.severity in ("error", "warning") and rule.message_vi and rule.message_en
        assert any(where in rule.message_vi and where in rule.message_en
                   for where in ("{cell}", "{sheet}", "{file_name}")), rule.code


def test_declared_totals_name_real_indicators_and_sectors():
    codes = {i.code for i in INDICATORS}
    for f in TOTALS.fields:
        indicator, sector = f.reconciles
        assert indicator in codes and sector in {"ALL", *SECTORS.codes}, f.name


def test_generated_artefacts_are_up_to_date():
    for path, make in codegen.ARTEFACTS.items():
        assert path.read_text(encoding="utf-8") == make(), \
            f"{path.name} is stale: run python -m warehouse.codegen"


@pytest.fixture(scope="module")
def built():
    """A real (empty) warehouse with every model materialized."""
    from contracts.reference import TARGETS_CSV, load_reporting_units
    from transforms.targets import read_targets

    con = duckdb.connect()
    store.ensure_schema(con)
    store.load_reference(con, load_reporting_units(), read_targets(TARGETS_CSV))
    store.materialize(con, "test")
    return con


def test_warehouse_columns_of_contract_tables_are_the_contracts(built):
    for table, sheet in codegen.CONTRACT_TABLES.items():
        schema, name = table.split(".")
        types = dict(built.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? AND "
            "table_name = ?", [schema, name]).fetchall())
        for f in sheet.stored_fields:
            assert types[f.name] == WAREHOUSE_TYPES[f.kind], (table, f.name)


def test_every_table_and_column_is_documented_and_commented(built):
    live = built.execute(
        "SELECT schema_name || '.' || table_name, column_name, comment FROM duckdb_columns() "
        "WHERE schema_name IN ('ref', 'ops', 'raw', 'core', 'quality', 'mart')").fetchall()
    documented = {(t.name, c) for t in TABLES for c, _, _ in t.columns}
    assert {(t, c) for t, c, _ in live} == documented
    assert all(comment for _, _, comment in live)
    tables = built.execute(
        "SELECT schema_name || '.' || table_name, comment FROM duckdb_tables() "
        "WHERE schema_name IN ('ref', 'ops', 'raw', 'core', 'quality', 'mart') "
        "UNION ALL SELECT schema_name || '.' || view_name, comment FROM duckdb_views() "
        "WHERE schema_name IN ('ref', 'ops', 'raw', 'core', 'quality', 'mart')").fetchall()
    assert {t for t, _ in tables} == {t.name for t in TABLES}
    assert all(comment for _, comment in tables)
