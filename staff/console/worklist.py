"""The clerk's start page (送达工作台): outstanding service across the court's cases, with
search, filters, sorting and paging, and the actions a clerk takes on a stuck row.

Every list and rule comes from ``court.services`` (``worklist`` for what is outstanding,
``service_actions`` and ``flow_steps.cancel_flow`` for the actions), the same services the staff API
uses. Each action shows a confirmation page first, then POSTs (CSRF) and redirects back to the
list it came from (post/redirect/get); a bulk action's per-row report is shown once, through
``once`` (a reload does not repeat the action).
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask import abort, flash, g, redirect, render_template, request, url_for

from court import db
from court.errors import DomainError
from court.i18n import _
from court.models import CaseStatus
from court.services import flow_steps, service_actions
from court.services import worklist as outstanding
from staff.console import bp, once
from staff.console.auth import actor, has_role, login_required, refused, require_writer
from staff.console.cases import WRITERS

BACK_KEYS = ("q", "kind", "case_status", "min_age_days", "sort", "page", "per_page", "mine")


def _back() -> str:
    """The list's address to return to: only the list's own filters, never an outside URL."""
    raw = request.values.get("back", "")
    kept = [(k, v) for k, v in parse_qsl(raw)[:20] if k in BACK_KEYS]
    return url_for("console.worklist") + (f"?{urlencode(kept)}" if kept else "")


def _back_query() -> str:
    return urlencode([(k, v) for k, v in request.args.items() if k in BACK_KEYS])


def _step(step_id: int):  # type: ignore[no-untyped-def]
    try:
        return service_actions.open_step(db.session(), g.staff, step_id)
    except DomainError as exc:
        if exc.status == 404:
            abort(404)
        flash(exc.localized(), "error")
        return None


@bp.get("/work")
@login_required
def worklist():  # type: ignore[no-untyped-def]
    query = worklist_query()
    view = outstanding.build(db.session(), g.staff, query)
    return render_template("console/worklist.html", w=view, kinds=outstanding.KINDS, back=_back_query(),
                           can_act=has_role(*WRITERS), statuses=(CaseStatus.OPEN, CaseStatus.IN_TRIAL, CaseStatus.CLOSED))


def worklist_query() -> outstanding.Query:
    return outstanding.query_from(request.args.to_dict())


@bp.route("/work/steps/<int:step_id>/revoke", methods=["GET", "POST"])
@login_required
def worklist_revoke(step_id: int):  # type: ignore[no-untyped-def]
    require_writer()
    s = db.session()
    step = _step(step_id)
    if step is None:
        return redirect(_back())
    if request.method == "GET":
        return render_template("console/worklist_confirm.html", action="revoke", step=step, back=request.args.get("back", ""))
    count = service_actions.revoke_links(s, g.staff, step, actor=actor())
    s.commit()
    flash(_("已撤销{name}的短信链接（{count}个），原链接立即失效；重新发送即会生成新链接。", name=step.party.name, count=count))
    return redirect(_back(), code=303)


@bp.route("/work/steps/<int:step_id>/resend", methods=["GET", "POST"])
@login_required
def worklist_resend(step_id: int):  # type: ignore[no-untyped-def]
    require_writer()
    s = db.session()
    step = _step(step_id)
    if step is None:
        return redirect(_back())
    options = service_actions.choices(s, step)
    if request.method == "GET":
        return render_template("console/worklist_confirm.html", action="resend", step=step, choices=options,
                               back=request.args.get("back", ""))
    try:
        found = service_actions.resend(s, g.staff, step, request.form.get("address", "")[:40], actor=actor())
        s.commit()
        if found.via_agent:
            flash(_("已重新发送给{name}的代理人{agent}（{channel}），发送结果将记入{name}的送达记录。",
                    name=step.party.name, agent=found.recipient.name, channel=_label(found.channel)))
        else:
            flash(_("已重新发送给{name}（{channel}），发送结果将记入送达记录。", name=step.party.name,
                    channel=_label(found.channel)))
    except DomainError as exc:
        refused(exc)
    return redirect(_back(), code=303)


def _label(channel: str) -> str:
    from court import display

    return display.label(channel)


@bp.route("/work/flows/<int:flow_id>/cancel", methods=["GET", "POST"])
@login_required
def worklist_cancel(flow_id: int):  # type: ignore[no-untyped-def]
    require_writer()
    s = db.session()
    try:
        flow = service_actions.court_flow(s, g.staff, flow_id)
    except DomainError:
        abort(404)
    if request.method == "GET":
        return render_template("console/worklist_confirm.html", action="cancel", flow=flow,
                               back=request.args.get("back", ""))
    try:
        flow_steps.cancel_flow(s, flow, request.form.get("reason", "")[:500], actor=actor())
        s.commit()
        flash(_("已取消《{title}》的签署流程，当事人的链接已失效，不会再加盖印章或出具送达凭证。", title=flow.document.title))
    except DomainError as exc:
        refused(exc)
        if exc.code == "reason_required":
            return redirect(url_for("console.worklist_cancel", flow_id=flow_id, back=request.form.get("back", "")),
                            code=303)
    return redirect(_back(), code=303)


@bp.post("/work/bulk")
@login_required
def worklist_bulk():  # type: ignore[no-untyped-def]
    """First POST: the confirmation page for the selected rows; with ``confirm``: do it."""
    require_writer()
    s = db.session()
    action = request.form.get("action", "")
    raw = request.form.getlist("step_id")[:service_actions.MAX_BULK + 1]
    ids = [int(v) for v in raw if v.isdigit() and len(v) < 12]
    if action not in service_actions.BULK_ACTIONS or not ids:
        flash(_("请先勾选事项并选择批量操作"), "error")
        return redirect(_back(), code=303)
    if len(ids) > service_actions.MAX_BULK:
        flash(_("一次最多处理{limit}项", limit=service_actions.MAX_BULK), "error")
        return redirect(_back(), code=303)
    if not request.form.get("confirm"):
        rows = []
        for step_id in ids:
            try:
                rows.append(service_actions.open_step(s, g.staff, step_id))
            except DomainError:
                continue  # another court's or a closed row: not shown, reported when done
        return render_template("console/worklist_bulk.html", action=action, rows=rows, ids=ids,
                               back=request.form.get("back", ""))
    try:
        results = service_actions.bulk(s, g.staff, ids, action, actor=actor())
        s.commit()
    except DomainError as exc:
        refused(exc)
        return redirect(_back(), code=303)
    token = once.stash({"action": action, "back": request.form.get("back", ""), "rows": [
        {"step_id": r.step_id, "ok": r.ok, "code": r.code, "message": r.message, "party": r.party_name,
         "channel": r.channel, "links": r.links} for r in results]})
    return redirect(url_for("console.worklist_done", token=token), code=303)


@bp.get("/work/done/<token>")
@login_required
def worklist_done(token: str):  # type: ignore[no-untyped-def]
    report = once.take(token)
    if report is None:
        return redirect(url_for("console.worklist"))
    return render_template("console/worklist_done.html", report=report, label=_label)
