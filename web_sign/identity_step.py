"""Proving who she is on the party pages: the SMS code to the phone the court registered, then
the face check (after its separate notice), then consent for any case that has none.

Which person a court record names, binding her records and ending her other sessions are the
rules of ``court.services.binding`` and ``court.services.party_sessions``; the pages here only
ask them.
"""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from court import crypto, db
from court.errors import DomainError, RateLimited
from court.i18n import _
from court.models import IdentityCheck, Party, Person
from court.services import binding, face_consent, identity_checks, party_sessions
from identity import face as face_checks
from identity import otp, registration
from identity.face import notice
from web_sign import access
from web_sign.blueprint import bp
from web_sign.replies import problem, safe_next

OTP_PURPOSE = "web_sign"
OTP_SENT = "m_otp_sent"  # the party a code was sent for in this browser (the page then asks for it)
MAX_PHOTO_BYTES = 8 * 1024 * 1024


def _link_party(s: Session) -> Party | None:
    data = access.link()
    return s.get(Party, data["party_id"]) if data else None


def after_identity(next_url: str) -> str:
    """Where to go once she proved who she is: consent first for any case that has none."""
    party = party_sessions.awaiting_consent(db.session(), access.party_ids())
    return url_for("party.consent_page", case_id=party.case_id, next=next_url) if party is not None else next_url


@bp.get("/identity")
def identity() -> ResponseReturnValue:
    """The SMS-code step, drawn from the server's state every time (back, reload, reopening the
    link): done when this browser's live session already acts for the link's party; otherwise
    when another code may be asked for (a countdown, and the clock time for pages without JS)."""
    party = _link_party(db.session())
    if party is None:
        return access.gate(url_for("party.home")) or redirect(url_for("party.home"))
    if party.kind == "organisation":  # see binding.record_person
        return problem(_("请使用您本人收到的链接"),
                       _("单位当事人请由法定代表人或委托诉讼代理人通过本人收到的短信链接办理"), 403)
    next_url = safe_next(request.args.get("next"))
    done = access.current() is not None and party.id in access.party_ids()
    wait = otp.send_wait(party.phone) if party.phone and not done else 0
    return render_template("m/identity.html", party=party, court=party.case.court, next_url=next_url,
                           phone=crypto.mask_phone(party.phone) if party.phone else None,
                           sent=session.get(OTP_SENT) == party.id, done=done, wait=wait,
                           until=otp.until(wait) if wait else None)


def _person_for(s: Session, party: Party) -> Person:
    """The person behind the court's party record, registering them from it the first time."""
    person = binding.record_person(s, party)
    if person is not None:
        return person
    return registration.for_court_record(s, real_name=party.name, id_number=crypto.decrypt(party.id_number_enc or ""),
                                         phone=party.phone or "")


def _identity_request() -> tuple[Session, Party, str]:
    """Session, the party the SMS link names (403 without one) and where to go afterwards."""
    s = db.session()
    party = _link_party(s)
    if party is None:
        abort(403)
    return s, party, safe_next(request.form.get("next"))


@bp.post("/identity/send")
def identity_send() -> ResponseReturnValue:
    s, party, next_url = _identity_request()
    try:
        person = _person_for(s, party)
        otp.send_code(s, party.phone or "", OTP_PURPOSE, person_id=person.id)
        s.commit()
    except (DomainError, RateLimited) as exc:
        s.rollback()
        flash(exc.localized(), "error")
        return redirect(url_for("party.identity", next=next_url))
    session[OTP_SENT] = party.id
    flash(_("验证码已发送至 {phone}，5分钟内有效", phone=crypto.mask_phone(party.phone or "")))
    return redirect(url_for("party.identity", next=next_url))


@bp.post("/identity/verify")
def identity_verify() -> ResponseReturnValue:
    s, party, next_url = _identity_request()
    if access.current() is not None and party.id in access.party_ids():
        return redirect(next_url)  # this step is already done here (a re-submit, or back then 下一步)
    try:
        # who the court's record names is settled before the code is spent, so a problem there
        # never burns a right code (which would then be refused as used)
        person = _person_for(s, party)
        if party.person_id is not None and party.person_id != person.id:
            raise DomainError("身份信息与法院登记不一致，请联系承办法院", code="party_mismatch", status=403)
        otp.verify_code(s, party.phone or "", OTP_PURPOSE, request.form.get("code", "")[:16])
        s.commit()
    except (DomainError, RateLimited) as exc:
        s.commit()  # keep the counted attempt and the audit row
        flash(exc.localized(), "error")
        return redirect(url_for("party.identity", next=next_url))
    session.pop(OTP_SENT, None)
    row = access.set_auth(person, party_sessions.own_parties(s, person.id, [party.id]), "sms", proven_phone=party.phone)
    s.commit()
    if party_sessions.returning(s, row, party):
        # no face check to re-read what was served on her; the pages still ask for one before
        # anything new is read or signed (party_sessions.may_read, identity.face.require_fresh)
        return redirect(next_url)
    return redirect(url_for("party.face", next=next_url))


@bp.get("/face")
def face() -> ResponseReturnValue:
    holder, row = access.holder(), access.current()
    if holder is None or row is None:
        return access.gate(url_for("party.home"))
    next_url = safe_next(request.args.get("next"))
    s = db.session()
    if face_checks.fresh(s, row.person_id, holder) is not None:  # passed here just now (back, reload): go on
        return redirect(after_identity(next_url))
    if face_consent.current(s, person_id=row.person_id, holder_id=holder) is None:
        # separate consent first: no upload control, no camera, until 同意 (Face Recognition Measures 2025)
        return render_template("m/face_notice.html", next_url=next_url, notice=notice.current())
    return render_template("m/face.html", next_url=next_url, left=face_checks.attempts_left(holder))


@bp.post("/face")
def face_upload() -> ResponseReturnValue:
    row, holder = access.signed_in()
    next_url = safe_next(request.form.get("next"))
    upload = request.files.get("photo")
    image = upload.read(MAX_PHOTO_BYTES + 1) if upload else b""
    s = db.session()
    try:
        check = face_checks.request_check(s, row.person_id, image, holder_id=holder, channel="web")
        row.pending_check_id = check.id  # this session asks about this check, and only this one
        s.commit()
    except (DomainError, RateLimited) as exc:
        s.rollback()
        flash(exc.localized(), "error")
        return redirect(url_for("party.face", next=next_url))
    return redirect(url_for("party.face_wait", next=next_url))


@bp.get("/face/wait")
def face_wait() -> ResponseReturnValue:
    row = access.current()
    if row is None or row.pending_check_id is None:
        return redirect(url_for("party.face", next=safe_next(request.args.get("next"))))
    return render_template("m/face_wait.html", next_url=safe_next(request.args.get("next")))


@bp.get("/face/status")
def face_status() -> ResponseReturnValue:
    """Polled by the waiting page: has the check *this session* queued been decided? Only that
    check is looked at, never the person's latest one elsewhere (issue 10, finding 2)."""
    row, holder = access.current(), access.holder()
    s = db.session()
    check = s.get(IdentityCheck, row.pending_check_id) if row is not None and row.pending_check_id else None
    if row is None or holder is None or check is None or check.holder != holder:
        return jsonify(done=True, ok=False, message=_("请重新拍摄照片")), 403
    if check.status == identity_checks.PENDING:
        return jsonify(done=False)
    ok = check.status == identity_checks.PASS
    row.pending_check_id = None
    person = s.get(Person, row.person_id)
    assert person is not None
    if ok:
        party_sessions.identity_passed(s, row, person, check, holder=holder)
    s.commit()
    message = _(face_checks.MESSAGES.get(check.result or "", face_checks.MESSAGES["unavailable"]))
    return jsonify(done=True, ok=ok, message=message, next=after_identity(safe_next(request.args.get("next"))))
