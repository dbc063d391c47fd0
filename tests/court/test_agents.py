"""Organisations as parties and agents acting for parties (issue 13): the rules in court/services/agents.py."""
from __future__ import annotations

from datetime import timedelta

import pytest

from court import db, uscc
from court.errors import Conflict, DomainError, Forbidden
from court.models import AgentAuthority, Consent, Party, PartyRole, Person, ServiceRecord
from court.services import agents, cases, consent, service_date
from court.services import staff as staff_service
from tests.support.factories import id_number, pdf_bytes

ACME_USCC = "91110108551385082Q"


def _case():  # type: ignore[no-untyped-def]
    s = db.session()
    court = staff_service.create_court(s, "北京互联网法院", "京0491")
    return cases.create_case(s, court, "（2026）京0491民初77号", "civil", "买卖合同纠纷")


def _company(case) -> Party:  # type: ignore[no-untyped-def]
    ((party, _code),) = cases.add_parties(db.session(), case, [cases.PartyInput(
        role=PartyRole.DEFENDANT, name="北京某某科技有限公司", kind="organisation", uscc=ACME_USCC)])
    return party


def _agent(party: Party, *, scope: str = "general", name: str = "李四", seq: str = "456", **dates) -> AgentAuthority:  # type: ignore[no-untyped-def]
    authority, _code = agents.add(db.session(), party, agents.AgentInput(
        name=name, id_number=id_number(seq=seq), phone="13900000009", role="lawyer", scope=scope, **dates),
        poa=pdf_bytes(1, "Power of attorney"), actor="staff:1")
    return authority


def _bind(record: Party) -> Person:
    """The agent proved who they are (as after the SMS code and the face check)."""
    from court import crypto

    s = db.session()
    number = crypto.decrypt(record.id_number_enc)
    person = Person(real_name=record.name, id_number_enc=crypto.encrypt(number), id_number_hash=crypto.lookup_hash(number),
                    id_number_masked=crypto.mask_id_number(number), phone=record.phone)
    s.add(person)
    s.flush()
    record.person_id = person.id
    s.flush()
    return person


@pytest.mark.parametrize("code", ["91110108551385082Q", "91350100M000100Y43", "91110000802100433B"])
def test_real_codes_pass(code):
    assert uscc.problem(code) is None
    assert uscc.validated(f" {code.lower()} ") == code  # typed in lower case, with spaces: normalised


@pytest.mark.parametrize(("code", "why"), [
    ("91110108551385082A", "校验位不正确"),
    ("9111010855138508", "应为18位"),
    ("91110108551385O82Q", "不允许的字符"),
    ("9111A108551385082Q", "行政区划码"),
])
def test_bad_codes_say_why(code, why):
    assert why in (uscc.problem(code) or "")


def test_organisation_party_needs_a_valid_code_and_no_id_number(app):
    case = _case()
    s = db.session()
    with pytest.raises(DomainError) as wrong:
        cases.add_parties(s, case, [cases.PartyInput(role=PartyRole.DEFENDANT, name="某公司", kind="organisation",
                                                     uscc="91110108551385082A")])
    assert wrong.value.code == "bad_uscc" and "校验位不正确" in wrong.value.localized()
    with pytest.raises(DomainError):
        cases.add_parties(s, case, [cases.PartyInput(role=PartyRole.DEFENDANT, name="某公司", kind="organisation",
                                                     uscc=ACME_USCC, id_number=id_number())])
    party = _company(case)
    assert party.kind == "organisation" and party.uscc == ACME_USCC and party.person_id is None
    with pytest.raises(Conflict):  # the same company twice (a form submitted twice)
        _company(case)


def test_scope_table_follows_cpl_art_62(app):
    case = _case()
    company = _company(case)
    general = _agent(company, scope="general")
    special = _agent(company, scope="special", name="王五", seq="789")
    s = db.session()
    p_general, p_special = _bind(general.agent), _bind(special.agent)
    for act in ("view", "receive", "sign", "consent_give"):
        assert agents.may_act(s, p_general.id, company, act)
    for act in ("sign_settlement", "consent_decline", "consent_withdraw"):
        assert not agents.may_act(s, p_general.id, company, act)
        with pytest.raises(Forbidden) as refused:
            agents.require(s, p_general.id, company, act)
        assert refused.value.code == "agent_out_of_scope"
        assert agents.may_act(s, p_special.id, company, act)


def test_expired_revoked_and_future_authorities_grant_nothing(app):
    case = _case()
    company = _company(case)
    now = db.utcnow()
    a = _agent(company, valid_from=now - timedelta(days=10), valid_until=now + timedelta(days=1))
    s = db.session()
    person = _bind(a.agent)
    assert agents.principals(s, person.id) == [company.id]
    assert agents.principals(s, person.id, now=now + timedelta(days=2)) == []
    with pytest.raises(Forbidden) as expired:
        agents.require(s, person.id, company, "receive", now=now + timedelta(days=2))
    assert expired.value.code == "agent_expired"
    with pytest.raises(Forbidden) as early:
        agents.require(s, person.id, company, "receive", now=now - timedelta(days=11))
    assert early.value.code == "agent_not_yet"
    agents.revoke(s, a, actor="staff:1", reason="当事人解除委托")
    assert agents.principals(s, person.id) == []
    with pytest.raises(Forbidden) as revoked:
        agents.require(s, person.id, company, "receive")
    assert revoked.value.code == "agent_revoked"


def test_a_stranger_and_an_unbound_agent_record_grant_nothing(app):
    case = _case()
    company = _company(case)
    a = _agent(company)
    s = db.session()
    # someone who registered with the agent's name and ID number but never proved it in a session
    # does not get the agent record: only a passed identity check binds it (court.services.binding)
    assert a.agent.person_id is None
    assert agents.principals(s, 12345) == []
    with pytest.raises(Forbidden) as refused:
        agents.require(s, 12345, company, "view")
    assert refused.value.code == "not_the_party"


def test_poa_is_required_and_checked_and_at_most_two_agents(app):
    case = _case()
    company = _company(case)
    s = db.session()
    item = agents.AgentInput(name="李四", id_number=id_number(seq="456"), phone="13900000009", role="lawyer",
                             scope="general")
    with pytest.raises(DomainError) as missing:
        agents.add(s, company, item, poa=None, actor="staff:1")
    assert missing.value.code == "poa_required"
    with pytest.raises(DomainError) as not_pdf:
        agents.add(s, company, item, poa=b"<html>not a pdf</html>", actor="staff:1")
    assert not_pdf.value.code == "not_pdf"
    assert s.query(AgentAuthority).count() == 0 and s.query(Party).filter_by(role=PartyRole.AGENT).count() == 0
    _agent(company)
    _agent(company, name="王五", seq="789")
    with pytest.raises(Conflict) as third:
        _agent(company, name="赵六", seq="321")
    assert third.value.code == "too_many_agents"


def test_legal_representative_only_for_organisations(app):
    case = _case()
    company = _company(case)
    ((person_party, _c),) = cases.add_parties(db.session(), case, [cases.PartyInput(
        role=PartyRole.PLAINTIFF, name="张三", id_number=id_number(seq="123"), phone="13800000001")])
    rep = agents.AgentInput(name="王总", id_number=id_number(seq="555"), phone="13900000001",
                            role="legal_representative", scope="statutory")
    authority, code = agents.add(db.session(), company, rep, poa=None, actor="staff:1")
    assert code and authority.agent.role is PartyRole.AGENT
    assert agents.acted_for(authority) == f"北京某某科技有限公司（统一社会信用代码 {ACME_USCC}）由法定代表人 王总 代为签收"
    with pytest.raises(DomainError):
        agents.add(db.session(), person_party, rep, poa=None, actor="staff:1")


def test_one_lawyer_for_two_co_defendants_is_one_agent_record(app):
    case = _case()
    company = _company(case)
    ((other, _c),) = cases.add_parties(db.session(), case, [cases.PartyInput(
        role=PartyRole.DEFENDANT, name="上海某某贸易有限公司", kind="organisation", uscc="91350100M000100Y43")])
    a1, a2 = _agent(company), _agent(other)
    assert a1.agent_party_id == a2.agent_party_id
    person = _bind(a1.agent)
    assert agents.principals(db.session(), person.id) == sorted([company.id, other.id])


def _company_with_bound_agent():  # type: ignore[no-untyped-def]
    """A case, an organisation party in it, its general agent, and the agent's person bound by identity."""
    case = _case()
    company = _company(case)
    a = _agent(company)
    return case, company, a, _bind(a.agent)


def test_general_agent_gives_consent_for_the_party_but_cannot_decline(app):
    case, company, a, person = _company_with_bound_agent()
    s = db.session()
    given = consent.give(s, person, case, channels=["sms"], address={"sms": "13900000009"}, method="web", party=company)
    assert given.party_id == company.id and given.person_id == person.id
    assert given.recorded_by == f"agent:{a.id}:person:{person.id}"
    assert consent.may_serve(s, company)
    with pytest.raises(Forbidden):
        consent.decline(s, company, method="web", actor=f"person:{person.id}")
    with pytest.raises(Forbidden):
        consent.withdraw_for(s, company, actor=f"person:{person.id}")
    assert consent.may_serve(s, company)
    assert s.query(Consent).filter_by(party_id=company.id, decision="declined").count() == 0


def test_arrival_at_the_agents_verified_phone_is_service_on_the_party(app):
    from court.models import ChannelBinding, Document, DocumentKind

    case, company, a, person = _company_with_bound_agent()
    s = db.session()
    consent.give(s, None, case, channels=["sms"], address={"sms": "13700000000"}, method="staff", party=company,
                 recorded_by="staff:1")
    doc = Document(case_id=case.id, kind=DocumentKind.JUDGMENT, title="民事判决书")
    s.add(doc)
    s.flush()
    rec = ServiceRecord(party_id=company.id, document_id=doc.id, channels_tried=[])
    s.add(rec)
    s.flush()
    at = db.utcnow()
    # before the agent's phone is proven it is an unconfirmed address
    assert service_date.counts(s, company, channel="sms", address="13900000009", event="delivered", at=at) \
        == "unconfirmed_address"
    s.add(ChannelBinding(person_id=person.id, channel="phone", address="13900000009", verified_at=at))
    s.flush()
    assert service_date.counts(s, company, channel="sms", address="13900000009", event="delivered", at=at) is None
    agents.revoke(s, a, actor="staff:1")
    later = db.utcnow() + timedelta(seconds=1)
    assert service_date.counts(s, company, channel="sms", address="13900000009", event="delivered", at=later) \
        == "unconfirmed_address"
