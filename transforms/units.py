"""Which reporting unit a return comes from: the cover's name and code against the
reference list (names with or without their kind, 'Huyện Mai Sơn' = 'Mai Sơn')."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from contracts.reference import UNIT_TYPE_WORDS
from transforms.text import key

_TYPE_KEYS = sorted({key(w) for w in UNIT_TYPE_WORDS}, key=len, reverse=True)


def bare_name(name: object) -> str:
    """A unit's name without the word for its kind: 'Thị xã Mộc Châu' -> 'moc chau'."""
    k = key(name)
    for word in _TYPE_KEYS:
        if k.startswith(word + " "):
            return k[len(word) + 1:]
    return k


def units_valid_on(units: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """The units valid on `day` (valid_from <= day <= valid_to, open-ended when empty)."""
    valid_to = units["valid_to"].map(
        lambda d: dt.date.max if pd.isna(d) else (d.date() if isinstance(d, dt.datetime) else d))
    return units[(units["valid_from"] <= day) & (valid_to >= day)]


def resolve_unit(name: object, units: pd.DataFrame) -> str | None:
    """The code of the unit called `name` (by name or alias, kind optional), else None.
    Full names are tried before bare ones, so two units sharing a bare name (a city and a
    province both called 'Sơn La') resolve by their full names."""
    for normalize in (key, bare_name):
        wanted = normalize(name)
        for row in units.itertuples(index=False):
            names = [row.name, *filter(None, str(row.aliases).split(";"))]
            if wanted in {normalize(n) for n in names}:
                return str(row.code)
    return None


def reporting_units(units: pd.DataFrame) -> pd.DataFrame:
    """The units that report: every unit with a parent (the top unit receives returns)."""
    return units[units["parent_code"].notna()]
