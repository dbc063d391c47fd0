"""Serving a document on a party with agents (issue 13, CPL art. 88): each agent who may receive
service gets an SMS link of their own; an organisation is reached only through its agents; a revoked
agent gets nothing."""
from __future__ import annotations

from court import db
from court.models import AgentAuthority, Party, PartyRole
from court.services import agents
from tests.notify.conftest import notifications
from tests.support.factories import id_number, pdf_bytes


def _lawyer(party: Party, *, seq: str, phone: str) -> AgentAuthority:
    authority, _code = agents.add(db.session(), party, agents.AgentInput(
        name="李律师", id_number=id_number(seq=seq), phone=phone, role="lawyer", scope="general"),
        poa=pdf_bytes(1, "POA"), actor="staff:1")
    db.session().commit()
    return authority


def test_company_is_served_through_its_agents_own_links(make_case, serve_document, run_jobs):
    case, (company, person) = make_case([
        {"role": PartyRole.DEFENDANT, "name": "北京某某科技有限公司", "kind": "organisation",
         "uscc": "91110108551385082Q"},
        {"role": PartyRole.PLAINTIFF, "name": "张三", "phone": "13800000001"},
    ])
    lawyer = _lawyer(company, seq="777", phone="13900000007")
    revoked = _lawyer(person, seq="778", phone="13900000008")
    agents.revoke(db.session(), db.session().get(type(revoked), revoked.id), actor="staff:1")
    db.session().commit()
    serve_document(case, [company, person])
    run_jobs()
    to_lawyer = notifications(address="13900000007")
    assert [n.template for n in to_lawyer] == ["document_ready"]
    assert to_lawyer[0].party_id == lawyer.agent_party_id  # the link names the agent's own record
    assert notifications(party_id=company.id) == []  # nothing addressed to the company itself
    assert notifications(address="13900000008") == []  # a revoked agent is told nothing
    assert [n.address for n in notifications(party_id=person.id)] == ["13800000001"]
    db.session().expire_all()
    assert not (db.session().get(type(case), case.id).needs_attention or "").count("没有可用的联系方式")
