"""The `htx` command line (see README.md and ../shared/spec/interfaces.md).

Exit status: 0 when the command completed (a run that rejected returns completed: that is
data, not a crash), 1 when it could not complete, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import shutil
import sys
from pathlib import Path

DEFAULT_DEMO_PERIOD = "2023"
DEFAULT_SEED = 2023


def _period(text: str):
    from transforms.periods import parse_period

    try:
        return parse_period(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"kỳ báo cáo không hợp lệ / invalid period: {text}") \
            from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="htx", description="Tổng hợp báo cáo kinh tế tập thể — consolidate district "
                                "cooperative returns into a DuckDB warehouse.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="make the demo province's returns, run the nightly "
                                       "flow on them, print the summary")
    demo.add_argument("--period", type=_period, default=DEFAULT_DEMO_PERIOD)
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED)
    _paths(demo)

    run = sub.add_parser("run", help="run the nightly consolidation once, now")
    _paths(run)

    template = sub.add_parser("template", help="write the blank return workbook for a district")
    template.add_argument("--district", required=True, help="reporting unit code, e.g. 125")
    template.add_argument("--period", required=True, type=_period, help="e.g. 2024 or 2024S1")
    template.add_argument("-o", "--output", required=True, type=Path, help="file to write")

    targets = sub.add_parser("targets-template",
                             help="write the targets workbook for the planning office")
    targets.add_argument("-o", "--output", required=True, type=Path, help="file to write")
    targets.add_argument("--period", type=_period, default=str(dt.date.today().year))
    targets.add_argument("--unit", help="unit code (default: the province)")

    data = sub.add_parser("demo-data", help="write the demo returns only")
    data.add_argument("--out", required=True, type=Path, help="folder to write them to")
    data.add_argument("--period", type=_period, default=DEFAULT_DEMO_PERIOD)
    data.add_argument("--seed", type=int, default=DEFAULT_SEED)

    review = sub.add_parser("review", help="list validation failures for stewards")
    review.add_argument("--district", help="reporting unit code")
    review.add_argument("--period", type=_period)
    review.add_argument("--severity", choices=["error", "warning"])
    review.add_argument("--rule", help="rule code, e.g. TOTAL_MISMATCH (see docs/rules.md)")
    review.add_argument("--format", choices=["table", "csv", "json"], default="table")
    review.add_argument("--warehouse", type=Path)

    waive = sub.add_parser("waive", help="accept one failure on the steward's authority "
                                         "(recorded; the next run re-evaluates the return)")
    waive.add_argument("failure_id", help="from htx review or quality.validation_failures")
    waive.add_argument("--reason", required=True, help="why the failure is acceptable")
    waive.add_argument("--by", required=True, help="the steward's name")
    waive.add_argument("--warehouse", type=Path)

    sub.add_parser("serve", help="serve the nightly deployment (01:00 Asia/Ho_Chi_Minh) on "
                                 "the Prefect server PREFECT_API_URL names")

    indicators = sub.add_parser("indicators", help="print indicator values")
    indicators.add_argument("--period", type=_period)
    indicators.add_argument("--district", help="reporting unit code (default: the province)")
    indicators.add_argument("--warehouse", type=Path)
    return parser


def _paths(p: argparse.ArgumentParser) -> None:
    p.add_argument("--inbox", type=Path, help="folder of returns (default data/inbox)")
    p.add_argument("--warehouse", type=Path, help="DuckDB file (default data/warehouse.duckdb)")
    p.add_argument("--reports", type=Path, help="reports folder (default data/reports)")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = {"demo": cmd_demo, "run": cmd_run, "template": cmd_template,
               "demo-data": cmd_demo_data, "targets-template": cmd_targets_template, "review": cmd_review,
               "indicators": cmd_indicators, "waive": cmd_waive,
               "serve": cmd_serve}[args.command]
    try:
        return handler(args)
    except (OSError, RuntimeError) as exc:
        print(f"htx {args.command}: {exc}", file=sys.stderr)
        return 1


# Prefect's embedded server, quiet: warnings only, no telemetry (its heartbeat competes
# for the server's SQLite file and logs "database is locked" at start-up).
PREFECT_DEFAULTS = {"PREFECT_LOGGING_LEVEL": "WARNING", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED": "false"}


class Progress(logging.Handler):
    """Progress per return: one line rewritten in place on a terminal, plain lines
    otherwise (a log file, a scheduler's capture)."""

    def __init__(self, stream=sys.stderr):
        super().__init__()
        self.stream, self.tty = stream, stream.isatty()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if self.tty:
            done, total = getattr(record, "progress", (0, 0))
            end = "\n" if done == total else ""
            self.stream.write(f"\r\033[K{text}{end}")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def _run_flow(inbox: Path | None, warehouse: Path | None, reports: Path | None) -> dict:
    for name, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(name, value)
    log = logging.getLogger("htx")
    if not log.handlers:
        log.addHandler(Progress())
        log.setLevel(logging.INFO)
        log.propagate = False
    from flows.nightly import nightly_consolidation

    return nightly_consolidation(inbox=inbox, warehouse=warehouse, reports=reports)


def _print_summary(result: dict) -> None:
    folder = Path(result["report_folder"])
    print((folder / "summary.md").read_text(encoding="utf-8"))
    print(f"Báo cáo (reports): {folder}")


def cmd_run(args) -> int:
    _print_summary(_run_flow(args.inbox, args.warehouse, args.reports))
    return 0


def cmd_demo(args) -> int:
    from flows.settings import load_settings
    from transforms.demo_province import write_demo_returns

    settings = load_settings(inbox=args.inbox, warehouse=args.warehouse, reports=args.reports)
    demo_dir = settings.inbox.parent / "demo" / args.period.code
    written = write_demo_returns(demo_dir, args.period, args.seed)
    settings.inbox.mkdir(parents=True, exist_ok=True)
    for path in written:
        shutil.copy2(path, settings.inbox / path.name)  # keeps the submission time
    print(f"Đã tạo {len(written)} báo cáo mẫu trong {settings.inbox} "
          f"(danh sách lỗi cố ý: {demo_dir / 'manifest.json'})\n")
    _print_summary(_run_flow(settings.inbox, settings.warehouse, settings.reports))
    return 0


def cmd_demo_data(args) -> int:
    from transforms.demo_province import write_demo_returns

    written = write_demo_returns(args.out, args.period, args.seed)
    print(f"wrote {len(written)} returns and manifest.json to {args.out}")
    return 0


def cmd_template(args) -> int:
    from contracts.reference import load_reporting_units
    from contracts.template import write_template
    from flows.settings import load_settings

    units = load_reporting_units(load_settings().reporting_units)
    match = units[units["code"] == args.district]
    if match.empty:
        print(f"htx template: không có đơn vị mã {args.district} / unknown unit code",
              file=sys.stderr)
        return 2
    path = write_template(args.output, args.district, match["name"].iloc[0], args.period)
    print(f"wrote {path}")
    return 0


def cmd_targets_template(args) -> int:
    from contracts.reference import TARGETS_CSV, load_reporting_units
    from contracts.template import write_targets
    from flows.settings import load_settings
    from transforms.targets import read_targets, target_lines

    settings = load_settings()
    units = load_reporting_units(settings.reporting_units)
    unit = args.unit or units.loc[units["parent_code"].isna(), "code"].iloc[0]
    current = read_targets(settings.targets or TARGETS_CSV)
    path = write_targets(args.output, target_lines(args.period.code, unit, current))
    print(f"wrote {path}: set HTX_TARGETS={path} (or targets in htx.toml) to use it")
    return 0


def cmd_review(args) -> int:
    from flows import queries

    frame = queries.failures(args.warehouse, args.district, args.period, args.severity,
                             args.rule)
    print(queries.formatted(frame, args.format))
    return 0


def cmd_serve(args) -> int:
    if not os.environ.get("PREFECT_API_URL"):
        print("htx serve: cần một Prefect server / needs a Prefect server:\n"
              "  prefect server start --host 127.0.0.1 --port 4200   # in another terminal\n"
              "  export PREFECT_API_URL=http://127.0.0.1:4200/api\n  htx serve",
              file=sys.stderr)
        return 1
    log = logging.getLogger("htx")
    log.addHandler(Progress())
    log.setLevel(logging.INFO)
    from flows.nightly import serve

    serve()
    return 0


def cmd_waive(args) -> int:
    from flows.settings import load_settings
    from flows.steps import waive

    try:
        record = waive(load_settings(warehouse=args.warehouse), args.failure_id, args.reason,
                       args.by)
    except KeyError:
        print(f"htx waive: không có lỗi mã {args.failure_id} / no such failure "
              "(see htx review)", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"htx waive: {exc}", file=sys.stderr)
        return 2
    print(f"Đã ghi nhận: {record['rule_code']} tại {record['cell'] or '-'} được {record['waived_by']} "
          f"chấp nhận ({record['reason']}). Lần chạy tới sẽ đánh giá lại báo cáo.")
    return 0


def cmd_indicators(args) -> int:
    from flows import queries

    frame = queries.indicators(args.warehouse, args.period, args.district)
    print(queries.as_text(frame, [c for c in frame.columns if c != "file_hash"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
