"""Issue 10, findings 3 and 4 over real WeChat XML at /wechat: a TEMPLATESENDJOBFINISH from an
openid that is not the message's, or timed a month before the message was sent, fixed the legal
date of service before the consent service; and the bot's keyword withdraws consent."""
from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from bot.simulator.user import event_xml
from court import db
from court.models import (
    AuditEvent,
    Case,
    ChannelBinding,
    Consent,
    Notification,
    NotificationStatus,
    Party,
    Person,
    ServiceRecord,
)
from court.services import consent, documents
from tests.support.factories import id_number, pdf_bytes

VICTIM = "oVICTIMaaaaaaaaaaaaaaaaaaaa"
ATTACKER = "oATTACKERaaaaaaaaaaaaaaaaaa"
MSGID = 2004567890123


def _served_on_wechat(s, court_case) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """张三, bound (verified) to VICTIM and consenting, was sent a WeChat notice a minute ago."""
    from court import crypto

    case, parties = court_case
    party = s.get(Party, parties["张三"][0].id)
    number = id_number()
    person = Person(real_name="张三", id_number_enc=crypto.encrypt(number), id_number_hash=crypto.lookup_hash(number),
                    id_number_masked=crypto.mask_id_number(number), phone="13800000001")
    s.add(person)
    s.flush()
    s.add(ChannelBinding(person_id=person.id, channel="wechat", address=VICTIM, verified_at=db.utcnow()))
    party.person_id = person.id
    given = consent.give(s, person, s.get(Case, case.id), channels=["wechat"], address={"wechat": VICTIM}, method="bot")
    given.given_at = db.utcnow() - timedelta(minutes=5)  # agreed before the notice was sent
    doc = documents.upload(s, s.get(Case, case.id), documents.DocumentKind.JUDGMENT, "民事判决书", pdf_bytes(),
                           max_bytes=2 * 1024 * 1024)
    rec = ServiceRecord(party_id=party.id, document_id=doc.id, channels_tried=[])
    n = Notification(case_id=case.id, party_id=party.id, person_id=person.id, document_id=doc.id, channel="wechat",
                     address=VICTIM, template="document_ready", status=NotificationStatus.SENT,
                     provider_id=str(MSGID), sent_at=db.utcnow() - timedelta(minutes=1))
    s.add_all([rec, n])
    s.commit()
    return n.id, rec.id, case.id


def _state(s, nid: int, rec_id: int) -> tuple[Notification, ServiceRecord]:  # type: ignore[no-untyped-def]
    s.expire_all()
    return s.get(Notification, nid), s.get(ServiceRecord, rec_id)


def test_a_delivery_event_from_another_openid_is_refused(make_user, court_case, run_jobs, s):
    nid, rec_id, _case = _served_on_wechat(s, court_case)
    attacker = make_user(ATTACKER)
    attacker.post(event_xml(ATTACKER, "TEMPLATESENDJOBFINISH", None, MsgID=MSGID, Status="success"))
    run_jobs(("notify",))
    n, rec = _state(s, nid, rec_id)
    assert n.status is NotificationStatus.SENT and n.delivered_at is None
    assert rec.effective_at is None
    refused = s.scalar(select(AuditEvent).where(AuditEvent.action == "delivery.report_refused"))
    assert refused.details["reason"] == "address_mismatch"
    s.rollback()
    # WeChat's genuine event still counts afterwards
    victim = make_user(VICTIM)
    victim.post(event_xml(VICTIM, "TEMPLATESENDJOBFINISH", None, MsgID=MSGID, Status="success"))
    run_jobs(("notify",))
    n, rec = _state(s, nid, rec_id)
    assert n.status is NotificationStatus.DELIVERED and rec.effective_at is not None
    assert rec.effective_channel == "wechat"


def test_a_delivery_event_timed_a_month_before_the_send_is_refused(make_user, court_case, run_jobs, s):
    nid, rec_id, _case = _served_on_wechat(s, court_case)
    victim = make_user(VICTIM)
    month_ago = int(time.time()) - 30 * 86400
    victim.post(event_xml(VICTIM, "TEMPLATESENDJOBFINISH", None, MsgID=MSGID, Status="success",
                          create_time=month_ago))
    run_jobs(("notify",))
    n, rec = _state(s, nid, rec_id)
    assert n.delivered_at is None and rec.effective_at is None
    refused = s.scalar(select(AuditEvent).where(AuditEvent.action == "delivery.report_refused"))
    assert refused.details["reason"] == "before_send"


def test_the_bot_keyword_withdraws_consent_and_flags_the_case(make_user, court_case, s):
    _nid, _rec, case_id = _served_on_wechat(s, court_case)
    s.rollback()
    victim = make_user(VICTIM)
    reply = victim.say("撤回同意")
    assert reply is not None and "已撤回" in reply["Content"]
    s.expire_all()
    [row] = s.scalars(select(Consent)).all()
    assert row.withdrawn_at is not None and row.withdrawn_by and row.withdrawn_by.startswith("person:")
    assert consent.ATTENTION in s.get(Case, case_id).needs_attention
    s.rollback()
    assert "没有找到" in victim.say("撤回同意")["Content"]  # nothing left to withdraw
