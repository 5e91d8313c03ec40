"""Benchmarks as users run them: `htx run` end to end in a fresh process, Prefect included,
embedded and against a running Prefect server, beside the same consolidation as plain
functions, the floor and the usual hand-written approach, measured in the same run on the
same files, at province, national and country scales, over a national history, and for an
incremental and an empty night.

    python benchmarks/national.py --write docs/benchmarks.md --cache /tmp/htx-bench-cache
    python benchmarks/national.py --smoke          # province and empty inbox, one run each
    python benchmarks/national.py --profile ...    # and a cProfile of a national `htx run`
    python benchmarks/national.py --full ...       # and what the default leaves out (below)

Scales (benchmarks/inboxes.py): province = the demo province (12 returns, 2023); national =
708 reporting units of their own (the demo province over 59 seeds, renamed), 76
cooperatives per return on average, one half-year (2023S1); country = 3,321 communes (the
units since the reform of 1 July 2025, each a renamed copy of a national return with ids
of its own), one half-year (2025S2); history = the national scale over 10 half-years
(2019S1 … 2023S2) in one warehouse; night = 12 new returns (2024S1) on top of that
history; empty night = an empty inbox on top of it.

Measurements:
- `htx run`: the console script in a fresh process (interpreter start, imports, Prefect,
  the whole flow), timed from its start to its exit, on a copy of the inbox in a fresh
  work folder (HTX_INBOX, HTX_WAREHOUSE, HTX_REPORTS, HTX_ARCHIVE, HTX_REPORTING_UNITS,
  HTX_SETTLE_SECONDS=0), with no other HTX_ or PREFECT_ setting but PREFECT_HOME (one
  fresh folder for the whole benchmark) and, in server mode, PREFECT_API_URL. Embedded:
  no PREFECT_API_URL, so every run starts Prefect's temporary server itself; one warm-up
  run on an empty inbox first creates Prefect's database. Server: `prefect server start`
  on loopback, started once for the benchmark with a Prefect home of its own, healthy
  before the first run (its start-up is not in any figure), one warm-up run first,
  stopped at the end. Every scale in both modes, but the country in server mode only:
  country's targets are about `htx run`'s memory and cost per file, which the national
  runs already compare across modes, and an embedded run's tree holds Prefect's temporary
  server as well (its size is the difference of the two modes' empty runs); --full adds
  the country in embedded mode.
- `htx run` − empty: the same, less `htx run` on an empty inbox and a fresh warehouse in
  the same mode (the fixed cost of any night); per file, that difference over the files.
- plain functions: flows.steps.consolidate called in a fresh process (imports not
  timed), each stage timed through its `stage` argument; stages are grouped into columns
  by name (STAGES, then by words in the name; a name neither knows is timed under
  `other`, and the report lists those names). Not at country scale (--full adds it): the
  national run shows where their time goes, and the country's targets are `htx run`'s.
- floor: every cell of every sheet read once with python-calamine, nothing else (at
  province and national scale; --full adds the country).
- usual approach: pandas.read_excel (default engine, openpyxl) of the roster, columns
  renamed to the contract's fields and typed, one lazy pandera validation per file, each
  file appended to DuckDB. At national scale on USUAL_SAMPLE files spread evenly over the
  708 (every seed's returns among them), its time scaled by 708 / USUAL_SAMPLE: its cost
  is the same for every file (the report says so on its row; --full reads all 708); not
  at country scale.
- the history is a setup step, not a measurement: the warehouse the national plain run
  has just built (2023S1, by the same code) with the 9 other periods added by one
  consolidation of their 6,372 returns (plain functions, the per-chunk steps, reading and
  feedback workbooks, spread over worker processes through `consolidate`'s `spread`, as
  `htx run` spreads them over its task runner). It is built while the Prefect server
  starts and the warm-up runs run (no measurement runs meanwhile), and anew every time:
  the nights measure the code under test on a warehouse that code built.
- peak memory: the largest memory of the measured process (resident) and its descendants
  (their private memory: the embedded Prefect server, task runner workers) sampled every
  0.5 s, or the process's own ru_maxrss if larger. The Prefect server of server mode is
  not a descendant of the run: its own memory is given once, at the end.
- times: medians of up to `--repeat` runs of a measurement, repeated while one more run,
  as long as its slowest so far, still fits in SMALL_BUDGET seconds of wall time
  (process start and copies included; the `runs` column says how many were made): an
  embedded run (over 20 s) runs once, the floor three times; national and country
  `htx run` and the national plain functions run once.
- profile (with --profile): cProfile of the main thread of `htx run`'s main process
  (`python -m cProfile -m flows.cli run`) at national scale in server mode, one more
  national run (about twice its time); work done in other processes (the task runner's
  workers, Prefect's server) shows there only as time spent waiting for it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import inspect
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import inboxes  # noqa: E402

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
SMALL_BUDGET = 20  # wall seconds a measurement's repetitions may take (one run at least)
USUAL_SAMPLE = 120  # national files the usual approach reads (its time scaled to all 708)
RUN_TIMEOUT = 3600  # seconds one measured process may take before the benchmark gives up
MODES = ("embedded", "server")
# flows/steps.py function -> column of the stage table; names not here are grouped by
# the words in them (WORDS), and what neither knows is timed under "other"
STAGES = {
    "read_reference": "discover", "prepare_warehouse": "discover", "find_returns": "discover",
    "write_known_unions": "discover", "write_owed_outputs": "report",
    "read_returns": "read", "validate_returns": "validate", "load_returns": "load",
    "apply_decisions": "load", "materialize_indicators": "materialize",
    "publish_warehouse": "publish", "clear_inbox": "publish", "mark_decisions_applied": "publish",
    "gather_feedback": "report", "write_feedback_workbooks": "report",
    "write_feedback_chunk": "report", "publish_feedback": "report",
    "write_run_summary": "report", "record_outputs_written": "publish",
}
WORDS = (("report", ("feedback", "summary", "report", "owed", "artifact")),
         ("publish", ("publish", "clear", "mark", "written")),
         ("materialize", ("materiali", "mart", "indicator", "build")),
         ("validate", ("validat", "check")),
         ("load", ("load", "decision", "store")),
         ("read", ("read", "pars", "chunk")),
         ("discover", ("find", "prepare", "reference", "discover", "archive", "known",
                       "staging")))
STAGE_COLUMNS = ["discover", "read", "validate", "load", "materialize", "publish", "report",
                 "other"]
ALONGSIDE = "alongside"  # stages run in another thread while others run: in no column
COLUMNS = ["scale", "measurement", "files", "runs", "total (s)", "spread (s)", "ms per file",
           "peak MB"]


def stage_of(name: str) -> str:
    """The stage table's column for a flows/steps.py function named `name`."""
    if name in STAGES:
        return STAGES[name]
    return next((column for column, words in WORDS if any(w in name for w in words)), "other")


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
    a fresh inbox first, untimed; "" is an empty inbox), every stage timed through its
    `stage` argument when `consolidate` has one."""
    import uuid

    from flows.settings import Settings
    from flows.steps import consolidate

    work = Path.cwd()
    settings = Settings(inbox=work / "inbox", warehouse=Path(warehouse or work / "wh.duckdb"),
                        reports=work / "reports", archive=Path(archive or work / "archive"),
                        reporting_units=Path(units) if units else None, settle_seconds=0)
    stages, grew, names = Counter(), Counter(), {}
    totals, statuses, rules = [], Counter(), Counter()

    def timed(fn):
        name = getattr(fn, "__name__", None) or getattr(fn, "name", None) or repr(fn)
        stage = names.setdefault(name, stage_of(name))

        def run(*args, **kwargs):
            start, before = time.perf_counter(), maxrss_mb()
            try:
                return fn(*args, **kwargs)
            finally:
                where = stage if threading.current_thread() is threading.main_thread() \
                    else ALONGSIDE  # overlaps other stages: kept out of the columns
                stages[where] += time.perf_counter() - start
                grew[where] += maxrss_mb() - before  # how far it raised the high-water mark
        run.__name__ = run.__qualname__ = name
        run.__wrapped__ = fn
        run.__dict__.update(getattr(fn, "__dict__", {}))  # e.g. `retried`
        return run

    staged = "stage" in inspect.signature(consolidate).parameters
    for source in sources:
        settings.inbox.mkdir(parents=True, exist_ok=True)
        if source:
            inboxes.copy_inbox(Path(source), settings.inbox)
        start = time.perf_counter()
        summary = consolidate(settings, str(uuid.uuid4()), **({"stage": timed} if staged else {}))
        totals.append(time.perf_counter() - start)
        summary = summary if isinstance(summary, Mapping) else {}  # a dict or RunSummary
        statuses.update(f.get("status") for f in summary.get("files", []))
        rules.update(f.get("rule_code") for f in summary.get("failures", []))
    return {"total": sum(totals), "stages": stages, "per_run": totals, "names": names,
            "statuses": statuses, "rules": rules, "memory_raised_by": grew}


def history(sources: list[str], units: str, warehouse: str, archive: str) -> dict:
    """The history the nights start from (setup, not a measurement): every return of the
    `sources` in one inbox, consolidated once on top of `warehouse`, the per-chunk steps
    on a pool of worker processes, one per core (`consolidate`'s `spread`; serial if it
    has none)."""
    import multiprocessing
    import uuid
    from concurrent.futures import ProcessPoolExecutor

    from flows.settings import Settings
    from flows.steps import consolidate

    work = Path.cwd()
    settings = Settings(inbox=work / "inbox", warehouse=Path(warehouse), reports=work / "reports",
                        archive=Path(archive), reporting_units=Path(units), settle_seconds=0)
    files = sum(len(inboxes.copy_inbox(Path(source), settings.inbox)) for source in sources)
    workers = len(os.sched_getaffinity(0))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        parameters = inspect.signature(consolidate).parameters
        spread = {"spread": lambda step, calls: [pool.submit(step, **call) for call in calls]} \
            if "spread" in parameters else {}
        if spread and "workers" in parameters:  # as many chunks as keep the pool busy
            spread["workers"] = workers
        start = time.perf_counter()
        consolidate(settings, str(uuid.uuid4()), **spread)
        took = time.perf_counter() - start
    return {"total": took, "files": files, "workers": workers if spread else 0,
            "statuses": statuses(Path(warehouse))}


def maxrss_mb() -> float:
    """This process's peak resident memory so far."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


CHILDREN = {"floor": floor, "usual": usual, "project": project, "history": history}


# --- running processes and measuring their memory ---------------------------------------------

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


def clean_environment() -> dict[str, str]:
    """This process's environment without any HTX_ or PREFECT_ setting."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("HTX_", "PREFECT_"))}


def watch(command: list[str], env: dict[str, str], cwd: Path) -> dict:
    """Run `command` in `cwd` (its output in cwd/out and cwd/err); its wall time from start
    to exit, exit status and peak memory (tree_memory_mb every 0.5 s, or its ru_maxrss)."""
    with open(cwd / "out", "w") as out, open(cwd / "err", "w") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=cwd)
    ended: dict = {}

    def reap() -> None:  # exact end time and rusage, whatever the sampling does
        _, status, usage = os.wait4(proc.pid, 0)
        ended.update(wall=time.perf_counter() - start, maxrss_mb=usage.ru_maxrss / 1024,
                     status=os.waitstatus_to_exitcode(status))
    reaper = threading.Thread(target=reap, daemon=True)
    reaper.start()
    peak = 0.0
    while reaper.is_alive():
        peak = max(peak, tree_memory_mb(proc.pid))
        reaper.join(0.5)
        if reaper.is_alive() and time.perf_counter() - start > RUN_TIMEOUT:
            proc.kill()
    proc.returncode = ended["status"]  # reaped already: Popen must not wait for it again
    if ended["status"]:
        raise RuntimeError(f"{' '.join(command[-2:])} exited {ended['status']}:\n"
                           f"{(cwd / 'err').read_text(errors='replace')[-3000:]}")
    return {"wall": ended["wall"], "peak_mb": max(peak, ended["maxrss_mb"])}


def measure(kind: str, **args) -> dict:
    """CHILDREN[kind](**args) in a fresh process in a fresh work folder, with no HTX_ or
    PREFECT_ setting: its result (its own timing), plus its peak memory."""
    work = Path(tempfile.mkdtemp(dir=TMP))
    (work / "child.json").write_text(json.dumps([kind, args]))  # 3,321 paths: not in argv
    watched = watch([sys.executable, str(Path(__file__).resolve()), "--child",
                     str(work / "child.json")], clean_environment(), work)
    result = json.loads((work / "out").read_text().strip().splitlines()[-1])
    return result | {"peak_mb": watched["peak_mb"]}


def htx_command() -> list[str]:
    """The `htx` console script beside this interpreter (else `python -m flows.cli`)."""
    script = Path(sys.executable).with_name("htx")
    return [str(script)] if script.exists() else [sys.executable, "-m", "flows.cli"]


@dataclass
class Session:
    """What every `htx run` of the benchmark shares."""
    tmp: Path
    home: Path  # PREFECT_HOME of every measured run: fresh for the benchmark
    api_url: str | None = None  # the running Prefect server's API, once started


def htx_run(s: Session, mode: str, source: Path | None = None, units: Path | None = None,
            warehouse: Path | None = None, place: Path | None = None,
            profile: Path | None = None) -> dict:
    """`htx run` in a fresh process on a copy of `source` (None: an empty inbox), in
    `place` (default a fresh folder; its warehouse a copy of `warehouse` if given), in
    `mode`; with `profile`, under cProfile writing to that file."""
    place = place or Path(tempfile.mkdtemp(dir=s.tmp))
    files = len(inboxes.copy_inbox(source, place / "inbox")) if source else 0
    (place / "inbox").mkdir(exist_ok=True)
    if warehouse:
        shutil.copy(warehouse, place / "wh.duckdb")
    env = clean_environment() | {
        "PREFECT_HOME": str(s.home), "HTX_INBOX": str(place / "inbox"),
        "HTX_WAREHOUSE": str(place / "wh.duckdb"), "HTX_REPORTS": str(place / "reports"),
        "HTX_ARCHIVE": str(place / "archive"), "HTX_SETTLE_SECONDS": "0"}
    if units:
        env["HTX_REPORTING_UNITS"] = str(units)
    if mode == "server":
        env["PREFECT_API_URL"] = s.api_url
    command = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "flows.cli",
               "run"] if profile else [*htx_command(), "run"]
    watched = watch(command, env, place)
    left = len(list((place / "inbox").glob("*.xlsx")))
    return {"total": watched["wall"], "peak_mb": watched["peak_mb"], "files": files,
            "left_in_inbox": left, "statuses": statuses(place / "wh.duckdb")}


def statuses(warehouse: Path) -> dict[str, int]:
    """Returns by status in a warehouse ({} when it cannot be asked: the check is not part
    of what is measured, and the warehouse's tables may change)."""
    try:
        import duckdb

        with duckdb.connect(str(warehouse), read_only=True) as con:
            return dict(con.execute("SELECT status, count(*) FROM raw.submissions GROUP BY 1")
                        .fetchall())
    except Exception:  # noqa: BLE001 - informative only
        return {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def prefect_server(home: Path, log: Path, timeout: float = 600):
    """`prefect server start` on loopback with its own Prefect home, yielded (its API URL,
    pid and start-up seconds) once /api/health answers; stopped on leaving."""
    prefect = Path(sys.executable).with_name("prefect")
    port = free_port()
    env = clean_environment() | {"PREFECT_HOME": str(home),
                                 "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                                 "PREFECT_LOGGING_LEVEL": "WARNING"}
    with open(log, "w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen([str(prefect), "server", "start", "--host", "127.0.0.1",
                                 "--port", str(port)], stdout=out, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    try:
        while True:
            if proc.poll() is not None or time.perf_counter() - start > timeout:
                raise RuntimeError(f"the Prefect server did not start:\n{log.read_text()[-2000:]}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            time.sleep(0.5)
        yield {"url": url, "pid": proc.pid, "startup": time.perf_counter() - start}
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """End a process this benchmark started, and what it started in its session."""
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # its own session: only what it started


def repeated(run, repeat: int, budget: float | None = None) -> dict:
    """Median total (and stages) of up to `repeat` calls of `run()`, made while one more
    call, as long as the slowest so far (wall time: process start and copies included),
    fits in `budget` seconds. A measurement that fails is reported, not raised."""
    runs, walls = [], []
    try:
        while len(runs) < repeat and (budget is None or not walls
                                      or sum(walls) + max(walls) <= budget):
            start = time.perf_counter()
            runs.append(run())
            walls.append(time.perf_counter() - start)
    except (RuntimeError, OSError, ValueError) as exc:
        print(f"measurement failed: {exc}", file=sys.stderr)
        return {"error": str(exc).strip().splitlines()[-1][:300], "runs": len(runs)}
    runs.sort(key=lambda r: r["total"])
    median = runs[len(runs) // 2] | {"total": statistics.median(r["total"] for r in runs)}
    stages = {s: statistics.median(r["stages"].get(s, 0) for r in runs)
              for s in runs[0].get("stages", {})}
    return median | {"runs": len(runs), "stages": stages, "all": [r["total"] for r in runs],
                     "peak_mb": max(r["peak_mb"] for r in runs)}


# --- the benchmark -----------------------------------------------------------------------------

def benchmark(cache: Path, repeat: int, smoke: bool, full: bool, profile: bool) -> dict:
    """Every measurement, by name: the plain processes, then (while the history is built)
    the Prefect server's start and the warm-ups, then every `htx run`, then the nights."""
    started = time.perf_counter()
    folders = inboxes.build(cache, national=not smoke)
    r: dict = {"generation": time.perf_counter() - started, "full": full}
    files = {k: [str(p) for p in inboxes.files_of(folders[k])]
             for k in ("province", *(() if smoke else (inboxes.BASE.code, "country")))}
    units, communes = folders["units"], folders["country units"]
    r["counts"] = {"province": len(files["province"])}
    if not smoke:
        national = len(files[inboxes.BASE.code])
        r["counts"] |= {"national": national, "country": len(files["country"]),
                        "night": len(inboxes.files_of(folders["night"]))}
    small = {"repeat": repeat, "budget": SMALL_BUDGET}
    base = Path(tempfile.mkdtemp(dir=TMP))  # the national plain run's warehouse: the
    plain_processes(r, folders, files, units, communes, small, smoke, full, base)  # history's
    s = Session(Path(TMP), Path(tempfile.mkdtemp(dir=TMP, prefix="prefect-home-")))  # start
    server_home = Path(tempfile.mkdtemp(dir=TMP, prefix="prefect-server-home-"))
    with ThreadPoolExecutor(1) as setup:
        built = None if smoke else setup.submit(build_history, r, folders, units, base)
        with prefect_server(server_home, Path(TMP) / "server.log") as server:
            s.api_url, r["server"] = server["url"], server
            for mode in MODES[:1] if smoke else MODES:  # warm-ups: Prefect's database, the
                r[f"warm-up {mode}"] = repeated(lambda: htx_run(s, mode), 1)  # flow registered
            history = built and built.result()  # no measurement while it is being built
            for mode in MODES:
                r[f"empty {mode}"] = repeated(lambda: htx_run(s, mode), **small)
                r[f"province {mode}"] = repeated(
                    lambda: htx_run(s, mode, folders["province"]), **small)
            if not smoke:
                at_scale(r, s, folders, units, communes, full)
                if history:
                    nights(r, s, folders, units, history, small)
            r["verdicts"] = targets(r)
            if profile:
                scale = "province" if smoke else inboxes.BASE.code
                r["profile"] = run_profile(s, folders[scale], None if smoke else units)
            r["server"]["memory_mb"] = tree_memory_mb(server["pid"])
    return r


def plain_processes(r: dict, folders: dict, files: dict, units: Path, communes: Path,
                    small: dict, smoke: bool, full: bool, base: Path) -> None:
    """The floor, the usual approach and the plain functions (the national run's warehouse
    and archive left in `base`)."""
    r["province floor"] = repeated(lambda: measure("floor", files=files["province"]), **small)
    r["province usual"] = repeated(lambda: measure("usual", files=files["province"]), **small)
    r["province plain"] = repeated(lambda: measure(
        "project", sources=[str(folders["province"])]), **small)
    r["empty plain"] = repeated(lambda: measure("project", sources=[""]), **small)
    if smoke:
        return
    national = files[inboxes.BASE.code]
    r["national floor"] = repeated(lambda: measure("floor", files=national), **small)
    r["national usual"] = repeated(lambda: usual_sampled(national, None if full
                                                         else USUAL_SAMPLE), 1)
    r["national plain"] = repeated(lambda: measure(
        "project", sources=[str(folders[inboxes.BASE.code])], units=str(units),
        warehouse=str(base / "wh.duckdb"), archive=str(base / "archive")), 1)
    if full:
        r["country floor"] = repeated(lambda: measure("floor", files=files["country"]), 1)
        r["country plain"] = repeated(lambda: measure(
            "project", sources=[str(folders["country"])], units=str(communes)), 1)


def usual_sampled(files: list[str], sample: int | None) -> dict:
    """The usual approach on `sample` of `files` spread evenly over them (all if None),
    its time scaled to all of them."""
    k = min(sample or len(files), len(files))
    chosen = [files[i * len(files) // k] for i in range(k)]
    result = measure("usual", files=chosen)
    return result | {"total": result["total"] * len(files) / k, "sample": k,
                     "sample_total": result["total"]}


def at_scale(r: dict, s: Session, folders: dict, units: Path, communes: Path,
             full: bool) -> None:
    """National `htx run` in both modes, country in server mode (both with `full`)."""
    for mode in MODES:
        r[f"national {mode}"] = repeated(
            lambda: htx_run(s, mode, folders[inboxes.BASE.code], units), 1)
    for mode in MODES if full else ("server",):
        r[f"country {mode}"] = repeated(
            lambda: htx_run(s, mode, folders["country"], communes), 1)


def nights(r: dict, s: Session, folders: dict, units: Path, history: Path,
           small: dict) -> None:
    """The incremental and the empty night on a copy of the history, each mode."""
    for mode in MODES:
        r[f"night {mode}"] = repeated(
            lambda: htx_run(s, mode, folders["night"], units, warehouse=history), **small)
    r["night plain"] = repeated(lambda: measure(
        "project", sources=[str(folders["night"])], units=str(units),
        warehouse=shutil.copy(history, tempfile.mkdtemp(dir=TMP))), **small)
    for mode in MODES:
        r[f"empty night {mode}"] = repeated(
            lambda: htx_run(s, mode, None, units, warehouse=history), **small)


def build_history(r: dict, folders: dict, units: Path, base: Path) -> Path | None:
    """The 10-period national warehouse the nights start from (`history`): the national
    plain run's warehouse in `base` with the other periods added, or all 10 periods on a
    fresh warehouse if that run failed. Its path, None if it could not be built."""
    fresh = "error" in r.get("national plain", {"error": ""})
    if fresh:
        base = Path(tempfile.mkdtemp(dir=TMP))
    periods = [p for p in inboxes.HISTORY if fresh or p != inboxes.BASE]
    r["history"] = repeated(lambda: measure(
        "history", sources=[str(folders[p.code]) for p in periods], units=str(units),
        warehouse=str(base / "wh.duckdb"), archive=str(base / "archive")), 1)
    r["history"] |= {"periods": [p.code for p in periods], "on national plain": not fresh}
    return None if "error" in r["history"] else base / "wh.duckdb"


def run_profile(s: Session, source: Path, units: Path | None) -> dict:
    """cProfile of `htx run`'s main process (server mode): the top functions by cumulative
    and by own time."""
    import pstats

    out = Path(tempfile.mkdtemp(dir=TMP)) / "htx.prof"
    try:
        run = htx_run(s, "server", source, units, profile=out)
    except RuntimeError as exc:
        return {"error": str(exc).strip().splitlines()[-1][:300]}
    stats = pstats.Stats(str(out)).stats  # (file, line, name) -> (cc, calls, own, cum, callers)
    wrappers = ("runpy.py", "cProfile.py", "<frozen runpy>", "<string>")
    rows = [(where(*key), calls, own, cum, own_code(key[0]))
            for key, (_, calls, own, cum, _) in stats.items()
            if not key[0].endswith(wrappers) and key[2] != "<built-in method builtins.exec>"]
    whole = max(row[3] for row in rows)
    by_cumulative = sorted(rows, key=lambda x: -x[3])
    return {"source": source.name, "files": run["files"], "wall": run["total"], "total": whole,
            "cumulative": [x[:4] for x in by_cumulative if x[3] < 0.95 * whole][:20],
            "project": [x[:4] for x in by_cumulative if x[4]][:12],
            "own": [x[:4] for x in sorted(rows, key=lambda x: -x[2])[:15]]}


def own_code(file: str) -> bool:
    """Whether a profiled file is the project's own code (not benchmarks/, not a package)."""
    return file.startswith(str(ROOT)) and not any(
        part in file for part in ("/benchmarks/", "/.venv/", "site-packages"))


def where(file: str, line: int, name: str) -> str:
    """A profiled function's place, short: package path, project path or stdlib file."""
    if file == "~":
        return name
    if "site-packages/" in file:
        file = file.split("site-packages/", 1)[1]
    elif file.startswith(str(ROOT)):
        file = str(Path(file).relative_to(ROOT))
    elif file.startswith("/"):
        file = Path(file).name
    return f"{file}:{line}({name})"


# --- targets -----------------------------------------------------------------------------------

def total(r: dict, key: str) -> float | None:
    """The median seconds of measurement `key`, None if it was not made or failed."""
    return r.get(key, {}).get("total")


def less_empty(r: dict, scale: str, mode: str) -> float | None:
    """`htx run` at `scale` less `htx run` on an empty inbox, in `mode`."""
    run, empty = total(r, f"{scale} {mode}"), total(r, f"empty {mode}")
    return None if run is None or empty is None else run - empty


def per_file_ms(r: dict, scale: str, mode: str) -> float | None:
    extra, files = less_empty(r, scale, mode), r.get(f"{scale} {mode}", {}).get("files")
    return None if extra is None or not files else 1000 * extra / files


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def targets(r: dict) -> list[tuple[str, str, str | None, bool | None]]:
    """Each target of issue 14 as (target, mode, measured, met): met is None when the
    figure is only reported (or was not measured)."""
    out = []
    for mode in MODES:
        x = ratio(less_empty(r, "national", mode), total(r, "national floor"))
        out.append(("National: `htx run` − empty ≤ 2× the bare calamine read", mode,
                    x and f"{x:.1f}× ({seconds(less_empty(r, 'national', mode))} s against "
                          f"{seconds(total(r, 'national floor'))} s)", x and x <= 2))
    for mode in MODES:
        x = ratio(total(r, "national usual"), total(r, f"national {mode}"))
        out.append(("National: ≥ 10× faster than the usual approach (usual / `htx run`)", mode,
                    x and f"{x:.1f}× ({seconds(total(r, 'national usual'))} s against "
                          f"{seconds(total(r, f'national {mode}'))} s)", x and x >= 10))
    for mode in MODES:
        peak = r.get(f"country {mode}", {}).get("peak_mb")
        out.append(("Country: peak memory under 1 GB", mode, peak and f"{peak:.0f} MB",
                    peak and peak < 1024))
    for mode in MODES:
        x = ratio(per_file_ms(r, "country", mode), per_file_ms(r, "national", mode))
        shown = "; ".join(f"{scale} {ms:.1f}" for scale in ("province", "national", "country")
                          if (ms := per_file_ms(r, scale, mode)) is not None)
        out.append(("Country: cost per file flat (country ≤ 1.5× national, ms per file of "
                    "`htx run` − empty)", mode, x and f"{x:.2f}× ({shown})", x and x <= 1.5))
    night_empty = {m: total(r, f"empty night {m}") for m in MODES}
    out.append(("Empty night (on the 10-period history) ≤ 5 s", "server",
                night_empty["server"] and f"{seconds(night_empty['server'])} s",
                night_empty["server"] and night_empty["server"] <= 5))
    out.append(("Empty night (on the 10-period history), reported", "embedded",
                night_empty["embedded"] and f"{seconds(night_empty['embedded'])} s", None))
    for mode in MODES:
        x = ratio(total(r, f"night {mode}"), total(r, f"province {mode}"))
        out.append(("Incremental night on 10 national periods ≤ 3× a province first run", mode,
                    x and f"{x:.1f}× ({seconds(total(r, f'night {mode}'))} s against "
                          f"{seconds(total(r, f'province {mode}'))} s)", x and x <= 3))
    return [(name, mode, measured or None, None if measured is None or met is None
             else bool(met)) for name, mode, measured, met in out]


# --- the report --------------------------------------------------------------------------------

def empty_difference(r: dict) -> str:
    """The embedded empty run's peak memory less the server-mode one's, as text."""
    peaks = [r.get(f"empty {mode}", {}).get("peak_mb") for mode in MODES]
    return f"{peaks[0] - peaks[1]:+.0f} MB" if None not in peaks else "not measured"


def seconds(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}" if x < 10 else f"{x:.1f}"


def markdown_table(header: list[str], rows: list[list], text_columns: int = 2) -> str:
    """A markdown table, its first `text_columns` columns aligned left, the others right."""
    align = ["---" if i < text_columns else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join("" if c is None else str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def spec(r: dict, counts: dict[str, int]) -> list[tuple[str, str, str, int]]:
    """The main table's rows: (scale, measurement, result key, files)."""
    by_mode = [("`htx run`, embedded", "embedded"), ("`htx run`, Prefect server", "server"),
               ("plain functions", "plain")]
    rows = [("empty inbox", m, f"empty {k}", 0) for m, k in by_mode]
    for scale in ("province", "national", "country"):
        n = counts.get(scale)
        sample = r.get(f"{scale} usual", {}).get("sample")
        usual = f"usual approach ({sample} of {n} files, time × {n}/{sample})" \
            if sample and sample != n else "usual approach"
        rows += [(scale, "floor: bare python-calamine", f"{scale} floor", n),
                 (scale, usual, f"{scale} usual", n)]
        rows += [(scale, m, f"{scale} {k}", n) for m, k in by_mode]
    built = r.get("history", {})
    if "periods" in built:
        periods, base = built["periods"], inboxes.BASE.code
        on = (f" but {base}, consolidated at once on top of the national plain run's "
              f"warehouse ({base})") if built["on national plain"] else ", consolidated at once"
        rows.append(("history (setup)", f"{periods[0]} … {periods[-1]}{on}: plain "
                     f"functions, chunks on {built.get('workers') or 'no'} worker processes; "
                     "not a measurement", "history", built.get("files")))
    rows += [("night on history", f"{m} ({inboxes.NIGHT.code})", f"night {k}",
              counts.get("night")) for m, k in by_mode]
    rows += [("empty night on history", m, f"empty night {k}", 0) for m, k in by_mode[:2]]
    return [row for row in rows if row[2] in r]


def main_table(r: dict, counts: dict[str, int]) -> str:
    rows = []
    for scale, name, key, files in spec(r, counts):
        m = r[key]
        if "error" in m:
            rows.append([scale, name, files, m["runs"], f"failed: {m['error']}", "", "", ""])
            continue
        per = per_file(r, key, files)
        spread = f"{seconds(min(m['all']))}–{seconds(max(m['all']))}" if m["runs"] > 1 else ""
        rows.append([scale, name, files, m["runs"], seconds(m["total"]), spread, per,
                     f"{m['peak_mb']:.0f}"])
    return markdown_table(COLUMNS, rows)


def per_file(r: dict, key: str, files: int | None) -> str:
    """Milliseconds per file of measurement `key`: for `htx run` at a scale, less the empty
    run in the same mode; for a night, nothing (12 files: the difference is noise)."""
    scale, _, kind = key.rpartition(" ")
    if key == "history":
        return ""  # a setup step, on worker processes and beside the warm-ups
    work = r[key]["total"]
    if kind in MODES:
        work = less_empty(r, scale, kind) if scale in ("province", "national", "country") \
            else None
    return f"{1000 * work / files:.1f}" if files and work is not None else ""


def less_empty_table(r: dict, counts: dict[str, int]) -> str:
    """`htx run` − empty at each scale and mode, against the floor and the plain functions."""
    rows = []
    for scale in ("province", "national", "country"):
        for mode in MODES:
            extra = less_empty(r, scale, mode)
            if extra is None:
                continue
            fl, plain = total(r, f"{scale} floor"), total(r, f"{scale} plain")
            rows.append([scale, mode, counts[scale], seconds(total(r, f"{scale} {mode}")),
                         seconds(extra), f"{per_file_ms(r, scale, mode):.1f}", seconds(fl),
                         f"{extra / fl:.1f}×" if fl else "", seconds(plain),
                         seconds(extra - plain) if plain is not None else ""])
    return markdown_table(["scale", "mode", "files", "`htx run` (s)", "− empty (s)",
                           "ms per file", "floor (s)", "× floor", "plain functions (s)",
                           "− plain (s)"], rows)


def stage_table(r: dict) -> str:
    keys = [k for k in ("empty plain", "province plain", "national plain", "country plain",
                        "night plain") if "stages" in r.get(k, {})
            and r[k]["stages"]]
    used = [c for c in STAGE_COLUMNS if any(r[k]["stages"].get(c) for k in keys)]
    rows = [[k.replace(" plain", ""), r[k]["runs"], *(seconds(r[k]["stages"].get(c))
                                                      for c in used), seconds(r[k]["total"])]
            for k in keys]
    names = {}
    for k in keys:
        names.update(r[k].get("names", {}))
    grouped = ", ".join(f"`{n}` → {c}" for n, c in sorted(names.items()) if n not in STAGES)
    note = (f"\n\nStage names grouped by the words in them (not in STAGES): {grouped}."
            if grouped else "")
    return markdown_table(["plain functions", "runs", *used, "total (s)"], rows) + note


def verdict_table(r: dict) -> str:
    left_out = "country server" in r and not r.get("full")  # the default: server mode only

    def unmeasured(name: str, mode: str) -> str:
        return "not measured (--full)" if left_out and name.startswith("Country") \
            and mode == "embedded" else "not measured"
    rows = [[name, mode, measured or "—",
             unmeasured(name, mode) if measured is None else "reported" if met is None
             else "met" if met else "**not met**"] for name, mode, measured, met in r["verdicts"]]
    return markdown_table(["target", "mode", "measured", "verdict"], rows, 4)


def findings(r: dict) -> str:
    """What the runs found and where the plain functions' time goes."""
    lines = []
    for key in ("province server", "national server", "country server", "night server"):
        if r.get(key, {}).get("statuses"):
            m = r[key]
            left = f", {m['left_in_inbox']} left in the inbox" if m["left_in_inbox"] else ""
            lines.append(f"- {key}: the warehouse after the run holds returns by status "
                         f"{dict(m['statuses'])}{left}.")
    for key in ("national plain", "country plain"):
        m = r.get(key, {})
        if not m.get("stages"):
            continue
        top = sorted(((k, v) for k, v in m["stages"].items() if k != ALONGSIDE),
                     key=lambda kv: -kv[1])[:3]
        shares = ", ".join(f"{s} {100 * v / m['total']:.0f}%" for s, v in top)
        raised = sorted(m.get("memory_raised_by", {}).items(), key=lambda kv: -kv[1])[:2]
        memory = ", ".join(f"{s} +{mb:.0f} MB" for s, mb in raised if mb >= 1)
        lines.append(f"- {key}: {shares} of {seconds(m['total'])} s; peak memory raised most "
                     f"by {memory or '—'}; failures by rule {dict(m.get('rules', {}))}.")
    if "rows" in r.get("national usual", {}):
        m = r["national usual"]
        rows, files = m["rows"], m["files"]
        sample = (f" (a sample of {files} of the national files, read in "
                  f"{seconds(m['sample_total'])} s)" if m.get("sample") else "")
        lines.append(f"- national usual approach{sample}: {rows} roster rows, "
                     f"{rows / files:.0f} cooperatives per return; it flags {m['flagged']} of "
                     f"{files} files (pandera checks only types, codes, ids and uniqueness).")
    if "total" in r.get("history", {}):
        m = r["history"]
        lines.append(f"- history (setup, not a measurement): {m['files']} returns consolidated "
                     f"in {seconds(m['total'])} s, peak {m['peak_mb']:.0f} MB, while the "
                     "Prefect server started and the warm-up runs ran; the warehouse holds "
                     f"returns by status {dict(m['statuses'])}.")
    for mode in MODES:
        if f"warm-up {mode}" in r and "total" in r[f"warm-up {mode}"]:
            lines.append(f"- warm-up run, {mode} (empty inbox, not counted): "
                         f"{seconds(total(r, f'warm-up {mode}'))} s.")
    server = r.get("server", {})
    if server:
        lines.append(f"- the Prefect server took {seconds(server['startup'])} s to answer "
                     f"/api/health{' (while the history was built)' if 'history' in r else ''}"
                     f" and held {server.get('memory_mb', 0):.0f} MB at the end "
                     "(not in any figure above).")
    errors = [f"{k}: {v['error']}" for k, v in r.items() if isinstance(v, dict) and "error" in v]
    lines += [f"- **failed** {e}" for e in errors]
    return "\n".join(lines)


def profile_section(p: dict) -> str:
    if "error" in p:
        return f"Profile: **failed** ({p['error']})."
    head = (f"Profile: cProfile of `htx run`'s main thread, Prefect server mode, "
            f"{p['source']} ({p['files']} returns): {seconds(p['wall'])} s under the profiler, "
            f"{seconds(p['total'])} s profiled. Top functions by cumulative time (leaving out "
            "the calls that only contain the whole run, over 95% of it):")

    def table(items):
        return markdown_table(["function", "calls", "own s", "cumulative s", "cumulative %"],
                              [[f"`{name}`", calls, seconds(own), seconds(cum),
                                f"{100 * cum / p['total']:.0f}%"]
                               for name, calls, own, cum in items], text_columns=1)
    return "\n\n".join([head, table(p["cumulative"]),
                        "By own time (the time spent in the function itself):", table(p["own"]),
                        "The project's own functions by cumulative time:", table(p["project"])])


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


def targets_notes(r: dict) -> list[str]:
    """What the targets table needs said: how flat is judged, what each figure is."""
    notes = ["Cost per file is called flat when country's ms per file of (`htx run` − empty) "
             "is at most 1.5× national's. The empty run subtracted is on a fresh warehouse; "
             "the empty night is on a copy of the 10-period history."]
    if "country server" in r and not r.get("full"):
        notes.append("The country runs in server mode only (--full adds embedded mode, whose "
                     "tree also holds Prefect's temporary server: "
                     f"{empty_difference(r)} in the empty runs).")
    if r.get("national usual", {}).get("sample") not in (None, r["counts"].get("national")):
        notes.append("The usual approach's national time is scaled from a sample (see its row).")
    return notes


def report(r: dict, counts: dict[str, int], repeat: int, elapsed: float, others: float) -> str:
    country_mode = "" if r.get("full") or "country server" not in r \
        else ", the country in server mode only"
    parts = [
        f"Machine: {machine()}.",
        (f"Date: {dt.date.today().isoformat()}; whole benchmark {elapsed / 60:.1f} min, of "
         f"which generating the inboxes {r['generation'] / 60:.1f} min (0 when --cache had "
         f"them); median of up to {repeat} run(s) per small measurement (repeated while one "
         f"more fits in {SMALL_BUDGET} s), national and country scale once (but the national "
         f"floor){country_mode}; other "
         f"processes kept the machine busy {others:.0f} CPU-s meanwhile "
         f"({100 * others / (elapsed * os.cpu_count()):.0f}% of its capacity)."),
        "## Every measurement", main_table(r, counts),
        ("`ms per file`: for `htx run` at a scale, (`htx run` − `htx run` on an empty inbox "
         "and a fresh warehouse, same mode) per file; otherwise the total per file. `spread`: "
         "the fastest and slowest of the runs."),
        "## `htx run` less an empty run, against the floor and the plain functions",
        less_empty_table(r, counts),
        "## Targets (issue 14)", verdict_table(r),
        " ".join(targets_notes(r)),
        "## Plain functions, stage by stage", stage_table(r),
        "## Findings", findings(r)]
    if "profile" in r:
        parts.append(profile_section(r["profile"]))
    elif any(met is False for *_, met in r.get("verdicts", [])):
        parts.append("Not profiled: --profile adds a cProfile of a national `htx run` "
                     "(server mode), about twice that run's time.")
    return "\n\n".join(p for p in parts if p)


NOTES = "<!-- Notes below are written by hand; --write keeps them. -->"


def hand_written(path: Path) -> str:
    """What follows NOTES in an earlier report at `path` (kept when it is rewritten)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return "\n" + text[text.index(NOTES):] if NOTES in text else ""


def command_line(argv: list[str]) -> str:
    python = ".venv/bin/python" if Path(sys.executable).parent.parent == ROOT / ".venv" \
        else "python"
    return " ".join([python, "benchmarks/national.py", *argv])


def main(argv: list[str] | None = None) -> int:
    global TMP
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true",
                        help="province and empty inbox only, one run each (for the tests)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", type=Path, help="keep generated inboxes here (default: temp)")
    parser.add_argument("--write", type=Path, help="also write the report to this markdown file")
    parser.add_argument("--full", action="store_true",
                        help="also the country in embedded mode, the floor and the plain "
                             "functions at country scale, the usual approach on all national "
                             "files")
    parser.add_argument("--profile", action="store_true",
                        help="also profile a national `htx run` (server mode)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    if args.child:
        kind, kwargs = json.loads(Path(args.child).read_text())
        print(json.dumps(CHILDREN[kind](**kwargs), default=str))
        return 0
    repeat = 1 if args.smoke else args.repeat
    start, (busy, ours) = time.perf_counter(), busy_cpu_seconds()
    with tempfile.TemporaryDirectory(prefix="htx-bench-") as tmp:
        TMP = tmp
        results = benchmark(args.cache or Path(tmp) / "cache", repeat, args.smoke,
                            args.full, args.profile)
    busy_after, ours_after = busy_cpu_seconds()
    others = max(0.0, (busy_after - busy) - (ours_after - ours))
    elapsed = time.perf_counter() - start
    text = report(results, results["counts"], repeat, elapsed, others)
    print(text)
    if args.write:
        about = __doc__.split("\n\n", 2)[2]
        regenerate = command_line(["--write", "docs/benchmarks.md", "--cache",
                                   str(args.cache or "/tmp/htx-bench-cache")])
        args.write.write_text(
            f"# Benchmarks: `htx run` as users run it\n\n"
            f"Regenerate: `{regenerate}` (the inboxes are generated into the --cache folder "
            f"once and found there next time). This report: `{command_line(argv)}`, "
            f"{elapsed / 60:.0f} min.\n\n{about}\n{text}\n{hand_written(args.write)}",
            encoding="utf-8")
    return 0


TMP = tempfile.gettempdir()

if __name__ == "__main__":
    sys.exit(main())
