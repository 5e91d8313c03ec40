"""Closed lists of values: those the return uses (sectors, statuses, yes/no, ratings, task
progress), and the statuses the warehouse gives each file received."""

from __future__ import annotations

from contracts.fields import Term, Vocabulary

SECTORS = Vocabulary(
    "sector",
    (
        Term("NN", "Nông nghiệp", "Agriculture", ("Nông, lâm, ngư nghiệp", "HTX nông nghiệp"),
             totals_label="HTX nông nghiệp"),
        Term("CN", "Công nghiệp - Tiểu thủ công nghiệp", "Industry and handicraft",
             ("Công nghiệp", "Tiểu thủ công nghiệp", "CN-TTCN"),
             totals_label="HTX công nghiệp - tiểu thủ công nghiệp"),
        Term("XD", "Xây dựng", "Construction", (), totals_label="HTX xây dựng"),
        Term("TM", "Thương mại - Dịch vụ", "Trade and services",
             ("Thương mại", "Dịch vụ", "TM-DV"), totals_label="HTX thương mại - dịch vụ"),
        Term("VT", "Vận tải", "Transport", (), totals_label="HTX vận tải"),
        Term("TD", "Quỹ tín dụng nhân dân", "People's credit fund", ("Tín dụng",),
             totals_label="Quỹ tín dụng nhân dân"),
        Term("TH", "Tổng hợp", "General (multi-sector)", (), totals_label="HTX tổng hợp"),
        Term("KH", "Khác", "Other", (), totals_label="HTX khác"),
    ),
    "Sector of activity of a cooperative.",
)

STATUSES = Vocabulary(
    "status",
    (
        Term("HD", "Đang hoạt động", "Operating", ("Hoạt động",), operating=True),
        Term("TL", "Thành lập mới", "Newly established in the period", ("Mới thành lập",),
             operating=True),
        Term("NG", "Tạm ngừng hoạt động", "Suspended", ("Tạm ngừng", "Ngừng hoạt động"),
             operating=False),
        Term("GT", "Giải thể", "Dissolved in the period", ("Đã giải thể",), operating=False,
             dissolved=True),
    ),
    "Operating status of a cooperative or union.",
)
OPERATING = tuple(t.code for t in STATUSES.terms if t.operating)  # HD, TL
NOT_DISSOLVED = tuple(t.code for t in STATUSES.terms if not t.dissolved)  # HD, TL, NG

YES_MARKS = ("x", "✓", "✔", "×", "v", "☑")  # ticks meaning yes
YES_NO = Vocabulary(
    "yes_no",
    (
        Term("true", "Có", "Yes", ("C", "1", "TRUE", "Yes", "Y", *YES_MARKS)),
        Term("false", "Không", "No", ("K", "0", "FALSE", "No", "N")),
    ),
    "Yes/no answer; in a column ticked with marks (x, ✓) a blank cell means no, elsewhere "
    "a blank is missing.",
    marks=YES_MARKS,
)

RATINGS = Vocabulary(
    "rating",
    (
        Term("TOT", "Tốt", "Good"),
        Term("KHA", "Khá", "Fair"),
        Term("TB", "Trung bình", "Average", ("TB",)),
        Term("YEU", "Yếu", "Weak", ("Yếu kém", "Kém")),
    ),
    "Yearly classification of a cooperative.",
)

TASK_STATUSES = Vocabulary(
    "task_status",
    (
        Term("CHUA", "Chưa thực hiện", "Not started"),
        Term("DANG", "Đang thực hiện", "In progress"),
        Term("XONG", "Hoàn thành", "Completed", ("Đã hoàn thành",)),
    ),
    "Progress of a task of the district's work programme.",
)

ALL_VOCABULARIES = (SECTORS, STATUSES, YES_NO, RATINGS, TASK_STATUSES)

# What the warehouse says of each file received (raw.submissions.status); not in the form.
SUBMISSION_STATUSES = Vocabulary(
    "submission_status",
    (
        Term("accepted", "chấp nhận", "accepted"),
        Term("rejected", "từ chối", "rejected"),
        Term("superseded", "đã thay thế", "superseded"),
        Term("unreadable", "không đọc được", "unreadable"),
        Term("held", "giữ lại, kỳ đã khoá", "held: its period is locked"),
    ),
    "What became of a file received: accepted (the district's latest clean version: its "
    "figures count), rejected (an unwaived error, or no known unit or period), superseded "
    "(a clean version replaced by a later one), unreadable (not a workbook), held (a clean "
    "version received while a steward had locked its period: it counts once the period is "
    "reopened).",
)
