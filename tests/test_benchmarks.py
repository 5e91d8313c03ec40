"""The benchmark scripts still run (province scale, one repetition). No timing is asserted:
speed is measured by the scripts themselves, not by tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_reader_benchmark_smoke(tmp_path):
    out = tmp_path / "reader.md"
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "reader.py"), "--smoke",
                             "--write", str(out)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "| province | 12 |" in result.stdout and "reader / calamine" in out.read_text()


def test_feedback_benchmark_smoke():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "feedback.py"), "--smoke"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "| 12 |" in result.stdout and "write_feedback (ms/workbook)" in result.stdout
