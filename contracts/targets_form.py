"""The targets workbook the province's planning office fills in: one row per period, unit
and indicator. Declared like the return form, read by the same reader."""

from __future__ import annotations

from contracts.fields import Field, Sheet

TARGETS = Sheet(
    "Chi_tieu",
    "Chỉ tiêu kế hoạch phát triển kinh tế tập thể",
    "Targets for the collective-economy indicators",
    "table",
    (
        Field("period", "Kỳ kế hoạch", "text", "Kỳ kế hoạch (2025, 2025S1, 2025Q1)",
              "Period (2025, 2025S1, 2025Q1)", ("Kỳ", "Năm"), required=True, width=12),
        Field("unit_code", "Mã đơn vị", "text", "Mã tỉnh hoặc mã đơn vị báo cáo",
              "Province or reporting unit code", ("Mã ĐVHC",), required=True, width=12),
        Field("indicator_code", "Mã chỉ tiêu", "text", "Mã chỉ tiêu (xem ref.indicators)",
              "Indicator code (see ref.indicators)", ("Mã",), required=True, width=26),
        Field("indicator_name", "Tên chỉ tiêu", "text", "Tên chỉ tiêu (để tham khảo)",
              "Indicator name (for reference)", ("Chỉ tiêu",), width=60),
        Field("indicator_unit", "Đơn vị tính", "text", "Đơn vị tính của chỉ tiêu",
              "Unit of the indicator", ("ĐVT",), width=22),
        Field("target", "Giá trị kế hoạch", "number", "Giá trị kế hoạch; để trống nếu không giao",
              "Target value; leave empty when there is none", ("Kế hoạch", "Mục tiêu"),
              width=16),
        Field("source", "Căn cứ", "text", "Văn bản giao chỉ tiêu", "Document setting the target",
              ("Nguồn", "Văn bản"), width=40),
    ),
    required=True,
    variants=("Chỉ tiêu", "Kế hoạch"),
)
