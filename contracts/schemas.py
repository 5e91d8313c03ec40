"""pandera schemas derived from the return's declaration.

Each stored field of a table sheet becomes a pandera Column: its dtype from the field's
kind, `nullable` from `required`, `unique` from `unique`, and one Check per declared
constraint. `CHECK_RULES` tells, for each column, which rule code each Check number
stands for, so pandera's failure cases map back to the rule catalogue.
"""

from __future__ import annotations

import pandera.pandas as pa

from contracts.fields import Field, Sheet


def field_checks(f: Field) -> list[tuple[str, pa.Check]]:
    """The (rule code, pandera Check) pairs a field's declaration asks for."""
    checks: list[tuple[str, pa.Check]] = []
    if f.min_value is not None:
        checks.append(("VALUE_NEGATIVE", pa.Check.ge(f.min_value)))
    if f.vocabulary is not None and f.kind == "choice":
        checks.append(("VALUE_NOT_ALLOWED", pa.Check.isin(list(f.vocabulary.codes))))
    if f.pattern is not None:
        checks.append(("ID_FORMAT", pa.Check.str_matches(f.pattern)))
    return checks


def column(f: Field, unique: bool = True) -> pa.Column:
    return pa.Column(
        f.dtype,
        [check for _, check in field_checks(f)],
        nullable=not f.required,
        unique=f.unique and unique,
        coerce=False,
        required=True,
    )


_SCHEMAS: dict[tuple[str, bool], pa.DataFrameSchema] = {}


def sheet_schema(sheet: Sheet, unique: bool = True) -> pa.DataFrameSchema:
    """The pandera schema of a table sheet's parsed rows (stored fields only). With
    `unique=False` the fields unique within a return are not checked (rows of several
    returns validated together check them per return)."""
    if (sheet.name, unique) not in _SCHEMAS:
        _SCHEMAS[(sheet.name, unique)] = _schema(sheet, unique)
    return _SCHEMAS[(sheet.name, unique)]


def _schema(sheet: Sheet, unique: bool) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {f.name: column(f, unique) for f in sheet.stored_fields},
        name=sheet.name,
        strict=False,
    )


def check_rule(f: Field, check_number: int | None, check: str) -> str:
    """The rule code of one pandera failure case on field `f`."""
    if check == "not_nullable":
        return "VALUE_REQUIRED"
    if check == "field_uniqueness":
        return "ID_DUPLICATE"
    if check_number is None:
        return "VALUE_UNREADABLE"  # a dtype failure: parsing let a wrong type through
    return field_checks(f)[int(check_number)][0]
