"""Issue 10, finding 3 on the party pages: without consent to electronic service nothing can be
read, downloaded or signed (also by a direct GET or POST), and the consent page offers a real
同意 and 不同意 and lets the party withdraw. Before the consent service a party who never agreed
could download the PDF and sign by POSTing straight to the sign URL."""
from __future__ import annotations

from sqlalchemy import select

from court import crypto, db
from court.models import AuditEvent, Case, Consent, FlowStep, Party, Person, StepStatus
from tests.web_sign.conftest import csrf, make_world, mark_ready, needs_signing, person_for, sign_in, signature_png

pytestmark = needs_signing


def _person_without_consent(party: Party) -> Person:
    """A face-verified person bound to ``party`` who has not answered the consent question."""
    s = db.session()
    party = s.get(Party, party.id)
    number = crypto.decrypt(party.id_number_enc)
    person = Person(real_name=party.name, id_number_enc=crypto.encrypt(number), id_number_hash=crypto.lookup_hash(number),
                    id_number_masked=crypto.mask_id_number(number), phone=party.phone, face_verified_at=db.utcnow(),
                    face_result="pass", face_checked_at=db.utcnow(), face_provider="development")
    s.add(person)
    s.flush()
    party.person_id = person.id
    s.commit()
    return person


def _case(case_id: int) -> Case:
    s = db.session()
    s.expire_all()
    return s.get(Case, case_id)


def test_without_consent_nothing_can_be_read_downloaded_or_signed(client, app):
    w = make_world()
    sign_in(client, w.alice, _person_without_consent(w.alice))
    mark_ready(w.step(w.alice))
    doc = f"/m/documents/{w.doc.id}"
    r = client.get(doc)
    assert r.status_code == 302 and f"/m/consent/{w.case.id}" in r.headers["Location"]
    assert client.get(f"{doc}/file.pdf").status_code == 403
    assert client.get(f"{doc}/pages/1.png").status_code == 403
    assert client.get(f"{doc}/sign").status_code == 403
    token = csrf(client, f"/m/consent/{w.case.id}")
    signed = client.post(f"{doc}/sign", data={"csrf_token": token, "signature": signature_png()})
    assert signed.status_code == 403
    refused = client.post(f"{doc}/refuse", data={"csrf_token": token, "reason": "不签"})
    assert refused.status_code == 403
    step = db.session().get(FlowStep, w.step(w.alice).id)
    assert step.status is StepStatus.READY and step.attempts == 0  # nothing was queued


def test_declining_on_the_page_flags_the_case_with_the_reason(client, app):
    w = make_world()
    sign_in(client, w.alice, _person_without_consent(w.alice))
    page = client.get(f"/m/consent/{w.case.id}").get_data(as_text=True)
    assert 'id="consent-submit"' in page and 'id="consent-decline"' in page
    token = csrf(client, f"/m/consent/{w.case.id}")
    r = client.post(f"/m/consent/{w.case.id}", data={"csrf_token": token, "decision": "decline",
                                                       "reason": "我没有智能手机"})
    assert r.status_code == 302  # post/redirect/get: back and reload never re-send the answer
    r = client.get(r.headers["Location"])
    assert r.status_code == 200 and "已记录您不同意电子送达" in r.get_data(as_text=True)
    assert "张三" in _case(w.case.id).needs_attention and "不同意电子送达" in _case(w.case.id).needs_attention
    [row] = db.session().scalars(select(Consent).where(Consent.party_id == w.alice.id)).all()
    assert row.decision == "declined" and row.method == "web" and row.reason == "我没有智能手机"
    # still nothing to read; the page says what was chosen and still offers 同意
    assert client.get(f"/m/documents/{w.doc.id}/file.pdf").status_code == 403
    again = client.get(f"/m/consent/{w.case.id}").get_data(as_text=True)
    assert 'id="consent-state"' in again and 'id="consent-submit"' in again
    # agreeing later opens the document
    client.post(f"/m/consent/{w.case.id}", data={"csrf_token": token, "agree": "yes", "next": f"/m/documents/{w.doc.id}"})
    assert client.get(f"/m/documents/{w.doc.id}").status_code == 200


def test_withdrawing_on_the_page_stops_reading_and_signing(client, app):
    w = make_world()
    sign_in(client, w.alice, person_for(w.alice))  # consented
    assert client.get(f"/m/documents/{w.doc.id}").status_code == 200
    token = csrf(client, f"/m/consent/{w.case.id}")
    assert 'id="consent-withdraw"' in client.get(f"/m/consent/{w.case.id}").get_data(as_text=True)
    r = client.post(f"/m/consent/{w.case.id}", data={"csrf_token": token, "decision": "withdraw"})
    assert r.status_code == 302
    r = client.get(r.headers["Location"])
    assert r.status_code == 200 and "已撤回电子送达同意" in r.get_data(as_text=True)
    assert client.get(f"/m/documents/{w.doc.id}").status_code == 302
    assert client.get(f"/m/documents/{w.doc.id}/file.pdf").status_code == 403
    assert "撤回电子送达同意" in _case(w.case.id).needs_attention
    assert db.session().scalar(select(AuditEvent).where(AuditEvent.action == "consent.withdrawn")) is not None


def test_reading_the_document_is_recorded_as_an_act_of_service(client, app):
    """Opening the document on the page (after consent) fixes the date of service even when the
    message went to a phone the court entered and the party never confirmed."""
    from court.models import ServiceRecord

    w = make_world()
    s = db.session()
    s.add(ServiceRecord(party_id=w.alice.id, document_id=w.doc.id, channels_tried=[]))
    s.commit()
    sign_in(client, w.alice, person_for(w.alice))
    assert client.get(f"/m/documents/{w.doc.id}").status_code == 200
    client.get(f"/m/documents/{w.doc.id}")  # a second look changes nothing
    s = db.session()
    s.expire_all()
    rec = s.scalar(select(ServiceRecord).where(ServiceRecord.party_id == w.alice.id))
    assert rec.effective_at is not None and rec.effective_channel == "web"
    assert [e["event"] for e in rec.channels_tried] == ["read"]
    assert rec.served_version_id == w.doc.current.id
