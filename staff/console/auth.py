"""Console log-in with a password (scrypt-hashed), idle timeout, and attempt limits.

Only failed attempts count, and they are counted so that a stranger cannot lock a staff member
out: the tight limit is per username *and* client (5 in 15 minutes), a success clears it; the
per-username limit over all clients is ten times higher and only stops a distributed guesser;
one client trying many usernames has its own limit. Usernames are normalised first, so
"clerk1 " and "CLERK1" share a counter. Client addresses are real behind a reverse proxy when
``TRUSTED_PROXIES`` is set (werkzeug's ProxyFix, wired in ``create_app``).
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, flash, g, redirect, render_template, request, session, url_for

from court import crypto, db, ratelimit
from court.errors import DomainError, NotFound, RateLimited
from court.i18n import _
from court.models import StaffRole
from court.services import cases as case_service
from court.services import court_scope
from court.services import staff as staff_service
from staff.console import bp

LOGIN_LIMITS = (ratelimit.Limit(5, 900), ratelimit.Limit(20, 86400))  # one username from one client
USER_LIMITS = (ratelimit.Limit(50, 900), ratelimit.Limit(200, 86400))  # one username from all clients
IP_LIMIT = ratelimit.Limit(50, 900)  # one client, whatever usernames
T = TypeVar("T")


def client_key() -> str:
    """The key for limits on "this client": its address (real behind trusted proxies), hashed."""
    return crypto.lookup_hash(request.remote_addr or "-")


class _Attempt:
    """The three counters one log-in attempt touches."""

    def __init__(self, username: str):
        self.client = client_key()
        self.user = crypto.lookup_hash(username)
        self.pair = crypto.lookup_hash(f"{username}\0{self.client}")

    def count(self) -> None:
        """Count the attempt (before checking the password, so parallel guesses are counted too);
        raises RateLimited when a window is full."""
        ratelimit.hit("console-login-ip", self.client, IP_LIMIT)
        ratelimit.hit("console-login", self.pair, *LOGIN_LIMITS, message="登录尝试次数过多，请15分钟后再试")
        ratelimit.hit("console-login-user", self.user, *USER_LIMITS, message="该账号登录尝试次数过多，请15分钟后再试")

    def succeeded(self) -> None:
        """A correct log-in was not a failure: clear this client's failures, give back the rest."""
        ratelimit.reset("console-login", self.pair, *LOGIN_LIMITS)
        ratelimit.refund("console-login-user", self.user, *USER_LIMITS)
        ratelimit.refund("console-login-ip", self.client, IP_LIMIT)


def login_required(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def view(*args: Any, **kwargs: Any) -> Any:
        member = staff_service.session_member(db.session(), session.get("staff_id"), session.get("staff_epoch"))
        if member is None:
            session.pop("staff_id", None)
            return redirect(url_for("console.login", next=request.path))
        g.staff = member
        return fn(*args, **kwargs)

    return view


def actor() -> str:
    return f"staff:{g.staff.id}"


def has_role(*roles: StaffRole) -> bool:
    return g.staff.role is StaffRole.ADMIN or g.staff.role in roles


def require_writer() -> None:
    """Only a judge or a clerk (or an admin) changes a case; anyone else gets 403."""
    if not has_role(*case_service.WRITERS):
        abort(403)


def of_my_court(model: type[T], row_id: int, court_of: Callable[[T], int]) -> T:
    """Row ``row_id`` if it is of the logged-in staff member's court, else 404 (see :mod:`court.services.court_scope`)."""
    try:
        return court_scope.court_row(db.session(), model, row_id, g.staff.court_id, court_of)
    except NotFound:
        abort(404)


def refused(exc: Exception, fallback: str = "") -> None:
    """A refused change: what the request wrote so far is rolled back, and the staff member is told why
    in their words: the rule's own message, or ``fallback`` (already translated) for a malformed form value."""
    db.session().rollback()
    flash(exc.localized() if isinstance(exc, DomainError) else fallback, "error")


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    return {"staff": g.get("staff"), "has_role": has_role, "Role": StaffRole}


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    error = None
    if request.method == "POST":
        username = staff_service.normalize_username(request.form.get("username", "")[:256])[:64]
        password = request.form.get("password", "")
        attempt = _Attempt(username)
        try:
            attempt.count()
            member = staff_service.authenticate_password(db.session(), username, password)
            if member is None:
                raise DomainError("用户名或密码不正确", code="bad_login", status=401)
        except (DomainError, RateLimited) as exc:
            error = exc.localized()
            return render_template("console/login.html", error=error), exc.status
        attempt.succeeded()
        session.clear()
        session.permanent = True
        session["staff_id"] = member.id
        session["staff_epoch"] = member.session_epoch or 0
        target = request.args.get("next", "")
        home = "console.worklist" if member.role in (StaffRole.JUDGE, StaffRole.CLERK) else "console.index"
        return redirect(target if target.startswith("/console/") else url_for(home))
    return render_template("console/login.html", error=error)


@bp.post("/logout")
def logout():  # type: ignore[no-untyped-def]
    s = db.session()
    member = staff_service.session_member(s, session.get("staff_id"), session.get("staff_epoch"))
    if member is not None:  # every copy of this cookie ends with it
        staff_service.end_sessions(s, member, actor=f"staff:{member.id}")
        s.commit()
    session.clear()
    flash(_("已退出登录"))
    return redirect(url_for("console.login"))
