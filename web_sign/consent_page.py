"""同意 or 不同意 electronic service for one case, and withdrawing an earlier consent.

What consent means, who may give, decline or withdraw it for a party, and its wording are the
rules of ``court.services.consent``; this page shows them and records the answer.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from court import db
from court.errors import DomainError
from court.i18n import _
from court.services import consent as consent_rules
from court.services import consent_text, party_sessions
from web_sign import access
from web_sign.blueprint import bp
from web_sign.replies import safe_next

CHANNELS = ["sms"]  # the party pages offer service by SMS to the phone she proved


@bp.route("/consent/<int:case_id>", methods=["GET", "POST"])
@access.party_page()
def consent_page(case_id: int) -> ResponseReturnValue:
    next_url = safe_next(request.values.get("next"))
    s = db.session()
    party = party_sessions.party_in_case(s, access.party_ids(), case_id)
    if party is None:
        abort(404)
    person = access.person(s)
    assert person is not None
    phone = person.phone or party.phone or ""
    actor = f"person:{person.id}"
    if request.method == "POST":  # post/redirect/get: back and reload never re-send the form
        decision = request.form.get("decision", "")
        here = url_for("party.consent_page", case_id=case_id, next=next_url)
        try:
            if decision == "decline":
                consent_rules.decline(s, party, method="web", actor=actor, reason=request.form.get("reason", "")[:500])
                s.commit()
                flash(_("已记录您不同意电子送达。法院将通过邮寄等其他方式向您送达本案文书。如改变主意，可在本页重新选择同意。"))
                return redirect(here)
            if decision == "withdraw":
                consent_rules.withdraw_for(s, party, actor=actor)
                s.commit()
                flash(_("已撤回电子送达同意。撤回前已经完成的送达仍然有效，此后法院将通过其他方式向您送达本案文书。"))
                return redirect(here)
            if decision != "agree" and request.form.get("agree") != "yes":
                flash(_("请选择同意或不同意电子送达"), "error")
                return redirect(here)
            consent_rules.give(s, person, party.case, channels=CHANNELS, address={"sms": phone}, method="web",
                               party=party)
            s.commit()
            return redirect(next_url)
        except DomainError as exc:
            s.rollback()
            flash(exc.localized(), "error")
            return redirect(here)
    if party.kind == "organisation" or party.person_id != person.id:  # an agent answers for the party
        flash(_("您正在代 {party} 确认电子送达，确认记录将写明由您代为确认", party=party.name))
    text = consent_text.consent_text(party.case, CHANNELS, None, {"sms": phone})
    summary = consent_text.consent_summary(CHANNELS, None, {"sms": phone})
    return render_template("m/consent.html", text=text, summary=summary, case=party.case, next_url=next_url,
                           state=consent_rules.state(s, party))
