"""Issue 12, item 3: a returning party re-reads and downloads what was served on her with an SMS
code to her verified phone, spending no face attempt; anything new, and every signature, still
needs a face check in the same session (Online Litigation Rules art. 7). The rule's home is
``court.services.party_sessions.may_read``; these tests go through the pages."""
from __future__ import annotations

from sqlalchemy import func, select

from court import db, ratelimit
from court.models import FlowStep, IdentityCheck, Party, StepAction, StepStatus
from court.services import documents, flows
from tests.support.factories import pdf_bytes
from tests.web_sign.conftest import csrf, needs_identity
from tests.web_sign.test_identity_pages import open_link, sent_code
from tests.web_sign.test_session_attacks import _send_photo

pytestmark = needs_identity


def _sms_code(client, party: Party, document_id: int, next_url: str) -> str:
    """Open the SMS link and enter the code; returns where the page sends her next."""
    from identity import otp, phones

    ratelimit.reset(otp.SEND_SCOPE, phones.subject(party.phone), *(limit for limit, _m in otp.SEND_LIMITS))
    open_link(client, party, document_id)
    token = csrf(client, "/m/identity")
    client.post("/m/identity/send", data={"csrf_token": token, "next": next_url})
    r = client.post("/m/identity/verify", data={"csrf_token": token, "code": sent_code(party.phone),
                                                "next": next_url})
    assert r.status_code == 302
    return r.headers["Location"]


def _first_visit(client, party: Party, document_id: int, run_jobs) -> None:
    """The full visit: SMS code, face check, consent if not given yet (binds the party and proves
    the phone). A returning party asks for the face check herself here."""
    doc_url = f"/m/documents/{document_id}"
    _sms_code(client, party, document_id, doc_url)
    token = csrf(client, "/m/face")  # the SMS step now shows itself done, without a form
    _send_photo(client, token, "good")
    run_jobs(("default",))
    status = client.get(f"/m/face/status?next={doc_url}").get_json()
    assert status["ok"], status
    if "/m/consent/" in status["next"]:
        client.post(status["next"], data={"csrf_token": token, "decision": "agree", "next": doc_url})
    assert client.get(doc_url).status_code == 200


def _signed_for(step_party: Party, document_id: int) -> None:
    """Her step on the document is done, as after her signature."""
    s = db.session()
    for st in s.scalars(select(FlowStep).where(FlowStep.party_id == step_party.id)):
        if st.flow.document_id == document_id:
            st.status = StepStatus.DONE
            st.done_at = db.utcnow()
    s.commit()


def _checks(person_id: int) -> int:
    return db.session().scalar(select(func.count(IdentityCheck.id)).where(IdentityCheck.person_id == person_id))


def _new_document(world) -> int:
    s = db.session()
    doc = documents.upload(s, world.case, documents.parse_kind("ruling"), "民事裁定书", pdf_bytes(1, "Ruling"),
                           filename="ruling.pdf", max_bytes=2 * 1024 * 1024)
    flow = flows.start_flow(s, doc, [flows.StepInput(StepAction.SIGN, party_id=world.alice.id)])
    for st in flow.steps:
        st.status = StepStatus.READY
    s.commit()
    return doc.id


def test_a_returning_party_downloads_without_a_face_check(app, world, run_jobs):
    first = app.test_client()
    _first_visit(first, world.alice, world.doc.id, run_jobs)
    _signed_for(world.alice, world.doc.id)
    person_id = db.session().get(Party, world.alice.id).person_id
    checks = _checks(person_id)

    back = app.test_client()  # days later, another browser, the same SMS link
    doc_url = f"/m/documents/{world.doc.id}"
    assert _sms_code(back, world.alice, world.doc.id, doc_url).endswith(doc_url)  # straight to it
    page = back.get(doc_url)
    assert page.status_code == 200 and "民事判决书" in page.get_data(as_text=True)
    pdf = back.get(f"{doc_url}/file.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert "民事判决书" in back.get("/m/").get_data(as_text=True)
    assert _checks(person_id) == checks  # no face attempt spent on re-reading

    # something new to sign: the face check comes back, for reading it and for signing it
    new_id = _new_document(world)
    assert "/m/face" in back.get(f"/m/documents/{new_id}").headers["Location"]
    assert "/m/face" in back.get(f"/m/documents/{new_id}/sign").headers["Location"]
    assert back.get(f"/m/documents/{new_id}/file.pdf").status_code == 403


def test_an_sms_code_alone_does_not_open_a_first_visit(app, world):
    """Knowing the link and holding the phone is not enough the first time: no identity check
    ever passed for the party, so the face page comes next and the document stays shut."""
    client = app.test_client()
    assert "/m/face" in _sms_code(client, world.alice, world.doc.id, f"/m/documents/{world.doc.id}")
    assert "/m/face" in client.get(f"/m/documents/{world.doc.id}").headers["Location"]
    assert client.get(f"/m/documents/{world.doc.id}/file.pdf").status_code == 403


def test_a_new_phone_number_is_not_a_returning_party(app, world, run_jobs):
    """The court changes the party's number: a code to a phone never proven with her identity
    check is no lighter step."""
    _first_visit(app.test_client(), world.alice, world.doc.id, run_jobs)
    _signed_for(world.alice, world.doc.id)
    s = db.session()
    s.get(Party, world.alice.id).phone = "13900000009"
    s.commit()
    client = app.test_client()
    assert "/m/face" in _sms_code(client, db.session().get(Party, world.alice.id), world.doc.id,
                                  f"/m/documents/{world.doc.id}")
    assert client.get(f"/m/documents/{world.doc.id}/file.pdf").status_code == 403


def test_a_face_pass_in_another_browser_does_not_let_an_sms_session_sign(app, world, run_jobs):
    """Attacker case: her SMS-only session (or a thief's with her phone) never upgrades to signing
    because a face check passed somewhere else."""
    _first_visit(app.test_client(), world.alice, world.doc.id, run_jobs)
    _signed_for(world.alice, world.doc.id)
    new_id = _new_document(world)
    light = app.test_client()
    _sms_code(light, world.alice, world.doc.id, f"/m/documents/{world.doc.id}")
    _first_visit(app.test_client(), world.alice, world.doc.id, run_jobs)  # a full check elsewhere
    assert light.get(f"/m/documents/{world.doc.id}").status_code in (302, 403)  # ended by it
    light2 = app.test_client()
    _sms_code(light2, world.alice, world.doc.id, f"/m/documents/{world.doc.id}")
    assert "/m/face" in light2.get(f"/m/documents/{new_id}/sign").headers["Location"]
    token = csrf(light2, "/m/")
    refused = light2.post(f"/m/documents/{new_id}/sign", data={"csrf_token": token, "signature": "x"})
    assert refused.status_code == 302 and "/m/face" in refused.headers["Location"]
    step = db.session().scalar(select(FlowStep).join(FlowStep.flow).where(FlowStep.party_id == world.alice.id)
                               .order_by(FlowStep.id.desc()))
    assert step.status is StepStatus.READY  # nothing was signed


def test_a_returning_wechat_party_rereads_without_a_face_check_but_signs_with_one(app, client, world, run_jobs):
    """The bot's route in (WeChat OAuth from a verified binding) follows the same rule."""
    from court.models import ChannelBinding

    app.config["WECHAT_OAUTH_EXCHANGE"] = "tests.web_sign.test_wechat.fake_exchange"
    _first_visit(app.test_client(), world.alice, world.doc.id, run_jobs)
    _signed_for(world.alice, world.doc.id)
    new_id = _new_document(world)
    s = db.session()
    person_id = s.get(Party, world.alice.id).person_id
    s.add(ChannelBinding(person_id=person_id, channel="wechat", address="oWECHAT-alice", verified_at=db.utcnow()))
    s.commit()
    checks = _checks(person_id)
    r = client.get(f"/m/documents/{world.doc.id}?code=good-code&state=doc{world.doc.id}")
    assert r.status_code == 302
    assert client.get(f"/m/documents/{world.doc.id}").status_code == 200
    assert client.get(f"/m/documents/{world.doc.id}/file.pdf").data.startswith(b"%PDF-")
    assert _checks(person_id) == checks
    assert "/m/face" in client.get(f"/m/documents/{new_id}/sign").headers["Location"]
