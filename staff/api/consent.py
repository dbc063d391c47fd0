"""Consent to electronic service, as staff see and record it: a party's answer for their case,
consent entered from the party's signed paper form (the scan uploaded with it), and withdrawal.
The rules are ``court.services.consent``'s; these endpoints only carry them over HTTP."""
from __future__ import annotations

from flask import request

from court import db
from court import settings as court_settings
from court.errors import DomainError
from court.models import Party
from court.services import cases as case_service
from court.services import consent as consent_rules
from court.services import consent_text
from staff.api import bp
from staff.api.auth import actor, current_staff
from staff.api.cases import WRITERS
from staff.api.openapi import route
from staff.api.schemas import ConsentOut


def _party(party_id: int) -> Party:
    return case_service.get_party(db.session(), current_staff().court_id, party_id)


def consent_out(party: Party) -> ConsentOut:
    s = db.session()
    row = consent_rules.answer(s, party)
    out = ConsentOut(party_id=party.id, case_id=party.case_id, state=consent_rules.state(s, party))
    if row is not None:
        info = consent_text.describe(row)
        out.method, out.at, out.recorded_by = row.method, row.given_at, row.recorded_by
        out.channels, out.addresses = list(row.channels or []), dict(info["addresses"])  # type: ignore[call-overload]
        out.scan = bool(row.scan_key)
        out.reason = row.reason
    return out


@route(bp, "/parties/<int:party_id>/consent", summary="当事人的电子送达同意 / a party's consent", tag="parties",
       response=ConsentOut)
def get_consent(party_id: int) -> ConsentOut:
    return consent_out(_party(party_id))


@route(bp, "/parties/<int:party_id>/consent", "POST",
       summary="据当事人签名的书面确认书录入电子送达同意 / record consent from a signed paper form", tag="parties",
       response=ConsentOut, status=201, roles=WRITERS,
       multipart={"scan": "file", "channels": "sms,email,wechat (逗号分隔 / comma-separated)",
                  "phone": "确认的手机号码 / confirmed phone", "email": "确认的电子邮箱 / confirmed e-mail"})
def record_consent(party_id: int) -> ConsentOut:
    party = _party(party_id)
    upload = request.files.get("scan")
    if upload is None:
        raise DomainError("请以 multipart/form-data 上传名为 scan 的确认书扫描件", code="scan_required")
    scan = upload.stream.read(court_settings.current().max_upload_bytes + 1)
    channels = [c.strip() for c in (request.form.get("channels") or "sms").split(",") if c.strip()]
    address = {"sms": request.form.get("phone") or party.phone or "", "email": request.form.get("email") or ""}
    s = db.session()
    consent_rules.give_on_paper(s, party, channels=channels, address=address, scan=scan,
                                staff_id=current_staff().id)
    s.commit()
    return consent_out(party)


@route(bp, "/parties/<int:party_id>/consent/withdraw", "POST",
       summary="撤回电子送达同意 / withdraw consent", tag="parties", response=ConsentOut, roles=WRITERS)
def withdraw_consent(party_id: int) -> ConsentOut:
    party = _party(party_id)
    s = db.session()
    if consent_rules.withdraw_for(s, party, actor=actor()) is None:
        raise DomainError("该当事人当前没有可撤回的电子送达同意", code="no_consent", status=409)
    s.commit()
    return consent_out(party)
