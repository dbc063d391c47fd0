"""Console: record a party's consent from their signed paper form (with the scan), or withdraw
it; record service by another method for a party flagged for it. The rules are
``court.services.consent``'s and ``court.services.other_service``'s."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from court import db
from court import settings as court_settings
from court.errors import DomainError
from court.i18n import _
from court.models import Document, OtherService
from court.services import consent as consent_rules
from court.services import other_service
from staff.console import bp
from staff.console.auth import actor, login_required, refused
from staff.console.cases import _writable_party


@bp.post("/parties/<int:party_id>/consent")
@login_required
def record_consent(party_id: int):  # type: ignore[no-untyped-def]
    party = _writable_party(party_id)
    upload = request.files.get("scan")
    scan = upload.stream.read(court_settings.current().max_upload_bytes + 1) \
        if upload else b""
    channels = request.form.getlist("channels") or ["sms"]
    address = {"sms": request.form.get("phone") or party.phone or "", "email": request.form.get("email") or ""}
    s = db.session()
    try:
        consent_rules.give_on_paper(s, party, channels=channels, address=address, scan=scan, staff_id=g.staff.id)
        s.commit()
        flash(_("已录入{name}的电子送达同意", name=party.name))
    except DomainError as exc:
        refused(exc)
    return redirect(url_for("console.case", case_id=party.case_id))


@bp.post("/parties/<int:party_id>/consent/withdraw")
@login_required
def withdraw_consent(party_id: int):  # type: ignore[no-untyped-def]
    party = _writable_party(party_id)
    s = db.session()
    if consent_rules.withdraw_for(s, party, actor=actor()) is None:
        flash(_("该当事人当前没有可撤回的电子送达同意"), "error")
    else:
        s.commit()
        flash(_("已撤回{name}的电子送达同意，案件已标记为需改用其他方式送达", name=party.name))
    return redirect(url_for("console.case", case_id=party.case_id))


@bp.route("/parties/<int:party_id>/other-service", methods=["GET", "POST"])
@login_required
def other_service_form(party_id: int):  # type: ignore[no-untyped-def]
    """Record service by post (with the scanned return card), public notice, directly or left at
    the address, for a party who cannot be served electronically. The rules are
    ``court.services.other_service``'s; a refusal shows the form again with what was typed."""
    party = _writable_party(party_id)
    s = db.session()
    docs = s.scalars(select(Document).where(Document.case_id == party.case_id).order_by(Document.id)).all()
    recorded = s.scalars(select(OtherService).where(OtherService.party_id == party.id)
                         .order_by(OtherService.id)).all()
    form = request.form if request.method == "POST" else MultiDict()
    if request.method == "POST":
        upload = request.files.get("card")
        limit = court_settings.current().max_upload_bytes
        card = upload.stream.read(min(limit, other_service.MAX_CARD_BYTES) + 1) if upload else b""
        ev = other_service.Evidence(
            method=form.get("method", ""), tracking_number=form.get("tracking_number"),
            posted_on=form.get("posted_on"), received_on=form.get("received_on"),
            published_in=form.get("published_in"), published_on=form.get("published_on"),
            abroad=bool(form.get("abroad")), witnesses=form.getlist("witnesses"), note=form.get("note"))
        try:
            row = other_service.record(s, party, int(form.get("document_id") or 0), ev, card=card, actor=actor(),
                                       max_bytes=limit)
            s.commit()
            flash(_("已录入{name}的{method}，送达日期为{day}", name=party.name,
                    method=_(other_service.METHODS[row.method]), day=other_service.served_on_text(row)))
            return redirect(url_for("console.case", case_id=party.case_id))
        except DomainError as exc:
            refused(exc)
    return render_template("console/other_service.html", party=party, documents=docs, recorded=recorded,
                           methods=other_service.METHODS, form=form, today=other_service.today().isoformat(),
                           describe=other_service.describe, served_on_text=other_service.served_on_text), \
        400 if request.method == "POST" else 200
