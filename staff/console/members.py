"""Console pages for the court's staff accounts (admins only): list, create, role, deactivate,
reset a password, issue a new API key. Secrets are shown once (:mod:`staff.console.once`)."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from court import crypto, db
from court.errors import DomainError
from court.i18n import _
from court.models import Staff, StaffRole
from court.services import staff as staff_service
from staff.console import bp, once
from staff.console.auth import actor, has_role, login_required, of_my_court, refused


def _admin() -> None:
    if not has_role():  # admins only
        abort(403)


def _member(staff_id: int) -> Staff:
    return of_my_court(Staff, staff_id, lambda m: m.court_id)


def _page(form: MultiDict[str, str] | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    members = db.session().scalars(select(Staff).where(Staff.court_id == g.staff.court_id)
                                   .order_by(Staff.active.desc(), Staff.role, Staff.username)).all()
    return render_template("console/staff.html", members=members, roles=list(StaffRole),
                           form=form or MultiDict()), status


def _show_once(member: Staff, **secrets: str):  # type: ignore[no-untyped-def]
    return redirect(url_for("console.staff_issued", token=once.stash({"member": member.id, **secrets})), code=303)


@bp.get("/staff")
@login_required
def staff_list():  # type: ignore[no-untyped-def]
    _admin()
    return _page()


@bp.post("/staff")
@login_required
def staff_create():  # type: ignore[no-untyped-def]
    _admin()
    s = db.session()
    f = request.form
    try:
        role = StaffRole(f.get("role", ""))
        username = f.get("username", "").strip()
        if not username or len(username) > 64 or any(ch.isspace() for ch in username):
            raise DomainError("用户名不能为空，且不能包含空格", code="bad_username")
        name = f.get("name", "").strip()
        if not name:
            raise DomainError("请填写姓名", code="bad_staff_name")
        member, key = staff_service.create_staff(s, g.staff.court, username, name[:100], role, actor())
        member.email = f.get("email", "").strip() or None
        password = crypto.random_token(9)
        staff_service.set_password(s, member, password, actor())
        s.commit()
    except (DomainError, ValueError) as exc:
        refused(exc, _("角色不正确"))
        return _page(request.form, 409 if getattr(exc, "status", 400) == 409 else 400)
    return _show_once(member, api_key=key, password=password)


@bp.get("/staff/issued/<token>")
@login_required
def staff_issued(token: str):  # type: ignore[no-untyped-def]
    _admin()
    shown = once.take(token)
    if shown is None:
        return render_template("console/code_gone.html"), 410
    return render_template("console/staff_issued.html", member=_member(int(shown["member"])),
                           api_key=shown.get("api_key"), password=shown.get("password"))


@bp.post("/staff/<int:staff_id>/role")
@login_required
def staff_role(staff_id: int):  # type: ignore[no-untyped-def]
    _admin()
    return _act(staff_id, lambda s, m: staff_service.set_role(s, m, StaffRole(request.form.get("role", "")), actor()),
                _("角色已更改"))


@bp.post("/staff/<int:staff_id>/active")
@login_required
def staff_active(staff_id: int):  # type: ignore[no-untyped-def]
    _admin()
    active = request.form.get("active") == "1"
    return _act(staff_id, lambda s, m: staff_service.set_active(s, m, active, actor()),
                _("账号已启用") if active else _("账号已停用"))


def _act(staff_id: int, change, done: str):  # type: ignore[no-untyped-def]
    s = db.session()
    member = _member(staff_id)
    try:
        change(s, member)
        s.commit()
        flash(done)
    except (DomainError, ValueError) as exc:
        refused(exc, _("角色不正确"))
    return redirect(url_for("console.staff_list"), code=303)


@bp.post("/staff/<int:staff_id>/password")
@login_required
def staff_password(staff_id: int):  # type: ignore[no-untyped-def]
    """A temporary password, shown once, for a member who forgot theirs."""
    _admin()
    s = db.session()
    member = _member(staff_id)
    password = crypto.random_token(9)
    staff_service.set_password(s, member, password, actor())
    s.commit()
    return _show_once(member, password=password)


@bp.post("/staff/<int:staff_id>/key")
@login_required
def staff_key(staff_id: int):  # type: ignore[no-untyped-def]
    """A new API key, shown once; the old one stops working at once."""
    _admin()
    s = db.session()
    member = _member(staff_id)
    key = staff_service.issue_api_key(s, member, actor())
    s.commit()
    return _show_once(member, api_key=key)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def own_password():  # type: ignore[no-untyped-def]
    """Any member changes their own password (after a reset, the temporary one)."""
    if request.method == "POST":
        s = db.session()
        f = request.form
        try:
            if not crypto.check_password(g.staff.password_hash, f.get("current", "")):
                raise DomainError("当前密码不正确", code="bad_login", status=401)
            if f.get("new", "") != f.get("repeat", ""):
                raise DomainError("两次输入的新密码不一致", code="password_mismatch")
            staff_service.set_password(s, g.staff, f.get("new", ""), actor())
            s.commit()
            session["staff_epoch"] = g.staff.session_epoch  # this browser stays in; every other session ends
            flash(_("密码已修改"))
            return redirect(url_for("console.index"), code=303)
        except DomainError as exc:
            refused(exc)
            return render_template("console/password.html"), exc.status
    return render_template("console/password.html")
