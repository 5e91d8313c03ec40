"""Units of measure as a return writes them, matched against the table of contracts/units.py,
and the exact factor that turns a value written in one into its field's contract unit."""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

from contracts.fields import Field
from contracts.units import UNITS, Unit, unit
from transforms.text import key

# "Đơn vị: …", "Đơn vị tính: …", "ĐVT: …" before a unit
UNIT_LABEL = re.compile(r"^\s*\(?\s*(đơn vị( tính)?|đvt)\s*:?", re.I)
_DECLARES = re.compile(r"^\s*\(?\s*(đơn vị tính|đvt)\s*:?", re.I)  # surely a unit, not a body


def unit_key(text: object) -> str:
    """A unit's matching key: `key` with '%' kept as a word ('%' has no letters)."""
    return key(str(text).replace("%", " phần trăm "))


def bare_unit(text: str) -> str:
    """The unit written, without 'Đơn vị tính:' and parentheses: '(Đơn vị: tỷ đồng)' -> 'tỷ
    đồng'."""
    return UNIT_LABEL.sub("", text).strip().strip("()").strip()


@lru_cache(maxsize=1)
def _by_key() -> dict[str, Unit]:
    return {unit_key(w): u for u in UNITS for w in u.written}


def find_unit(text: object) -> Unit | None:
    """The unit `text` names (case, diacritics, spacing and punctuation ignored), else None."""
    if not isinstance(text, str):
        return None
    return _by_key().get(unit_key(bare_unit(text)))


def declares_unit(text: object) -> bool:
    """True for a line that says outright it gives a unit: 'Đơn vị tính: …', 'ĐVT: …'."""
    return isinstance(text, str) and bool(_DECLARES.match(text))


def conversion(f: Field, written: str | None) -> Fraction | None:
    """The exact factor turning a value of field `f` written in `written` into the field's
    unit: 1 when nothing is written or the field has no unit (a date's '(dd/mm/yyyy)');
    None for a unit not in the table or of another dimension than the field's."""
    if written is None or f.unit is None:
        return Fraction(1)
    found = find_unit(written)
    target = unit(f.unit)
    if found is None or found.dimension != target.dimension:
        return None
    return found.factor / target.factor
