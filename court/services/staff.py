"""Courts and staff accounts, API keys."""
from __future__ import annotations

import unicodedata

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from court import audit, crypto
from court.errors import Conflict, DomainError
from court.models import Court, Staff, StaffRole

API_KEY_PREFIX = "ck_"


def create_court(s: Session, name: str, code: str) -> Court:
    if s.scalar(select(Court).where(Court.code == code)):
        raise Conflict("法院代码已存在", code="court_exists")
    court = Court(name=name, code=code)
    s.add(court)
    s.flush()
    audit.record(s, "court.created", subject=f"court:{court.id}", details={"name": name, "code": code})
    return court


def normalize_username(username: str) -> str:
    """The form of a username used for look-ups and log-in limits: NFKC (full-width letters
    become ASCII), surrounding spaces stripped, case folded. "Clerk1 " and "ｃｌｅｒｋ１" are
    the same account, so they also share one attempt counter."""
    return unicodedata.normalize("NFKC", username).strip().casefold()


def find_by_username(s: Session, username: str) -> Staff | None:
    """Usernames are ASCII (the API's pattern), where casefold is lower(): compare lowered."""
    return s.scalar(select(Staff).where(func.lower(Staff.username) == normalize_username(username)))


def create_staff(s: Session, court: Court, username: str, name: str, role: StaffRole, actor: str = "system") -> tuple[Staff, str]:
    """Create a staff member and return them with their API key (shown once, stored hashed)."""
    if find_by_username(s, username) is not None:
        raise Conflict("用户名已存在", code="username_taken")
    staff = Staff(court_id=court.id, username=username, name=name, role=role)
    s.add(staff)
    s.flush()
    key = issue_api_key(s, staff, actor)
    audit.record(s, "staff.created", actor=actor, subject=f"staff:{staff.id}", details={"role": role.value})
    return staff, key


def issue_api_key(s: Session, staff: Staff, actor: str = "system") -> str:
    key = API_KEY_PREFIX + crypto.random_token(32)
    staff.api_key_hash = crypto.token_hash(key)
    staff.api_key_prefix = key[:10]
    s.flush()
    audit.record(s, "staff.api_key_issued", actor=actor, subject=f"staff:{staff.id}")
    return key


def authenticate_api_key(s: Session, key: str) -> Staff | None:
    if not key.startswith(API_KEY_PREFIX) or len(key) > 128:
        return None
    staff = s.scalar(select(Staff).where(Staff.api_key_hash == crypto.token_hash(key)))
    return staff if staff is not None and staff.active else None


def require_role(staff: Staff, *roles: StaffRole) -> None:
    if staff.role is StaffRole.ADMIN or staff.role in roles:
        return
    raise DomainError("没有权限执行此操作", code="forbidden", status=403)


MIN_PASSWORD = 10


def set_password(s: Session, staff: Staff, password: str, actor: str = "system") -> None:
    if len(password) < MIN_PASSWORD:
        raise DomainError("密码至少需要{n}个字符", code="weak_password", n=MIN_PASSWORD)
    staff.password_hash = crypto.hash_password(password)
    s.flush()
    audit.record(s, "staff.password_set", actor=actor, subject=f"staff:{staff.id}")


def authenticate_password(s: Session, username: str, password: str) -> Staff | None:
    """The staff member when the password matches (same work whether or not the user exists)."""
    staff = find_by_username(s, username)
    ok = crypto.check_password(staff.password_hash if staff else _DUMMY_HASH(), password)
    return staff if staff is not None and staff.active and ok else None


def _DUMMY_HASH() -> str:  # noqa: N802
    global _dummy
    if _dummy is None:
        _dummy = crypto.hash_password(crypto.random_token())
    return _dummy


_dummy: str | None = None
