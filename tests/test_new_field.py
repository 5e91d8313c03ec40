"""A new roster field and an indicator over it take edits in contracts/ only, then
`python -m warehouse.codegen`: tried on a copy of the repository, whose warehouse then
publishes the new indicator summed from the new column of a real return."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

NEW_FIELD = '''        Field("female_members", "Số thành viên nữ", "integer", "Số thành viên là nữ",
              "Female members", ("Thành viên nữ",), unit="người", min_value=0),
        Field("note", "Ghi chú",'''
NEW_INDICATOR = '''    _i("FEMALE_MEMBERS", "Số thành viên nữ", "Female members", "coops", "female_members",
       "Sum of female members, status other than GT.", statuses=NOT_DISSOLVED),
)


def indicator('''

CONSOLIDATE = '''
import sys, uuid
from pathlib import Path
import duckdb, pandas as pd
from contracts.return_form import ROSTER
from outputs.template import write_return
from flows.settings import Settings
from flows.steps import consolidate
from demo.province import roster_totals
from transforms.periods import period_from_code

root = Path(sys.argv[1])
rows = [{"coop_id": f"01000000{i:02d}", "name": f"HTX {i}", "sector": "NN", "status": status,
         "members": 10, "workers": 5, "female_members": women}
        for i, (status, women) in enumerate([("HD", 4), ("TL", 6), ("NG", None), ("GT", 9)])]
roster = pd.DataFrame(rows, columns=[f.name for f in ROSTER.stored_fields]).astype(object)
roster = roster.where(roster.notna(), None)
write_return(root / "inbox" / "125.xlsx", unit_code="125", unit_name="Huyện Mai Sơn",
             period=period_from_code("2023"), roster=roster, totals=roster_totals(roster))
consolidate(Settings(inbox=root / "inbox", warehouse=root / "w.duckdb", reports=root / "reports",
                     archive=root / "archive", settle_seconds=0), str(uuid.uuid4()))
with duckdb.connect(str(root / "w.duckdb"), read_only=True) as con:
    print(con.execute("SELECT value, rows_included, rows_left_out, unit FROM "
                      "mart.province_indicators WHERE indicator_code = 'FEMALE_MEMBERS' "
                      "AND sector = 'ALL'").fetchall())
'''


def _copy(to: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (to / name).parent.mkdir(parents=True, exist_ok=True)
            (to / name).write_bytes(source.read_bytes())
    return to


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_new_roster_field_and_its_indicator_need_edits_in_contracts_only(tmp_path):
    copy = _copy(tmp_path / "repo")
    _edit(copy / "contracts" / "return_form.py", '        Field("note", "Ghi chú",', NEW_FIELD)
    _edit(copy / "contracts" / "indicators.py", ")\n\n\ndef indicator(", NEW_INDICATOR)
    run = dict(cwd=copy, capture_output=True, text=True, timeout=600)
    generated = subprocess.run([sys.executable, "-m", "warehouse.codegen"], **run)
    assert generated.returncode == 0, generated.stderr
    assert "female_members" in (copy / "warehouse/sql/schema/40_measures.sql").read_text()
    (tmp_path / "inbox").mkdir()
    published = subprocess.run([sys.executable, "-c", CONSOLIDATE, str(tmp_path)], **run)
    assert published.returncode == 0, published.stderr
    # HD 4 + TL 6; NG's missing value left out; the dissolved cooperative not counted
    assert published.stdout.strip().splitlines()[-1] == "[(10.0, 2, 1, 'người')]"
