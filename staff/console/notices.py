"""Pushing a notice (开庭通知 / 传票 / 通知) from the console: fill in, preview, confirm, follow.

The same :mod:`notify.push` service as ``POST /api/v1/notices``. The form's POST only checks and
keeps it (:mod:`staff.console.drafts`) and redirects to a preview showing the message exactly as
parties will get it (the sender's own rendering: the SMS text and the WeChat template's fields)
with who gets it on which channel. Confirming starts the push once, however often it is
submitted; the push page follows the sending and lists every recipient with the delivery state.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import flash, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from court import db, display
from court.errors import DomainError
from court.i18n import _, translate
from court.models import Case, CaseStatus, NoticePush, PartyRole
from notify import messages
from notify import push as pushes
from staff.console import bp, drafts
from staff.console.auth import actor, login_required, of_my_court, refused, require_writer


@bp.app_template_filter("message_title")
def message_title(name: str | None) -> str:
    """A message template's name for people (``document_ready`` → 文书送达), from notify.messages."""
    tpl = messages.TEMPLATES.get(name or "")
    return translate(tpl.title) if tpl else (name or "")


def _pushable() -> list[messages.MessageTemplate]:
    return [t for t in messages.TEMPLATES.values() if t.pushable]


def _draft_of(form: MultiDict[str, str]) -> dict[str, Any]:
    """The push the form describes (fields of the chosen template only)."""
    template = form.get("template", "")
    tpl = messages.TEMPLATES.get(template)
    return {
        "template": template,
        "fields": {name: form.get(f"field_{name}", "") for name in (tpl.fields if tpl else ())},
        "who": "roles" if form.get("who") == "roles" else "all",
        "roles": form.getlist("roles"),
        "case_ids": [c for c in form.getlist("case_ids") if c.isdigit()],
    }


def _form_of(draft: dict[str, Any]) -> MultiDict[str, str]:
    """A kept draft as the form's values again (going back to correct it loses nothing)."""
    items = [("template", draft["template"]), ("who", draft["who"])]
    items += [(f"field_{k}", v) for k, v in draft["fields"].items()]
    items += [("roles", r) for r in draft["roles"]] + [("case_ids", c) for c in draft["case_ids"]]
    return MultiDict(items)


def _preview(draft: dict[str, Any]) -> pushes.Preview:
    recipients: dict[str, object] = {"all": True} if draft["who"] == "all" else {"roles": draft["roles"]}
    return pushes.preview(db.session(), court_id=g.staff.court_id, case_ids=[int(c) for c in draft["case_ids"]],
                          recipients=recipients, template=draft["template"], fields=draft["fields"])


def _form_page(form: MultiDict[str, str], status: int = 200):  # type: ignore[no-untyped-def]
    s = db.session()
    cases = s.scalars(select(Case).where(Case.court_id == g.staff.court_id, Case.status == CaseStatus.OPEN)
                      .order_by(Case.id.desc()).limit(500)).all()
    chosen = {int(c) for c in (form.getlist("case_ids") or request.args.getlist("case_ids")) if c.isdigit()}
    labels = {t.name: {f: messages.field_label(t, f) for f in t.fields} for t in _pushable()}
    now = datetime.now(display.CHINA).strftime("%Y-%m-%dT%H:%M")
    return render_template("console/notice_new.html", cases=cases, chosen=chosen, templates=_pushable(),
                           labels=labels, roles=list(PartyRole), form=form, now=now), status


@bp.route("/notices/new", methods=["GET", "POST"])
@login_required
def new_notice():  # type: ignore[no-untyped-def]
    require_writer()
    if request.method == "GET":
        kept = drafts.read(request.args.get("draft", "")) if request.args.get("draft") else None
        return _form_page(_form_of(kept) if kept else MultiDict())
    draft = _draft_of(request.form)
    try:
        _preview(draft)  # every check, before anything is kept
    except (DomainError, ValueError) as exc:
        refused(exc, _("请求数据不正确"))
        return _form_page(request.form, 400)
    return redirect(url_for("console.notice_preview", token=drafts.keep(draft)), code=303)


@bp.route("/notices/preview/<token>", methods=["GET", "POST"])
@login_required
def notice_preview(token: str):  # type: ignore[no-untyped-def]
    require_writer()
    if request.method == "POST":
        return _confirm(token)
    draft = drafts.read(token)
    if draft is None:
        made = drafts.result(token, wait=0)
        if made:
            return redirect(url_for("console.notice", push_id=int(made)), code=303)
        flash(_("预览已过期，请重新填写"), "error")
        return redirect(url_for("console.new_notice"), code=303)
    try:
        shown = _preview(draft)
    except DomainError as exc:  # e.g. the hearing time passed while the preview was open
        flash(exc.localized(), "error")
        return _form_page(_form_of(draft), 400)
    return render_template("console/notice_preview.html", p=shown, token=token,
                           title=shown.checked.template.title, cases=len(shown.checked.case_ids))


def _confirm(token: str):  # type: ignore[no-untyped-def]
    """Start the push once: the first confirmation claims the draft; any other is sent to its push."""
    if not drafts.claim(token):
        made = drafts.result(token)
        if made:
            flash(_("该通知已经发送，未重复发送"))
            return redirect(url_for("console.notice", push_id=int(made)), code=303)
        flash(_("该通知正在发送，请稍后在推送页面查看"), "error")
        return redirect(url_for("console.new_notice"), code=303)
    draft = drafts.read(token)
    if draft is None:
        drafts.release(token)
        flash(_("预览已过期，请重新填写"), "error")
        return redirect(url_for("console.new_notice"), code=303)
    s = db.session()
    recipients: dict[str, object] = {"all": True} if draft["who"] == "all" else {"roles": draft["roles"]}
    try:
        push = pushes.start_push(s, court_id=g.staff.court_id, case_ids=[int(c) for c in draft["case_ids"]],
                                 recipients=recipients, template=draft["template"], fields=draft["fields"],
                                 actor=actor())
        s.commit()
    except DomainError as exc:
        s.rollback()
        drafts.release(token)
        flash(exc.localized(), "error")
        return redirect(url_for("console.notice_preview", token=token), code=303)
    drafts.done(token, str(push.id))
    flash(_("通知已提交发送"))
    return redirect(url_for("console.notice", push_id=push.id), code=303)


def _push(push_id: int) -> NoticePush:
    return of_my_court(NoticePush, push_id, lambda p: p.court_id)


def _status(push: NoticePush) -> dict[str, Any]:
    state = pushes.status(db.session(), push)
    return {**state, "status_label": display.push_status(state["status"])}


@bp.get("/notices/<int:push_id>")
@login_required
def notice(push_id: int):  # type: ignore[no-untyped-def]
    s = db.session()
    push = _push(push_id)
    tpl = messages.get(push.template)
    return render_template("console/notice.html", push=push, status=_status(push), title=tpl.title,
                           fields=[(messages.field_label(tpl, k), v) for k, v in (push.fields or {}).items()],
                           deliveries=pushes.deliveries(s, push))


@bp.get("/notices/<int:push_id>/status")
@login_required
def notice_status(push_id: int):  # type: ignore[no-untyped-def]
    s = db.session()
    push = _push(push_id)
    failures = [{**f, "channel_label": display.label(f["channel"]), "reason": display.error_text(f["error"])}
                for f in pushes.failures(s, push, limit=20)]
    return jsonify(**_status(push), failures=failures)
