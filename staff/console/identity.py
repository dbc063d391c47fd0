"""Console pages for identity without a face, and the operator's face-information duties.

* ``/console/parties/<id>/verify``: a clerk or judge compares the party's ID card (in person or on
  video) and records it (:mod:`court.services.staff_identity`); the party's registered phone then
  gets a one-time link through the outbox (template ``identity_verified``, purpose ``identity``)
  whose opening gives that browser a passed identity check, so the party can read and sign
  without any face check.
* every console page can show how many people's face information the platform has processed, and
  warns from ``FACE_FILING_WARN_FRACTION`` of the filing threshold (``FACE_FILING_THRESHOLD``,
  100,000 under the Face Recognition Measures 2025).
"""
from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for

from court import crypto, db
from court import settings as court_settings
from court.errors import DomainError
from court.i18n import _
from court.services import face_consent, outbox, staff_identity
from staff import settings as staff_settings
from staff.console import bp
from staff.console.auth import login_required, refused
from staff.console.cases import _writable_party


@bp.route("/parties/<int:party_id>/verify", methods=["GET", "POST"])
@login_required
def verify_party(party_id: int):  # type: ignore[no-untyped-def]
    party = _writable_party(party_id)
    minutes = court_settings.current().staff_verify_link_minutes
    if request.method == "POST":
        s = db.session()
        try:
            check = staff_identity.verify_party(s, g.staff, party, mode=request.form.get("mode", ""),
                                                id_card_checked=request.form.get("id_card_checked") == "yes")
            outbox.add(s, channel="sms", address=party.phone or "", template="identity_verified",
                       params={"court": party.case.court.name, "minutes": minutes}, case_id=party.case_id,
                       party_id=party.id, person_id=party.person_id,
                       dedupe_key=f"{staff_identity.DEDUPE_PREFIX}{check.id}")
            s.commit()
        except DomainError as exc:
            refused(exc)
            return redirect(url_for("console.verify_party", party_id=party_id))
        flash(_("已记录身份核验（{who}），一次性链接已发送至 {phone}，{minutes}分钟内有效",
                who=g.staff.name, phone=crypto.mask_phone(party.phone or ""), minutes=minutes))
        return redirect(url_for("console.case", case_id=party.case_id))
    return render_template("console/verify_party.html", party=party, modes=staff_identity.MODES, minutes=minutes,
                           phone=crypto.mask_phone(party.phone) if party.phone else None)


def face_filing() -> dict[str, Any]:
    """How many people's face information was processed, against the filing threshold."""
    cfg = staff_settings.current()
    threshold, fraction = cfg.face_filing_threshold, cfg.face_filing_warn_fraction
    count = face_consent.people_processed(db.session())
    return {"count": count, "threshold": threshold, "warn": count >= threshold * fraction,
            "reached": count >= threshold}


@bp.app_context_processor
def _face_filing() -> dict[str, Any]:
    return {"face_filing": face_filing}
