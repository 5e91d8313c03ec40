"""Which reporting unit a return comes from: the cover's name and code against the
reference list (names with or without their kind, 'Huyện Mai Sơn' = 'Mai Sơn')."""

from __future__ import annotations

import datetime as dt
import weakref

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
    return _remembered(units, ("valid_on", day), lambda: _valid_on(units, day))


def _valid_on(units: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    valid_to = units["valid_to"].map(
        lambda d: dt.date.max if pd.isna(d) else (d.date() if isinstance(d, dt.datetime) else d))
    return units[(units["valid_from"] <= day) & (valid_to >= day)]


def resolve_unit(name: object, units: pd.DataFrame) -> str | None:
    """The code of the unit called `name` (by name or alias, kind optional), else None.
    Full names are tried before bare ones, so two units sharing a bare name (a city and a
    province both called 'Sơn La') resolve by their full names."""
    for normalize in (key, bare_name):
        index = _remembered(units, ("names", normalize), lambda: _names(units, normalize))
        code = index.get(normalize(name))
        if code is not None:
            return code
    return None


def _names(units: pd.DataFrame, normalize) -> dict[str, str]:
    """Every unit's names and aliases, normalized -> code (the first unit listed wins)."""
    index: dict[str, str] = {}
    for row in units.itertuples(index=False):
        for n in (row.name, *filter(None, str(row.aliases).split(";"))):
            index.setdefault(normalize(n), str(row.code))
    return index


# What was derived from a units frame, kept while that frame lives: every return of a run
# resolves its unit against the same frame, which would otherwise be scanned per return.
_DERIVED: dict[int, tuple[weakref.ref, dict]] = {}


def _remembered(units: pd.DataFrame, what: tuple, make):
    ref, derived = _DERIVED.get(id(units), (None, None))
    if ref is None or ref() is not units:
        derived = {}
        _DERIVED[id(units)] = (weakref.ref(units), derived)
        weakref.finalize(units, _DERIVED.pop, id(units), None)
    if what not in derived:
        derived[what] = make()
    return derived[what]


def reporting_units(units: pd.DataFrame) -> pd.DataFrame:
    """The units that report: every unit with a parent (the top unit receives returns)."""
    return units[units["parent_code"].notna()]
