"""我的文书 for an agent: the documents of the organisations they act for, headed by whom they are
for, within the authority's scope and dates (court.services.party_documents.person_documents,
asked by the bot and the party pages alike)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from court import db
from court.models import (
    AgentAuthority,
    Document,
    DocumentKind,
    FlowStep,
    Party,
    PartyRole,
    ServiceRecord,
    SigningFlow,
    StepAction,
    StepStatus,
)
from court.services import agents, cases, consent, service_date
from court.services import staff as staff_service
from tests.handlers.fake_channel import Chat
from tests.handlers.test_fake_channel import ZHANG_ID, prove_face, register
from tests.support.factories import pdf_bytes

ACME, BETA, GAMMA = "北京某某科技有限公司", "上海某某贸易有限公司", "广州某某物流有限公司"


@pytest.fixture
def chat(app, s, identity_services):  # type: ignore[no-untyped-def]
    return Chat(s)


def _document(s, case, party: Party, title: str, kind: DocumentKind = DocumentKind.JUDGMENT,  # type: ignore[no-untyped-def]
              action: StepAction = StepAction.RECEIVE) -> Document:
    doc = Document(case_id=case.id, kind=kind, title=title)
    s.add(doc)
    s.flush()
    flow = SigningFlow(document_id=doc.id)
    s.add(flow)
    s.flush()
    s.add(FlowStep(flow_id=flow.id, position=1, action=action, party_id=party.id, status=StepStatus.READY))
    s.flush()
    return doc


def _served(s, case, party: Party, title: str) -> None:  # type: ignore[no-untyped-def]
    doc = Document(case_id=case.id, kind=DocumentKind.NOTICE, title=title)
    s.add(doc)
    s.flush()
    if consent.answer(s, party) is None:  # the opening counts as service only with consent
        consent.give(s, None, case, channels=["sms"], address={"sms": "13700000000"}, method="staff", party=party,
                     recorded_by="staff:test")
    rec = ServiceRecord(party_id=party.id, document_id=doc.id)
    s.add(rec)
    s.flush()
    assert service_date.record_event(s, rec, channel="web", event="opened", at=db.utcnow())


def _agent_of(s, company: Party, person_id: int, **kw) -> AgentAuthority:  # type: ignore[no-untyped-def]
    """张三 (the person talking to the bot) appointed as the company's lawyer, her agent record bound to her."""
    authority, _code = agents.add(s, company, agents.AgentInput(
        name="张三", id_number=ZHANG_ID, phone="13800000001", role="lawyer", **kw),
        poa=pdf_bytes(1, "Power of attorney"), actor="staff:1")
    authority.agent.person_id = person_id
    s.flush()
    return authority


def test_an_agent_sees_the_documents_of_the_companies_they_act_for_headed_by_whom(chat, court_case, s):
    case, parties = court_case
    own_party, code = parties["张三"]
    register(chat)
    prove_face(chat)
    chat.say(f"绑定 {code}")
    chat.say("同意")
    person_id = s.get(Party, own_party.id).person_id
    assert person_id is not None

    court = staff_service.create_court(s, "上海金融法院", "沪74")
    other = cases.create_case(s, court, "（2026）沪74民初9号", "civil", "金融借款合同纠纷")
    (acme, _a), (beta, _b), (gamma, _c) = cases.add_parties(s, other, [
        cases.PartyInput(PartyRole.DEFENDANT, name, kind="organisation", uscc=uscc) for name, uscc in (
            (ACME, "91110108551385082Q"), (BETA, "91350100M000100Y43"), (GAMMA, "91110000802100433B"))])
    _agent_of(s, acme, person_id, scope="general")
    _agent_of(s, beta, person_id, scope="general")
    # GAMMA: an authority that ended yesterday
    _agent_of(s, gamma, person_id, scope="special", valid_from=db.utcnow() - timedelta(days=30),
              valid_until=db.utcnow() - timedelta(days=1))

    _document(s, case, own_party, "传票", DocumentKind.SUBPOENA)
    _document(s, other, acme, "民事判决书")
    _served(s, other, acme, "举证通知书")
    # settling needs special authority (CPL art. 62): a general agent is not asked to sign it
    _document(s, other, beta, "调解协议", DocumentKind.MEDIATION_AGREEMENT, StepAction.SIGN)
    _served(s, other, beta, "开庭传票")
    _document(s, other, gamma, "民事裁定书")
    s.commit()

    reply = chat.say("我的文书")
    assert "【待签收】传票 （2026）京0491民初101号" in reply  # her own, as before
    assert f"代 {ACME}" in reply and f"代 {BETA}" in reply
    acme_part = reply[reply.index(f"代 {ACME}"):reply.index(f"代 {BETA}")]
    assert "【待签收】民事判决书 （2026）沪74民初9号" in acme_part
    assert "《举证通知书》（2026）沪74民初9号" in acme_part
    beta_part = reply[reply.index(f"代 {BETA}"):]
    assert "《开庭传票》" in beta_part
    assert "调解协议" not in reply  # outside a general authority
    assert GAMMA not in reply and "民事裁定书" not in reply  # the authority has ended
    assert reply.index("传票 （2026）京0491民初101号") < reply.index(f"代 {ACME}")  # her own come first


def test_a_revoked_agent_stops_seeing_the_company_at_once(chat, court_case, s):
    case, parties = court_case
    register(chat)
    prove_face(chat)
    from court.models import Person

    person = s.query(Person).one()
    court = staff_service.create_court(s, "上海金融法院", "沪74")
    other = cases.create_case(s, court, "（2026）沪74民初9号", "civil", "金融借款合同纠纷")
    ((acme, _a),) = cases.add_parties(s, other, [
        cases.PartyInput(PartyRole.DEFENDANT, ACME, kind="organisation", uscc="91110108551385082Q")])
    authority = _agent_of(s, acme, person.id, scope="special")
    _document(s, other, acme, "民事判决书")
    s.commit()
    assert f"代 {ACME}" in chat.say("我的文书")

    agents.revoke(s, s.get(AgentAuthority, authority.id), actor="staff:1")
    s.commit()
    reply = chat.say("我的文书")
    assert ACME not in reply and "民事判决书" not in reply
    assert "目前没有需要您签收的文书" in reply
