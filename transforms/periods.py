"""Reporting periods: codes (2023, 2023S1, 2023Q4), their words on the cover, bounds and
deadlines."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from transforms.text import fold

ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}

# Default deadlines: annual returns by 15 January of the next year (when cooperatives'
# own annual reports are due); other periods 20 days after they end.
ANNUAL_DEADLINE = (1, 15)
DAYS_AFTER_PERIOD = 20


@dataclass(frozen=True)
class Period:
    code: str
    kind: str  # "year" | "half" | "quarter"
    year: int
    part: int  # 0 for a year, 1–2 for a half, 1–4 for a quarter

    @property
    def start(self) -> dt.date:
        month = {"year": 1, "half": 1 + 6 * (self.part - 1), "quarter": 1 + 3 * (self.part - 1)}
        return dt.date(self.year, month[self.kind], 1)

    @property
    def end(self) -> dt.date:
        months = {"year": 12, "half": 6, "quarter": 3}[self.kind]
        last_month = self.start.month + months - 1
        first_of_next = dt.date(self.year + last_month // 12, last_month % 12 + 1, 1)
        return first_of_next - dt.timedelta(days=1)

    def deadline(self, days_after: int = DAYS_AFTER_PERIOD,
                 annual: tuple[int, int] = ANNUAL_DEADLINE) -> dt.date:
        """When returns for the period are due (both rules configurable in settings)."""
        if self.kind == "year":
            return dt.date(self.year + 1, *annual)
        return self.end + dt.timedelta(days=days_after)

    @property
    def label_vi(self) -> str:
        if self.kind == "year":
            return f"Năm {self.year}"
        if self.kind == "half":
            return f"6 tháng {'đầu' if self.part == 1 else 'cuối'} năm {self.year}"
        return f"Quý {['I', 'II', 'III', 'IV'][self.part - 1]}/{self.year}"


def period_from_code(code: str) -> Period:
    m = re.fullmatch(r"(\d{4})(?:([SQ])([1-4]))?", code.strip().upper())
    if not m or (m.group(2) == "S" and m.group(3) not in ("1", "2")):
        raise ValueError(f"not a period code: {code!r}")
    year, letter, part = int(m.group(1)), m.group(2), int(m.group(3) or 0)
    return Period(code.strip().upper(), {None: "year", "S": "half", "Q": "quarter"}[letter],
                  year, part)


def parse_period(text: object) -> Period:
    """Read a period as the cover writes it; raise ValueError when it cannot be read.

    >>> parse_period("Quý II/2023").code
    '2023Q2'
    """
    s = fold(text)
    try:
        return period_from_code(s)
    except ValueError:
        pass
    year = re.search(r"(19|20)\d{2}", s)
    if not year:
        raise ValueError(f"no year in period {text!r}")
    y = year.group(0)
    if m := re.search(r"quy\s*(iv|iii|ii|i|[1-4])\b", s):
        part = ROMAN.get(m.group(1)) or int(m.group(1))
        return period_from_code(f"{y}Q{part}")
    if re.search(r"6 thang dau|sau thang dau", s):
        return period_from_code(f"{y}S1")
    if re.search(r"6 thang cuoi|sau thang cuoi", s):
        return period_from_code(f"{y}S2")
    if re.fullmatch(rf"(nam\s*)?{y}", s):
        return period_from_code(y)
    raise ValueError(f"unreadable period {text!r}")
