"""Consent to electronic service per case: exact text recorded, withdrawal stops service."""
import hashlib

import pytest
from sqlalchemy import select

from court import db
from court.errors import DomainError
from court.models import AuditEvent, Case, Notification, NotificationStatus
from court.services import outbox
from identity import consent

ADDRESS = {"sms": "13800138000", "wechat": "oWx-openid-123"}


def test_text_states_scope_and_effect(case):
    text = consent.consent_text(case, ["wechat", "sms"], "zh_Hans_CN", ADDRESS)
    assert text.startswith("电子送达确认书")
    assert "北京互联网法院" in text and case.number in text
    assert "微信公众号消息、手机短信（138****8000）" in text
    assert "第九十条" in text and "第二十九条至第三十三条" in text
    assert "最先到达" in text and "撤回" in text
    assert "13800138000" not in text


def test_english_text(case):
    text = consent.consent_text(case, ["sms"], "en", {"sms": "13800138000"})
    assert text.startswith("Consent to Electronic Service")
    assert "SMS text messages (138****8000)" in text and "Article 90" in text


def test_give_records_the_exact_text_shown(s, person, case):
    c = consent.give(s, person, case, channels=["wechat", "sms"], address=ADDRESS, method="bot")
    s.commit()
    assert c.channels == ["wechat", "sms"] and c.address == ADDRESS and c.method == "bot"
    assert c.text_shown == consent.consent_text(case, ["wechat", "sms"], person.locale, ADDRESS)
    assert c.given_at is not None and c.withdrawn_at is None
    assert consent.has_consent(s, person.id, case.id)
    event = s.scalar(select(AuditEvent).where(AuditEvent.action == "consent.given"))
    assert event.case_id == case.id
    assert event.details["text_sha256"] == hashlib.sha256(c.text_shown.encode()).hexdigest()
    assert "13800138000" not in str(event.details)


def test_giving_the_same_consent_twice_is_one_record(s, person, case):
    first = consent.give(s, person, case, channels=["sms"], address={"sms": "138 0013 8000"}, method="web")
    again = consent.give(s, person, case, channels=["sms"], address={"sms": "13800138000"}, method="web")
    assert again.id == first.id


def test_new_channels_supersede_the_old_consent(s, person, case):
    first = consent.give(s, person, case, channels=["sms"], address=ADDRESS, method="web")
    second = consent.give(s, person, case, channels=["wechat"], address=ADDRESS, method="bot")
    assert first.withdrawn_at is not None and second.withdrawn_at is None
    assert consent.active(s, person.id, case.id).id == second.id
    assert case.needs_attention is None  # a change of channel is not a withdrawal


@pytest.mark.parametrize("channels, address, code", [
    ([], ADDRESS, "no_channel"),
    (["fax"], ADDRESS, "bad_channel"),
    (["sms"], {"sms": "12345"}, "bad_phone"),
    (["email"], {"email": "not-an-address"}, "bad_email"),
    (["wechat"], {}, "missing_address"),
])
def test_invalid_consent_is_refused(s, person, case, channels, address, code):
    with pytest.raises(DomainError) as err:
        consent.give(s, person, case, channels=channels, address=address, method="bot")
    assert err.value.code == code


def test_withdrawal_stops_service_and_tells_staff(s, person, case):
    c = consent.give(s, person, case, channels=["sms"], address=ADDRESS, method="bot")
    pending = outbox.add(s, channel="sms", address="13800138000", template="notice", case_id=case.id,
                         person_id=person.id)
    other_case = outbox.add(s, channel="sms", address="13800138000", template="notice", person_id=person.id)
    s.commit()
    consent.withdraw(s, c, actor=f"person:{person.id}")
    s.commit()
    assert c.withdrawn_at is not None
    assert not consent.has_consent(s, person.id, case.id)
    s.expire_all()
    assert s.get(Case, case.id).needs_attention == consent.ATTENTION
    assert s.get(Notification, pending.id).status == NotificationStatus.CANCELLED
    assert s.get(Notification, other_case.id).status == NotificationStatus.PENDING
    event = s.scalar(select(AuditEvent).where(AuditEvent.action == "consent.withdrawn"))
    assert event.case_id == case.id and event.actor == f"person:{person.id}"
    assert event.details["cancelled_notifications"] == [pending.id]
    consent.withdraw(s, c, actor="staff:1")  # twice: nothing more happens
    assert len(db.session().scalars(select(AuditEvent).where(AuditEvent.action == "consent.withdrawn")).all()) == 1


def test_withdrawal_keeps_an_existing_staff_flag(s, person, case):
    case.needs_attention = "需要邮寄送达"
    c = consent.give(s, person, case, channels=["sms"], address=ADDRESS, method="staff")
    consent.withdraw(s, c, actor="staff:1")
    assert case.needs_attention == f"需要邮寄送达；{consent.ATTENTION}"
