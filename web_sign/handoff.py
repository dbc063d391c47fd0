"""From a desktop to a phone: a QR code the party scans to carry on there (the phone still does
its own face check before reading or signing). The token and its rules are
``court.services.handoff``.
"""
from __future__ import annotations

from flask import abort, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue

from court import db
from court import settings as court_settings
from court.errors import RateLimited
from court.i18n import _
from court.models import Document
from court.services import handoff as handoffs
from court.services import party_sessions
from signing import qr
from web_sign import access
from web_sign.blueprint import bp
from web_sign.replies import problem


@bp.get("/documents/<int:document_id>/handoff")
@access.party_page(need_face=False, consent=False)
def handoff(document_id: int) -> ResponseReturnValue:
    data = access.auth()
    assert data is not None
    if not access.party_ids() or db.session().get(Document, document_id) is None:
        abort(404)
    access.party_document(document_id)  # 404 when not theirs
    try:
        token = handoffs.create(data["person_id"], data["party_ids"], document_id)
    except RateLimited as exc:
        return problem(_("操作过于频繁"), exc.localized(), 429)
    base = court_settings.current().public_base_url
    url = f"{base}{url_for('party.handoff_land', token=token)}"
    return render_template("m/handoff.html", qr=qr.svg(url), url=url, minutes=handoffs.SECONDS // 60,
                           document_id=document_id)


@bp.get("/h/<token>")
def handoff_land(token: str) -> ResponseReturnValue:
    s = db.session()
    taken = handoffs.take(s, token)
    if taken is None:
        return problem(_("二维码已失效"),
                       _("该二维码已使用或已超过10分钟有效期，请在电脑上刷新页面获取新的二维码。"), 410)
    person, payload = taken
    access.sign_out(party_sessions.REPLACED)
    session.clear()
    access.set_auth(person, payload["party_ids"], "handoff")
    handoffs.landed(s, person, payload["document_id"])
    s.commit()
    return redirect(url_for("party.document", document_id=payload["document_id"]))
