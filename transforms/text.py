"""Text: normalized to match headers, labels, sheet names and names of things, and numbers
written the Vietnamese way (messages, reports, the terminal)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"[\s_\u00a0\u2007\u202f]+")
_PARENS = re.compile(r"\([^)]*\)")


def strip_marks(text: str) -> str:
    """Vietnamese without its diacritics, case kept: 'Đợt Một' -> 'Dot Mot'."""
    s = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return "".join(ch for ch in s if unicodedata.category(ch) != "Mn")


@lru_cache(maxsize=1 << 16)
def _fold(text: str) -> str:
    return _SPACES.sub(" ", strip_marks(text).lower()).strip()


def fold(text: object) -> str:
    """Lower-case, NFC, without diacritics (đ → d), spaces/underscores/line breaks collapsed.

    >>> fold("  Tên\\nHợp_tác  xã ")
    'ten hop tac xa'
    """
    return _fold(str(text))


def key(text: object) -> str:
    """A matching key: `fold` without punctuation, so 'Xã, phường' == 'xa phuong'."""
    return _key(str(text))


@lru_cache(maxsize=1 << 16)
def _key(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", _fold(text)).split())


def split_unit(header: object) -> tuple[str, str | None]:
    """Split 'Doanh thu (tỷ đồng)' into ('Doanh thu', 'tỷ đồng'); no parentheses → None."""
    text = str(header)
    units = re.findall(r"\(([^)]*)\)", text)
    return _PARENS.sub(" ", text).strip(), (units[-1].strip() if units else None)


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or (
        isinstance(value, float) and value != value
    )


def vi_number(value: float, digits: int = 2) -> str:
    """A number the Vietnamese way: '.' between thousands, ',' before decimals, no
    trailing zeros (1234567.5 -> '1.234.567,5')."""
    text = f"{value:,.{digits}f}"
    if digits:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")
