"""Log-in sessions: a random token in an HttpOnly cookie, kept server-side only as its
hash, with an expiry and a CSRF token of its own; log-in attempts limited per user name
and per client address."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

from accounts.db import connect, now
from accounts.users import User

SESSION_HOURS = 8  # a working day
WINDOW_MINUTES = 15  # failed log-ins are counted over this window
MAX_FAILED_PER_NAME = 5
MAX_FAILED_PER_ADDRESS = 20


@dataclass(frozen=True)
class Session:
    user: User
    csrf_token: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _after(minutes: float) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=minutes)).isoformat(
        timespec="microseconds")


def start_session(db: Path, user: User, address: str) -> tuple[str, str]:
    """(session token for the cookie, CSRF token) of a new session."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with connect(db) as con:
        con.execute("DELETE FROM sessions WHERE expires_at < ?", (now(),))
        con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                    (_hash(token), user.username, csrf, now(), _after(SESSION_HOURS * 60),
                     address))
    return token, csrf


def session_for(db: Path, token: str | None) -> Session | None:
    """The live session of a cookie's token (an enabled account's), else None."""
    if not token:
        return None
    with connect(db) as con:
        row = con.execute(
            "SELECT u.username, u.role, u.unit, s.csrf_token FROM sessions AS s "
            "JOIN users AS u USING (username) "
            "WHERE s.token_hash = ? AND s.expires_at > ? AND NOT u.disabled",
            (_hash(token), now())).fetchone()
    if row is None:
        return None
    return Session(User(row["username"], row["role"], row["unit"]), row["csrf_token"])


def end_session(db: Path, token: str | None) -> None:
    if token:
        with connect(db) as con:
            con.execute("DELETE FROM sessions WHERE token_hash = ?", (_hash(token),))


def csrf_ok(session: Session, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(session.csrf_token, given)


def login_allowed(db: Path, username: str, address: str) -> bool:
    """False while this name or this address has too many failed log-ins in the window."""
    since = _after(-WINDOW_MINUTES)
    with connect(db) as con:
        by_name, by_address = con.execute(
            "SELECT count(*) FILTER (WHERE username = ?), count(*) FILTER (WHERE address = ?) "
            "FROM login_attempts WHERE at > ? AND NOT succeeded",
            (username, address, since)).fetchone()
    return by_name < MAX_FAILED_PER_NAME and by_address < MAX_FAILED_PER_ADDRESS


def record_attempt(db: Path, username: str, address: str, succeeded: bool) -> None:
    with connect(db) as con:
        con.execute("INSERT INTO login_attempts VALUES (?, ?, ?, ?)",
                    (now(), username, address, int(succeeded)))
