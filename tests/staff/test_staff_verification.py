"""Identity without a face: a clerk verifies a party against their ID card in the console, the party
opens the one-time link on their phone, reads and signs; the credential names "工作人员核验"."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from court import db
from court.models import (
    AuditEvent,
    DevMessage,
    IdentityCheck,
    Party,
    PartyRole,
    Person,
    ServiceRecord,
    StepAction,
)
from court.services import cases, documents, flow_seal, flows, party_sessions
from tests.support.factories import id_number, pdf_bytes
from tests.support.signing import pdftotext
from tests.web_sign.conftest import csrf, session_row, signature_png


def _token(client) -> str:  # type: ignore[no-untyped-def]
    with client.session_transaction() as sess:
        return sess["m_sid"]


@pytest.fixture
def served(court_setup):
    """A case of the console's court with one party and a sealed judgment waiting for her receipt."""
    court, _members = court_setup
    s = db.session()
    flow_seal.set_approval_kinds(s, court, [], actor="test")  # seal approval is tested in tests/staff/test_seal_control
    case = cases.create_case(s, court, "（2026）京0491民初77号", "civil", "网络购物合同纠纷")
    [(party, _code)] = cases.add_parties(s, case, [cases.PartyInput(
        role=PartyRole.PLAINTIFF, name="王芳", id_number=id_number(seq="777"), phone="13800000077")])
    doc = documents.upload(s, case, documents.parse_kind("judgment"), "民事判决书", pdf_bytes(1, "Judgment"),
                           filename="judgment.pdf", max_bytes=2 * 1024 * 1024)
    flows.start_flow(s, doc, [flows.StepInput(StepAction.SEAL), flows.StepInput(StepAction.RECEIVE, party_id=party.id)])
    s.commit()
    return case, party, doc


def _link_in_sms(phone: str) -> str:
    body = db.session().scalars(select(DevMessage.body).where(
        DevMessage.address == phone, DevMessage.body.contains("工作人员已核验")).order_by(DevMessage.id.desc())).first()
    assert body is not None and "工作人员已核验您的身份" in body
    return re.search(r"(/s/[A-Za-z0-9_-]+)", body).group(1)


def _verify(console, party: Party, **form):  # type: ignore[no-untyped-def]
    data = {"mode": "in_person", "id_card_checked": "yes"} | form
    return console.post(f"/console/parties/{party.id}/verify", data=data, follow_redirects=True)


def test_a_clerk_verified_party_signs_and_the_credential_names_the_method(console, served, app, run_jobs):
    case, party, doc = served
    run_jobs(("signing",))  # the court's seal first
    console.login()
    assert f"/console/parties/{party.id}/verify" in console.get(f"/console/cases/{case.id}").get_data(as_text=True)
    form = console.get(f"/console/parties/{party.id}/verify").get_data(as_text=True)
    assert "王芳" in form and "138****0077" in form

    unchecked = _verify(console, party, id_card_checked="")
    assert "请先核对当事人的身份证件原件" in unchecked.get_data(as_text=True)
    assert db.session().scalars(select(IdentityCheck)).first() is None

    done = _verify(console, party).get_data(as_text=True)
    assert "已记录身份核验（clerk 一号）" in done and "138****0077" in done
    check = db.session().scalars(select(IdentityCheck)).one()
    clerk = console.members["clerk"][0]
    assert (check.method, check.status, check.channel, check.ref) == ("staff", "pass", "console", f"staff:{clerk.id}")
    event = db.session().scalar(select(AuditEvent).where(AuditEvent.action == "identity.staff_verified"))
    assert event.details["staff"] == "clerk 一号" and event.details["mode"] == "in_person"

    run_jobs(("notify",))
    link = _link_in_sms("13800000077")
    phone = app.test_client()
    landed = phone.get(link)
    assert landed.headers["Location"].endswith("/m/verified")
    r = phone.get("/m/verified")
    assert f"/m/consent/{case.id}" in r.headers["Location"]  # identity done: straight to e-service consent
    # the clerk's check now belongs to this browser's server-side session, like a face pass here
    row = session_row(phone)
    assert row is not None and row.via == "staff"
    db.session().expire_all()
    assert db.session().get(IdentityCheck, check.id).holder == party_sessions.holder_id(_token(phone))
    token = csrf(phone, r.headers["Location"])
    phone.post(r.headers["Location"], data={"csrf_token": token, "agree": "yes"})

    page = phone.get(f"/m/documents/{doc.id}/sign")
    assert page.status_code == 200 and 'id="pad"' in page.get_data(as_text=True)  # no face check asked
    phone.post(f"/m/documents/{doc.id}/sign", data={"csrf_token": token, "signature": signature_png()})
    run_jobs(("signing",))
    assert phone.get(f"/m/documents/{doc.id}/status").get_json()["done"] is True

    s = db.session()
    person = s.get(Person, s.get(Party, party.id).person_id)
    assert person.face_verified_at is None and person.face_checked_at is None  # no face was ever processed
    rec = s.scalars(select(ServiceRecord).where(ServiceRecord.party_id == party.id)).one()
    text = pdftotext(documents.read_version(rec.credential))
    assert "工作人员核验" in text and "clerk 一号" in text and "人脸识别" not in text

    # the link was spent: it opens nothing a second time, in this browser or another
    again = app.test_client()
    assert again.get(link).status_code == 410


def test_the_verification_is_claimed_once_and_only_soon_after(console, served, app, run_jobs):
    _case, party, _doc = served
    console.login()
    _verify(console, party, mode="video")
    run_jobs(("notify",))
    link = _link_in_sms("13800000077")

    s = db.session()
    check = s.scalars(select(IdentityCheck)).one()
    check.decided_at = db.utcnow() - timedelta(hours=2)
    s.commit()
    late = app.test_client()
    late.get(link)
    page = late.get("/m/verified")
    assert page.status_code == 410 and "超过有效期" in page.get_data(as_text=True)
    assert late.get("/m/").status_code == 302  # nothing unlocked


def test_a_clerk_cannot_verify_another_courts_party_and_a_seal_approver_cannot_verify(console, served, client):
    _case, party, _doc = served
    console.login(username="seal_approver1")
    assert console.post(f"/console/parties/{party.id}/verify", data={"mode": "in_person",
                                                                     "id_card_checked": "yes"}).status_code == 403
    assert db.session().scalars(select(IdentityCheck)).first() is None


def test_a_registered_person_under_another_name_is_not_tied_to_the_party(console, served):
    """The party record names 王芳; the person registered with that ID number is someone else by name."""
    _case, party, _doc = served
    s = db.session()
    row = s.get(Party, party.id)
    s.add(Person(real_name="王芳芳", id_number_enc=row.id_number_enc, id_number_hash=row.id_number_hash,
                 id_number_masked="1101**********0777"))
    s.commit()
    console.login()
    page = _verify(console, party).get_data(as_text=True)
    assert "姓名与已登记的身份不一致" in page
    assert db.session().scalars(select(IdentityCheck)).first() is None
    assert db.session().get(Party, party.id).person_id is None
