"""Attacks on identity (DESIGN: binding; Online Litigation Rules art. 7): someone who knows a party's
name and ID number but not her phone. The bot's path (tests/handlers/test_takeover.py), the web SMS
step (tests/web_sign/test_session_attacks.py) and the binding rule (tests/court/test_binding.py) are
attacked there; here the clerk's verification link, reached by an insider of *another* court."""
from __future__ import annotations

import pytest

from court import db
from court.models import PartyRole, StaffRole, StepAction
from court.services import cases, documents, flow_seal, flows
from court.services import staff as staff_service
from tests.staff.test_staff_verification import _link_in_sms, _verify
from tests.support.factories import id_number, pdf_bytes
from tests.web_sign.conftest import person_for

VICTIM_ID = id_number(seq="888")


@pytest.fixture(params=["phone_verified", "phone_unverified"])
def victim(app, court_setup, request):
    """王芳 is a party of another court (上海一中院), proven and bound there, a judgment waiting for her receipt."""
    s = db.session()
    other = staff_service.create_court(s, "上海市第一中级人民法院", "沪01")
    flow_seal.set_approval_kinds(s, other, [], actor="test")
    staff_service.create_staff(s, other, "sh_clerk", "沪书记员", StaffRole.CLERK)
    case = cases.create_case(s, other, "（2030）沪01民初5号", "civil", "借款合同纠纷")
    [(party, _code)] = cases.add_parties(s, case, [cases.PartyInput(
        role=PartyRole.DEFENDANT, name="王芳", id_number=VICTIM_ID, phone="13800000088")])
    doc = documents.upload(s, case, documents.parse_kind("judgment"), "民事判决书", pdf_bytes(1, "Judgment"),
                           filename="judgment.pdf", max_bytes=2 * 1024 * 1024)
    flows.start_flow(s, doc, [flows.StepInput(StepAction.RECEIVE, party_id=party.id)])
    s.commit()
    person = person_for(party)  # she proved who she is there, and consented
    if request.param == "phone_verified":  # by SMS code and face ...
        s = db.session()
        s.get(type(person), person.id).phone_verified_at = db.utcnow()
        s.commit()
    # ... or before a clerk there, her phone as that court entered it, never proven by a code
    return party, doc


def test_a_clerk_of_another_court_cannot_reach_a_partys_documents_through_a_verification_link(
        app, console, victim, run_jobs):
    """The insider adds a party with her name and ID number but their own phone to a case of their own
    court, 'verifies' it in the console and opens the link: it must open that case only."""
    victim_party, victim_doc = victim
    s = db.session()
    court = s.get(type(console.members["clerk"][0].court), console.members["clerk"][0].court_id)
    case = cases.create_case(s, court, "（2030）京0491民初99号", "civil", "网络购物合同纠纷")
    [(decoy, _code)] = cases.add_parties(s, case, [cases.PartyInput(
        role=PartyRole.PLAINTIFF, name="王芳", id_number=VICTIM_ID, phone="13900000099")])  # the insider's phone
    s.commit()
    console.login()
    _verify(console, decoy)
    run_jobs(("notify",))
    phone = app.test_client()
    phone.get(_link_in_sms("13900000099"))
    assert phone.get("/m/verified").status_code == 302
    # the judgment served on her by the other court stays closed to this browser
    assert phone.get(f"/m/documents/{victim_doc.id}").status_code in (403, 404)
    assert phone.get(f"/m/documents/{victim_doc.id}/sign").status_code in (403, 404)
    home = phone.get("/m/", follow_redirects=True).get_data(as_text=True)
    assert "沪01" not in home and "上海市第一中级人民法院" not in home


def _decoy(console) -> object:
    """The insider's party: her name and ID number, their own phone, a case of their own court."""
    s = db.session()
    court = s.get(type(console.members["clerk"][0].court), console.members["clerk"][0].court_id)
    case = cases.create_case(s, court, "（2030）京0491民初98号", "civil", "网络购物合同纠纷")
    [(decoy, _code)] = cases.add_parties(s, case, [cases.PartyInput(
        role=PartyRole.PLAINTIFF, name="王芳", id_number=VICTIM_ID, phone="13900000098")])
    doc = documents.upload(s, case, documents.parse_kind("notice"), "通知书", pdf_bytes(1, "Notice"),
                           filename="n.pdf", max_bytes=2 * 1024 * 1024)
    s.commit()
    return decoy, doc


def test_an_sms_code_to_a_phone_the_court_entered_for_her_name_opens_nothing_of_hers(app, console, victim, run_jobs,
                                                                                      caplog):
    """The same insider, on the SMS path: the code goes to their phone, the session is hers, yet
    nothing she was served elsewhere opens or is even listed without her own identity check."""
    import logging

    from tests.web_sign.conftest import csrf
    from tests.web_sign.test_identity_pages import open_link, sent_code

    caplog.set_level(logging.DEBUG)
    victim_party, victim_doc = victim
    decoy, doc = _decoy(console)
    phone = app.test_client()
    open_link(phone, decoy, doc.id)
    token = csrf(phone, "/m/identity")
    phone.post("/m/identity/send", data={"csrf_token": token, "next": "/m/"})
    r = phone.post("/m/identity/verify", data={"csrf_token": token, "code": sent_code("13900000098"), "next": "/m/"})
    assert r.status_code == 302 and "/m/face" in r.headers["Location"]  # a face check of her, not of them
    for path in (f"/m/documents/{victim_doc.id}", f"/m/documents/{victim_doc.id}/sign",
                 f"/m/documents/{victim_doc.id}/download"):
        got = phone.get(path)
        assert got.status_code in (302, 403, 404), (path, got.status_code)
        assert got.status_code != 302 or "/m/face" in got.headers["Location"] or "/m/identity" in got.headers["Location"]
    home = phone.get("/m/", follow_redirects=True).get_data(as_text=True)
    assert "沪01" not in home and "上海市第一中级人民法院" not in home and "借款合同" not in home
    # her proven phone is still hers: notices keep going to her, not to the insider
    from court.models import Party, Person

    s = db.session()
    person = s.get(Person, s.get(Party, victim_party.id).person_id)
    assert person.phone == "13800000088"
    # and neither her ID number nor either phone is in a log line
    for secret in (VICTIM_ID, "13800000088", "13900000098"):
        assert secret not in caplog.text
