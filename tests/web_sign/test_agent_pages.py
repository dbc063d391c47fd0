"""An agent on the party pages (issue 13): they prove who they are, see and sign for the party they
act for within their authority, and nothing else; the receipt and the credential say who signed for whom."""
from __future__ import annotations

import subprocess
from datetime import timedelta

from court import db
from court.models import AuditEvent, FlowStep, Party, PartyRole, Person, ServiceRecord, StepAction
from court.services import agents, cases, documents, flows
from court.services import consent as consent_rules
from tests.support.factories import id_number, pdf_bytes
from tests.web_sign.conftest import csrf, make_world, needs_signing, sign_in, signature_png

pytestmark = needs_signing

ACME = "北京某某科技有限公司"
ACME_USCC = "91110108551385082Q"


def _company_world(*, scope: str = "general", kind: str = "judgment", action: StepAction = StepAction.RECEIVE):  # type: ignore[no-untyped-def]
    """The usual world plus a company defendant served the same document, acting through 李律师."""
    w = make_world(action, seal=True, kind=kind, title="民事判决书" if kind == "judgment" else "调解协议")
    s = db.session()
    case = s.get(type(w.case), w.case.id)
    ((company, _c),) = cases.add_parties(s, case, [cases.PartyInput(
        role=PartyRole.DEFENDANT, name=ACME, kind="organisation", uscc=ACME_USCC)])
    authority, _code = agents.add(s, company, agents.AgentInput(
        name="李律师", id_number=id_number(seq="777"), phone="13900000007", role="lawyer", scope=scope),
        poa=pdf_bytes(1, "Power of attorney"), actor="staff:1")
    flow = s.get(type(w.flow), w.flow.id)
    flow.steps.append(FlowStep(position=len(flow.steps), action=action, party_id=company.id))
    s.commit()
    return w, company, authority


def _agree(client, doc_id: int, case_id: int) -> None:  # type: ignore[no-untyped-def]
    page = f"/m/consent/{case_id}?next=/m/documents/{doc_id}"
    r = client.post(page, data={"csrf_token": csrf(client, page), "decision": "agree", "agree": "yes",
                                "next": f"/m/documents/{doc_id}"})
    assert r.status_code == 302, r.get_data(as_text=True)


def test_agent_consents_signs_and_the_receipt_says_for_whom(client, app, run_jobs):
    w, company, authority = _company_world()
    agent_person = sign_in(client, authority.agent)
    run_jobs(("signing",))  # the court's seal; then the steps open
    home = client.get("/m/").get_data(as_text=True)
    assert w.doc.title in home
    # the company has not consented: the agent is asked first, for the company
    r = client.get(f"/m/documents/{w.doc.id}")
    assert r.status_code == 302 and f"/m/consent/{w.case.id}" in r.headers["Location"]
    _agree(client, w.doc.id, w.case.id)
    s = db.session()
    given = consent_rules.answer(s, s.get(Party, company.id))
    assert given is not None and given.person_id == agent_person.id
    assert given.recorded_by == f"agent:{authority.id}:person:{agent_person.id}"

    token = csrf(client, f"/m/documents/{w.doc.id}/sign")
    r = client.post(f"/m/documents/{w.doc.id}/sign", data={"csrf_token": token, "signature": signature_png()})
    assert r.status_code == 302 and r.headers["Location"].endswith("/progress")
    run_jobs(("signing",))
    rec = db.session().query(ServiceRecord).filter_by(party_id=company.id, document_id=w.doc.id).one()
    said = f"{ACME}（统一社会信用代码 {ACME_USCC}）由委托诉讼代理人 李律师 代为签收"
    assert rec.signed_at is not None and rec.acted_for == said and rec.signed_by_person_id == agent_person.id
    assert rec.agent_authority_id == authority.id
    row = db.session().query(AuditEvent).filter_by(action="service.receipt_signed",
                                                  subject=f"service_record:{rec.id}").one()
    assert row.details["acted_for"] == said and row.details["signed_by"] == f"person:{agent_person.id}"
    receipt = client.get(f"/m/documents/{w.doc.id}/receipt")
    assert receipt.status_code == 200
    pdf = client.get(f"/m/documents/{w.doc.id}/receipt.pdf")
    assert pdf.status_code == 200
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.data, capture_output=True, check=True).stdout.decode()
    flat = "".join(text.split())
    assert "".join(said.split()) in flat
    assert "统一社会信用代码" in flat and ACME_USCC in flat
    assert "由委托诉讼代理人李律师代为同意" in flat


def test_revoked_or_expired_agent_cannot_sign_or_see(client, app, run_jobs):
    w, company, authority = _company_world()
    sign_in(client, authority.agent)
    run_jobs(("signing",))
    _agree(client, w.doc.id, w.case.id)
    assert client.get(f"/m/documents/{w.doc.id}/sign").status_code == 200
    s = db.session()
    a = s.get(type(authority), authority.id)
    a.valid_until = db.utcnow() - timedelta(minutes=1)  # the power of attorney ran out
    s.commit()
    assert client.get(f"/m/documents/{w.doc.id}").status_code == 404
    token = csrf(client, "/m/")
    r = client.post(f"/m/documents/{w.doc.id}/sign", data={"csrf_token": token, "signature": signature_png()})
    assert r.status_code == 404
    a = db.session().get(type(authority), authority.id)
    a.valid_until = None
    agents.revoke(db.session(), a, actor="staff:1", reason="当事人解除委托")
    db.session().commit()
    assert client.get(f"/m/documents/{w.doc.id}").status_code == 404
    assert w.doc.title not in client.get("/m/").get_data(as_text=True)
    # nor through the signing service directly (a request queued before the revocation, say)
    from court.errors import Forbidden
    from signing import party as party_signing

    s = db.session()
    step = next(st for st in s.get(type(w.flow), w.flow.id).steps if st.party_id == company.id)
    try:
        party_signing.request_sign(s, step, signature_png_bytes(), person_id=a.agent.person_id)
    except Forbidden as exc:
        assert exc.code == "agent_revoked"
    else:
        raise AssertionError("a revoked agent's signature was accepted")


def signature_png_bytes() -> bytes:
    import base64

    return base64.b64decode(signature_png().split(",", 1)[1])


def test_agent_of_one_party_cannot_see_another_partys_documents(client, app, run_jobs):
    w, company, authority = _company_world()
    s = db.session()
    case = s.get(type(w.case), w.case.id)
    only_bob = documents.upload(s, case, documents.parse_kind("ruling"), "民事裁定书", pdf_bytes(1, "Ruling"),
                                filename="ruling.pdf", max_bytes=2 * 1024 * 1024)
    flows.start_flow(s, only_bob, [flows.StepInput(StepAction.RECEIVE, party_id=w.bob.id)], ordered=False)
    s.commit()
    sign_in(client, authority.agent)
    run_jobs(("signing",))
    assert client.get(f"/m/documents/{only_bob.id}").status_code == 404
    assert client.get(f"/m/documents/{only_bob.id}/file.pdf").status_code == 404
    assert "民事裁定书" not in client.get("/m/").get_data(as_text=True)
    # and the company's own receipt is not Bob's to see, nor the company's Bob's
    assert client.get(f"/m/documents/{w.doc.id}/receipt").status_code == 404


def test_general_agent_cannot_decline_e_service_special_agent_can(client, app, run_jobs):
    w, company, authority = _company_world(scope="general")
    sign_in(client, authority.agent)
    page = f"/m/consent/{w.case.id}"
    r = client.post(page, data={"csrf_token": csrf(client, page), "decision": "decline", "reason": "不想电子送达"},
                    follow_redirects=True)
    assert "需要特别授权" in r.get_data(as_text=True)
    s = db.session()
    assert consent_rules.state(s, s.get(Party, company.id)) != "declined"

    special, _c = agents.add(s, s.get(Party, company.id), agents.AgentInput(
        name="王律师", id_number=id_number(seq="888"), phone="13900000008", role="lawyer", scope="special"),
        poa=pdf_bytes(1, "Special power of attorney"), actor="staff:1")
    s.commit()
    other = app.test_client()
    sign_in(other, special.agent)
    r = other.post(page, data={"csrf_token": csrf(other, page), "decision": "decline", "reason": "改用邮寄"},
                   follow_redirects=True)
    assert r.status_code == 200 and "已记录您不同意电子送达" in r.get_data(as_text=True)
    s = db.session()
    assert consent_rules.state(s, s.get(Party, company.id)) == "declined"


def test_general_agent_cannot_sign_a_mediation_agreement(client, app, run_jobs):
    w, company, authority = _company_world(scope="general", kind="mediation_agreement", action=StepAction.SIGN)
    sign_in(client, authority.agent)
    run_jobs(("signing",))
    _agree(client, w.doc.id, w.case.id)
    r = client.get(f"/m/documents/{w.doc.id}/sign")
    assert r.status_code == 403 and "需要特别授权" in r.get_data(as_text=True)
    token = csrf(client, "/m/")
    r = client.post(f"/m/documents/{w.doc.id}/refuse", data={"csrf_token": token, "reason": "不同意调解"})
    assert r.status_code == 403


def test_knowing_the_agents_name_and_id_number_gains_nothing(client, app, run_jobs):
    """Someone registers with the agent's name and ID number (the bot or a form lets anyone type
    them) and has a session: without a face check passed in it the agent record is never theirs."""
    from court import crypto
    from court.errors import Forbidden
    from court.models import Person
    from court.services import binding, party_sessions

    w, company, authority = _company_world()
    s = db.session()
    record = s.get(Party, authority.agent_party_id)
    number = crypto.decrypt(record.id_number_enc)
    impostor = Person(real_name=record.name, id_number_enc=crypto.encrypt(number),
                      id_number_hash=crypto.lookup_hash(number), id_number_masked=crypto.mask_id_number(number),
                      phone="13600000000")
    s.add(impostor)
    s.commit()
    token, _row = party_sessions.start(s, impostor, [record.id], via="sms", minutes=30)
    s.commit()
    with client.session_transaction() as sess:
        sess["m_sid"] = token
        sess["sms_link"] = {"party_id": record.id, "document_id": None, "purpose": "receive", "link_id": 1}
    run_jobs(("signing",))
    r = client.get(f"/m/documents/{w.doc.id}")
    assert r.status_code == 302 and "/m/face" in r.headers["Location"]
    try:
        binding.join_parties(s, impostor, [record.id], None, holder_id=party_sessions.holder_id(token), via="web_sms")
    except Forbidden as exc:
        assert exc.code == "identity_check_needed"
    else:
        raise AssertionError("joined without an identity check")
    assert agents.principals(db.session(), impostor.id) == []


def test_a_link_naming_the_company_itself_sends_its_people_to_their_own_links(client, app):
    """A message addressed to the company (a staff push to the address its agent confirmed) cannot
    sign anyone in as the company: it says to use the link the agent received in their own name."""
    _w, company, _authority = _company_world()
    with client.session_transaction() as sess:
        sess["sms_link"] = {"party_id": company.id, "document_id": None, "purpose": "view", "link_id": 1}
    page = client.get("/m/identity")
    assert page.status_code == 403 and "通过本人收到的短信链接办理" in page.get_data(as_text=True)
    r = client.post("/m/identity/send", data={"csrf_token": csrf(client), "next": "/m/"},
                    follow_redirects=True)
    assert "请由法定代表人或委托诉讼代理人通过本人收到的短信链接办理" in r.get_data(as_text=True)
    assert db.session().query(Person).count() == 0  # nobody was registered from the company's record


def test_the_agents_list_says_for_whom_each_document_is(client, app, run_jobs):
    w, company, authority = _company_world()
    sign_in(client, authority.agent)
    run_jobs(("signing",))
    home = client.get("/m/").get_data(as_text=True)
    assert w.doc.title in home
    assert f"代 {ACME}" in home
    agents.revoke(db.session(), db.session().get(type(authority), authority.id), actor="staff:1")
    db.session().commit()
    after = client.get("/m/").get_data(as_text=True)
    assert ACME not in after and w.doc.title not in after
