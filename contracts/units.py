"""Units a return may declare in a header or a units row, and their factor to the
contract's unit. Keys are written as people write them; matching normalizes them."""

from __future__ import annotations

# contract unit -> {unit as written: factor to multiply by to get the contract unit}
CONVERSIONS: dict[str, dict[str, float]] = {
    "triệu đồng": {
        "triệu đồng": 1.0,
        "tr.đ": 1.0,
        "trđ": 1.0,
        "triệu": 1.0,
        "tỷ đồng": 1000.0,
        "tỷ": 1000.0,
        "nghìn đồng": 0.001,
        "ngàn đồng": 0.001,
        "1000 đồng": 0.001,
        "đồng": 0.000001,
        "vnđ": 0.000001,
    },
}
