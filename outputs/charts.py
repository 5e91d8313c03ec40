"""The one horizontal bar chart's geometry, shared by the run report (outputs/report_html.py)
and the portal's indicators page: bars, gridlines, an optional reference line, labels
shortened to their column. Pure data; outputs/templates/chart.svg.j2 draws it as inline
SVG (autoescaped: labels and texts are data)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from transforms.text import vi_number


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: its label, its value (None: no bar, the text says why), the text
    written after it and a CSS tone (met, short or the default colour)."""

    label: str
    value: float | None
    text: str
    tone: str = ""


@dataclass(frozen=True)
class Line:
    """A vertical line from y1 to y2 at x, and its text at (text_x, text_y)."""

    x: float
    y1: float
    y2: float
    text: str
    text_x: float
    text_y: float


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Row:
    """A bar as drawn: its label (shortened to its column, the full text as its title),
    its rectangle (None when there is no value) and the text after it."""

    label: str
    short_label: str
    label_x: float
    tone: str
    rect: Rect | None
    text: str
    text_x: float
    text_y: float


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    ticks: list[Line]
    rows: list[Row]
    reference: Line | None


ROW, TOP, BOTTOM, RIGHT = 24, 30, 24, 110
CHAR, LABEL_MAX = 7, 380  # px per character of a 12px label; widest label column
LABEL_SHARE = 0.4  # and at most this share of the chart's width


def bar_chart(bars: list[Bar], *, title: str, width: int = 760, floor: float = 0,
              reference: tuple[float, str] | None = None) -> Chart | None:
    """A horizontal bar chart's geometry (None without bars): labels on the left, a
    gridline scale, an optional dashed reference line (e.g. 100 %). chart.svg.j2 draws it."""
    if not bars:
        return None
    widest = 16 + CHAR * max(len(b.label) for b in bars)
    left = min(LABEL_MAX, int(width * LABEL_SHARE), widest)
    top_value = max([floor] + [b.value for b in bars if b.value is not None])
    step = _nice_step(top_value or 1)
    scale = Scale(left, width - RIGHT, math.ceil((top_value or 1) / step) * step)
    height = TOP + ROW * len(bars) + BOTTOM
    ref = None if reference is None else _reference(scale, height, *reference)
    return Chart(title, width, height, _grid(scale, step, height),
                 [_row(i, b, scale) for i, b in enumerate(bars)], ref)


@dataclass(frozen=True)
class Scale:
    left: float
    right: float
    top: float

    def x(self, value: float) -> float:
        return round(self.left + (self.right - self.left) * max(value, 0) / self.top, 1)


def _nice_step(top: float) -> float:
    """A round gridline step giving about five lines up to `top`."""
    raw = top / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def _grid(scale: Scale, step: float, height: int) -> list[Line]:
    ticks = [i * step for i in range(int(round(scale.top / step)) + 1)]
    return [Line(scale.x(t), TOP - 6, height - BOTTOM + 2, vi_number(t, 1), scale.x(t),
                 height - 6) for t in ticks]


def _row(index: int, bar: Bar, scale: Scale) -> Row:
    y = TOP + index * ROW
    short = _clip(bar.label, scale.left)
    if bar.value is None:
        return Row(bar.label, short, scale.left - 8, bar.tone, None, bar.text,
                   scale.left + 6, y + 16)
    end = scale.x(bar.value)
    rect = Rect(scale.left, y + 4, round(end - scale.left, 1), ROW - 8)
    return Row(bar.label, short, scale.left - 8, bar.tone, rect, bar.text, end + 6, y + 16)


def _clip(label: str, width: float) -> str:
    """The label shortened with '…' to fit the label column (the full text is its title)."""
    room = int((width - 16) / CHAR)
    return label if len(label) <= room else label[:room - 1].rstrip() + "…"


def _reference(scale: Scale, height: int, value: float, text: str) -> Line:
    x = scale.x(value)
    return Line(x, TOP - 8, height - BOTTOM + 2, text, x + 4, TOP - 12)


# --- a district chart: one bar per expected district ----------------------------------

NO_VALUE = "không có số liệu"


def district_bars(units: list[dict], values: dict[str, float | None], missing: str = NO_VALUE,
                  tones: dict[str, str] | None = None) -> list[Bar]:
    """A bar per expected district (`units`: rows with district_code and district_name),
    valued from `values` by code; a district without a value has no bar and says so."""
    tones = tones or {}
    return [Bar(_label(u), None, missing) if values.get(u["district_code"]) is None
            else Bar(_label(u), values[u["district_code"]],
                     vi_number(values[u["district_code"]], 1), tones.get(u["district_code"], ""))
            for u in units]


def _label(unit: dict) -> str:
    """A district's name; its code when the reference list no longer names it (a unit
    merged away since its returns were received)."""
    return unit.get("district_name") or str(unit["district_code"])
