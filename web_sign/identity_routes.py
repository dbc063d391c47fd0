"""Party pages for the ways into a document besides the camera (Face Recognition Measures 2025).

* ``POST /m/face/consent``: the answer to the face notice (同意 / 不同意), kept per session;
  the face page shows no upload control or camera until it is 同意.
* ``/m/identity/other``: the other routes to identity, where 不同意 leads (never a dead end).
* ``/m/verified``: the landing of the one-time link a party gets after a clerk verified them
  (``notify``'s ``/s/<token>`` with purpose ``identity`` redirects here); it claims the clerk's
  passed check for this browser session.
* ``/m/authority``: the external identity authority (only when ``IDENTITY_AUTHORITY`` is set).
* ``/m/face/notice``: the notice and the provider list, public, so the court can publish them.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from court import db
from court import settings as court_settings
from court.errors import DomainError
from court.i18n import _
from court.models import Party, Person
from court.services import party_sessions, staff_identity
from identity import authority
from identity import settings as identity_settings
from identity.authority import registry
from identity.authority.base import MESSAGES as AUTHORITY_MESSAGES
from identity.face import notice
from web_sign import access
from web_sign.blueprint import bp
from web_sign.identity_step import after_identity
from web_sign.replies import problem, safe_next


@bp.post("/face/consent")
def face_consent_answer() -> ResponseReturnValue:
    row, holder = access.signed_in()
    next_url = safe_next(request.form.get("next"))
    decision = request.form.get("decision")
    if decision not in ("agree", "refuse"):
        flash(_("请选择“同意”或“不同意”"), "error")
        return redirect(url_for("party.face", next=next_url))
    s = db.session()
    notice.record_decision(s, person_id=row.person_id, holder_id=holder, channel="web",
                           agreed=decision == "agree")
    s.commit()
    if decision == "agree":
        return redirect(url_for("party.face", next=next_url))
    flash(_("您未同意人脸识别，我们不会处理您的人脸信息。"))
    return redirect(url_for("party.identity_other", next=next_url))


def _court_name(s: Session) -> str | None:
    ids = access.party_ids() or ({access.link()["party_id"]} if access.link() else set())
    for party_id in sorted(ids):
        party = s.get(Party, party_id)
        if party is not None:
            return party.case.court.name
    return None


@bp.get("/identity/other")
def identity_other() -> ResponseReturnValue:
    s = db.session()
    offered = authority.provider_display_name() if access.auth() else None  # needs a signed-in session
    return render_template("m/identity_other.html", court=_court_name(s), next_url=safe_next(request.args.get("next")),
                           authority=_(offered) if offered else None,
                           minutes=court_settings.current().staff_verify_link_minutes,
                           routes=notice.alternatives())


@bp.get("/face/notice")
def face_notice_public() -> ResponseReturnValue:
    return render_template("m/face_notice.html", notice=notice.current(), providers=notice.provider_names(),
                           public=True, next_url="")


@bp.get("/verified")
def staff_verified() -> ResponseReturnValue:
    """Claim the clerk's verification for this browser (the link is spent by it)."""
    data = access.link()
    if data is None or data.get("purpose") != "identity":
        return problem(_("请从法院发送的短信进入"), _("本页面需要通过工作人员核验后法院发送给您的短信链接打开。"), 403)
    s = db.session()
    found = staff_identity.check_for_link(s, data.get("link_id"))
    party = s.get(Party, data["party_id"])
    if found is None or party is None:
        return problem(_("链接无效"), _("该链接不能用于核验身份，请联系法院工作人员。"), 403)
    link, check = found
    person = s.get(Person, check.person_id)
    if person is None:
        return problem(_("链接无效"), _("该链接不能用于核验身份，请联系法院工作人员。"), 403)
    # a new server-side session for this browser; the clerk's check becomes its own (its holder),
    # so binding and freshness accept it exactly like a face check passed here
    row = access.set_auth(person, staff_identity.parties_opened(s, check, party), "staff")
    holder = access.holder()
    assert holder is not None
    try:
        staff_identity.claim(s, check, party=party, holder_id=holder,
                             minutes=court_settings.current().staff_verify_link_minutes)
        party_sessions.identity_passed(s, row, person, check, holder=holder)  # its session came in as "staff"
        staff_identity.spend_link(link)
        s.commit()
    except DomainError as exc:
        s.rollback()
        access.forget()
        return problem(_("无法使用该链接"), exc.localized(), exc.status if exc.status >= 400 else 403)
    return redirect(after_identity(url_for("party.home")))


@bp.route("/authority", methods=["GET", "POST"])
def authority_page() -> ResponseReturnValue:
    """The external identity authority; the development one plays the national app on this page."""
    if access.current() is None:
        return redirect(url_for("party.identity", next=url_for("party.authority_page")))
    name = authority.provider_display_name()
    if name is None:
        return problem(_("未开通网络身份认证"), _("本院未开通网络身份认证，请选择其他核验方式。"), 404,
                       action=(_("其他核验方式"), url_for("party.identity_other")))
    next_url = safe_next(request.values.get("next"))
    if request.method == "POST":
        s = db.session()
        person = access.person(s)
        assert person is not None
        fields = {k: request.form.get(k, "")[:64] for k in ("decision", "name", "id_number")}
        row, holder = access.current(), access.holder()
        assert row is not None and holder is not None
        check = authority.verify(s, person, fields, holder_id=holder, channel="web")
        if check.status == "pass":
            party_sessions.identity_passed(s, row, person, check, holder=holder)
            s.commit()
            flash(_("网络身份认证通过"))
            return redirect(after_identity(next_url))
        s.commit()
        flash(_(AUTHORITY_MESSAGES.get(check.result or "", AUTHORITY_MESSAGES["unavailable"])), "error")
        return redirect(url_for("party.authority_page", next=next_url))
    return render_template("m/authority.html", name=_(name), next_url=next_url,
                           development=bool(getattr(registry.get(identity_settings.current()), "development", False)))


