"""Courts and staff accounts, API keys."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import audit, crypto, ratelimit
from court.errors import Conflict, DomainError
from court.models import Court, Seal, Staff, StaffRole

API_KEY_PREFIX = "ck_"


def create_court(s: Session, name: str, code: str) -> Court:
    if s.scalar(select(Court).where(Court.code == code)):
        raise Conflict("法院代码已存在", code="court_exists")
    court = Court(name=name, code=code)
    s.add(court)
    s.flush()
    # the court's own seal, used unless a flow or command names another (signing.seals)
    s.add(Seal(court_id=court.id, name=name, kind="court", is_default=True, active=True))
    s.flush()
    audit.record(s, "court.created", subject=f"court:{court.id}", details={"name": name, "code": code})
    return court


def create_staff(s: Session, court: Court, username: str, name: str, role: StaffRole, actor: str = "system") -> tuple[Staff, str]:
    """Create a staff member and return them with their API key (shown once, stored hashed)."""
    if s.scalar(select(Staff).where(Staff.username == username)):
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
    staff = s.scalar(select(Staff).where(Staff.username == username))
    ok = crypto.check_password(staff.password_hash if staff else _DUMMY_HASH(), password)
    return staff if staff is not None and staff.active and ok else None


REAUTH_LIMIT = ratelimit.Limit(5, 900)


def reauthenticate(s: Session, staff: Staff, password: str | None) -> str:
    """Prove, at the moment of a key act (approving the seal, signing), that the logged-in staff
    member is at the keyboard: their password again. Returns the method for the audit row.

    Failures are counted per staff member so a left-open session cannot be used to guess."""
    if not password:
        raise DomainError("请再次输入您的登录密码以确认身份", code="reauth_required")
    ratelimit.hit("staff-reauth", str(staff.id), REAUTH_LIMIT, message="身份验证失败次数过多，请15分钟后再试")
    if not staff.active or not crypto.check_password(staff.password_hash or _DUMMY_HASH(), password):
        raise DomainError("密码不正确，身份验证失败", code="reauth_failed", status=403)
    return "password"


def _DUMMY_HASH() -> str:  # noqa: N802
    global _dummy
    if _dummy is None:
        _dummy = crypto.hash_password(crypto.random_token())
    return _dummy


_dummy: str | None = None
