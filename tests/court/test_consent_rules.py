"""The consent and legal-date-of-service rules (court.services.consent / service_date), one case
each: never consented, declined, withdrawn after one document was served, consent entered by
staff from a paper form, an arrival at a phone the court entered and the party never confirmed,
and several channels where the earliest confirmed arrival counts."""
from __future__ import annotations

from datetime import timedelta

import pytest

from court import db
from court.errors import DomainError
from court.models import ChannelBinding, Party, PartyRole, Person, ServiceRecord
from court.services import cases, consent, consent_addresses, documents, service_date
from court.services import staff as staff_service
from tests.support.factories import id_number, pdf_bytes

T0 = None  # set per test: "now" at the start


@pytest.fixture
def world(s):  # type: ignore[no-untyped-def]
    court = staff_service.create_court(s, "北京互联网法院", "京0491")
    case = cases.create_case(s, court, "（2026）京0491民初500号", "civil", "合同纠纷")
    [(party, _code)] = cases.add_parties(s, case, [cases.PartyInput(PartyRole.DEFENDANT, "李四", id_number(),
                                                                     "13800005001")])
    s.commit()
    return case, party


def _doc(s, case, title="民事判决书"):  # type: ignore[no-untyped-def]
    return documents.upload(s, case, documents.DocumentKind.JUDGMENT, title, pdf_bytes(), max_bytes=2 * 1024 * 1024)


def _record(s, party, doc) -> ServiceRecord:  # type: ignore[no-untyped-def]
    rec = ServiceRecord(party_id=party.id, document_id=doc.id, channels_tried=[])
    s.add(rec)
    s.flush()
    return rec


def _arrive(s, rec, channel, address, at, event="delivered", nid=None):  # type: ignore[no-untyped-def]
    return service_date.record_event(s, rec, channel=channel, event=event, at=at, address=address,
                                     notification_id=nid)


def _agree(s, party, at, **address):  # type: ignore[no-untyped-def]
    row = consent.give(s, None, party.case, channels=list(address), address=address, method="staff", party=party,
                       recorded_by="staff:1")
    row.given_at = at
    s.flush()
    return row


def test_never_consented_nothing_counts_but_the_party_may_be_told(s, world):
    case, party = world
    rec = _record(s, party, _doc(s, case))
    now = db.utcnow()
    standing = consent_addresses.eligibility(s, party)
    assert not standing.may_serve and consent.state(s, party) == "none"
    # a notice may go to the court-entered phone, marked unconfirmed
    assert standing.first().address == "13800005001" and not standing.first().confirmed
    assert not _arrive(s, rec, "sms", "13800005001", now)
    assert not _arrive(s, rec, "web", None, now, event="read")
    assert rec.effective_at is None and {e["why_not"] for e in rec.channels_tried} == {"no_consent"}


def test_declined_nothing_counts_and_the_case_is_flagged(s, world):
    case, party = world
    consent.decline(s, party, method="bot", actor="person:9", reason="用纸质")
    rec = _record(s, party, _doc(s, case))
    assert consent.state(s, party) == "declined" and not consent.may_serve(s, party)
    assert not _arrive(s, rec, "sms", "13800005001", db.utcnow(), event="read")
    assert "李四：当事人不同意电子送达" in case.needs_attention


def test_withdrawn_after_one_document_was_served(s, world):
    case, party = world
    now = db.utcnow()
    given = _agree(s, party, now - timedelta(days=2), sms="13800005001")
    first = _record(s, party, _doc(s, case, "传票"))
    assert _arrive(s, first, "sms", "13800005001", now - timedelta(days=1))  # served while consent stood
    consent.withdraw(s, given, actor="staff:1")
    second = _record(s, party, _doc(s, case, "民事判决书"))
    assert not _arrive(s, second, "sms", "13800005001", db.utcnow())
    assert first.effective_at == now - timedelta(days=1)  # service before the withdrawal stays valid
    assert second.effective_at is None and consent.state(s, party) == "withdrawn"
    # a late report of an arrival before the withdrawal still counts for that document
    third = _record(s, party, _doc(s, case, "举证通知书"))
    assert _arrive(s, third, "sms", "13800005001", now - timedelta(hours=20))


def test_consent_through_staff_with_a_paper_form(s, world):
    case, party = world
    with pytest.raises(DomainError) as missing:
        consent.give_on_paper(s, party, channels=["sms"], address={"sms": "13800005001"}, scan=b"", staff_id=1)
    assert missing.value.code == "scan_required"
    with pytest.raises(DomainError) as wrong:
        consent.give_on_paper(s, party, channels=["sms"], address={"sms": "13800005001"}, scan=b"MZ\x90", staff_id=1)
    assert wrong.value.code == "scan_bad_type"
    row = consent.give_on_paper(s, party, channels=["sms", "email"],
                                address={"sms": "138 0000 5002", "email": "Li@Example.com"}, scan=pdf_bytes(),
                                staff_id=7)
    assert row.method == "staff" and row.recorded_by == "staff:7" and row.scan_key and row.person_id is None
    assert row.address == {"sms": "13800005002", "email": "li@example.com"}
    from court import storage

    assert storage.store().get(row.scan_key).startswith(b"%PDF")
    standing = consent_addresses.eligibility(s, party)
    assert standing.may_serve and standing.first().address == "13800005002" and standing.first().confirmed
    from court.services import files

    assert row.scan_key in files.referenced_keys(s)  # the scan survives garbage collection


def test_an_arrival_at_an_unconfirmed_phone_counts_only_once_the_party_opens(s, world):
    case, party = world
    now = db.utcnow()
    _agree(s, party, now - timedelta(days=1), email="li@example.com")  # the court's phone was never confirmed
    rec = _record(s, party, _doc(s, case))
    assert not consent_addresses.eligibility(s, party).is_confirmed("sms", "13800005001")
    assert not _arrive(s, rec, "sms", "13800005001", now - timedelta(hours=2), nid=1)
    assert rec.effective_at is None
    assert rec.channels_tried[-1]["why_not"] == "unconfirmed_address"
    assert _arrive(s, rec, "sms", "13800005001", now - timedelta(hours=1), event="opened", nid=1)
    assert rec.effective_at == now - timedelta(hours=1)


def test_several_channels_the_earliest_confirmed_arrival_counts(s, world):
    case, party = world
    now = db.utcnow()
    number = id_number(seq="777")
    from court import crypto

    person = Person(real_name="李四", id_number_enc=crypto.encrypt(number), id_number_hash=crypto.lookup_hash(number),
                    id_number_masked=crypto.mask_id_number(number))
    s.add(person)
    s.flush()
    # two WeChat bindings, the newer one proven by a face check; the older one never was
    s.add(ChannelBinding(person_id=person.id, channel="wechat", address="oOLDunverified"))
    s.add(ChannelBinding(person_id=person.id, channel="wechat", address="oPROVEN", verified_at=now))
    s.get(Party, party.id).person_id = person.id
    _agree(s, party, now - timedelta(days=1), email="li@example.com")
    standing = consent_addresses.eligibility(s, party)
    assert [a.address for a in standing.addresses if a.confirmed] == ["oPROVEN", "li@example.com"]
    assert standing.first().address == "oPROVEN"
    rec = _record(s, party, _doc(s, case))
    assert not _arrive(s, rec, "sms", "13800005001", now - timedelta(hours=5), nid=1)  # unconfirmed: no
    assert not _arrive(s, rec, "wechat", "oOLDunverified", now - timedelta(hours=4), nid=2)  # unverified: no
    assert _arrive(s, rec, "email", "li@example.com", now - timedelta(hours=2), nid=3)
    assert _arrive(s, rec, "wechat", "oPROVEN", now - timedelta(hours=3), nid=4)  # earlier, confirmed: wins
    assert not _arrive(s, rec, "wechat", "oPROVEN", now - timedelta(hours=6), nid=4)  # a replay: nothing changes
    assert rec.effective_at == now - timedelta(hours=3) and rec.effective_channel == "wechat"
