"""Console: record a party's consent from their signed paper form (with the scan), or withdraw
it. The rules are ``court.services.consent``'s."""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, request, url_for

from court import db
from court.errors import DomainError
from court.i18n import _
from court.models import Party
from court.services import consent as consent_rules
from staff.console import bp
from staff.console.auth import actor, has_role, login_required
from staff.console.cases import WRITERS


def _party(party_id: int) -> Party:
    if not has_role(*WRITERS):
        abort(403)
    party = db.session().get(Party, party_id)
    if party is None or party.case.court_id != g.staff.court_id:
        abort(404)
    return party


@bp.post("/parties/<int:party_id>/consent")
@login_required
def record_consent(party_id: int):  # type: ignore[no-untyped-def]
    party = _party(party_id)
    upload = request.files.get("scan")
    scan = upload.stream.read(int(current_app.config.get("MAX_UPLOAD_BYTES") or consent_rules.MAX_SCAN_BYTES) + 1) \
        if upload else b""
    channels = request.form.getlist("channels") or ["sms"]
    address = {"sms": request.form.get("phone") or party.phone or "", "email": request.form.get("email") or ""}
    s = db.session()
    try:
        consent_rules.give_on_paper(s, party, channels=channels, address=address, scan=scan, staff_id=g.staff.id)
        s.commit()
        flash(_("已录入{name}的电子送达同意", name=party.name))
    except DomainError as exc:
        s.rollback()
        flash(exc.localized(), "error")
    return redirect(url_for("console.case", case_id=party.case_id))


@bp.post("/parties/<int:party_id>/consent/withdraw")
@login_required
def withdraw_consent(party_id: int):  # type: ignore[no-untyped-def]
    party = _party(party_id)
    s = db.session()
    if consent_rules.withdraw_for(s, party, actor=actor()) is None:
        flash(_("该当事人当前没有可撤回的电子送达同意"), "error")
    else:
        s.commit()
        flash(_("已撤回{name}的电子送达同意，案件已标记为需改用其他方式送达", name=party.name))
    return redirect(url_for("console.case", case_id=party.case_id))
