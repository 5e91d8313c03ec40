"""Feedback workbooks: write_feedback (the district's package edited as zip + XML) against an
openpyxl round trip (load_workbook + save) of the same files, measured in the same run.

    python benchmarks/feedback.py                 # 48 returns (the demo province, 4 seeds)
    python benchmarks/feedback.py --returns 120 --repeat 5
    python benchmarks/feedback.py --smoke         # 12 returns, one repetition

The returns are written by the project's own generator (demo.province) and each
one's failures are those the reader finds in it (read_return + check_return), as in a
run. The round trip is what the feedback cost before: openpyxl loading the district's file
and saving it, with nothing marked. Prints the median milliseconds per workbook of each and
how many times faster write_feedback is.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.reader import make_files  # noqa: E402
from contracts.reference import load_reporting_units  # noqa: E402
from transforms.failures import failures_frame  # noqa: E402
from transforms.returns import read_return, check_return  # noqa: E402
from transforms.reporting_units import reporting_units  # noqa: E402
from outputs.feedback import write_feedback  # noqa: E402


def failures_of(files: list[Path]) -> list:
    """Each file's failures, as quality.validation_failures rows."""
    units = reporting_units(load_reporting_units())
    return [failures_frame(check_return(read_return(path, units), frozenset()).failures,
                           hashlib.sha256(path.read_bytes()).hexdigest()) for path in files]


def openpyxl_round_trip(files: list[Path], failures: list, out: Path) -> None:
    """The floor of the former approach: load and save each workbook, nothing marked."""
    for path in files:
        wb = load_workbook(io.BytesIO(path.read_bytes()), keep_vba=False, keep_links=False,
                           rich_text=True)
        wb.save(io.BytesIO())


def feedback(files: list[Path], failures: list, out: Path) -> None:
    for path, frame in zip(files, failures):
        write_feedback(path, frame, out, district_name="Huyện Mai Sơn", period="2023",
                       file_name=path.name)


def median_ms_per_workbook(fn, files: list[Path], failures: list, out: Path,
                           repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(files, failures, out)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times) / len(files)


def machine() -> str:
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, openpyxl {version('openpyxl')}, lxml {version('lxml')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="12 returns, one repetition")
    parser.add_argument("--returns", type=int, default=48)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    count, repeat = (12, 1) if args.smoke else (args.returns, args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        files = make_files(Path(tmp) / "returns", count)
        failures = failures_of(files)
        out = Path(tmp) / "feedback"
        before = median_ms_per_workbook(openpyxl_round_trip, files, failures, out, repeat)
        after = median_ms_per_workbook(feedback, files, failures, out, repeat)
        size = statistics.median(p.stat().st_size for p in files) / 1024
    print(f"Machine: {machine()}; median of {repeat} run(s).\n\n"
          f"| returns | median size | failures | openpyxl load + save (ms/workbook) "
          f"| write_feedback (ms/workbook) | openpyxl / write_feedback |\n"
          f"| ---: | ---: | ---: | ---: | ---: | ---: |\n"
          f"| {len(files)} | {size:.0f} KB | {sum(len(f) for f in failures)} | {before:.1f} "
          f"| {after:.1f} | {before / after:.1f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
