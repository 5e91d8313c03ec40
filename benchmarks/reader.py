"""Reader throughput: the project's reader (read and parse each return, then validate them
all together, in one process) against a bare python-calamine read of every cell of the
same files, measured in the same run.

    python benchmarks/reader.py               # demo province (12 returns) and 700 returns
    python benchmarks/reader.py --smoke       # the province only, one repetition
    python benchmarks/reader.py --write docs/reader-benchmark.md

Prints, per scale: files, roster rows, median seconds of each reader, rows per second, and
the ratio reader / bare calamine (how many times slower than the floor).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import python_calamine
from importlib.metadata import version

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contracts.reference import load_reporting_units  # noqa: E402
from demo.province import write_demo_returns  # noqa: E402
from transforms.periods import period_from_code  # noqa: E402
from transforms.returns import check_returns, read_return  # noqa: E402
from transforms.reporting_units import reporting_units  # noqa: E402

PERIOD = period_from_code("2023")


def make_files(folder: Path, count: int) -> list[Path]:
    """`count` returns (or the next multiple of 12): the demo province over several seeds."""
    files: list[Path] = []
    seed = 1
    while len(files) < count:
        files += write_demo_returns(folder / f"seed{seed}", PERIOD, seed)
        seed += 1
    return files


def bare_calamine(files: list[Path]) -> int:
    """The floor: every cell of every sheet, read once, nothing else."""
    cells = 0
    for path in files:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            cells += sum(len(row) for row in book.get_sheet_by_name(name).to_python())
    return cells


def project_reader(files: list[Path]) -> int:
    units = reporting_units(load_reporting_units())
    reads = check_returns([read_return(path, units) for path in files], frozenset())
    return sum(len(read.columns.get("DS_HTX", {}).get("_row", ())) for read in reads)


def median_seconds(fn, files: list[Path], repeat: int) -> tuple[float, int]:
    times, result = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(files)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def measure(label: str, files: list[Path], repeat: int) -> dict:
    floor, _ = median_seconds(bare_calamine, files, repeat)
    reader, rows = median_seconds(project_reader, files, repeat)
    return {"scale": label, "files": len(files), "rows": rows, "calamine_s": floor,
            "reader_s": reader, "calamine_rows_s": rows / floor, "reader_rows_s": rows / reader,
            "ratio": reader / floor}


STAGES = {  # function name in transforms/ -> what it does
    "read_book": "calamine read and container checks",
    "unicode_grids": "legacy-encoding pass",
    "assign_sheets": "finding sheets",
    "locate_header": "finding headers",
    "typed_columns": "parsing cells",
    "schema_failures_many": "pandera validation",
    "row_rule_failures_many": "row rules",
}


def stage_shares(files: list[Path]) -> str:
    """Where the reader's time goes, by stage (cProfile cumulative time)."""
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.enable()
    project_reader(files)
    profile.disable()
    stats = pstats.Stats(profile)
    cumulative = {name: ct for (_, _, name), (_, _, _, ct, _) in stats.stats.items()
                  if name in STAGES}
    lines = ["| stage | share of the reader's time |", "| --- | ---: |"]
    lines += [f"| {STAGES[n]} | {100 * cumulative.get(n, 0) / stats.total_tt:.0f}% |"
              for n in STAGES]
    return "\n".join(lines)


def table(results: list[dict]) -> str:
    lines = ["| scale | files | roster rows | bare calamine (s) | reader (s) | calamine rows/s "
             "| reader rows/s | reader / calamine |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    lines += [f"| {r['scale']} | {r['files']} | {r['rows']} | {r['calamine_s']:.3f} | "
              f"{r['reader_s']:.3f} | {r['calamine_rows_s']:,.0f} | {r['reader_rows_s']:,.0f} | "
              f"{r['ratio']:.1f}× |" for r in results]
    return "\n".join(lines)


def machine() -> str:
    import os

    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, python-calamine {version('python-calamine')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="province only, one repetition")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--returns", type=int, default=700)
    parser.add_argument("--write", type=Path, help="also write the table to this markdown file")
    args = parser.parse_args(argv)
    repeat = 1 if args.smoke else args.repeat
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        province = make_files(folder / "province", 12)
        results = [measure("province", province, repeat)]
        shares = stage_shares(province)
        if not args.smoke:
            results.append(measure(f"{args.returns} returns",
                                   make_files(folder / "national", args.returns), repeat))
    text = (f"Machine: {machine()}; median of {repeat} run(s).\n\n{table(results)}\n\n"
            f"Where the reader's time goes (province, profiled):\n\n{shares}\n")
    print(text)
    if args.write:
        args.write.write_text("# Reader benchmark\n\n`python benchmarks/reader.py --write "
                              f"{args.write}`\n\n{text}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
