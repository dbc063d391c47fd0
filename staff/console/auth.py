"""Console log-in with a password (scrypt-hashed), idle timeout, and attempt limits."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import flash, g, redirect, render_template, request, session, url_for

from court import crypto, db, ratelimit
from court.errors import DomainError, RateLimited
from court.i18n import _
from court.models import Staff, StaffRole
from court.services import staff as staff_service
from staff.console import bp

LOGIN_LIMITS = (ratelimit.Limit(5, 900), ratelimit.Limit(20, 86400))
IP_LIMIT = ratelimit.Limit(50, 900)


def login_required(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def view(*args: Any, **kwargs: Any) -> Any:
        staff_id = session.get("staff_id")
        member = db.session().get(Staff, staff_id) if staff_id else None
        if member is None or not member.active:
            session.pop("staff_id", None)
            return redirect(url_for("console.login", next=request.path))
        g.staff = member
        return fn(*args, **kwargs)

    return view


def actor() -> str:
    return f"staff:{g.staff.id}"


def has_role(*roles: StaffRole) -> bool:
    return g.staff.role is StaffRole.ADMIN or g.staff.role in roles


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    return {"staff": g.get("staff"), "has_role": has_role, "Role": StaffRole}


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    error = None
    if request.method == "POST":
        username = request.form.get("username", "").strip()[:64]
        password = request.form.get("password", "")
        try:
            ratelimit.hit("console-login-ip", crypto.lookup_hash(request.remote_addr or "-"), IP_LIMIT)
            ratelimit.hit("console-login", crypto.lookup_hash(username.lower()), *LOGIN_LIMITS,
                          message="登录尝试次数过多，请15分钟后再试")
            member = staff_service.authenticate_password(db.session(), username, password)
            if member is None:
                raise DomainError("用户名或密码不正确", code="bad_login", status=401)
        except (DomainError, RateLimited) as exc:
            error = exc.localized()
            return render_template("console/login.html", error=error), exc.status
        session.clear()
        session.permanent = True
        session["staff_id"] = member.id
        target = request.args.get("next", "")
        return redirect(target if target.startswith("/console/") else url_for("console.index"))
    return render_template("console/login.html", error=error)


@bp.post("/logout")
def logout():  # type: ignore[no-untyped-def]
    session.clear()
    flash(_("已退出登录"))
    return redirect(url_for("console.login"))
