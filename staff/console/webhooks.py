"""Console pages for the court systems' event endpoints (admins): register, pause, see every
delivery with its attempts and the receiver's answers, replay."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from court import db
from court.errors import DomainError
from court.i18n import _
from court.models import WebhookDelivery, WebhookEndpoint
from court.services import webhooks as webhook_service
from staff.console import bp, once
from staff.console.auth import actor, has_role, login_required, refused


def _admin() -> None:
    if not has_role():
        abort(403)


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    try:
        return webhook_service.endpoint_of(db.session(), g.staff.court_id, endpoint_id)
    except DomainError:
        abort(404)


@bp.route("/webhooks", methods=["GET", "POST"])
@login_required
def webhooks():  # type: ignore[no-untyped-def]
    _admin()
    s = db.session()
    if request.method == "POST":
        try:
            ep, secret = webhook_service.create_endpoint(
                s, g.staff.court, request.form.get("url", ""), request.form.getlist("events") or None,
                description=request.form.get("description", ""), actor=actor())
            s.commit()
            token = once.stash({"endpoint": ep.id, "secret": secret})
            return redirect(url_for("console.webhook", endpoint_id=ep.id, shown=token), code=303)
        except DomainError as exc:
            refused(exc)
    rows = s.scalars(select(WebhookEndpoint).where(WebhookEndpoint.court_id == g.staff.court_id)
                     .order_by(WebhookEndpoint.id)).all()
    return render_template("console/webhooks.html", endpoints=rows, event_types=webhook_service.EVENT_TYPES,
                           form=request.form)


@bp.get("/webhooks/<int:endpoint_id>")
@login_required
def webhook(endpoint_id: int):  # type: ignore[no-untyped-def]
    _admin()
    ep = _endpoint(endpoint_id)
    shown = once.take(request.args["shown"]) if request.args.get("shown") else None
    secret = shown["secret"] if shown and shown.get("endpoint") == ep.id else None
    status = request.args.get("status") or None
    where = [WebhookDelivery.endpoint_id == ep.id]
    if status in ("pending", "delivered", "failed"):
        where.append(WebhookDelivery.status == status)
    deliveries = db.session().scalars(select(WebhookDelivery).where(*where)
                                      .order_by(WebhookDelivery.id.desc()).limit(200)).all()
    return render_template("console/webhook.html", ep=ep, secret=secret, deliveries=deliveries, status=status)


@bp.post("/webhooks/<int:endpoint_id>/active")
@login_required
def webhook_active(endpoint_id: int):  # type: ignore[no-untyped-def]
    _admin()
    s = db.session()
    ep = _endpoint(endpoint_id)
    webhook_service.update_endpoint(s, ep, active=request.form.get("active") == "1", actor=actor())
    s.commit()
    flash(_("已启用") if ep.active else _("已暂停，恢复后将补发暂停期间的事件"))
    return redirect(url_for("console.webhook", endpoint_id=ep.id), code=303)


@bp.post("/webhook-deliveries/<int:delivery_id>/replay")
@login_required
def webhook_replay(delivery_id: int):  # type: ignore[no-untyped-def]
    from notify import webhooks as sender

    _admin()
    s = db.session()
    try:
        d = webhook_service.delivery_of(s, g.staff.court_id, delivery_id)
    except DomainError:
        abort(404)
    webhook_service.replay(s, d, actor=actor())
    s.commit()
    sender.pump()
    flash(_("已安排重新投递"))
    return redirect(url_for("console.webhook", endpoint_id=d.endpoint_id), code=303)
