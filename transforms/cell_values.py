"""Cell-level parsing: small pure functions from what a cell holds to a typed value.

Each parser returns None for an empty cell and raises `Unreadable` for a value it cannot
read with certainty (an ambiguous value is unreadable too: it is never guessed). Where a
value can be read two ways ('3,843': three thousand or three point eight), the column's
own evidence decides (`Reading`, made by `column_reading` from the column's other cells).
Numbers are read exactly (as fractions of their decimal digits), so a unit conversion
gives 3843 for 3,843 tỷ, never 3842.9999….
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction

from contracts.fields import Vocabulary
from transforms.text import is_blank, key

EXCEL_EPOCH = dt.date(1899, 12, 30)
# Serial numbers Excel dates can plausibly take here: 1 Jan 1900 .. 31 Dec 2199.
SERIAL_RANGE = (1, 109_574)


class Unreadable(ValueError):
    """A cell's value cannot be read as the field's type; `expected` names the type and
    `why` (may be empty) says what made it uncertain."""

    def __init__(self, value: object, expected_vi: str, expected_en: str,
                 why_vi: str = "", why_en: str = ""):
        super().__init__(f"{value!r} is not {expected_en}{why_en}")
        self.value, self.expected_vi, self.expected_en = value, expected_vi, expected_en
        self.why_vi, self.why_en = why_vi, why_en


_NUMBER = ("số", "a number")
_INTEGER = ("số nguyên", "a whole number")
_DATE = ("ngày (dd/mm/yyyy)", "a date (dd/mm/yyyy)")
_YES_NO = ("Có/Không", "yes/no")
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f']+")

# --- which mark is the decimal one ------------------------------------------------------------
# A number typed as text shows its convention when it can be read one way only: '0,624',
# '2,5', '1.234,5', '1.234.567' (comma decimal, dot between thousands: Vietnamese);
# '1,234,567', '1,234.5', '2.5' (the other way round). '3,843' and '1.234' can be read
# both ways: the column decides.
COMMA, DOT = ",", "."
_ONE_WAY: dict[str, tuple[re.Pattern, ...]] = {
    COMMA: tuple(re.compile(p) for p in (
        r"\d{1,3}(\.\d{3})+,\d+", r"\d{1,3}(\.\d{3}){2,}", r"\d*,\d{1,2}", r"\d*,\d{4,}",
        r"0,\d+", r"\d{4,},\d+")),
    DOT: tuple(re.compile(p) for p in (
        r"\d{1,3}(,\d{3})+\.\d+", r"\d{1,3}(,\d{3}){2,}", r"\d*\.\d{1,2}", r"\d*\.\d{4,}",
        r"0\.\d+", r"\d{4,}\.\d+")),
}
_EITHER_WAY = re.compile(r"[1-9]\d{0,2}([,.])\d{3}")
_WHOLE = re.compile(r"\d+\.?")


@dataclass(frozen=True)
class Reading:
    """How one column's uncertain cells are read, from the column's own evidence.

    decimal: the column's decimal mark ("," or "."), when its cells show one and only one.
    decided_by: the cell that showed it ('DS_HTX!K7 (0,624)'); with a conflict, one cell
    each way. blank: what an empty cell means (False in a yes/no column of x-marks)."""

    decimal: str | None = None
    decided_by: tuple[str, ...] = ()
    conflict: bool = False
    blank: object = None


PLAIN = Reading()


def _numeral(value: object) -> tuple[str, bool] | None:
    """A text cell's digits and separators without spaces, and whether it is negative
    ('(45,5)', '-45,5'); None for '-' (accounting zero)."""
    s = _SPACES.sub("", str(value))
    negative = s.startswith("(") and s.endswith(")")
    s = s.strip("()")
    if s in ("-", "–", "—"):
        return None
    if s[:1] in "-–":
        negative, s = not negative, s[1:]
    return s.lstrip("+"), negative


def decimal_mark(value: object) -> str | None:
    """The decimal mark a text number shows by itself ("," or "."), if it can be read only
    one way; None for a number read the same either way or not a number at all."""
    if not isinstance(value, str):
        return None
    found = _numeral(value)
    if found is None:
        return None
    s = found[0]
    for mark, forms in _ONE_WAY.items():
        if any(form.fullmatch(s) for form in forms):
            return mark
    return None


def column_reading(values: Iterable[object], where: Callable[[int], str] | None = None,
                   marks: Vocabulary | None = None) -> Reading:
    """What a column's cells say about how to read its uncertain ones: the decimal mark
    its unambiguous text numbers agree on (the first such cell decides), and, for a yes/no
    column whose non-blank cells are all marks (x, ✓, …), that a blank means no."""
    values = list(values)
    if marks is not None:
        return Reading(blank=False if marks_only(values, marks) else None)
    first: dict[str, str] = {}
    for i, v in enumerate(values):
        if type(v) is not str or ("," not in v and "." not in v):
            continue  # numbers, and text without a separator, show no mark
        mark = decimal_mark(v)
        if mark is not None and mark not in first:
            first[mark] = f"{where(i) if where else i} ({v.strip()})"
    blank = None
    if len(first) == 2:
        return Reading(None, (first[COMMA], first[DOT]), True, blank)
    mark = next(iter(first), None)
    return Reading(mark, tuple(first.values()), False, blank)


def parse_exact(value: object, reading: Reading = PLAIN) -> Fraction | None:
    """A number as the exact fraction its digits write: '1.234.567', '1.234,5', '1,5',
    '-' (= 0), or a numeric cell (its shortest decimal form: 3.843, not the binary float).

    '3,843' is read by the column's decimal mark and unreadable without one; '1.234' is
    a thousands group (the Vietnamese way) unless the column writes decimals with a dot.
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise Unreadable(value, *_NUMBER)
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise Unreadable(value, *_NUMBER)
        return Fraction(repr(value))
    found = _numeral(value)
    if found is None:
        return Fraction(0)
    s, negative = found
    number = _digits(s, value, reading)
    return -number if negative else number


def _digits(s: str, original: object, reading: Reading) -> Fraction:
    mark = decimal_mark(s)
    if mark is None and (either := _EITHER_WAY.fullmatch(s)):
        separator = either.group(1)
        mark = _either_way(separator, original, reading)
        if mark is None:  # it groups thousands
            return Fraction(s.replace(separator, ""))
    if mark is not None:
        group = DOT if mark == COMMA else COMMA
        return Fraction(s.replace(group, "").replace(mark, "."))
    if _WHOLE.fullmatch(s):
        return Fraction(s.rstrip("."))
    raise Unreadable(original, *_NUMBER)


def _either_way(separator: str, original: object, reading: Reading) -> str | None:
    """The decimal mark of '3,843' or '1.234' (None: the separator groups thousands)."""
    if reading.conflict:
        raise Unreadable(original, *_NUMBER, *_conflict(reading))
    if reading.decimal is not None:
        return separator if reading.decimal == separator else None
    if separator == DOT:
        return None  # '1.234': the Vietnamese thousands separator, as the form writes
    raise Unreadable(original, *_NUMBER,
                     ": dấu phẩy ở đây có thể là dấu thập phân hoặc dấu phân cách hàng nghìn, "
                     "và không ô nào khác trong cột cho biết cách viết; hãy nhập ô dưới dạng số",
                     ": the comma may be a decimal mark or a thousands separator and no other "
                     "cell of the column tells which")


def _conflict(reading: Reading) -> tuple[str, str]:
    comma, dot = reading.decided_by
    return (f": trong cột này ô {comma} viết dấu phẩy là dấu thập phân, còn ô {dot} viết dấu "
            "phẩy phân cách hàng nghìn; hãy ghi cả cột theo một cách",
            f": in this column {comma} writes the comma as the decimal mark but {dot} as the "
            "thousands separator")


def parse_number(value: object, reading: Reading = PLAIN) -> float | None:
    """parse_exact as a float (the nearest to the exact value)."""
    number = parse_exact(value, reading)
    return None if number is None else float(number)


_AMOUNT = re.compile(r"\s*([-+(–]?[\d.,\s\u00a0]*\d\)?)\s*((?:[^\W\d_]|%).*?)\s*")


def parse_quantity(value: object, reading: Reading = PLAIN) -> tuple[Fraction | None, str | None]:
    """A number, possibly followed by its unit ('2.000 triệu', '1,5 tỷ đồng', '25 người'):
    (the exact number, the unit as written or None)."""
    try:
        return parse_exact(value, reading), None
    except Unreadable:
        found = _AMOUNT.fullmatch(value) if isinstance(value, str) else None
        if not found:
            raise
    return parse_exact(found.group(1), reading), found.group(2)


def whole(number: Fraction | None, value: object) -> int | None:
    """An exact number that must be whole (a count of people, cooperatives, products)."""
    if number is None:
        return None
    if number.denominator != 1:
        raise Unreadable(value, *_INTEGER)
    return int(number)


def parse_integer(value: object, reading: Reading = PLAIN) -> int | None:
    return whole(parse_exact(value, reading), value)


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


def parse_bool(value: object, vocabulary: Vocabulary, reading: Reading = PLAIN) -> bool | None:
    """Yes/no as Có/Không, C/K, x/blank, 1/0, TRUE/FALSE (codes 'true'/'false'). A blank
    is missing, except in a column of marks (`reading.blank`: no)."""
    if is_blank(value):
        return reading.blank
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    code = parse_choice(value, vocabulary, _YES_NO)
    return code == "true"


def marks_only(values: Iterable[object], vocabulary: Vocabulary) -> bool:
    """True when a column's non-blank cells are all marks of the vocabulary (x, ✓, …),
    and there is at least one."""
    marks = {_term_key(m) for m in vocabulary.marks}
    written = [v for v in values if not is_blank(v)]
    return bool(written) and all(isinstance(v, str) and _term_key(v) in marks for v in written)


def parse_choice(value: object, vocabulary: Vocabulary,
                 expected: tuple[str, str] | None = None) -> str | None:
    """The code of the term written as its code, its Vietnamese name or a variant."""
    if is_blank(value):
        return None
    code = _spellings(vocabulary).get(_term_key(value))
    if code is not None:
        return code
    names = ", ".join(t.name_vi for t in vocabulary.terms)
    raise Unreadable(value, *(expected or (f"một trong: {names}", f"one of: {names}")))


def _term_key(text: object) -> str:
    """A term's matching key; a spelling made only of symbols ('✓', '×') is kept as it is,
    so no other symbol ('-', '?') can match it."""
    return key(text) or unicodedata.normalize("NFC", str(text)).strip()


_SPELLINGS: dict[str, dict[str, str]] = {}


def _spellings(vocabulary: Vocabulary) -> dict[str, str]:
    """Every way a vocabulary's terms may be written (as matching keys) -> the code."""
    if vocabulary.name not in _SPELLINGS:
        _SPELLINGS[vocabulary.name] = {_term_key(s): t.code for t in vocabulary.terms
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
