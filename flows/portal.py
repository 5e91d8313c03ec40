"""Where the portal keeps its things, from the one settings object, and the `htx user`
commands (wiring: accounts/ holds the logic).

The portal database (the `portal` setting, by default beside the warehouse, never inside
it) and, beside it, its feedback workbooks and run logs: data/portal.sqlite, data/portal/…."""

from __future__ import annotations

import getpass
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from accounts.users import User
from contracts.reference import load_reporting_units
from flows.settings import Settings, load_settings


@dataclass(frozen=True)
class PortalPlaces:
    database: Path  # accounts, sessions, audit, uploads, runs, stewards' decisions
    folder: Path  # feedback workbooks of uploads, temporary uploads, run logs

    @property
    def feedback(self) -> Path:
        return self.folder / "feedback"

    @property
    def uploads(self) -> Path:
        return self.folder / "uploads"

    @property
    def run_logs(self) -> Path:
        return self.folder / "runs"


def places(settings: Settings) -> PortalPlaces:
    database = settings.portal_database
    return PortalPlaces(database, database.parent / "portal")


def user_command(action: str, name: str | None, role: str | None, unit: str | None,
                 stdin: TextIO) -> str:
    """`htx user add|list|disable`: what to print. AccountError when refused."""
    from accounts import users

    settings = load_settings()
    db = places(settings).database
    if action == "list":
        rows = [f"{u.username}\t{u.role}\t{u.unit or '-'}\t"
                f"{'đã khoá (disabled)' if u.disabled else 'hoạt động (active)'}"
                for u in users.list_users(db)]
        return "\n".join(rows) or "chưa có tài khoản nào (no accounts yet)"
    if action == "disable":
        users.disable_user(db, name)
        return f"Đã khoá tài khoản (disabled) {name}"
    password = getpass.getpass("Mật khẩu (password): ") if stdin.isatty() else \
        stdin.readline().rstrip("\r\n")
    known = set(load_reporting_units(settings.reporting_units)["code"])
    user = users.add_user(db, name, role, unit, password, known)
    return (f"Đã tạo tài khoản (account made) {user.username}: {user.role}"
            + (f", đơn vị {user.unit}" if user.unit else "") + f" — {db}")


DEMO_ACCOUNTS = (("demo_tinh", "steward", None), ("demo_phan_tich", "analyst", None),
                 ("demo_116", "district", "116"), ("demo_118", "district", "118"))


def demo_accounts(settings: Settings) -> list[tuple[User, str]]:
    """The demo's accounts (a steward, an analyst, two districts) in the portal database of
    the demo warehouse, each with a new random password; none when they exist already."""
    from accounts import users

    db = places(settings).database
    if {u.username for u in users.list_users(db)} & {name for name, _, _ in DEMO_ACCOUNTS}:
        return []
    known = set(load_reporting_units(settings.reporting_units)["code"])
    made = []
    for name, role, unit in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(9)
        made.append((users.add_user(db, name, role, unit, password, known), password))
    return made
