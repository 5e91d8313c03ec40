"""The building blocks of the return's declaration: vocabularies, fields and sheets.

Everything the project derives from the return form (header matching, pandera schemas,
the blank template, warehouse columns, the data dictionary) reads these objects; nothing
restates a header, a type or an allowed value elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["text", "id", "integer", "number", "date", "bool", "choice"]
Layout = Literal["table", "labels"]

# DuckDB column type of each field kind.
WAREHOUSE_TYPES: dict[str, str] = {
    "text": "VARCHAR",
    "id": "VARCHAR",
    "choice": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "date": "DATE",
    "bool": "BOOLEAN",
}

# pandas dtype each field kind is parsed into (pandas 3: nullable extension dtypes).
PANDAS_DTYPES: dict[str, str] = {
    "text": "str",
    "id": "str",
    "choice": "str",
    "integer": "Int64",
    "number": "Float64",
    "date": "datetime64[us]",
    "bool": "boolean",
}

# Excel number format the template gives each kind.
EXCEL_FORMATS: dict[str, str] = {
    "text": "@",
    "id": "@",
    "choice": "@",
    "integer": "#,##0",
    "number": "#,##0.0",
    "date": "dd/mm/yyyy",
    "bool": "@",
}


@dataclass(frozen=True)
class Term:
    """One allowed value: its stored code, its Vietnamese name and other spellings."""

    code: str
    name_vi: str
    name_en: str
    variants: tuple[str, ...] = ()
    # Extra attributes a vocabulary may need (e.g. the Tong_hop label of a sector).
    totals_label: str | None = None
    operating: bool | None = None
    dissolved: bool = False  # statuses: no longer counted among the cooperatives


@dataclass(frozen=True)
class Vocabulary:
    """A closed list of values, written in the template by Vietnamese name."""

    name: str
    terms: tuple[Term, ...]
    description_en: str = ""
    # Marks a column may tick its yes-answers with (x, ✓): in a column of marks only, a
    # blank cell means no. Elsewhere a blank is missing.
    marks: tuple[str, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.terms)

    def term(self, code: str) -> Term:
        return next(t for t in self.terms if t.code == code)


@dataclass(frozen=True)
class Field:
    """One column of a table sheet, or one labelled line of a label sheet."""

    name: str
    header: str
    kind: Kind
    description_vi: str
    description_en: str
    variants: tuple[str, ...] = ()
    unit: str | None = None
    required: bool = False
    unique: bool = False
    min_value: float | None = None
    vocabulary: Vocabulary | None = None
    pattern: str | None = None
    stored: bool = True  # False: read but not kept (the row number "STT")
    width: int = 14  # template column width, in characters
    # Tong_hop lines: which indicator (code, sector) of the roster this figure declares.
    reconciles: tuple[str, str] | None = None

    @property
    def warehouse_type(self) -> str:
        return WAREHOUSE_TYPES[self.kind]

    @property
    def dtype(self) -> str:
        return PANDAS_DTYPES[self.kind]

    @property
    def header_with_unit(self) -> str:
        return f"{self.header} ({self.unit})" if self.unit else self.header


@dataclass(frozen=True)
class Sheet:
    """One sheet of the return workbook."""

    name: str
    title_vi: str
    title_en: str
    layout: Layout
    fields: tuple[Field, ...]
    required: bool = False
    variants: tuple[str, ...] = ()
    # Table sheets whose rows are kept in the warehouse name their table here.
    raw_table: str | None = None
    core_table: str | None = None
    key: str | None = None  # the field identifying a row within a return
    extra: dict = field(default_factory=dict, hash=False, compare=False)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def stored_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.stored)
