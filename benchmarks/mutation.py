"""Mutation testing: small, plausible bugs put into the code one at a time; the tests must fail.

    python benchmarks/mutation.py --write docs/mutation.md   # every mutant, the report written
    python benchmarks/mutation.py --only SQL_COALESCE_REVENUE PUBLISH_COPY   # a few of them
    python benchmarks/mutation.py --check                     # is every snippet still there?
    python benchmarks/mutation.py --rev HEAD                  # the committed code, not the tree

The mutants are declared below (MUTANTS): a file, an exact snippet of it, what replaces the
snippet, the bug that models, and the tests that must catch it. They cover the modules that
compute or guard official figures: the indicator SQL and catalogue, cell and unit parsing,
the rules, the status model, publishing, the hostile-file guard and the formula guards.

Each mutant is applied alone to a copy of the repository (the working tree's files that git
knows or would add, or a commit with --rev) in a temporary folder; the repository itself is
never touched. Its tests run there with this interpreter (`-x -q -p no:cacheprovider`); the
mutant is killed when they fail. The unmutated copy runs every selection first: a failing
baseline stops the run, since a mutant could not be told from it. A snippet that is not in
its file exactly once is STALE and the script exits non-zero, so the list stays honest as
the code moves: update the snippet, or drop the mutant if its code is gone.

A survivor is reported with where it is and the reason it is left (`left` below: an
equivalent mutant, or one only review can catch). Not part of CI (a full run takes about
20 minutes on two cores); run it before a release.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 600  # seconds for one mutant's tests: a mutant that hangs them is killed


@dataclass(frozen=True)
class Mutant:
    id: str
    path: str
    original: str
    replacement: str
    models: str  # the bug a person could write
    tests: tuple[str, ...]  # pytest arguments: files, node ids, -k expressions
    left: str = ""  # why a survivor is left, when it is known to survive


# --- which tests guard what ----------------------------------------------------------------------

SAFETY = "tests/test_warehouse_safety.py::"
INDICATORS = ("tests/test_indicator_sql.py",)
READ = ("tests/test_cells.py", "tests/test_decimal_conflicts.py", "tests/test_cell_units.py",
        "tests/test_reader.py", "tests/test_real_returns.py", "-k",
        "not htx_run")  # every fixture read, without the slow end-to-end run
BOUNDARIES = ("tests/test_rule_boundaries.py", "tests/test_warehouse_checks.py")


def rules(*scenarios: str) -> tuple[str, ...]:
    """The rules' boundaries and the end-to-end scenarios of tests/test_rules.py named."""
    return (*BOUNDARIES, "tests/test_rules.py", "-k", " or ".join(
        ("boundar", "warehouse_checks", "good_base", *scenarios)))

STATUS = ("tests/test_status_model.py",
          SAFETY + "test_an_accepted_correction_supersedes_the_first_version",
          SAFETY + "test_a_rejected_correction_leaves_the_accepted_version_in_force")
PUBLISH = (SAFETY + "test_a_reader_holding_the_warehouse_open_while_a_run_publishes_reads_the_"
           "whole_old_file", SAFETY + "test_a_run_killed_while_publishing_leaves_the_previous_"
           "file_whole", SAFETY + "test_a_run_starts_from_the_published_file_never_from_a_dead_"
           "run_s_staging")
HOSTILE = ("tests/test_reader.py", "tests/test_rules.py", "-k", "archive or HOSTILE")
FEEDBACK = ("tests/test_feedback.py",)
TEMPLATE = ("tests/test_template.py", "tests/test_feedback.py", "-k",
            "template or text_like_a_formula")  # the template, and the feedback's use of it

LOAD = "warehouse/sql/load/submission_indicators.sql"
MEASURES = "warehouse/sql/schema/40_measures.sql"  # generated from contracts/ by codegen
DISTRICT = "warehouse/sql/models/40_mart_district_indicators.sql"
PROVINCE = "warehouse/sql/models/50_mart_province_indicators.sql"
COMPLETENESS = "warehouse/sql/models/30_mart_completeness.sql"
STATUS_SQL = "warehouse/sql/models/10_submission_status.sql"


def _coalesce(measure: str, expression: str, rest: str) -> Mutant:
    """A missing measure read as zero where the measures are computed per row."""
    return Mutant(f"SQL_COALESCE_{measure.upper()}", MEASURES, expression + rest,
                  f"coalesce({expression}, 0){rest}", f"a missing {measure} counted as zero",
                  INDICATORS)


MUTANTS: tuple[Mutant, ...] = (
    # --- indicator SQL: missing is not zero ----------------------------------------------------
    *(_coalesce(*m) for m in (
        ("members", "r.members::DOUBLE", " AS members"),
        ("workers", "r.workers::DOUBLE", " AS workers,\n    r.total_capital"),
        ("charter_capital", "r.charter_capital", " AS charter_capital"),
        ("total_capital", "r.total_capital", " AS total_capital"),
        ("revenue", "r.revenue", " AS revenue,\n    r.profit AS profit,"),
        ("profit", "r.profit", " AS profit,"),
        ("income_per_worker", "r.income_per_worker * r.workers", " AS income_x_workers"),
        ("income_per_member", "r.income_per_member * r.members", " AS income_x_members"),
        ("managers", "r.managers::DOUBLE", " AS managers,"),
        ("managers_trained", "r.managers_trained::DOUBLE", " AS managers_trained"),
        ("high_tech", "r.high_tech::INTEGER::DOUBLE", " AS high_tech"),
        ("value_chain", "r.value_chain::INTEGER::DOUBLE", " AS value_chain"),
        ("ocop_products", "r.ocop_products::DOUBLE", " AS ocop_products"),
        ("union_member_coops", "r.member_coops::DOUBLE", " AS member_coops"),
        ("union_workers", "r.workers::DOUBLE", " AS workers,\n    r.revenue"),
        ("union_revenue", "r.revenue", " AS revenue,\n    r.profit AS profit\n"),
        ("union_profit", "r.profit", " AS profit\n"),
    )),
    Mutant("SQL_INCLUDED_IGNORES_DENOMINATOR", LOAD,
           "n.value IS NOT NULL AND (i.denominator IS NULL OR d.value IS NOT NULL) AS included",
           "n.value IS NOT NULL AS included",
           "a ratio's row kept when its denominator is missing", INDICATORS),
    Mutant("SQL_LEFT_OUT_NOT_COUNTED", LOAD,
           "count(*) FILTER (WHERE NOT included) AS rows_left_out",
           "0 AS rows_left_out", "rows left out not counted", INDICATORS),
    Mutant("SQL_STATUS_FILTER_DROPPED", LOAD,
           "WHERE (i.statuses IS NULL OR list_contains(i.statuses, n.status))\n      AND",
           "WHERE", "an indicator's status filter dropped (dissolved rows counted)",
           INDICATORS),
    Mutant("SQL_SECTOR_FILTER_DROPPED", LOAD,
           "AND (i.sectors IS NULL OR list_contains(i.sectors, n.sector))", "",
           "an indicator's sector filter dropped (value chain over every sector)", INDICATORS),
    Mutant("SQL_SUM_AS_AVG", LOAD, "exact_sum(CASE WHEN included THEN num END) AS numerator",
           "avg(CASE WHEN included THEN num END) AS numerator", "a sum swapped for an average",
           INDICATORS),
    Mutant("SQL_EXACT_SUM_AS_AVG", "warehouse/sql/schema/30_macros.sql",
           "AS sum(x::DECIMAL(38, 10))::DOUBLE", "AS avg(x::DECIMAL(38, 10))::DOUBLE",
           "every published sum an average", INDICATORS),
    Mutant("SQL_DISTRICT_ANY_STATUS", DISTRICT,
           "WHERE status = 'accepted' AND period IN (SELECT period FROM changed_periods)\n),",
           "WHERE status IN ('accepted', 'rejected') AND period IN "
           "(SELECT period FROM changed_periods)\n),",
           "the district marts widened to rejected returns", STATUS),
    Mutant("SQL_ABSENT_SECTOR_MISSING", DISTRICT, "coalesce(si.numerator, 0) AS numerator",
           "si.numerator AS numerator", "an absent sector shown as missing, not 0",
           INDICATORS),
    Mutant("SQL_REPORTING_RATE_OVER_RECEIVED", DISTRICT,
           "WHERE expected AND period IN (SELECT period FROM changed_periods)",
           "WHERE expected AND status <> 'missing' AND period IN "
           "(SELECT period FROM changed_periods)",
           "the reporting rate divided by units that reported, not units expected",
           INDICATORS),
    Mutant("SQL_PROVINCE_MEAN_OF_RATIOS", PROVINCE,
           "indicator_value(s.numerator, s.denominator, i.denominator IS NOT NULL, i.scale,\n"
           "                    s.rows_included, s.rows_left_out) AS value",
           "CASE WHEN i.denominator IS NOT NULL THEN (SELECT avg(d.value) FROM "
           "mart.district_indicators AS d WHERE d.period = s.period AND d.indicator_code = "
           "s.indicator_code AND d.sector = s.sector) ELSE s.numerator END AS value",
           "a province ratio as the mean of the district ratios", INDICATORS),
    Mutant("SQL_PROVINCE_DENOMINATOR_AVG", PROVINCE, "exact_sum(denominator) AS denominator",
           "avg(denominator) AS denominator", "a province denominator averaged, not summed",
           INDICATORS),
    Mutant("SQL_COVERAGE_ANY_STATUS", PROVINCE,
           "count(*) FILTER (WHERE expected AND status = 'accepted') AS districts_covered",
           "count(*) FILTER (WHERE expected) AS districts_covered",
           "coverage counting districts without an accepted return", INDICATORS),
    Mutant("SQL_EXPECTED_ENDED_UNITS", COMPLETENESS,
           "AND coalesce(u.valid_to, DATE '9999-12-31') >= p.end_date", "",
           "units that ended before the period still expected",
           (SAFETY + "test_communes_replace_districts_by_swapping_reference_data",)),
    Mutant("SQL_ON_TIME_AFTER_DEADLINE", COMPLETENESS,
           "::DATE <= p.deadline, false)", "::DATE > p.deadline, false)",
           "timeliness compared the wrong way", INDICATORS),
    Mutant("SQL_MACRO_ALL_LEFT_OUT_AS_ZERO", "warehouse/sql/schema/30_macros.sql",
           "WHEN rows_included = 0 AND rows_left_out > 0 THEN NULL", "WHEN false THEN NULL",
           "a sum over rows all left out shown as 0, not missing", INDICATORS),
    Mutant("SQL_MACRO_SCALE_DROPPED", "warehouse/sql/schema/30_macros.sql",
           "WHEN is_ratio THEN scale * numerator", "WHEN is_ratio THEN numerator",
           "a percentage shown as a fraction", INDICATORS),
    Mutant("SQL_CORE_ANY_STATUS", "warehouse/sql/models/20_core_coop_returns.sql",
           "WHERE s.status = 'accepted' AND", "WHERE s.status <> 'rejected' AND",
           "superseded versions kept in the core roster",
           STATUS),
    # --- the indicator catalogue -------------------------------------------------------------
    Mutant("CATALOGUE_OPERATING_WITH_NG", "contracts/vocabularies.py",
           '("Tạm ngừng", "Ngừng hoạt động"),\n             operating=False)',
           '("Tạm ngừng", "Ngừng hoạt động"),\n             operating=True)',
           "suspended (NG) cooperatives counted as operating", INDICATORS),
    Mutant("CATALOGUE_NOT_DISSOLVED_WITH_GT", "contracts/vocabularies.py",
           "NOT_DISSOLVED = tuple(t.code for t in STATUSES.terms if not t.dissolved)",
           "NOT_DISSOLVED = tuple(t.code for t in STATUSES.terms)",
           "dissolved cooperatives counted in the totals", INDICATORS),
    Mutant("CATALOGUE_WEIGHTED_TURNED_PLAIN", "contracts/indicators.py",
           '"coops", "income_x_workers",', '"coops", "income_per_worker",',
           "income per worker as a plain sum of incomes, not weighted by workers", INDICATORS),
    Mutant("CATALOGUE_PCT_SCALE", "contracts/indicators.py",
           'denominator="managers", statuses=NOT_DISSOLVED, scale=100.0',
           'denominator="managers", statuses=NOT_DISSOLVED, scale=1.0',
           "a percentage's factor 100 lost", INDICATORS),
    Mutant("CATALOGUE_VALUE_CHAIN_ANY_SECTOR", "contracts/indicators.py",
           'statuses=OPERATING, sectors=("NN",)', "statuses=OPERATING",
           "value chains counted outside agriculture", INDICATORS),
    # --- cell and unit parsing ---------------------------------------------------------------
    Mutant("CELLS_DOT_THOUSANDS_AS_DECIMAL", "transforms/cell_values.py",
           "return None  # '1.234': the Vietnamese thousands separator",
           "return DOT  # '1.234': the Vietnamese thousands separator",
           '"1.234" read as 1.234, not 1234', READ),
    Mutant("CELLS_AMBIGUOUS_COMMA_GUESSED", "transforms/cell_values.py",
           "    if separator == DOT:\n", "    if True:\n",
           '"3,843" guessed as thousands rather than refused as ambiguous', READ),
    Mutant("CELLS_COLUMN_EVIDENCE_IGNORED", "transforms/cell_values.py",
           "return separator if reading.decimal == separator else None", "return None",
           "the column's own decimal mark ignored ('3,843' in a column of '0,624')", READ),
    Mutant("CELLS_CONFLICT_IGNORED", "transforms/cell_values.py", "    if reading.conflict:\n",
           "    if False:\n", "a column writing the comma both ways read anyway", READ),
    Mutant("CELLS_PARENTHESES_POSITIVE", "transforms/cell_values.py",
           "return -number if negative else number", "return number",
           "(45) read as 45, not -45", READ),
    Mutant("CELLS_DASH_AS_MISSING", "transforms/cell_values.py",
           "    if found is None:\n        return Fraction(0)",
           "    if found is None:\n        return None", '"-" read as missing, not 0', READ),
    Mutant("CELLS_INTEGER_TRUNCATES", "transforms/cell_values.py",
           "    if number.denominator != 1:\n", "    if False:\n",
           "2.5 members accepted as 2", READ),
    Mutant("CELLS_SERIAL_OFF_BY_ONE", "transforms/cell_values.py",
           "return EXCEL_EPOCH + dt.timedelta(days=int(value))",
           "return EXCEL_EPOCH + dt.timedelta(days=int(value) + 1)",
           "an Excel serial date one day late", READ),
    Mutant("PARSE_CELL_UNIT_IGNORED", "transforms/columns.py",
           "    if written is not None:\n        factor = conversion(f, written)",
           "    if False:\n        factor = conversion(f, written)",
           "'1,5 tỷ' in a cell read as 1.5 million, its unit word ignored", READ),
    Mutant("PARSE_COLUMN_UNIT_IGNORED", "transforms/columns.py", "    number *= factor\n", "",
           "a column declared in tỷ đồng read as triệu đồng", READ),
    Mutant("PARSE_FAST_PATH_IGNORES_UNIT", "transforms/columns.py",
           "plain = factor == 1 and f.kind in _NUMERIC",
           "plain = f.kind in _NUMERIC",
           "numeric cells of a column in tỷ đồng taken as they are", READ),
    Mutant("QUANTITIES_DIMENSION_UNCHECKED", "transforms/quantities.py",
           "if found is None or found.dimension != target.dimension:", "if found is None:",
           "a unit of another dimension (người for money) accepted", READ),
    Mutant("QUANTITIES_FACTOR_INVERTED", "transforms/quantities.py",
           "return found.factor / target.factor", "return target.factor / found.factor",
           "a unit conversion divided instead of multiplied", READ),
    Mutant("UNITS_BILLION_FACTOR_100", "contracts/units.py",
           '("tỷ đồng", Fraction(1000), "billion dong",',
           '("tỷ đồng", Fraction(100), "billion dong",', "tỷ → triệu factor 100, not 1000",
           READ),
    Mutant("UNITS_THOUSAND_FACTOR", "contracts/units.py",
           '("nghìn đồng", Fraction(1, 1000), "thousand dong",',
           '("nghìn đồng", Fraction(1, 100), "thousand dong",',
           "nghìn đồng → triệu factor 1/100, not 1/1000", READ),
    Mutant("UNITS_MONTHLY_NOT_ANNUALISED", "contracts/units.py",
           '("tháng", 12, "month", ("tháng", "th"))', '("tháng", 1, "month", ("tháng", "th"))',
           "a monthly income taken as a yearly one", READ),
    Mutant("SHAPE_FEWER_COLUMNS_WIN", "transforms/layout.py",
           "return (len(found.columns), -found.depth) > (len(best.columns), -best.depth)",
           "return (len(found.columns), -found.depth) < (len(best.columns), -best.depth)",
           "the header row matching fewer columns chosen", READ),
    # --- rules -------------------------------------------------------------------------------
    Mutant("RULE_TRAINED_AT_EQUAL", "contracts/rules.py",
           'df["managers_trained"] > df["managers"]', 'df["managers_trained"] >= df["managers"]',
           "trained managers equal to managers flagged", rules("TRAINED")),
    Mutant("RULE_PROFIT_AT_EQUAL", "contracts/rules.py", 'df["profit"] > df["revenue"]',
           'df["profit"] >= df["revenue"]', "profit equal to revenue flagged", rules("PROFIT")),
    Mutant("RULE_FOUNDED_ON_LAST_DAY", "contracts/rules.py",
           'fails=lambda df, ctx: df["founded_on"] > ctx.period_end)',
           'fails=lambda df, ctx: df["founded_on"] >= ctx.period_end)',
           "a cooperative founded on the period's last day flagged", rules("FOUNDED")),
    Mutant("RULE_MIN_MEMBERS", "contracts/rules.py", "MIN_MEMBERS = 5", "MIN_MEMBERS = 7",
           "the legal minimum of members changed", rules("MEMBERS")),
    Mutant("RULE_MEMBERS_ANY_STATUS", "contracts/rules.py",
           '_operating(df) & (df["members"] < MIN_MEMBERS)', '(df["members"] < MIN_MEMBERS)',
           "members below the minimum flagged for dissolved cooperatives too",
           rules("MEMBERS")),
    Mutant("RULE_TOTALS_TOLERANCE", "warehouse/store.py", "TOTALS_TOLERANCE = 0.5",
           "TOTALS_TOLERANCE = 5", "the declared totals' tolerance widened to 5",
           rules("TOTAL_MISMATCH")),
    Mutant("RULE_CHANGE_MINIMUM_DROPPED", "warehouse/sql/quality/implausible_changes.sql",
           "WHERE abs(n.now - p.prev) >= c.minimum\n  AND", "WHERE",
           "an implausible change flagged however small (2 -> 7 members)",
           rules("IMPLAUSIBLE")),
    Mutant("VALIDATE_OPERAND_GUARD_DROPPED", "transforms/checks.py",
           "if not set(rule.operands) <= set(stacked.columns):",
           "if False:", "a row rule run on a sheet missing its operands",
           rules("COLUMN_MISSING", "operand"),
           left="equivalent: stack() always holds every stored field, so no operand is "
                "ever missing as a column; the guard is defence only"),
    # --- status model ------------------------------------------------------------------------
    Mutant("STATUS_WARNINGS_REJECT", STATUS_SQL,
           "WHEN c.errors > 0 OR s.district_code IS NULL",
           "WHEN c.errors + c.warnings > 0 OR s.district_code IS NULL",
           "a warning rejects a return", STATUS),
    Mutant("STATUS_WAIVED_ERRORS_REJECT", STATUS_SQL,
           "FILTER (WHERE f.severity = 'error' AND NOT (f.waived",
           "FILTER (WHERE f.severity = 'error' AND NOT (false",
           "a waived error still rejects the return", STATUS),
    Mutant("STATUS_REJECTED_SUPERSEDES", STATUS_SQL,
           "PARTITION BY district_code, period, verdict = 'clean'",
           "PARTITION BY district_code, period",
           "a rejected later version supersedes the accepted one", STATUS),
    Mutant("STATUS_OLDEST_ACCEPTED", STATUS_SQL,
           "ORDER BY received_at DESC, file_hash DESC) AS recency",
           "ORDER BY received_at, file_hash) AS recency",
           "the first clean version stays accepted, a correction is superseded", STATUS),
    Mutant("WAIVER_ANY_FAILURE", "warehouse/sql/models/05_failure_status.sql",
           "f.failure_id IN (SELECT failure_id FROM quality.waivers) AS waived",
           "EXISTS (SELECT 1 FROM quality.waivers) AS waived",
           "one waiver waives every failure", STATUS),
    # --- locked periods ----------------------------------------------------------------------
    Mutant("LOCK_NEVER_FREEZES", "warehouse/sql/models/07_frozen_periods.sql",
           "WHERE l.applied_run <> $run_id;", "WHERE false;",
           "a locked period rebuilt like any other: new reference data changes its figures",
           ("tests/test_period_locks.py",)),
    Mutant("LOCK_REBUILDS_CORE", "warehouse/sql/models/15_changed_periods.sql",
           "EXCEPT\nSELECT period FROM frozen_periods;", ";",
           "a locked period's core and district rows rebuilt", ("tests/test_period_locks.py",)),
    Mutant("LOCK_CORRECTION_COUNTS", "warehouse/sql/models/10_submission_status.sql",
           "WHEN s.received_at > l.locked_at THEN 'held'", "WHEN false THEN 'held'",
           "a correction received while its period is locked is accepted at once",
           ("tests/test_period_locks.py",)),
    Mutant("LOCK_LATE_WAIVER_COUNTS", "warehouse/sql/models/10_submission_status.sql",
           "WHERE l.period IS NULL OR w.waived_at <= l.locked_at", "WHERE true",
           "a waiver made after the lock changes a locked period's statuses",
           ("tests/test_period_locks.py",)),
    Mutant("LOCK_LATEST_DECISION_IGNORED", "warehouse/sql/schema/50_public_views.sql",
           "ORDER BY decided_at DESC, decision_id DESC) = 1",
           "ORDER BY decided_at, decision_id) = 1",
           "a reopened period still counted locked (the first decision wins)",
           ("tests/test_period_locks.py",)),
    # --- publishing --------------------------------------------------------------------------
    Mutant("PUBLISH_COPY", "warehouse/publish.py", "os.replace(staging, published)",
           "shutil.copyfile(staging, published)",
           "the warehouse rewritten in place, under readers and a crash", PUBLISH),
    Mutant("PUBLISH_NO_FSYNC", "warehouse/publish.py",
           'with open(staging, "rb+") as fh:\n        os.fsync(fh.fileno())',
           'with open(staging, "rb+") as fh:\n        pass',
           "no fsync before the swap", PUBLISH,
           left="only a power cut shows it: left to review"),
    Mutant("PUBLISH_DEAD_RUN_WAL_KEPT", "warehouse/publish.py",
           "    for stale in (staging, staging.with_name(staging.name + \".wal\")):\n",
           "    for stale in ():\n",
           "a dead run's staging write-ahead log left to be replayed onto the fresh copy",
           PUBLISH),
    # --- the hostile-file guard --------------------------------------------------------------
    Mutant("HOSTILE_RATIO_20000", "transforms/workbook.py", "MAX_RATIO = 200 ",
           "MAX_RATIO = 20000 ", "the zip-bomb ratio limit raised to 20,000", HOSTILE),
    Mutant("HOSTILE_SIZE_CAP", "transforms/workbook.py",
           "MAX_UNCOMPRESSED = 200 * 1024 * 1024", "MAX_UNCOMPRESSED = 2000 * 1024 * 1024",
           "the uncompressed size cap raised tenfold", HOSTILE),
    Mutant("HOSTILE_RATIO_FROM_ZERO", "transforms/workbook.py",
           "RATIO_FROM = 20 * 1024 * 1024", "RATIO_FROM = 0",
           "the ratio checked on small archives too (ordinary returns refused)", HOSTILE),
    Mutant("HOSTILE_DTD_UNCHECKED", "transforms/workbook.py",
           'if member.filename.lower().endswith((".xml", ".rels")):',
           'if member.filename.lower().endswith((".rels",)):',
           "a DTD in a sheet's XML not looked for", HOSTILE),
    # --- the formula guards ------------------------------------------------------------------
    Mutant("FEEDBACK_NO_SAFE_SET", "outputs/feedback.py",
           "cell = safe_set(ws, row, col, value)",
           "cell = ws.cell(row=row, column=col, value=value)",
           "the feedback's copy of values writes text without its formula guard", FEEDBACK),
    Mutant("XLSX_EDIT_NO_STRIP", "outputs/xlsx_edit.py",
           "        _strip_formulas(root)\n", "",
           "the district's formulas kept in the feedback", FEEDBACK),
    Mutant("XLSX_EDIT_NO_LAST_CHECK", "outputs/xlsx_edit.py",
           'if kind == "worksheet" and target and FORMULA.search(parts[target]):',
           'if False:', "the last check for formulas before saving dropped", FEEDBACK),
    Mutant("TEMPLATE_NO_QUOTE_PREFIX", "outputs/template.py",
           'FORMULA_PREFIXES = ("=", "+", "-", "@")', 'FORMULA_PREFIXES = ("=",)',
           'text starting with "+", "-" or "@" written unguarded', TEMPLATE),
)


# --- running -------------------------------------------------------------------------------------

def repository_files(rev: str | None) -> list[str] | None:
    if rev:
        return None
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return [name for name in out.splitlines() if (ROOT / name).is_file()]


def copy_repository(target: Path, rev: str | None) -> None:
    """The repository's files (the working tree's, or commit `rev`'s) copied into `target`."""
    if rev:
        archive = subprocess.run(["git", "archive", "--format=tar", rev], cwd=ROOT, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
        return
    for name in repository_files(rev):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)


def stale(mutants: tuple[Mutant, ...], root: Path = ROOT) -> list[tuple[Mutant, int]]:
    """The mutants whose snippet is not in their file exactly once, with how often it is."""
    found = []
    for m in mutants:
        path = root / m.path
        count = path.read_text(encoding="utf-8").count(m.original) if path.exists() else 0
        if count != 1:
            found.append((m, count))
    return found


def run_tests(root: Path, tests: tuple[str, ...]) -> tuple[bool, float, str]:
    """(passed, seconds, last lines of output) of `tests` run in `root`. The tests run in
    their own process group, ended whole on a timeout or an interrupt."""
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.monotonic()
    basetemp = root.parent / f"{root.name}-pytest"  # apart from other runs' temporary files
    with subprocess.Popen([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                           f"--basetemp={basetemp}", *tests], cwd=root, env=env,
                          stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, start_new_session=True) as proc:
        try:
            out, _ = proc.communicate(timeout=TIMEOUT)
        except BaseException as exc:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            if isinstance(exc, subprocess.TimeoutExpired):
                return False, time.monotonic() - start, "timed out"
            raise
    tail = "\n".join(out.strip().splitlines()[-3:])
    shutil.rmtree(basetemp, onerror=lambda *_: None)
    return proc.returncode == 0, time.monotonic() - start, tail


def try_mutant(root: Path, m: Mutant) -> tuple[bool, float, str]:
    """(killed, seconds, output) with `m` applied in `root`; the file restored after."""
    path = root / m.path
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace(m.original, m.replacement, 1), encoding="utf-8")
    try:
        passed, seconds, tail = run_tests(root, m.tests)
    finally:
        path.write_text(original, encoding="utf-8")
    return not passed, seconds, tail


def report(results: list[tuple[Mutant, bool, float]], stale_ones: list[tuple[Mutant, int]],
           untried: list[Mutant], minutes: float, rev: str | None, partial: bool) -> str:
    killed = [m for m, k, _ in results if k]
    survived = [(m, s) for m, k, s in results if not k]
    share = 100 * len(killed) / len(results) if results else 0.0
    lines = [
        "# Mutation testing", "",
        "Small, plausible bugs put into the code one at a time (benchmarks/mutation.py); each "
        "is killed when its tests fail. Regenerate with:", "",
        "    .venv/bin/python benchmarks/mutation.py --write docs/mutation.md", "",
        f"Run {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC on "
        f"{'commit ' + rev if rev else 'the working tree'}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, {minutes:.1f} minutes"
        + (" (a partial run: only the mutants listed)" if partial else "") + ".", "",
        f"**{len(results)} mutants tried, {len(killed)} killed, {len(survived)} survived "
        f"({share:.0f}% killed).**", "",
    ]
    if stale_ones:
        lines += ["## Stale (snippet not found exactly once: not tried)", ""]
        lines += [f"- `{m.id}` in {m.path} (found {n} times)" for m, n in stale_ones] + [""]
    if untried:
        lines += ["## Not tried (their tests fail on the unmutated code)", ""]
        lines += [f"- `{m.id}` in {m.path}: {' '.join(m.tests)}" for m in untried] + [""]
    lines += ["## Survivors", ""]
    lines += [f"- `{m.id}` in {m.path}: {m.models}. Left because: "
              f"{m.left or 'not yet known; a test should be written to kill it'}."
              for m, _ in survived] or ["None."]
    lines += ["", "## Every mutant", "", "| mutant | where | models | tests | result | seconds |",
              "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| `{m.id}` | {m.path} | {m.models} | {' '.join(m.tests)} | "
              f"{'killed' if k else '**survived**'} | {s:.0f} |" for m, k, s in results]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", type=Path, help="write the report (markdown) here")
    parser.add_argument("--only", nargs="+", metavar="ID", help="only these mutants")
    parser.add_argument("--rev", help="mutate this commit instead of the working tree")
    parser.add_argument("--check", action="store_true",
                        help="only check that every snippet is found exactly once")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # ends the running tests too
    if args.rev:
        args.rev = subprocess.run(["git", "rev-parse", "--short", args.rev], cwd=ROOT, check=True,
                                  capture_output=True, text=True).stdout.strip()
    chosen = tuple(m for m in MUTANTS if not args.only or m.id in args.only)
    if args.only and len(chosen) != len(args.only):
        parser.error(f"unknown mutants: {sorted(set(args.only) - {m.id for m in MUTANTS})}")
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="htx-mutation-") as tmp:
        root = Path(tmp)
        copy_repository(root, args.rev)
        stale_ones = stale(chosen, root)
        for m, n in stale_ones:
            print(f"STALE {m.id}: snippet found {n} times in {m.path}", flush=True)
        if args.check:
            return 1 if stale_ones else 0
        live = [m for m in chosen if m not in {s for s, _ in stale_ones}]
        broken = set()
        for tests in dict.fromkeys(m.tests for m in live):
            passed, seconds, tail = run_tests(root, tests)
            print(f"baseline {' '.join(tests)}: {'ok' if passed else 'FAILED'} ({seconds:.0f} s)",
                  flush=True)
            if not passed:
                print(tail, flush=True)
                broken.add(tests)
        untried = [m for m in live if m.tests in broken]
        results = []
        for m in live:
            if m.tests in broken:
                print(f"NOT TRIED {m.id}: its tests fail without it", flush=True)
                continue
            killed, seconds, _ = try_mutant(root, m)
            results.append((m, killed, seconds))
            print(f"{'killed  ' if killed else 'SURVIVED'} {m.id} ({seconds:.0f} s)", flush=True)
    minutes = (time.monotonic() - start) / 60
    text = report(results, stale_ones, untried, minutes, args.rev, bool(args.only))
    print(text.split("## Every mutant")[0])
    if args.write:
        args.write.write_text(text, encoding="utf-8")
    return 1 if stale_ones or untried else 0


if __name__ == "__main__":
    sys.exit(main())
