"""Each row rule of contracts/rules.py at its boundary, as plain functions on a few rows: the
rule says "more than", "after", "below", "outside", and the value just on the line is not a
failure while the one just past it is (rules.md; the Law on Cooperatives' minimum of 5)."""

from __future__ import annotations

import pandas as pd
import pytest

from contracts.rules import MIN_MEMBERS, RowContext, rule

START, END = pd.Timestamp("2023-01-01"), pd.Timestamp("2023-12-31")
CONTEXT = RowContext(START, END)
DAY = pd.Timedelta(days=1)

# rule -> rows (field values), and whether each fails
CASES = {
    "TRAINED_ABOVE_MANAGERS": [
        ({"managers": 3, "managers_trained": 3}, False),  # as many: fine
        ({"managers": 3, "managers_trained": 4}, True),
        ({"managers": 3, "managers_trained": 0}, False),
    ],
    "PROFIT_ABOVE_REVENUE": [
        ({"revenue": 150.0, "profit": 150.0}, False),  # all of it profit: odd, not above
        ({"revenue": 150.0, "profit": 150.5}, True),
        ({"revenue": 150.0, "profit": -20.0}, False),
    ],
    "FOUNDED_AFTER_PERIOD": [
        ({"founded_on": END}, False),  # on the period's last day
        ({"founded_on": END + DAY}, True),
        ({"founded_on": START - DAY}, False),
    ],
    "NEW_FOUNDED_OUTSIDE_PERIOD": [
        ({"status": "TL", "founded_on": START}, False),  # the period's first day is inside
        ({"status": "TL", "founded_on": END}, False),
        ({"status": "TL", "founded_on": START - DAY}, True),
        ({"status": "TL", "founded_on": END + DAY}, True),
        ({"status": "HD", "founded_on": START - DAY}, False),  # only new cooperatives
    ],
    "MEMBERS_BELOW_MINIMUM": [
        ({"status": "HD", "members": MIN_MEMBERS}, False),
        ({"status": "HD", "members": 4}, True),
        ({"status": "TL", "members": 4}, True),
        ({"status": "NG", "members": 4}, False),  # suspended: not operating
        ({"status": "GT", "members": 4}, False),  # dissolved
    ],
}


def test_the_minimum_is_five_members_as_the_law_says():
    assert MIN_MEMBERS == 5


@pytest.mark.parametrize("code", sorted(CASES))
def test_a_row_rule_fails_just_past_its_line_and_not_on_it(code):
    rows = pd.DataFrame([values for values, _ in CASES[code]])
    for name in ("managers", "managers_trained", "members"):
        if name in rows:
            rows[name] = rows[name].astype("Int64")
    failing = rule(code).fails(rows, CONTEXT)
    assert list(failing.astype(bool)) == [fails for _, fails in CASES[code]]
