"""`htx web`: the portal's routes (wiring only). Every action is one function of
flows/portal_actions.py, called by the JSON API (/api/…) and by the pages alike; pages
are Jinja2 templates (autoescaped) in outputs/portal/templates, static files in
outputs/portal/static (nothing is loaded from the network)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from starlette.concurrency import run_in_threadpool

import outputs.portal
from accounts import sessions
from accounts.sessions import Session
from contracts.indicators import INDICATORS
from flows import portal_actions as act
from flows import runs as run_control
from flows.portal_actions import Portal, Refused
from flows.settings import Settings, load_settings
from intake import decisions
from outputs.portal import exports, views
from outputs.portal.check import by_sheet
from outputs.summary import local_date, vietnam_time
from transforms.text import vi_number

COOKIE = "htx_session"
PORTAL_DIR = Path(outputs.portal.__file__).parent
CHART_TEMPLATES = PORTAL_DIR.parent / "templates"
CATALOGUE = {i.code: n for n, i in enumerate(INDICATORS)}  # the page's order of indicators
RUN_LABELS = {"running": "đang chạy", "completed": "xong", "failed": "thất bại"}
HOME = {"district": "/bao-cao", "steward": "/tinh", "analyst": "/chi-tieu"}
INDICATOR_COLUMNS = ["period", "district_code", "indicator_code", "indicator_name_vi", "unit",
                     "value", "target", "attainment_pct", "rows_left_out",
                     "districts_expected", "districts_covered"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def create_app(settings: Settings | None = None) -> FastAPI:
    portal = Portal(settings or load_settings())
    app = FastAPI(title="htx portal", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.portal = portal
    app.mount("/static", StaticFiles(directory=PORTAL_DIR / "static"), name="static")
    pages = Jinja2Templates(env=Environment(  # the shared SVG chart is the run report's
        loader=FileSystemLoader([PORTAL_DIR / "templates", CHART_TEMPLATES]),
        autoescape=True))  # every template, whatever its name (.html.j2, .svg.j2)
    pages.env.globals["status_labels"] = views.STATUS_LABELS
    pages.env.globals["run_labels"] = RUN_LABELS
    pages.env.filters["number"] = _number
    pages.env.filters["local_time"] = vietnam_time  # dd/mm/yyyy HH:MM, the units' own zone
    pages.env.filters["local_date"] = local_date

    def address(request: Request) -> str:
        return request.client.host if request.client else "?"

    def session(request: Request) -> Session | None:
        return sessions.session_for(portal.db, request.cookies.get(COOKIE))

    def api_user(request: Request, change: bool = False) -> Session:
        found = session(request)
        if found is None:
            raise Refused(401, "Cần đăng nhập.")
        if change and not sessions.csrf_ok(found, request.headers.get("X-CSRF-Token")):
            raise Refused(403, "Thiếu hoặc sai mã chống giả mạo (X-CSRF-Token).")
        return found

    def page_user(request: Request) -> Session:
        found = session(request)
        if found is None:
            raise NotLoggedIn()
        return found

    async def form_user(request: Request) -> tuple[Session, dict]:
        found = page_user(request)
        form = await request.form()
        if not sessions.csrf_ok(found, form.get("csrf_token")):
            raise Refused(403, "Phiên làm việc không hợp lệ, hãy tải lại trang.")
        return found, form

    def render(request: Request, name: str, s: Session | None, status: int = 200, **context):
        return pages.TemplateResponse(request, f"{name}.html.j2", context | {
            "user": s.user if s else None, "csrf": s.csrf_token if s else ""},
            status_code=status)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.message}, status_code=exc.status)
        return render(request, "error", session(request), exc.status, message=exc.message)

    @app.exception_handler(views.NoWarehouse)
    async def no_warehouse(request: Request, exc: views.NoWarehouse):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": f"Chưa có số liệu công bố: {exc}"}, status_code=503)
        return render(request, "no_warehouse", session(request), 200, message=str(exc))

    @app.exception_handler(NotLoggedIn)
    async def not_logged_in(request: Request, exc: NotLoggedIn):
        return RedirectResponse("/login", status_code=303)

    # --- JSON API -----------------------------------------------------------------------------

    @app.post("/api/login")
    async def api_login(request: Request):
        body = await _json(request)
        user, token, csrf = await run_in_threadpool(
            act.login, portal, str(body.get("username", "")), str(body.get("password", "")),
            address(request))
        response = JSONResponse({"username": user.username, "role": user.role,
                                 "unit": user.unit, "csrf_token": csrf})
        _set_cookie(response, token, request)
        return response

    @app.post("/api/logout")
    def api_logout(request: Request):
        s = api_user(request, change=True)
        act.logout(portal, s.user, request.cookies.get(COOKIE), address(request))
        response = JSONResponse({"ok": True})
        response.delete_cookie(COOKIE)
        return response

    @app.post("/api/returns")
    async def api_upload(request: Request):
        s = api_user(request, change=True)
        name, chunks, _ = await _upload(request, portal)
        return await run_in_threadpool(act.upload, portal, s.user, name, chunks,
                                       address(request))

    @app.get("/api/returns")
    def api_returns(request: Request, period: str | None = None):
        return act.list_returns(portal, api_user(request).user, period)

    @app.get("/api/returns/{submission_id}")
    def api_return(request: Request, submission_id: str):
        return act.one_return(portal, api_user(request).user, submission_id)

    @app.get("/api/returns/{submission_id}/feedback")
    def api_feedback(request: Request, submission_id: str):
        path = act.feedback_file(portal, api_user(request).user, submission_id)
        return FileResponse(path, media_type=XLSX, filename=path.name)

    @app.get("/api/failures")
    def api_failures(request: Request, period: str | None = None,
                     district: str | None = None, severity: str | None = None,
                     rule: str | None = None):
        return act.list_failures(portal, api_user(request).user, period, district, severity,
                                 rule)

    @app.post("/api/failures/{failure_id}/waive")
    async def api_waive(request: Request, failure_id: str):
        s = api_user(request, change=True)
        body = await _json(request)
        return act.waive(portal, s.user, failure_id, body.get("reason"), address(request))

    @app.post("/api/periods/{period}/lock")
    async def api_lock(request: Request, period: str):
        s = api_user(request, change=True)
        body = await _json(request)
        return act.lock(portal, s.user, period, body.get("reason"), address(request))

    @app.post("/api/periods/{period}/unlock")
    async def api_unlock(request: Request, period: str):
        s = api_user(request, change=True)
        body = await _json(request)
        return act.lock(portal, s.user, period, body.get("reason"), address(request), True)

    @app.post("/api/runs")
    def api_start_run(request: Request):
        s = api_user(request, change=True)
        return act.start_run(portal, s.user, address(request))

    @app.get("/api/runs/{run_id}")
    def api_run(request: Request, run_id: str):
        return act.run_state(portal, api_user(request).user, run_id)

    @app.get("/api/indicators")
    def api_indicators(request: Request, period: str | None = None,
                       district: str | None = None):
        return act.indicators(portal, api_user(request).user, period, district)

    @app.get("/api/{rest:path}")
    def api_unknown(request: Request, rest: str):
        api_user(request)
        raise Refused(404, "Không có đường dẫn này.")

    # --- pages --------------------------------------------------------------------------------

    @app.get("/")
    def home(request: Request):
        return RedirectResponse(HOME[page_user(request).user.role], status_code=303)

    @app.get("/login")
    def login_page(request: Request):
        return render(request, "login", None)

    @app.post("/login")
    async def login_form(request: Request):
        form = await request.form()
        try:
            user, token, _ = await run_in_threadpool(
                act.login, portal, str(form.get("username", "")),
                str(form.get("password", "")), address(request))
        except Refused as exc:
            return render(request, "login", None, exc.status, message=exc.message,
                          username=form.get("username", ""))
        response = RedirectResponse(HOME[user.role], status_code=303)
        _set_cookie(response, token, request)
        return response

    @app.post("/logout")
    async def logout_form(request: Request):
        s, _ = await form_user(request)
        act.logout(portal, s.user, request.cookies.get(COOKIE), address(request))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    @app.get("/bao-cao")
    def returns_page(request: Request, period: str | None = None):
        s = page_user(request)
        if s.user.role == "analyst":
            raise Refused(403, "Tài khoản phân tích không gửi báo cáo.")
        return render(request, "returns", s, rows=act.list_returns(portal, s.user, period),
                      units=_units(portal), period=period or _this_year())

    @app.post("/bao-cao/nop")
    async def upload_form(request: Request):
        s = page_user(request)
        name, chunks, form = await _upload(request, portal)
        if not sessions.csrf_ok(s, form.get("csrf_token")):
            raise Refused(403, "Phiên làm việc không hợp lệ, hãy tải lại trang.")
        result = await run_in_threadpool(act.upload, portal, s.user, name, chunks,
                                         address(request))
        return render(request, "check", s, result=result, groups=by_sheet(result["failures"]))

    @app.get("/bao-cao/{submission_id}")
    def return_page(request: Request, submission_id: str):
        s = page_user(request)
        record = act.one_return(portal, s.user, submission_id)
        return render(request, "return", s, record=record,
                      groups=by_sheet(record["failures"]))

    @app.get("/bao-cao/{submission_id}/phan-hoi")
    def feedback_page(request: Request, submission_id: str):
        path = act.feedback_file(portal, page_user(request).user, submission_id)
        return FileResponse(path, media_type=XLSX, filename=path.name)

    @app.get("/mau")
    def template_download(request: Request, period: str, unit: str | None = None):
        path = act.template_file(portal, page_user(request).user, unit, period)
        return FileResponse(path, media_type=XLSX, filename=path.name)

    @app.get("/tinh")
    def board_page(request: Request):
        s = page_user(request)
        if s.user.role == "district":
            raise Refused(403, "Trang này dành cho cán bộ của tỉnh.")
        return render(request, "board", s, **_board(portal, s))

    @app.get("/loi")
    def failures_page(request: Request, period: str | None = None,
                      district: str | None = None, severity: str | None = None,
                      rule: str | None = None):
        s = page_user(request)
        rows = act.list_failures(portal, s.user, period or None, district or None,
                                 severity or None, rule or None)
        counts: dict[str, int] = {}
        for f in rows:
            counts[f["rule_code"]] = counts.get(f["rule_code"], 0) + 1
        return render(request, "failures", s, rows=rows, counts=sorted(
            counts.items(), key=lambda kv: -kv[1]), units=_units(portal),
            filters={"period": period or "", "district": district or "",
                     "severity": severity or "", "rule": rule or ""})

    @app.post("/loi/{failure_id}/chap-nhan")
    async def waive_form(request: Request, failure_id: str):
        s, form = await form_user(request)
        act.waive(portal, s.user, failure_id, form.get("reason"), address(request))
        back = str(form.get("back") or "/loi")
        return RedirectResponse(back if back.startswith("/") and back[1:2] not in ("/", "\\")
                                else "/loi", status_code=303)

    @app.post("/ky/{period}/{what}")
    async def lock_form(request: Request, period: str, what: str):
        s, form = await form_user(request)
        if what not in ("khoa", "mo"):
            raise Refused(404, "Không có việc này.")
        act.lock(portal, s.user, period, form.get("reason"), address(request), what == "mo")
        return RedirectResponse("/tinh", status_code=303)

    @app.post("/chay")
    async def run_form(request: Request):
        s, _ = await form_user(request)
        started = await run_in_threadpool(act.start_run, portal, s.user, address(request))
        return RedirectResponse(f"/chay/{started['run_id']}", status_code=303)

    @app.get("/chay/{run_id}")
    def run_page(request: Request, run_id: str):
        s = page_user(request)
        return render(request, "run", s, run=act.run_state(portal, s.user, run_id),
                      pending=decisions.pending_decisions(portal.db))

    @app.get("/chi-tieu")
    def indicators_page(request: Request, period: str | None = None,
                        district: str | None = None):
        s = page_user(request)
        rows = sorted(act.indicators(portal, s.user, period or None, district or None),
                      key=lambda r: (r["period"], CATALOGUE.get(r["indicator_code"], 0)))
        shown = period or (rows[-1]["period"] if rows else None)  # charts: the latest
        charts = views.indicator_charts(portal.settings.warehouse, shown, district or None) \
            if shown else []
        return render(request, "indicators", s, rows=rows, units=_units(portal),
                      charts=charts, chart_period=shown,
                      locks=decisions.locked_periods(portal.db),
                      # another unit's returns and the runs are not a district's to see
                      completeness=[] if s.user.role == "district"
                      else views.completeness(portal.settings.warehouse),
                      runs=[] if s.user.role == "district"
                      else views.runs(portal.settings.warehouse),
                      filters={"period": period or "", "district": district or ""})

    @app.get("/chi-tieu.{kind}")
    def indicators_export(request: Request, kind: str, period: str | None = None,
                          district: str | None = None):
        s = page_user(request)
        rows = act.indicators(portal, s.user, period or None, district or None)
        if kind == "csv":
            return Response(exports.csv_bytes(INDICATOR_COLUMNS, rows),
                            media_type="text/csv; charset=utf-8",
                            headers=_attachment("chi_tieu.csv"))
        if kind == "xlsx":
            return Response(exports.xlsx_bytes(INDICATOR_COLUMNS, rows, "chi_tieu"),
                            media_type=XLSX, headers=_attachment("chi_tieu.xlsx"))
        raise Refused(404, "Không có định dạng này.")

    @app.get("/bao-cao-chay/{run_id}")
    def run_report(request: Request, run_id: str):
        s = page_user(request)
        path = portal.settings.reports / f"run_{run_id}" / "report.html"
        if s.user.role == "district" or not path.is_file() or "/" in run_id or ".." in run_id:
            raise Refused(404, "Không có báo cáo của lần chạy này.")
        return FileResponse(path, media_type="text/html; charset=utf-8")

    return app


class NotLoggedIn(Exception):
    """A page asked without a session: to the log-in page."""


async def _json(request: Request) -> dict:
    try:
        body = await request.json()
    except ValueError:
        raise Refused(400, "Nội dung gửi lên không phải JSON.") from None
    if not isinstance(body, dict):
        raise Refused(400, "Nội dung gửi lên phải là một đối tượng JSON.")
    return body


async def _upload(request: Request, portal: Portal):
    """(file name, its bytes in chunks) of the multipart field `file`; 413 at once when
    the request says it is over the cap."""
    cap = portal.settings.max_file_mb * 1_000_000
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():  # a body of unsaid length could fill the disk before the cap
        raise Refused(411, "Cần cho biết độ dài tệp gửi lên (Content-Length).")
    if int(declared) > cap + 1_000_000:
        raise Refused(413, f"Tệp lớn hơn giới hạn {portal.settings.max_file_mb} MB.")
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise Refused(422, "Thiếu tệp báo cáo (trường file).")
    return upload.filename or "", iter(lambda: upload.file.read(1 << 20), b""), form


def _set_cookie(response: Response, token: str, request: Request) -> None:
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", path="/",
                        secure=request.url.scheme == "https",
                        max_age=sessions.SESSION_HOURS * 3600)


def _attachment(name: str) -> dict:
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}


def _units(portal: Portal) -> dict[str, str]:
    return act.unit_names(portal)


def _number(value: float | None, digits: int = 1) -> str:
    """A figure the Vietnamese way (1.234,5); '—' when there is none."""
    return "—" if value is None else vi_number(value, digits)


def _this_year() -> str:
    import datetime as dt

    return str(dt.date.today().year)


def _board(portal: Portal, s: Session) -> dict:
    """Completeness: units × periods, with the periods' locks and the portal's runs."""
    locks = decisions.locked_periods(portal.db)
    rows = views.completeness(portal.settings.warehouse)
    periods = sorted({r["period"] for r in rows} | set(locks), reverse=True)
    cells = {(r["district_code"], r["period"]): r for r in rows}
    for u in views.pending_uploads(portal.db, None, None):  # sent, not yet consolidated
        cell = cells.get((u["district_code"], u["period"]))
        if cell is not None and cell["status"] == "missing":
            cells[(u["district_code"], u["period"])] = cell | {"status": "received"}
    units = sorted({r["district_code"]: r["district_name"] for r in rows}.items())
    held: dict[tuple, list[dict]] = {}  # received while the period is locked
    for r in views.held_returns(portal.settings.warehouse):
        held.setdefault((r["district_code"], r["period"]), []).append(r)
    return {"periods": periods, "units": units, "cells": cells, "locks": locks, "held": held,
            "runs": run_control.runs(portal.places),
            "pending": decisions.pending_decisions(portal.db)}


def serve(host: str, port: int, settings: Settings | None = None) -> None:
    import uvicorn

    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
