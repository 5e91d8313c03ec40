"""The `htx` command line (see README.md and ../shared/spec/interfaces.md).

Exit status: 0 when the command completed (a run that rejected returns completed: that is
data, not a crash), 1 when it could not complete, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import shlex
import shutil
import sys
from pathlib import Path

from outputs.escape import terminal_text

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
        prog="htx", description="Tổng hợp báo cáo kinh tế tập thể của các đơn vị vào kho dữ "
                                "liệu DuckDB (consolidate district cooperative returns into a "
                                "DuckDB warehouse).",
        epilog="Mã thoát (exit status): 0 xong (done), 1 không hoàn thành được (could not "
               "complete), 2 dùng sai lệnh (usage error).")
    parser._positionals.title = "lệnh (commands)"
    parser._optionals.title = "tuỳ chọn (options)"
    sub = parser.add_subparsers(dest="command", required=True, metavar="LỆNH")

    demo = _command(sub, "demo", "tạo báo cáo mẫu của tỉnh, chạy tổng hợp và in kết quả "
                                 "(make the demo returns, run the consolidation, print the "
                                 "summary)")
    demo.add_argument("--period", type=_period, default=DEFAULT_DEMO_PERIOD,
                      help="kỳ báo cáo (period), vd. 2023")
    demo.add_argument("--seed", type=_count, default=DEFAULT_SEED,
                      help="hạt giống ngẫu nhiên (random seed)")
    _paths(demo)

    run = _command(sub, "run", "chạy tổng hợp một lần, ngay bây giờ (run the nightly "
                               "consolidation once, now)")
    _paths(run)

    template = _command(sub, "template", "tạo mẫu báo cáo trống cho một đơn vị (write the "
                                         "blank return workbook for a district)")
    template.add_argument("--district", required=True,
                          help="mã đơn vị (reporting unit code), vd. 125")
    template.add_argument("--period", required=True, type=_period,
                          help="kỳ báo cáo (period), vd. 2024 hoặc 2024S1")
    template.add_argument("-o", "--output", required=True, type=Path,
                          help="tệp sẽ ghi (file to write)")

    targets = _command(sub, "targets-template", "tạo bảng chỉ tiêu kế hoạch cho phòng kế "
                                                "hoạch (write the targets workbook)")
    targets.add_argument("-o", "--output", required=True, type=Path,
                         help="tệp sẽ ghi (file to write)")
    targets.add_argument("--period", type=_period, default=str(dt.date.today().year),
                         help="kỳ báo cáo (period)")
    targets.add_argument("--unit", help="mã đơn vị, mặc định cả tỉnh (unit code, default: "
                                        "the province)")

    data = _command(sub, "demo-data", "chỉ tạo báo cáo mẫu (write the demo returns only)")
    data.add_argument("--out", required=True, type=Path,
                      help="thư mục sẽ ghi (folder to write them to)")
    data.add_argument("--period", type=_period, default=DEFAULT_DEMO_PERIOD,
                      help="kỳ báo cáo (period)")
    data.add_argument("--seed", type=_count, default=DEFAULT_SEED,
                      help="hạt giống ngẫu nhiên (random seed)")

    review = _command(sub, "review", "liệt kê lỗi kiểm tra cho cán bộ thẩm định (list "
                                     "validation failures for stewards)")
    review.add_argument("--district", help="mã đơn vị (reporting unit code)")
    review.add_argument("--period", type=_period, help="kỳ báo cáo (period)")
    review.add_argument("--severity", choices=["error", "warning"],
                        help="mức độ: error = lỗi, warning = cảnh báo (severity)")
    review.add_argument("--rule", help="mã quy tắc (rule code), vd. TOTAL_MISMATCH "
                                       "(docs/rules.md)")
    review.add_argument("--format", choices=["table", "csv", "json"], default="table",
                        help="dạng in ra (output format); csv mở được bằng Excel")
    review.add_argument("--warehouse", type=Path, help="tệp kho dữ liệu (DuckDB file)")

    waive = _command(sub, "waive", "chấp nhận một lỗi theo thẩm quyền cán bộ thẩm định, có "
                                   "ghi lại (accept one failure on the steward's authority)")
    waive.add_argument("failure_id", help="mã lỗi từ htx review (failure id)")
    waive.add_argument("--reason", required=True,
                       help=f"lý do chấp nhận, tối đa {MAX_TEXT} ký tự (why it is acceptable)")
    waive.add_argument("--by", required=True, help="họ tên cán bộ (the steward's name)")
    waive.add_argument("--warehouse", type=Path, help="tệp kho dữ liệu (DuckDB file)")

    _command(sub, "serve", "phục vụ lịch chạy hằng đêm (01:00 giờ Việt Nam) trên máy chủ "
                           "Prefect mà PREFECT_API_URL chỉ tới (serve the nightly deployment)")

    indicators = _command(sub, "indicators", "in giá trị chỉ tiêu (print indicator values)")
    indicators.add_argument("--period", type=_period, help="kỳ báo cáo (period)")
    indicators.add_argument("--district", help="mã đơn vị, mặc định cả tỉnh (unit code, "
                                               "default: the province)")
    indicators.add_argument("--warehouse", type=Path, help="tệp kho dữ liệu (DuckDB file)")

    restore = _command(sub, "restore", "lấy lại kho dữ liệu công bố trước khi tệp hiện tại bị "
                                       "hỏng (bring back the previous published warehouse)")
    restore.add_argument("--warehouse", type=Path, help="tệp kho dữ liệu (DuckDB file)")
    restore.add_argument("--force", action="store_true",
                         help="lấy lại cả khi tệp hiện tại đọc được (even if the current file "
                              "is readable)")
    _portal_commands(sub)
    return parser


def _portal_commands(sub) -> None:
    web = _command(sub, "web", "phục vụ cổng thông tin cho huyện, cán bộ thẩm định và phân "
                               "tích (serve the portal, ../shared/spec/portal.md)")
    web.add_argument("--host", default="127.0.0.1", help="địa chỉ (address), mặc định 127.0.0.1")
    web.add_argument("--port", type=_count, default=8000, help="cổng (port), mặc định 8000")
    _paths(web)
    user = _command(sub, "user", "quản lý tài khoản cổng thông tin (manage portal accounts)")
    actions = user.add_subparsers(dest="action", required=True, metavar="VIỆC")
    add = actions.add_parser("add", help="tạo tài khoản; mật khẩu đọc từ đầu vào chuẩn "
                                         "(make an account; password from standard input)")
    add.add_argument("name", help="tên đăng nhập (user name)")
    add.add_argument("--role", required=True, choices=["district", "steward", "analyst"],
                     help="vai trò (role)")
    add.add_argument("--unit", help="mã đơn vị của tài khoản huyện (unit code)")
    actions.add_parser("list", help="liệt kê tài khoản (list accounts)")
    disable = actions.add_parser("disable", help="khoá tài khoản (disable an account)")
    disable.add_argument("name", help="tên đăng nhập (user name)")


def _command(sub, name: str, help_text: str) -> argparse.ArgumentParser:
    command = sub.add_parser(name, help=help_text, description=help_text)
    command._optionals.title = "tuỳ chọn (options)"
    command._positionals.title = "tham số (arguments)"
    return command


def _count(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"cần một số nguyên / must be a whole number: "
                                         f"{terminal_text(text, True)}") from None


def _paths(p: argparse.ArgumentParser) -> None:
    p.add_argument("--inbox", type=Path, help="thư mục báo cáo gửi đến (folder of returns, "
                                              "default data/inbox)")
    p.add_argument("--warehouse", type=Path, help="tệp kho dữ liệu (DuckDB file, default "
                                                  "data/warehouse.duckdb)")
    p.add_argument("--reports", type=Path, help="thư mục kết quả (reports folder, default "
                                                "data/reports)")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = {"demo": cmd_demo, "run": cmd_run, "template": cmd_template,
               "demo-data": cmd_demo_data, "targets-template": cmd_targets_template, "review": cmd_review,
               "indicators": cmd_indicators, "waive": cmd_waive,
               "serve": cmd_serve, "restore": cmd_restore, "web": cmd_web,
               "user": cmd_user}[args.command]
    try:
        return handler(args)
    except BrokenPipeError:  # `htx review | head`: the reader has gone, nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - every failure is one line, never a traceback
        status, message = _failure(exc)
        print(f"htx {args.command}: {terminal_text(message, one_line=True)}", file=sys.stderr)
        return status


def _failure(exc: Exception) -> tuple[int, str]:
    """(exit status, one line in Vietnamese and English) for what stopped a command."""
    from flows.queries import UnknownCode

    if isinstance(exc, UnknownCode):
        return 2, str(exc)
    if "ephemeral Prefect API server" in str(exc):
        seconds = os.environ.get(PREFECT_STARTUP, "?")
        return 1, (f"máy chủ Prefect nhúng không khởi động được trong {seconds} giây (máy đang "
                   "bận?); chưa có gì thay đổi, hãy chạy lại, hoặc tăng "
                   f"{PREFECT_STARTUP}, hoặc đặt PREFECT_API_URL tới một máy chủ Prefect đang "
                   f"chạy / Prefect's embedded server did not start within {seconds} s (a busy "
                   f"machine?); nothing was changed: run again, raise {PREFECT_STARTUP}, or set "
                   "PREFECT_API_URL to a running Prefect server")
    if _is_connection_error(exc):
        url = os.environ.get("PREFECT_API_URL", "")
        return 1, (f"không kết nối được máy chủ Prefect {url} (PREFECT_API_URL); chưa có gì "
                   "thay đổi: khởi động máy chủ (prefect server start) hoặc bỏ PREFECT_API_URL "
                   f"để chạy nhúng / cannot reach the Prefect server at {url}; nothing was "
                   "changed: start it, or unset PREFECT_API_URL to run embedded")
    if isinstance(exc, (OSError, RuntimeError, ValueError)):
        return 1, str(exc) or type(exc).__name__
    return 1, (f"lỗi không lường trước / unexpected error: {type(exc).__name__}: {exc} "
               "(chạy lại; nếu còn lỗi, báo cho người quản trị / run again; if it persists, "
               "tell the administrator)")


def _is_connection_error(exc: BaseException) -> bool:
    import httpx

    for _ in range(20):  # the chain of causes, never followed forever
        if exc is None:
            return False
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


# Prefect's embedded server, quiet: warnings only, no telemetry (its heartbeat competes
# for the server's SQLite file and logs "database is locked" at start-up).
# Its server gets 10 minutes to start (Prefect's own default, 20 s, is not enough on a busy
# machine: on two cores kept busy, a first start with a fresh Prefect home took over 90 s,
# and a nightly run can wait); a user's own setting of any of these stands.
PREFECT_STARTUP = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
# The embedded server runs in a child process whose own log would print a traceback when it
# cannot start (htx says so in one line): only its critical records are shown.
PREFECT_DEFAULTS = {"PREFECT_LOGGING_LEVEL": "WARNING", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
                    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED": "false",
                    PREFECT_STARTUP: "600"}
MAX_TEXT = 2000  # characters in a waiver's reason or name


class Progress(logging.Handler):
    """Progress per return: one line rewritten in place on a terminal, plain lines
    otherwise (a log file, a scheduler's capture)."""

    def __init__(self, stream=sys.stderr):
        super().__init__()
        self.stream, self.tty = stream, stream.isatty()

    def emit(self, record: logging.LogRecord) -> None:
        text = terminal_text(record.getMessage(), one_line=True)
        if self.tty:
            done, total = getattr(record, "progress", (0, 0))
            end = "\n" if done == total else ""
            self.stream.write(f"\r\033[K{text}{end}")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def _run_flow(inbox: Path | None, warehouse: Path | None, reports: Path | None) -> dict:
    _check_inputs(inbox=inbox, warehouse=warehouse, reports=reports)
    for name, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(name, value)
    from flows.nightly import nightly_consolidation

    console_logs()
    from flows.stopping import stopping_on_signals

    with stopping_on_signals():  # SIGTERM, SIGINT: every child ended, exit within seconds
        return nightly_consolidation(inbox=inbox, warehouse=warehouse, reports=reports)


class _OneLine(logging.Formatter):
    """A console formatter that shows a record's first line, never its traceback (a
    Prefect server, when there is one, still gets the whole record)."""

    def __init__(self, inner: logging.Formatter | None):
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            text = self.inner.format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved
        return terminal_text(text.splitlines()[0] if text else text)


def console_logs() -> None:
    """What a run prints: its progress and warnings as one escaped line each, and of
    Prefect's records the first line only, never a flow or task run's error (`main` says
    it once). Also the setup of the run's worker processes (flows/nightly.py), whose
    messages reach the same terminal."""
    log = logging.getLogger("htx")
    if not log.handlers:
        log.addHandler(Progress())
        log.setLevel(logging.INFO)
        log.propagate = False
    _one_line_console_logs()


def _one_line_console_logs() -> None:
    loggers = [logging.getLogger()] + [
        logger for name, logger in logging.root.manager.loggerDict.items()
        if name.startswith(("prefect", "uvicorn")) and isinstance(logger, logging.Logger)]
    for logger in loggers:
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler) and \
                    not isinstance(handler.formatter, _OneLine):
                handler.setFormatter(_OneLine(handler.formatter))
                handler.addFilter(_not_a_run_error)


def _not_a_run_error(record: logging.LogRecord) -> bool:
    """A flow or task run's error is left to `main`, which says it once, in one line."""
    return not (record.levelno >= logging.ERROR
                and record.name.startswith(("prefect.flow_runs", "prefect.task_runs")))


def _check_inputs(**paths: Path | None) -> None:
    """Settings, reference files and the published warehouse, checked before a run starts
    anything: what cannot be used is one line (SettingsError, ReferenceDataError,
    TargetsError, WarehouseError) and nothing is changed."""
    from contracts.reference import TARGETS_CSV, load_reporting_units
    from flows.queries import check_warehouse
    from flows.settings import load_settings
    from transforms.targets import TargetsError, read_targets

    settings = load_settings(**paths)
    load_reporting_units(settings.reporting_units)
    if settings.targets and not settings.targets.is_file():
        raise TargetsError(f"{settings.targets} (HTX_TARGETS): không có tệp chỉ tiêu này / no "
                           "such targets file: sửa đường dẫn / correct the path")
    read_targets(settings.targets or TARGETS_CSV)
    if settings.warehouse.exists():
        check_warehouse(settings.warehouse, every_block=True)


def _print_summary(result: dict) -> None:
    print(terminal_text(result["markdown"]))
    print(f"Báo cáo (reports): {terminal_text(result['report_folder'], one_line=True)}")


def cmd_run(args) -> int:
    _print_summary(_run_flow(args.inbox, args.warehouse, args.reports))
    return 0


def cmd_demo(args) -> int:
    from flows.settings import load_settings
    from demo.province import write_demo_returns

    settings = load_settings(inbox=args.inbox, warehouse=args.warehouse, reports=args.reports)
    _check_inputs(inbox=args.inbox, warehouse=args.warehouse, reports=args.reports)
    demo_dir = settings.inbox.parent / "demo" / args.period.code
    written = write_demo_returns(demo_dir, args.period, args.seed)
    settings.inbox.mkdir(parents=True, exist_ok=True)
    for path in written:
        shutil.copy2(path, settings.inbox / path.name)  # keeps the submission time
    print(f"Đã tạo {len(written)} báo cáo mẫu trong {settings.inbox} "
          f"(danh sách lỗi cố ý: {demo_dir / 'manifest.json'})\n")
    _print_summary(_run_flow(settings.inbox, settings.warehouse, settings.reports))
    _print_portal_hint(settings, args)
    return 0


def _print_portal_hint(settings, args) -> None:
    """Demo accounts for the demo warehouse's portal, their passwords printed this once,
    and the one command that opens it."""
    from flows.portal import demo_accounts

    made = demo_accounts(settings)
    paths = " ".join(f"--{name} {shlex.quote(str(value))}" for name, value in
                     (("inbox", args.inbox), ("warehouse", args.warehouse),
                      ("reports", args.reports)) if value is not None)
    print(f"\nCổng thông tin (portal): htx web {paths}".rstrip()
          + "  →  http://127.0.0.1:8000")
    if not made:
        print("Tài khoản demo đã có từ lần chạy trước (demo accounts exist already; "
              "htx user list)")
    for user, password in made:
        print(f"  {user.username:<14} {user.role:<9} {user.unit or '':<4} mật khẩu "
              f"(password): {password}")
    if made:
        print("Mật khẩu chỉ hiện lần này (shown this once).")


def cmd_demo_data(args) -> int:
    from demo.province import write_demo_returns

    written = write_demo_returns(args.out, args.period, args.seed)
    print(f"Đã ghi {len(written)} báo cáo mẫu và manifest.json vào {args.out} "
          f"(wrote {len(written)} returns and manifest.json)")
    return 0


def cmd_template(args) -> int:
    from contracts.reference import load_reporting_units
    from outputs.template import write_template
    from flows.settings import load_settings

    units = load_reporting_units(load_settings().reporting_units)
    match = units[units["code"] == args.district]
    if match.empty:
        print(f"htx template: không có đơn vị mã {terminal_text(args.district, True)} / "
              "unknown unit code",
              file=sys.stderr)
        return 2
    path = write_template(args.output, args.district, match["name"].iloc[0], args.period)
    print(f"Đã ghi mẫu báo cáo (wrote the blank return): {path}")
    return 0


def cmd_targets_template(args) -> int:
    from contracts.reference import TARGETS_CSV, load_reporting_units
    from outputs.template import write_targets
    from flows.settings import load_settings
    from transforms.targets import read_targets, target_lines

    settings = load_settings()
    units = load_reporting_units(settings.reporting_units)
    unit = args.unit or units.loc[units["parent_code"].isna(), "code"].iloc[0]
    current = read_targets(settings.targets or TARGETS_CSV)
    path = write_targets(args.output, target_lines(args.period.code, unit, current))
    print(f"Đã ghi bảng chỉ tiêu (wrote the targets workbook): {path}; để dùng, đặt "
          f"HTX_TARGETS={path} hoặc targets trong htx.toml (set it to use it)")
    return 0


def cmd_review(args) -> int:
    from flows import queries

    frame = queries.failures(args.warehouse, args.district, args.period, args.severity,
                             args.rule)
    sys.stdout.write(queries.formatted(frame, args.format))
    sys.stdout.flush()
    return 0


def cmd_serve(args) -> int:
    if not os.environ.get("PREFECT_API_URL"):
        print("htx serve: cần một Prefect server / needs a Prefect server:\n"
              "  prefect server start --host 127.0.0.1 --port 4200   # in another terminal\n"
              "  export PREFECT_API_URL=http://127.0.0.1:4200/api\n  htx serve",
              file=sys.stderr)
        return 1
    _check_inputs()  # the served runs' settings: said now, in one line, not at 01:00
    log = logging.getLogger("htx")
    log.addHandler(Progress())
    log.setLevel(logging.INFO)
    from flows.nightly import serve

    serve()
    return 0


def _steward_text(name: str, text: str) -> str | None:
    """What is wrong with a waiver's reason or name, or None when it can be recorded."""
    if not text.strip():
        return (f"--{name} không được để trống / must not be blank: ghi rõ "
                f"{'lý do' if name == 'reason' else 'họ tên người chấp nhận'}")
    if len(text) > MAX_TEXT:
        return (f"--{name} dài {len(text)} ký tự, tối đa {MAX_TEXT} / is {len(text)} "
                f"characters long, at most {MAX_TEXT}")
    if terminal_text(text) != text:
        return f"--{name} có ký tự điều khiển / contains control characters"
    return None


def cmd_waive(args) -> int:
    from flows.queries import check_warehouse, warehouse_path
    from flows.settings import load_settings
    from flows.steps import waive

    problems = [p for p in (_steward_text("reason", args.reason), _steward_text("by", args.by))
                if p]
    if problems:
        print(f"htx waive: {problems[0]}", file=sys.stderr)
        return 2
    path = warehouse_path(args.warehouse)  # a missing warehouse: said, nothing created
    check_warehouse(path, every_block=True)
    try:
        record = waive(load_settings(warehouse=args.warehouse), args.failure_id,
                       args.reason.strip(), args.by.strip())
    except KeyError:
        print(f"htx waive: không có lỗi mã {terminal_text(args.failure_id, True)} / no such "
              "failure (xem / see htx review)", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"htx waive: lỗi này đã được chấp nhận rồi / {exc}", file=sys.stderr)
        return 2
    print(terminal_text(
        f"Đã ghi nhận (recorded): lỗi {record['rule_code']} tại {record['cell'] or '-'} được "
        f"{record['waived_by']} chấp nhận, lý do: {record['reason']}. Lần chạy tới sẽ đánh giá "
        "lại báo cáo (the next run re-evaluates the return): `htx run`."))
    return 0


def cmd_indicators(args) -> int:
    from flows import queries

    sys.stdout.write(queries.indicators_text(args.warehouse, args.period, args.district))
    sys.stdout.flush()
    return 0


def cmd_restore(args) -> int:
    from flows.queries import WarehouseError, check_warehouse
    from flows.settings import load_settings
    from warehouse.publish import previous_path, restore_previous

    path = load_settings(warehouse=args.warehouse).warehouse
    previous = previous_path(path)
    if not previous.exists():
        print(f"htx restore: không có bản công bố trước ({previous}) / no previous published "
              "warehouse to bring back", file=sys.stderr)
        return 1
    check_warehouse(previous, every_block=True)
    if path.exists() and not args.force:
        try:
            check_warehouse(path, every_block=True)
        except WarehouseError:
            pass
        else:
            print(f"htx restore: kho dữ liệu {path} vẫn đọc được; dùng --force để vẫn lấy lại "
                  "bản trước / the warehouse is readable; use --force to bring back the "
                  "previous one anyway", file=sys.stderr)
            return 2
    kept = restore_previous(path)
    print(f"Đã lấy lại kho dữ liệu công bố trước (previous published warehouse restored): "
          f"{path}" + (f"; tệp hỏng giữ ở (damaged file kept at) {kept}" if kept else ""))
    return 0


def cmd_web(args) -> int:
    from flows.settings import load_settings
    from flows.web import serve

    serve(args.host, args.port, load_settings(inbox=args.inbox, warehouse=args.warehouse,
                                              reports=args.reports))
    return 0


def cmd_user(args) -> int:
    from accounts.users import AccountError
    from flows import portal

    try:
        print(terminal_text(portal.user_command(args.action, getattr(args, "name", None),
                                                getattr(args, "role", None),
                                                getattr(args, "unit", None), sys.stdin)))
    except AccountError as exc:
        print(f"htx user: {terminal_text(exc, one_line=True)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
