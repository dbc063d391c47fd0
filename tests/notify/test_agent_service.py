"""Serving a document on a party with agents (issue 13, CPL art. 88): each agent who may receive
service gets an SMS link of their own; an organisation is reached only through its agents; a revoked
agent gets nothing."""
from __future__ import annotations

from court import db
from court.models import AgentAuthority, Party, PartyRole
from court.services import agents
from tests.notify.conftest import aliyun_report, notifications
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


def _report_on_the_lawyers_sms(make_case, serve_document, run_jobs, client, app, *, proven: bool):  # type: ignore[no-untyped-def]
    """A company (consent on paper) served through its lawyer, whose phone is proven (bound after
    an identity check) or not; Aliyun reports the lawyer's SMS delivered 3 s after sending.
    Returns the company, the lawyer's notification, the arrival time and the report as posted."""
    from datetime import timedelta

    from court.models import ChannelBinding, Person
    from court.services import consent
    from tests.notify.conftest import use_settings

    use_settings(app, SMS_CALLBACK_TOKEN="cb-secret")
    case, (company,) = make_case([{"role": PartyRole.DEFENDANT, "name": "北京某某科技有限公司",
                                   "kind": "organisation", "uscc": "91110108551385082Q"}])
    phone = "13900000009" if proven else "13900000010"
    lawyer = _lawyer(company, seq="779" if proven else "780", phone=phone)
    s = db.session()
    if proven:
        record = s.get(Party, lawyer.agent_party_id)
        person = Person(real_name=record.name, phone=record.phone, id_number_enc=record.id_number_enc,
                        id_number_hash=record.id_number_hash, id_number_masked=record.id_number_masked)
        s.add(person)
        s.flush()
        record.person_id = person.id
        s.add(ChannelBinding(person_id=person.id, channel="phone", address=phone, verified_at=db.utcnow()))
    consent.give(s, None, case, channels=["sms"], address={"sms": "13700000000"}, method="staff",
                 party=s.get(Party, company.id), recorded_by="staff:test")
    s.commit()
    serve_document(case, [company])
    run_jobs()
    [n] = notifications(address=phone)
    arrived = n.sent_at.replace(microsecond=0) + timedelta(seconds=3)
    report = [aliyun_report(n, arrived)]
    assert client.post("/notify/callbacks/aliyun/cb-secret", json=report).get_json()["code"] == 0
    return company, n, arrived, report


def test_delivery_to_the_agents_verified_phone_fixes_the_companys_date_of_service(
        make_case, serve_document, run_jobs, aliyun, client, app):
    """CPL art. 88: the SMS reached the agent's proven phone, so the company was served then, not
    when the agent later opened or signed."""
    from sqlalchemy import select

    from court.models import ServiceRecord
    from tests.notify.conftest import read

    company, n, arrived, report = _report_on_the_lawyers_sms(make_case, serve_document, run_jobs, client, app,
                                                             proven=True)
    [rec] = read(select(ServiceRecord).where(ServiceRecord.party_id == company.id))
    assert rec.effective_at is not None and rec.effective_channel == "sms"
    assert abs((rec.effective_at - arrived).total_seconds()) < 1
    [event] = [e for e in rec.channels_tried if e["event"] == "delivered"]
    assert event["counts"] is True and event["notification_id"] == n.id
    # a replayed report changes nothing
    client.post("/notify/callbacks/aliyun/cb-secret", json=report)
    [again] = read(select(ServiceRecord).where(ServiceRecord.party_id == company.id))
    assert len([e for e in again.channels_tried if e["event"] == "delivered"]) == 1


def test_delivery_to_an_agents_unproven_phone_is_recorded_but_is_not_service(
        make_case, serve_document, run_jobs, aliyun, client, app):
    from sqlalchemy import select

    from court.models import ServiceRecord
    from tests.notify.conftest import read

    company, _n, _arrived, _report = _report_on_the_lawyers_sms(make_case, serve_document, run_jobs, client, app,
                                                                proven=False)
    [rec] = read(select(ServiceRecord).where(ServiceRecord.party_id == company.id))
    assert rec.effective_at is None
    [event] = [e for e in rec.channels_tried if e["event"] == "delivered"]
    assert event["counts"] is False and event["why_not"] == "unconfirmed_address"
