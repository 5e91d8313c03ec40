"""Portal accounts: made on the command line only; passwords hashed with argon2."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from accounts.db import connect, now

ROLES = ("district", "steward", "analyst")
NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
MIN_PASSWORD = 8
_HASHER = PasswordHasher()
# Verified when a name is unknown, so that a wrong name takes as long as a wrong password.
_DUMMY = _HASHER.hash("not a password of anyone")


class AccountError(ValueError):
    """An account that cannot be made or changed; the message says why (vi / en)."""


@dataclass(frozen=True)
class User:
    username: str
    role: str
    unit: str | None
    disabled: bool = False


def add_user(db: Path, username: str, role: str, unit: str | None, password: str,
             known_units: set[str]) -> User:
    """Make an account; AccountError for a bad name, role, unit or password."""
    if not NAME.fullmatch(username):
        raise AccountError("tên đăng nhập chỉ gồm chữ không dấu, số và . _ @ - (tối đa 64) / "
                           "a user name is letters, digits and . _ @ - (at most 64)")
    if role not in ROLES:
        raise AccountError(f"vai trò phải là một trong {', '.join(ROLES)} / unknown role")
    if role == "district" and not unit:
        raise AccountError("tài khoản huyện cần --unit MÃ / a district account needs --unit")
    if unit is not None and unit not in known_units:
        raise AccountError(f"không có đơn vị mã {unit!r} trong danh mục đơn vị báo cáo / "
                           "unknown unit code")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"mật khẩu cần ít nhất {MIN_PASSWORD} ký tự / the password needs "
                           f"at least {MIN_PASSWORD} characters")
    with connect(db) as con:
        if con.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
            raise AccountError(f"đã có tài khoản {username} / the account already exists")
        con.execute("INSERT INTO users VALUES (?, ?, ?, ?, 0, ?)",
                    (username, role, unit, _HASHER.hash(password), now()))
    return User(username, role, unit)


def list_users(db: Path) -> list[User]:
    with connect(db) as con:
        rows = con.execute("SELECT username, role, unit, disabled FROM users "
                           "ORDER BY username").fetchall()
    return [User(r["username"], r["role"], r["unit"], bool(r["disabled"])) for r in rows]


def disable_user(db: Path, username: str) -> None:
    """Disable an account and end its sessions; AccountError when there is none."""
    with connect(db) as con:
        if not con.execute("UPDATE users SET disabled = 1 WHERE username = ?",
                           (username,)).rowcount:
            raise AccountError(f"không có tài khoản {username} / no such account")
        con.execute("DELETE FROM sessions WHERE username = ?", (username,))


def verify_password(db: Path, username: str, password: str) -> User | None:
    """The account when the name and password match an enabled account, else None."""
    with connect(db) as con:
        row = con.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        try:
            _HASHER.verify(row["password_hash"] if row else _DUMMY, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or row["disabled"]:
            return None
        if _HASHER.check_needs_rehash(row["password_hash"]):
            con.execute("UPDATE users SET password_hash = ? WHERE username = ?",
                        (_HASHER.hash(password), username))
    return User(row["username"], row["role"], row["unit"])
