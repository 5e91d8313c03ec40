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
    assert header in out.read_text(encoding="utf-8")
