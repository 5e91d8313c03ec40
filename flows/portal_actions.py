"""Every portal action, once: the JSON API and the pages both call these (flows/web.py).
Each checks who may do it, does it through the module that holds the logic, and records
it in the audit trail. A refusal is Refused(status, message in Vietnamese)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from accounts import audit, sessions, users
from accounts.db import connect, now
from accounts.users import User
from contracts.reference import load_reporting_units
from flows import runs as run_control
from flows.portal import PortalPlaces, places
from flows.settings import Settings
from intake import decisions
from intake.upload import UploadTooLarge, into_inbox, safe_name, take_upload
from outputs.portal import views
from outputs.portal.check import CheckPlace, check_return
from outputs.template import write_template
from transforms.periods import parse_period

MAX_REASON = 2000


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class Portal:
    settings: Settings

    @property
    def places(self) -> PortalPlaces:
        return places(self.settings)

    @property
    def db(self) -> Path:
        return self.places.database


def _need(user: User, *roles: str) -> None:
    if user.role not in roles:
        raise Refused(403, "Tài khoản của bạn không được làm việc này.")


def unit_names(portal: Portal) -> dict[str, str]:
    units = load_reporting_units(portal.settings.reporting_units)
    return dict(zip(units["code"], units["name"]))


# --- log-in -----------------------------------------------------------------------------------

def login(portal: Portal, username: str, password: str, address: str
          ) -> tuple[User, str, str]:
    """(the account, session token, CSRF token); 429 while rate-limited, 401 when wrong."""
    if not sessions.login_allowed(portal.db, username, address):
        audit.record(portal.db, username, address, "login_refused", reason="rate limit")
        raise Refused(429, "Quá nhiều lần đăng nhập sai. Hãy thử lại sau 15 phút.")
    user = users.verify_password(portal.db, username, password)
    sessions.record_attempt(portal.db, username, address, user is not None)
    if user is None:
        audit.record(portal.db, username, address, "login_failed")
        raise Refused(401, "Sai tên đăng nhập hoặc mật khẩu.")
    token, csrf = sessions.start_session(portal.db, user, address)
    audit.record(portal.db, user.username, address, "login")
    return user, token, csrf


def logout(portal: Portal, user: User, token: str | None, address: str) -> None:
    sessions.end_session(portal.db, token)
    audit.record(portal.db, user.username, address, "logout")


# --- returns ----------------------------------------------------------------------------------

def upload(portal: Portal, user: User, file_name: str, chunks: Iterable[bytes],
           address: str) -> dict:
    """Check an uploaded return at once, then put it into the inbox for the next run."""
    _need(user, "district", "steward")
    name = safe_name(file_name)
    cap = portal.settings.max_file_mb * 1_000_000
    try:
        taken, sha, size = take_upload(chunks, portal.places.uploads, cap, name)
    except UploadTooLarge:
        audit.record(portal.db, user.username, address, "upload_refused", name,
                     reason="too large")
        raise Refused(413, f"Tệp lớn hơn giới hạn {portal.settings.max_file_mb} MB.") from None
    try:
        result = check_return(_check_place(portal), taken, name, sha, size)
        _own_unit(portal, user, result)
        inbox_path = into_inbox(taken, portal.settings.inbox, sha, name)
    finally:
        os.unlink(taken)
    _record_upload(portal, user, result, inbox_path)
    audit.record(portal.db, user.username, address, "upload", sha, file_name=name,
                 district=result["district_code"], period=result["period"],
                 check_status=result["check_status"], failures=len(result["failures"]))
    return _answer(result)


def _check_place(portal: Portal) -> CheckPlace:
    s = portal.settings
    return CheckPlace(s.warehouse, s.reporting_units, s.targets, s.deadlines,
                      portal.places.feedback)


def _own_unit(portal: Portal, user: User, result: dict) -> None:
    """A district may send only its own return: the file's cover decides."""
    code = result["district_code"]
    if user.role == "district" and code is not None and code != user.unit:
        names = unit_names(portal)
        audit.record(portal.db, user.username, None, "upload_refused", result["submission_id"],
                     reason="another unit", file_unit=code, user_unit=user.unit)
        raise Refused(403, f"Tệp này là báo cáo của {names.get(code, code)} ({code}), không "
                           f"phải của {names.get(user.unit, user.unit)} ({user.unit}): tài "
                           "khoản của bạn chỉ gửi được báo cáo của đơn vị mình.")


def _record_upload(portal: Portal, user: User, result: dict, inbox_path: Path) -> None:
    import json

    with connect(portal.db) as con:
        con.execute("INSERT OR REPLACE INTO uploads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (result["submission_id"], result["file_name"], result["district_code"],
                     result["period"], result["check_status"],
                     json.dumps(result, ensure_ascii=False), result["feedback_path"],
                     str(inbox_path), user.username, user.unit, now()))


def _answer(result: dict) -> dict:
    keys = ("submission_id", "file_name", "district_code", "period", "check_status",
            "failures")
    url = f"/api/returns/{result['submission_id']}/feedback" if result["feedback_path"] else None
    return {k: result[k] for k in keys} | {"feedback_url": url}


def list_returns(portal: Portal, user: User, period: str | None) -> list[dict]:
    district = user.unit if user.role == "district" else None
    keys = ("submission_id", "file_name", "district_code", "period", "version", "status",
            "received_at")
    return [{k: r.get(k) for k in keys} | {"check_status": r.get("check_status")}
            for r in views.returns(portal.settings.warehouse, portal.db, period, district)]


def one_return(portal: Portal, user: User, submission_id: str) -> dict:
    """One return with its failures (the warehouse's, else the upload check's)."""
    _need(user, "district", "steward")
    found = views.returns(portal.settings.warehouse, portal.db, submission_id=submission_id)
    if not found:
        raise Refused(404, "Không có báo cáo này.")
    record = found[0]
    if user.role == "district" and record["district_code"] != user.unit:
        raise Refused(403, "Báo cáo này không phải của đơn vị bạn.")
    uploaded = views.upload(portal.db, submission_id)
    try:
        failures = views.failures(portal.settings.warehouse, submission_id=submission_id)
    except views.NoWarehouse:
        failures = []
    if record["status"] == "received" and uploaded:
        failures = uploaded["result"]["failures"]
    waived = decisions.waived_failures(portal.db)
    for f in failures:
        f["waiver_recorded"] = f["failure_id"] in waived
    return record | {"failures": failures, "feedback_url": (
        f"/api/returns/{submission_id}/feedback" if uploaded and uploaded["feedback_path"]
        else None)}


def feedback_file(portal: Portal, user: User, submission_id: str) -> Path:
    one_return(portal, user, submission_id)  # who may see it
    uploaded = views.upload(portal.db, submission_id)
    if not uploaded or not uploaded["feedback_path"] or \
            not Path(uploaded["feedback_path"]).is_file():
        raise Refused(404, "Không có tệp phản hồi cho báo cáo này.")
    return Path(uploaded["feedback_path"])


def list_failures(portal: Portal, user: User, period: str | None, district: str | None,
                  severity: str | None, rule: str | None = None) -> list[dict]:
    _need(user, "district", "steward")
    if user.role == "district":
        if district not in (None, user.unit):
            raise Refused(403, "Bạn chỉ xem được lỗi của đơn vị mình.")
        district = user.unit
    found = views.failures(portal.settings.warehouse, period, district, severity, rule)
    waived = decisions.waived_failures(portal.db)
    return [f | {"waiver_recorded": f["failure_id"] in waived} for f in found]


def template_file(portal: Portal, user: User, unit: str | None, period: str) -> Path:
    """The blank return for a unit and period (a district: its own unit only)."""
    _need(user, "district", "steward")
    unit = user.unit if user.role == "district" else unit
    names = unit_names(portal)
    if unit not in names:
        raise Refused(404, "Không có đơn vị này.")
    try:
        parsed = parse_period(period)
    except ValueError:
        raise Refused(400, f"Kỳ báo cáo không hợp lệ: {period}") from None
    folder = portal.places.folder / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    return write_template(folder / f"mau_{unit}_{parsed.code}.xlsx", unit, names[unit], parsed)


# --- stewards' decisions ----------------------------------------------------------------------

def _reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise Refused(400, "Cần ghi rõ lý do.")
    if len(reason) > MAX_REASON:
        raise Refused(400, f"Lý do dài quá {MAX_REASON} ký tự.")
    return reason.strip()


def waive(portal: Portal, user: User, failure_id: str, reason: object, address: str) -> dict:
    _need(user, "steward")
    reason = _reason(reason)
    failure = _failure(portal, failure_id)
    detail = {k: failure.get(k) for k in ("submission_id", "rule_code", "cell",
                                          "district_code", "period")}
    d = decisions.record_decision(portal.db, "waive", failure_id, reason, user.username,
                                  **detail)
    audit.record(portal.db, user.username, address, "waive", failure_id, reason=reason)
    return {"failure_id": failure_id, "decision": d.seq, "reason": d.reason,
            "decided_by": d.decided_by, "decided_at": d.decided_at,
            "applied": "at the next consolidation"}


def _failure(portal: Portal, failure_id: str) -> dict:
    try:
        found = views.failures(portal.settings.warehouse, failure_id=failure_id)
    except views.NoWarehouse:
        found = []
    if found:
        return found[0]
    for u in views.pending_uploads(portal.db, None, None):
        record = views.upload(portal.db, u["submission_id"])
        for f in record["result"]["failures"]:
            if f["failure_id"] == failure_id:
                return f | {"submission_id": u["submission_id"],
                            "district_code": record["district_code"],
                            "period": record["period"]}
    raise Refused(404, "Không có lỗi này.")


def lock(portal: Portal, user: User, period: str, reason: object, address: str,
         unlock: bool = False) -> dict:
    _need(user, "steward")
    reason = _reason(reason)
    try:
        code = parse_period(period).code
    except ValueError:
        raise Refused(404, f"Kỳ báo cáo không hợp lệ: {period}") from None
    kind = "unlock" if unlock else "lock"
    d = decisions.record_decision(portal.db, kind, code, reason, user.username)
    audit.record(portal.db, user.username, address, kind, code, reason=reason)
    return {"period": code, "locked": not unlock, "decision": d.seq, "reason": d.reason,
            "decided_by": d.decided_by, "decided_at": d.decided_at}


# --- runs -------------------------------------------------------------------------------------

def start_run(portal: Portal, user: User, address: str) -> dict:
    _need(user, "steward")
    run_id = run_control.start_run(portal.places, portal.settings, user.username)
    audit.record(portal.db, user.username, address, "run_started", run_id)
    return {"run_id": run_id}


def run_state(portal: Portal, user: User, run_id: str) -> dict:
    _need(user, "steward")
    state = run_control.run_state(portal.places, run_id)
    if state is None:
        raise Refused(404, "Không có lần chạy này.")
    return state


def indicators(portal: Portal, user: User, period: str | None, district: str | None
               ) -> list[dict]:
    if district is not None and district not in unit_names(portal):
        raise Refused(404, "Không có đơn vị này.")
    return views.indicators(portal.settings.warehouse, period, district)
