"""Courts and staff accounts, API keys."""
from __future__ import annotations

import unicodedata

from sqlalchemy import func, select
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


def _admins_left(s: Session, court_id: int, without: Staff) -> int:
    return len([m for m in s.scalars(select(Staff).where(Staff.court_id == court_id, Staff.role == StaffRole.ADMIN,
                                                        Staff.active.is_(True))) if m.id != without.id])


def set_role(s: Session, staff: Staff, role: StaffRole, actor: str = "system") -> None:
    """Change a member's role; a court never loses its last active admin this way."""
    if staff.role is role:
        return
    if staff.role is StaffRole.ADMIN and _admins_left(s, staff.court_id, staff) == 0:
        raise Conflict("本院至少需要保留一名管理员", code="last_admin")
    old, staff.role = staff.role, role
    s.flush()
    audit.record(s, "staff.role_changed", actor=actor, subject=f"staff:{staff.id}",
                 details={"from": old.value, "to": role.value})


def set_active(s: Session, staff: Staff, active: bool, actor: str = "system") -> None:
    """Deactivate (or reactivate) an account: its API key and console sessions stop at once."""
    if staff.active is active:
        return
    if not active and actor == f"staff:{staff.id}":
        raise Conflict("不能停用自己的账号", code="self_deactivate")
    if not active and staff.role is StaffRole.ADMIN and _admins_left(s, staff.court_id, staff) == 0:
        raise Conflict("本院至少需要保留一名管理员", code="last_admin")
    staff.active = active
    s.flush()
    audit.record(s, "staff.activated" if active else "staff.deactivated", actor=actor, subject=f"staff:{staff.id}")


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
    """A new password also ends every console session of the member (a stolen cookie with it)."""
    if len(password) < MIN_PASSWORD:
        raise DomainError("密码至少需要{n}个字符", code="weak_password", n=MIN_PASSWORD)
    staff.password_hash = crypto.hash_password(password)
    staff.session_epoch = (staff.session_epoch or 0) + 1
    s.flush()
    audit.record(s, "staff.password_set", actor=actor, subject=f"staff:{staff.id}")


def end_sessions(s: Session, staff: Staff, actor: str) -> None:
    """End every console session of ``staff`` (log-out): a copy of the cookie stops working too.

    The console's session is a signed cookie the server cannot recall, so each carries the
    member's ``session_epoch`` from log-in and is accepted only while it is unchanged."""
    staff.session_epoch = (staff.session_epoch or 0) + 1
    s.flush()
    audit.record(s, "staff.sessions_ended", actor=actor, subject=f"staff:{staff.id}")


def session_member(s: Session, staff_id: object, epoch: object) -> Staff | None:
    """The member a console session names, or None when it was ended (log-out, new password) or
    the account was stopped."""
    staff = s.get(Staff, staff_id) if isinstance(staff_id, int) else None
    if staff is None or not staff.active or epoch != (staff.session_epoch or 0):
        return None
    return staff


def authenticate_password(s: Session, username: str, password: str) -> Staff | None:
    """The staff member when the password matches (same work whether or not the user exists)."""
    staff = find_by_username(s, username)
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
