"""National-scale benchmark: the whole consolidation, stage by stage, against the floor and
against the usual hand-written approach, measured in the same run on the same files; then
ten half-years of national history and one night on top of it.

    python benchmarks/national.py                 # everything (see the time it took below)
    python benchmarks/national.py --smoke         # the province only, one repetition
    python benchmarks/national.py --write docs/benchmarks.md --cache /tmp/htx-bench

Scales (benchmarks/inboxes.py): province = the demo province (12 returns); national = 708
reporting units of their own (the demo province over 59 seeds, renamed), 76
cooperatives per return on average, one half-year; history = the national scale over 2019S1 … 2023S2, one
run per period into one warehouse; night = 12 new returns (2024S1) on top of that history.

Measurements: the floor reads every cell of every sheet once with python-calamine, nothing
else; the usual approach is pandas.read_excel (default engine, openpyxl) of the roster,
columns renamed to the contract's fields and typed, one lazy pandera validation per file,
each file appended to DuckDB; this project is flows.steps.consolidate as plain functions,
each stage timed through its `stage` argument (discover = read_reference,
prepare_warehouse, find_returns; publish = publish_warehouse, clear_inbox; report =
gathering the feedback, waiting for its workbooks and putting them in place, and the run
summary: the workbooks are written alongside materialize and publish, and that overlapping
time is in no column);
Prefect's fixed start-up is the flow on an empty inbox in a fresh process
minus the plain functions on an empty inbox, imports included (after one warm-up run that
creates Prefect's database). Each measurement runs in a fresh child process; its peak
memory is the largest memory of the child (resident) and its own children (their private
memory) sampled every 0.5 s, or the child's ru_maxrss if larger. Times are medians of
`--repeat` runs; a large-scale measurement stops repeating once its runs have taken
LARGE_BUDGET seconds (the `runs` column says how many were made).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import inboxes  # noqa: E402
from flows.cli import PREFECT_DEFAULTS  # noqa: E402

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
LARGE_BUDGET = 60  # seconds of repetitions allowed to one large-scale measurement
STAGES = {  # flows/steps.py function -> stage of the table
    "read_reference": "discover", "prepare_warehouse": "discover", "find_returns": "discover",
    "read_returns": "read", "validate_returns": "validate", "load_returns": "load",
    "apply_decisions": "load",
    "materialize_indicators": "materialize", "publish_warehouse": "publish",
    "clear_inbox": "publish", "mark_decisions_applied": "publish",
    "gather_feedback": "report", "write_feedback_workbooks": "report",
    "publish_feedback": "report", "write_run_summary": "report",
    "write_owed_outputs": "report", "record_outputs_written": "publish",
}
STAGE_COLUMNS = list(dict.fromkeys(STAGES.values()))
ALONGSIDE = "alongside"  # stages run in a thread while others run (feedback workbooks)
COLUMNS = ["scale", "measurement", "files", "runs", *STAGE_COLUMNS, "total (s)", "peak MB"]
# what `htx run` sets for Prefect's embedded mode (its start-up time-out included)
PREFECT_ENV = {**PREFECT_DEFAULTS, "HTX_SETTLE_SECONDS": "0"}


# --- what the child processes measure ----------------------------------------------------------

def floor(files: list[str]) -> dict:
    """The floor: every cell of every sheet, read once with python-calamine, nothing else."""
    import python_calamine

    start, cells = time.perf_counter(), 0
    for path in files:
        book = python_calamine.CalamineWorkbook.from_path(path)
        for name in book.sheet_names:
            cells += sum(len(row) for row in book.get_sheet_by_name(name).to_python())
    return {"total": time.perf_counter() - start, "cells": cells}


def usual(files: list[str]) -> dict:
    """What a capable analyst writes by hand: pandas.read_excel (default engine) of the
    roster, columns renamed to the contract's fields, names mapped to codes and the
    contract's dtypes, one lazy pandera validation per file, each file appended to DuckDB."""
    import warnings

    import duckdb
    import pandas as pd
    import pandera.errors

    from contracts.return_form import ROSTER
    from contracts.schemas import sheet_schema

    warnings.simplefilter("ignore")  # pandas 3 announces a future change of default engine
    fields = ROSTER.stored_fields
    names = {f.header_with_unit: f.name for f in fields}
    ids = {f.header_with_unit: str for f in fields if f.kind == "id"}  # keep leading zeros
    codes = {f.name: {t.name_vi: t.code == "true" if f.kind == "bool" else t.code
                      for t in f.vocabulary.terms} for f in fields if f.vocabulary}
    dtypes = {f.name: f.dtype for f in fields}
    start, flagged = time.perf_counter(), 0
    con = duckdb.connect("usual.duckdb")
    for path in files:
        df = pd.read_excel(path, sheet_name=ROSTER.name, header=2, skiprows=[3], dtype=ids)
        df = df.rename(columns=names)[list(dtypes)]
        df = df.assign(**{n: df[n].map(c) for n, c in codes.items()}).astype(dtypes)
        try:
            sheet_schema(ROSTER).validate(df, lazy=True)
        except pandera.errors.SchemaErrors:
            flagged += 1
        df = df.assign(file_name=Path(path).name)
        con.execute("CREATE TABLE IF NOT EXISTS coop_rows AS SELECT * FROM df LIMIT 0")
        con.execute("INSERT INTO coop_rows BY NAME SELECT * FROM df")
    rows = con.execute("SELECT count(*) FROM coop_rows").fetchone()[0]
    con.close()
    return {"total": time.perf_counter() - start, "rows": rows, "flagged": flagged,
            "files": len(files)}


def project(sources: list[str], units: str | None = None, warehouse: str | None = None,
            archive: str | None = None) -> dict:
    """This project as plain functions: one `consolidate` per source folder (each copied to
    a fresh inbox first, untimed), every stage timed through its `stage` argument."""
    import uuid
    from functools import wraps

    from flows.settings import Settings
    from flows.steps import consolidate

    work = Path.cwd()
    settings = Settings(inbox=work / "inbox", warehouse=Path(warehouse or work / "wh.duckdb"),
                        reports=work / "reports", archive=Path(archive or work / "archive"),
                        reporting_units=Path(units) if units else None, settle_seconds=0)
    stages, totals, statuses, rules, grew = Counter(), [], Counter(), Counter(), Counter()

    def timed(fn):
        @wraps(fn)
        def run(*args, **kwargs):
            start, before = time.perf_counter(), maxrss_mb()
            try:
                return fn(*args, **kwargs)
            finally:
                stage = STAGES.get(fn.__name__, fn.__name__)
                if threading.current_thread() is not threading.main_thread():
                    stage = ALONGSIDE  # overlaps other stages: kept out of the columns
                stages[stage] += time.perf_counter() - start
                grew[stage] += maxrss_mb() - before  # how far it raised the high-water mark
        return run

    for source in sources:
        inboxes.copy_inbox(Path(source), settings.inbox)
        start = time.perf_counter()
        summary = consolidate(settings, str(uuid.uuid4()), stage=timed)
        totals.append(time.perf_counter() - start)
        statuses.update(f["status"] for f in summary["files"])
        rules.update(f["rule_code"] for f in summary["failures"])
    return {"total": sum(totals), "stages": stages, "per_run": totals,
            "statuses": statuses, "rules": rules, "memory_raised_by": grew}


def maxrss_mb() -> float:
    """This process's peak resident memory so far."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def empty_run(prefect: bool) -> dict:
    """One run on an empty inbox in a fresh process, imports included: with Prefect (the
    flow), or as plain functions."""
    start = time.perf_counter()
    work = Path.cwd()
    paths = {"inbox": work / "inbox", "warehouse": work / "wh.duckdb",
             "reports": work / "reports", "archive": work / "archive"}
    if prefect:
        from flows.nightly import nightly_consolidation

        nightly_consolidation(**paths)
    else:
        from flows.settings import Settings
        from flows.steps import consolidate

        consolidate(Settings(**paths, settle_seconds=0), "empty")
    return {"total": time.perf_counter() - start}


def profile(sources: list[str], units: str) -> dict:
    """Where the project's time goes: cProfile of one run, the project's own functions by
    cumulative time."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.runcall(project, sources, units)
    stats = pstats.Stats(prof).stats
    own = [(ct, f"{Path(file).relative_to(ROOT)}:{name}")
           for (file, _, name), (_, _, _, ct, _) in stats.items()
           if file.startswith(str(ROOT)) and not any(d in file for d in ("benchmarks", ".venv"))
           and name not in STAGES and name not in ("consolidate", "run", "<module>")]
    total = sum(ct for (file, _, name), (_, _, _, ct, _) in stats.items() if name == "consolidate")
    return {"total": total, "top": sorted(own, reverse=True)[:12]}


CHILDREN = {"floor": floor, "usual": usual, "project": project, "empty_run": empty_run,
            "profile": profile}


# --- running children and measuring their memory ----------------------------------------------

def tree_memory_mb(pid: int) -> float:
    """Memory of a process and its descendants, now: its resident size plus the private
    memory of each descendant, so pages a forked worker shares with it count once."""
    kb, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            if p == pid:  # statm is cheap; smaps_rollup walks page tables (slow on big ones)
                kb += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE_KB
            else:
                kb += sum(int(line.split()[1]) for line in Path(f"/proc/{p}/smaps_rollup")
                          .read_text().splitlines() if line.startswith("Private_"))
            for thread in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (thread / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue  # it has just ended
    return kb / 1024


def measure(kind: str, env: dict | None = None, **args) -> dict:
    """Run CHILDREN[kind](**args) in a fresh process, in a fresh work folder under TMP, with
    no HTX_ or PREFECT_ settings but `env`'s; its result, plus its peak memory."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HTX_", "PREFECT_"))}
    work = Path(tempfile.mkdtemp(dir=TMP))
    with open(work / "out", "w+") as out, open(work / "err", "w+") as err:
        proc = subprocess.Popen([sys.executable, __file__, "--child", json.dumps([kind, args])],
                                stdout=out, stderr=err, env=clean | (env or {}), cwd=work)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, tree_memory_mb(proc.pid))
            try:  # the child's own peak is exact (ru_maxrss); its workers' memory moves slowly
                proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
    if proc.returncode:
        raise RuntimeError(f"{kind} failed:\n{(work / 'err').read_text()[-3000:]}")
    result = json.loads((work / "out").read_text().strip().splitlines()[-1])
    return result | {"peak_mb": max(peak, result.pop("maxrss_kb") / 1024)}


def repeated(kind: str, repeat: int, budget: float | None = None, fresh=None, **args) -> dict:
    """Median total (and stages) of up to `repeat` runs, each given `fresh()`'s extra
    arguments if any; stops early once `budget` seconds have been spent."""
    runs = []
    while len(runs) < repeat and (budget is None or sum(r["total"] for r in runs) < budget):
        runs.append(measure(kind, **args, **(fresh() if fresh else {})))
    runs.sort(key=lambda run: run["total"])
    median = runs[len(runs) // 2] | {"total": statistics.median(r["total"] for r in runs)}
    stages = {s: statistics.median(r["stages"].get(s, 0) for r in runs)
              for s in runs[0].get("stages", {})}
    return median | {"runs": len(runs), "stages": stages,
                     "peak_mb": max(r["peak_mb"] for r in runs)}


# --- the benchmark -----------------------------------------------------------------------------

def benchmark(cache: Path, repeat: int, smoke: bool) -> tuple[list[dict], dict]:
    """Every measurement; returns the table's rows and the named results the ratios use."""
    folders = inboxes.build(cache, national=not smoke)
    units = str(folders["units"])
    province = [str(p) for p in inboxes.files_of(folders["province"])]
    r = {"province floor": repeated("floor", repeat, files=province),
         "province usual": repeated("usual", repeat, files=province),
         "province project": repeated("project", repeat, sources=[str(folders["province"])])}
    prefect_env = PREFECT_ENV | {"PREFECT_HOME": str(Path(TMP) / "prefect-home")}
    measure("empty_run", env=prefect_env, prefect=True)  # warm-up: creates Prefect's database
    r["prefect"] = repeated("empty_run", repeat, env=prefect_env, prefect=True)
    r["plain empty"] = repeated("empty_run", repeat, env=prefect_env, prefect=False)
    if not smoke:
        base = folders[inboxes.BASE.code]
        national = [str(p) for p in inboxes.files_of(base)]
        r["national floor"] = repeated("floor", repeat, files=national)
        r["national usual"] = repeated("usual", repeat, LARGE_BUDGET, files=national)
        r["national project"] = repeated("project", repeat, LARGE_BUDGET, sources=[str(base)],
                                         units=units)
        history = Path(tempfile.mkdtemp(dir=TMP))
        r["history"] = repeated("project", 1, sources=[str(folders[p.code])
                                                       for p in inboxes.HISTORY],
                                units=units, warehouse=str(history / "wh.duckdb"),
                                archive=str(history / "archive"))

        def on_history() -> dict:  # a copy of the history's warehouse for each night
            return {"warehouse": shutil.copy(history / "wh.duckdb", tempfile.mkdtemp(dir=TMP))}
        r["night"] = repeated("project", repeat, fresh=on_history, sources=[str(folders["night"])],
                              units=units, archive=str(history / "archive"))
        every_tenth = Path(tempfile.mkdtemp(dir=TMP))
        for path in inboxes.files_of(base)[::10]:
            shutil.copy2(path, every_tenth / path.name)
        r["profile"] = measure("profile", sources=[str(every_tenth)], units=units)
    counts = {k: len(inboxes.files_of(v)) for k, v in folders.items() if k != "units"}
    return rows(r, counts, smoke), r


def rows(r: dict, counts: dict[str, int], smoke: bool) -> list[dict]:
    """The table's rows, in order: (scale, measurement, result key, files)."""
    spec = [("province", "floor: bare python-calamine", "province floor", counts["province"]),
            ("province", "usual approach", "province usual", counts["province"]),
            ("province", "this project, first run", "province project", counts["province"])]
    if not smoke:
        n, national = inboxes.HISTORY, counts[inboxes.BASE.code]
        spec += [("national", "floor: bare python-calamine", "national floor", national),
                 ("national", "usual approach", "national usual", national),
                 ("national", "this project, first run", "national project", national),
                 ("history", f"this project, {len(n)} runs ({n[0].code} … {n[-1].code})",
                  "history", sum(counts[p.code] for p in n)),
                 ("history + night", f"this project, new returns ({inboxes.NIGHT.code})",
                  "night", counts["night"])]
    out = [{"scale": s, "measurement": m, "files": f, **r[k]} for s, m, k, f in spec]
    startup = r["prefect"]["total"] - r["plain empty"]["total"]
    out.append({"scale": "empty inbox", "files": 0, "runs": r["prefect"]["runs"],
                "measurement": "Prefect's fixed start-up (flow − plain run, fresh process)",
                "total": startup, "stages": {}, "peak_mb": r["prefect"]["peak_mb"]})
    return out


# --- the report --------------------------------------------------------------------------------

def seconds(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}" if x < 10 else f"{x:.1f}"


def table(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |",
             "| --- | --- | " + " | ".join("---:" for _ in COLUMNS[2:]) + " |"]
    for row in rows:
        cells = [row["scale"], row["measurement"], row["files"], row["runs"],
                 *(seconds(row["stages"].get(s)) for s in STAGE_COLUMNS),
                 seconds(row["total"]), f"{row['peak_mb']:.0f}"]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def verdicts(r: dict, smoke: bool) -> str:
    """The ratios and each target of the issue, met or not."""
    def ratio(a: str, b: str) -> float | None:
        return r[a]["total"] / r[b]["total"] if a in r and b in r else None

    lines = ["| ratio | province | national |", "| --- | ---: | ---: |"]
    for name, a, b in (("project / floor", "project", "floor"),
                       ("usual approach / project", "usual", "project")):
        values = [ratio(f"{s} {a}", f"{s} {b}") for s in ("province", "national")]
        shown = " | ".join(f"{v:.1f}×" if v else "—" for v in values)
        lines.append(f"| {name} | {shown} |")
    night = ratio("night", "province project")
    lines.append(f"| incremental night / province first run | {night:.1f}× | |" if night
                 else "| incremental night / province first run | — | |")
    targets = [
        ("end to end (no Prefect) within 2× of the floor, national", ratio(
            "national project", "national floor"), lambda v: v <= 2, "{:.1f}× the floor"),
        ("at least 5× faster than the usual approach, national", ratio(
            "national usual", "national project"), lambda v: v >= 5, "usual / project = {:.2f}×"),
        ("peak memory under 1 GB, history", r.get("history", {}).get("peak_mb"),
         lambda v: v < 1024, "{:.0f} MB"),
        ("incremental night ≤ 3× a province-scale first run", night, lambda v: v <= 3,
         "{:.1f}×")]
    lines += ["", "| target | measured | met |", "| --- | ---: | --- |"]
    for name, value, ok, fmt in targets:
        measured, met = ("—", "not measured (--smoke)") if value is None else \
            (fmt.format(value), "met" if ok(value) else "**not met**")
        lines.append(f"| {name} | {measured} | {met} |")
    return "\n".join(lines)


def findings(r: dict) -> str:
    """Where the time goes and what the runs found, so a reader can check the workload."""
    lines = []
    for key in ("national project", "history", "night"):
        if key not in r:
            continue
        stages, total = r[key]["stages"], r[key]["total"]
        top = sorted(((k, v) for k, v in stages.items() if k != ALONGSIDE),
                     key=lambda kv: -kv[1])[:3]
        shares = ", ".join(f"{s} {100 * v / total:.0f}%" for s, v in top)
        raised = sorted(r[key]["memory_raised_by"].items(), key=lambda kv: -kv[1])[:2]
        memory = ", ".join(f"{s} +{mb:.0f} MB" for s, mb in raised if mb >= 1)
        lines.append(f"- {key}: {shares} of {seconds(total)} s; peak memory raised most by "
                     f"{memory or '—'}; returns {dict(r[key]['statuses'])}; failures by rule "
                     f"{dict(r[key]['rules'])}.")
    if "national usual" in r:
        rows, files = r["national usual"]["rows"], r["national usual"]["files"]
        lines.append(f"- national: {rows} roster rows, {rows / files:.0f} cooperatives per return; "
                     f"the usual approach flags {r['national usual']['flagged']} files (pandera "
                     "checks only types, codes, ids and uniqueness).")
    if "history" in r:
        per_run = r["history"]["per_run"]
        lines.append(f"- history, one run per period: first {seconds(per_run[0])} s, last "
                     f"{seconds(per_run[-1])} s (the last loads into {len(per_run) - 1} "
                     "periods already stored).")
    if "profile" in r:
        lines += ["", (f"Profile (cProfile, every tenth national return, "
                       f"{seconds(r['profile']['total'])} s profiled), the project's functions "
                       "by cumulative time:"), "", "| function | cumulative s |", "| --- | ---: |"]
        lines += [f"| `{name}` | {seconds(ct)} |" for ct, name in r["profile"]["top"]]
    return "\n".join(lines)


def busy_cpu_seconds() -> tuple[float, float]:
    """(CPU seconds the whole machine has been busy, of which this process and its waited-for
    descendants), so far: the difference says whether anything else ran meanwhile."""
    import resource

    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle, iowait
    ours = sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))
    return busy, ours


def machine() -> str:
    memory = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    libs = ", ".join(f"{p} {version(p)}" for p in ("pandas", "pandera", "duckdb",
                                                   "python-calamine", "openpyxl", "prefect"))
    return (f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores, "
            f"{memory:.1f} GB memory; Python {platform.python_version()}; {libs}")


def report(rows: list[dict], r: dict, repeat: int, smoke: bool, elapsed: float,
           others: float) -> str:
    return "\n\n".join(filter(None, [
        f"Machine: {machine()}.",
        (f"Date: {dt.date.today().isoformat()}; whole benchmark {elapsed / 60:.1f} min; median "
         f"of up to {repeat} run(s) per measurement (large scales stop after {LARGE_BUDGET} s "
         f"of repetitions; history runs once); other processes kept the machine busy "
         f"{others:.0f} CPU-s meanwhile ({100 * others / (elapsed * os.cpu_count()):.0f}% of "
         "its capacity)."),
        table(rows), verdicts(r, smoke), findings(r)]))


NOTES = "<!-- Notes below are written by hand; --write keeps them. -->"


def hand_written(path: Path) -> str:
    """What follows NOTES in an earlier report at `path` (kept when it is rewritten)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return "\n" + text[text.index(NOTES):] if NOTES in text else ""


def main(argv: list[str] | None = None) -> int:
    global TMP
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="province only, one repetition")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", type=Path, help="keep generated inboxes here (default: temp)")
    parser.add_argument("--write", type=Path, help="also write the report to this markdown file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        import resource

        kind, kwargs = json.loads(args.child)
        result = CHILDREN[kind](**kwargs)
        print(json.dumps(result | {"maxrss_kb": resource.getrusage(
            resource.RUSAGE_SELF).ru_maxrss}, default=str))
        return 0
    repeat = 1 if args.smoke else args.repeat
    start, (busy, ours) = time.perf_counter(), busy_cpu_seconds()
    with tempfile.TemporaryDirectory(prefix="htx-bench-") as tmp:
        TMP = tmp
        table_rows, results = benchmark(args.cache or Path(tmp) / "cache", repeat, args.smoke)
    busy_after, ours_after = busy_cpu_seconds()
    others = max(0.0, (busy_after - busy) - (ours_after - ours))
    text = report(table_rows, results, repeat, args.smoke, time.perf_counter() - start, others)
    print(text)
    if args.write:
        command = " ".join(["python benchmarks/national.py", *(argv or sys.argv[1:])])
        about = __doc__.split("\n\n", 2)[2]
        args.write.write_text(f"# Benchmarks at national scale\n\n`{command}`\n\n{about}\n"
                              f"{text}\n{hand_written(args.write)}", encoding="utf-8")
    return 0


TMP = tempfile.gettempdir()

if __name__ == "__main__":
    sys.exit(main())
