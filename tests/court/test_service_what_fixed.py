"""What the sign page tells the party about her date of service (``service_date.what_fixed``): the
event that fixed it — the earliest that counted, never an arrival that did not count — so the page
can say why service can be earlier than her signature."""
from __future__ import annotations

from datetime import timedelta

from court import db
from court.models import PartyRole, ServiceRecord
from court.services import cases, consent, documents, service_date
from court.services import staff as staff_service
from tests.support.factories import id_number, pdf_bytes


def _served_record(s):  # type: ignore[no-untyped-def]
    court = staff_service.create_court(s, "北京互联网法院", "京0491")
    case = cases.create_case(s, court, "（2026）京0491民初501号", "civil", "合同纠纷")
    [(party, _code)] = cases.add_parties(s, case, [cases.PartyInput(PartyRole.DEFENDANT, "李四", id_number(),
                                                                     "13800005001")])
    doc = documents.upload(s, case, documents.DocumentKind.JUDGMENT, "民事判决书", pdf_bytes(),
                           max_bytes=2 * 1024 * 1024)
    rec = ServiceRecord(party_id=party.id, document_id=doc.id, channels_tried=[])
    s.add(rec)
    s.flush()
    return party, rec


def test_nothing_fixed_before_service_took_effect(s):
    _party, rec = _served_record(s)
    assert service_date.what_fixed(rec) is None


def test_the_earliest_counting_event_is_named_not_a_later_one_nor_one_that_did_not_count(s):
    party, rec = _served_record(s)
    now = db.utcnow()
    given = consent.give(s, None, party.case, channels=["email"], address={"email": "li@example.com"},
                         method="staff", party=party, recorded_by="staff:1")
    given.given_at = now - timedelta(days=1)
    s.flush()
    # the court-entered phone was never confirmed: its arrival does not count, even though earliest
    assert not service_date.record_event(s, rec, channel="sms", event="delivered", address="13800005001",
                                         at=now - timedelta(hours=5), notification_id=1)
    assert service_date.record_event(s, rec, channel="email", event="delivered", address="li@example.com",
                                     at=now - timedelta(hours=3), notification_id=2)
    service_date.record_event(s, rec, channel="web", event="read", at=now - timedelta(hours=1))
    fixed = service_date.what_fixed(rec)
    assert fixed == {"channel": "email", "event": "delivered", "at": now - timedelta(hours=3)}
