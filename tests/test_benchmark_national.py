"""The national benchmark still runs: its smoke version (the province, one repetition) exits
0 and prints the whole table. No timing is asserted: the script measures speed, tests don't."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ("scale", "measurement", "files", "runs", "discover", "read", "validate", "load",
           "materialize", "publish", "report", "total (s)", "peak MB")


def test_national_benchmark_smoke(tmp_path):
    out = tmp_path / "benchmarks.md"
    notes = "<!-- Notes below are written by hand; --write keeps them. -->\n\nFound: x.\n"
    out.write_text("# an earlier report\n\n| old | table |\n\n" + notes, encoding="utf-8")
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "national.py"), "--smoke",
                             "--cache", str(tmp_path / "cache"), "--write", str(out)],
                            check=False, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    header = next(line for line in result.stdout.splitlines() if line.startswith("| scale |"))
    assert [c.strip() for c in header.strip("|").split("|")] == list(COLUMNS)
    for row in ("| province | floor: bare python-calamine | 12 |", "| province | usual approach |",
                "| province | this project, first run | 12 |", "Prefect's fixed start-up",
                "| project / floor |", "| usual approach / project |"):
        assert row in result.stdout
    written = out.read_text(encoding="utf-8")
    assert header in written and "| old | table |" not in written
    assert written.endswith(notes)  # what was written by hand is kept


def test_a_derived_return_reads_as_its_new_unit_and_period(tmp_path):
    """The national inboxes are copies of generated returns renamed by rewriting their XML:
    a copy must read as the new unit's return for the new period, with the faults of its
    original and nothing else (no unknown unit), whatever form the writer's XML takes."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import inboxes

    from contracts.reference import load_reporting_units
    from demo.province import write_demo_returns
    from transforms.periods import period_from_code
    from transforms.returns import check_returns, read_return
    from transforms.reporting_units import reporting_units

    (original,) = [p for p in write_demo_returns(tmp_path / "base", inboxes.BASE, 1)
                   if p.name.startswith("116_")]
    units_csv = tmp_path / "units.csv"
    inboxes.write_units_csv(units_csv, [(original, "042", "Huyện Số 042")])
    period = period_from_code("2020S2")
    copy = inboxes.derive(original, tmp_path / "042_2020S2.xlsx", "042", "Huyện Số 042", period)
    units = reporting_units(load_reporting_units(units_csv))
    before, after = check_returns([read_return(original, reporting_units(
        load_reporting_units())), read_return(copy, units)], frozenset())
    assert (after.unit_code, after.period) == ("042", period)
    assert sorted(f.rule for f in after.failures) == sorted(f.rule for f in before.failures)
    assert len(after.columns["DS_HTX"]["_row"]) == len(before.columns["DS_HTX"]["_row"])
