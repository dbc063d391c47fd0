"""Pushing a notice (开庭通知 / 传票 / 通知) from the console, with live progress.

The same :mod:`notify.push` service as ``POST /api/v1/notices``: the page returns at once and
the progress page polls a small JSON status while the fan-out and sending run in the background.
"""
from __future__ import annotations

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from court import db
from court.errors import DomainError
from court.models import Case, CaseStatus, NoticePush, PartyRole
from notify import messages
from notify import push as pushes
from staff.console import bp
from staff.console.auth import actor, has_role, login_required
from staff.console.cases import WRITERS

FIELD_LABELS = {"time": "时间", "place": "地点", "matter": "事项", "content": "通知内容"}


def _pushable() -> list[messages.MessageTemplate]:
    return [t for t in messages.TEMPLATES.values() if t.pushable]


@bp.route("/notices/new", methods=["GET", "POST"])
@login_required
def new_notice():  # type: ignore[no-untyped-def]
    if not has_role(*WRITERS):
        abort(403)
    s = db.session()
    cases = s.scalars(select(Case).where(Case.court_id == g.staff.court_id, Case.status == CaseStatus.OPEN)
                      .order_by(Case.id.desc()).limit(500)).all()
    if request.method == "POST":
        f = request.form
        template = f.get("template", "")
        tpl = messages.TEMPLATES.get(template)
        fields = {name: f.get(f"field_{name}", "") for name in (tpl.fields if tpl else ())}
        who = f.get("who", "all")
        recipients: dict[str, object] = {"all": True} if who == "all" else {"roles": f.getlist("roles")}
        try:
            case_ids = [int(c) for c in f.getlist("case_ids")]
            push = pushes.start_push(s, court_id=g.staff.court_id, case_ids=case_ids, recipients=recipients,
                                     template=template, fields=fields, actor=actor())
            s.commit()
        except (DomainError, ValueError) as exc:
            s.rollback()
            flash(exc.localized() if isinstance(exc, DomainError) else "请求数据不正确", "error")
        else:
            return redirect(url_for("console.notice", push_id=push.id))
    chosen = {int(c) for c in request.values.getlist("case_ids") if c.isdigit()}
    return render_template("console/notice_new.html", cases=cases, chosen=chosen, templates=_pushable(),
                           labels=FIELD_LABELS, roles=list(PartyRole), form=request.form)


def _push(push_id: int) -> NoticePush:
    push = db.session().get(NoticePush, push_id)
    if push is None or push.court_id != g.staff.court_id:
        abort(404)
    return push


@bp.get("/notices/<int:push_id>")
@login_required
def notice(push_id: int):  # type: ignore[no-untyped-def]
    s = db.session()
    push = _push(push_id)
    return render_template("console/notice.html", push=push, status=pushes.status(s, push),
                           title=messages.get(push.template).title)


@bp.get("/notices/<int:push_id>/status")
@login_required
def notice_status(push_id: int):  # type: ignore[no-untyped-def]
    s = db.session()
    push = _push(push_id)
    return jsonify(**pushes.status(s, push), failures=pushes.failures(s, push, limit=20))
