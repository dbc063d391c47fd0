"""API-key authentication: ``Authorization: Bearer ck_…`` (or ``X-API-Key``), one key per staff member."""
from __future__ import annotations

from flask import g, request

from court import db
from court.errors import DomainError
from court.models import Staff, StaffRole
from court.services import staff as staff_service


def require_staff(roles: tuple[StaffRole, ...] = ()) -> Staff:
    header = request.headers.get("Authorization", "")
    key = header[7:].strip() if header.lower().startswith("bearer ") else request.headers.get("X-API-Key", "").strip()
    if not key:
        raise DomainError("缺少API密钥", code="unauthenticated", status=401)
    member = staff_service.authenticate_api_key(db.session(), key)
    if member is None:
        raise DomainError("API密钥无效或已停用", code="unauthenticated", status=401)
    if roles:
        staff_service.require_role(member, *roles)
    g.staff = member
    return member


def current_staff() -> Staff:
    return g.staff


def actor() -> str:
    return f"staff:{g.staff.id}"
