"""The documentation's queries run against the demo warehouse and return rows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

QUERIES = re.findall(r"```sql\n(.*?)```",
                     (Path(__file__).resolve().parent.parent / "docs" / "queries.md")
                     .read_text(encoding="utf-8"), flags=re.S)


def test_the_query_page_has_the_queries_analysts_need():
    assert len(QUERIES) >= 5


@pytest.mark.parametrize("sql", QUERIES, ids=lambda q: q.split("\n")[0][:40])
def test_each_example_query_runs_on_the_demo_warehouse(demo, sql):
    assert not demo.consolidation.query(sql).empty
