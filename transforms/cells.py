"""Cell-level parsing: small pure functions from what a cell holds to a typed value.

Each parser returns None for an empty cell and raises `Unreadable` for a value it cannot
read with certainty (an ambiguous value is unreadable too: it is never guessed).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from contracts.fields import Vocabulary
from transforms.text import is_blank, key

EXCEL_EPOCH = dt.date(1899, 12, 30)
# Serial numbers Excel dates can plausibly take here: 1 Jan 1900 .. 31 Dec 2199.
SERIAL_RANGE = (1, 109_574)


class Unreadable(ValueError):
    """A cell's value cannot be read as the field's type; `expected` names the type."""

    def __init__(self, value: object, expected_vi: str, expected_en: str):
        super().__init__(f"{value!r} is not {expected_en}")
        self.value, self.expected_vi, self.expected_en = value, expected_vi, expected_en


_NUMBER = ("số", "a number")
_INTEGER = ("số nguyên", "a whole number")
_DATE = ("ngày (dd/mm/yyyy)", "a date (dd/mm/yyyy)")
_YES_NO = ("Có/Không", "yes/no")
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f']+")


def parse_number(value: object) -> float | None:
    """Vietnamese-formatted number: '1.234.567', '1.234,5', '1,5', '-' (= 0).

    A lone comma or dot followed by exactly three digits ('1,234') could be a thousands
    separator or a decimal mark: it is ambiguous, hence unreadable, for commas; a dot
    followed by three digits is the Vietnamese thousands separator.
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise Unreadable(value, *_NUMBER)
    if isinstance(value, (int, float)):
        return float(value)
    s = _SPACES.sub("", str(value))
    negative = s.startswith("(") and s.endswith(")")
    s = s.strip("()")
    if s in ("-", "–", "—"):
        return 0.0
    number = _vietnamese_number(s)
    if number is None:
        raise Unreadable(value, *_NUMBER)
    return -number if negative else number


def _vietnamese_number(s: str) -> float | None:
    sign = -1.0 if s[:1] in "-–" else 1.0
    s = s.lstrip("+-–")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", s):  # 1.234.567 / 1.234,5
        return sign * float(s.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d{1,3}(,\d{3}){2,}(\.\d+)?", s):  # 1,234,567(.5): English, unambiguous
        return sign * float(s.replace(",", ""))
    if re.fullmatch(r"\d+,\d{3}", s):  # 1,234: thousands or decimals? ambiguous
        return None
    if re.fullmatch(r"\d+(,\d+)?", s):  # 1,5
        return sign * float(s.replace(",", "."))
    if re.fullmatch(r"\d*\.\d+|\d+\.?", s):  # 1.5 (not three digits after the dot)
        return sign * float(s)
    return None


def parse_amount(value: object, units: dict[str, float]) -> float | None:
    """A number, possibly followed by a unit word ('2.000 triệu', '1,5 tỷ đồng'), in the
    field's unit: `units` maps each unit as written to its factor."""
    try:
        return parse_number(value)
    except Unreadable:
        if not isinstance(value, str):
            raise
    found = re.fullmatch(r"\s*([-+(]?[\d.,\s\u00a0]*\d\)?)\s*([^\d].*?)\s*", value)
    factors = {key(unit): factor for unit, factor in units.items()}
    if not found or key(found.group(2)) not in factors:
        raise Unreadable(value, *_NUMBER)
    number = parse_number(found.group(1))
    return None if number is None else number * factors[key(found.group(2))]


def parse_integer(value: object) -> int | None:
    number = parse_number(value)
    if number is None:
        return None
    if number != int(number):
        raise Unreadable(value, *_INTEGER)
    return int(number)


def parse_date(value: object) -> dt.date | None:
    """A real date, an Excel serial number, 'dd/mm/yyyy' or 'ngày 15 tháng 01 năm 2025'."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if SERIAL_RANGE[0] <= value <= SERIAL_RANGE[1] and value == int(value):
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise Unreadable(value, *_DATE)
    return _date_from_text(str(value), value)


def _date_from_text(text: str, original: object) -> dt.date:
    s = key(text)
    patterns = (
        (r"(?:ngay )?(\d{1,2}) (?:thang )?(\d{1,2}) (?:nam )?(\d{4})", (1, 2, 3)),
        (r"(\d{4}) (\d{1,2}) (\d{1,2})(?: 00 00 00)?", (3, 2, 1)),
    )
    for pattern, (d, m, y) in patterns:
        if found := re.fullmatch(pattern, s):
            try:
                return dt.date(int(found.group(y)), int(found.group(m)), int(found.group(d)))
            except ValueError:
                break
    raise Unreadable(original, *_DATE)


def parse_bool(value: object, vocabulary: Vocabulary) -> bool | None:
    """Yes/no as Có/Không, C/K, x/blank, 1/0, TRUE/FALSE (codes 'true'/'false')."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    code = parse_choice(value, vocabulary, _YES_NO)
    return code == "true"


def parse_choice(value: object, vocabulary: Vocabulary,
                 expected: tuple[str, str] | None = None) -> str | None:
    """The code of the term written as its code, its Vietnamese name or a variant."""
    if is_blank(value):
        return None
    code = _spellings(vocabulary).get(key(value))
    if code is not None:
        return code
    names = ", ".join(t.name_vi for t in vocabulary.terms)
    raise Unreadable(value, *(expected or (f"một trong: {names}", f"one of: {names}")))


_SPELLINGS: dict[str, dict[str, str]] = {}


def _spellings(vocabulary: Vocabulary) -> dict[str, str]:
    """Every way a vocabulary's terms may be written (as matching keys) -> the code."""
    if vocabulary.name not in _SPELLINGS:
        _SPELLINGS[vocabulary.name] = {key(s): t.code for t in vocabulary.terms
                                       for s in (t.code, t.name_vi, *t.variants)}
    return _SPELLINGS[vocabulary.name]


def parse_text(value: object) -> str | None:
    """Text, NFC-normalized and trimmed; a whole number typed in a text cell loses '.0'."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value == int(value):
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        value = value.strftime("%d/%m/%Y")
    return unicodedata.normalize("NFC", str(value)).strip()
