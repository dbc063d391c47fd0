"""Gaps between service by another method, agents and the clerk's desk (issue #13), as a clerk or a
party notices them: a flow that never finishes after postal service, an agent's delivery that does
not count for the party, a re-send addressed to a company's own record, a case flagged only at case
level that the desk does not list."""
from __future__ import annotations

import io

from sqlalchemy import select

from court import db
from court.models import (
    AuditEvent,
    Case,
    Document,
    DocumentKind,
    FlowStatus,
    FlowStep,
    Party,
    PartyRole,
    ServiceRecord,
    SigningFlow,
    StepAction,
    StepStatus,
)
from court.services import cases, documents, flows, other_service, party_documents
from tests.notify.conftest import read
from tests.support.factories import pdf_bytes

TRACKING = "EA123456785CN"


def _case_with_receipts(court, number: str, names: list[str]) -> tuple[int, list[int], int, int]:  # type: ignore[no-untyped-def]
    """A case whose parties (no consent) are each asked to sign for one subpoena."""
    s = db.session()
    case = cases.create_case(s, court, number, "civil", "买卖合同纠纷")
    added = cases.add_parties(s, case, [cases.PartyInput(role=PartyRole.DEFENDANT, name=name,
                                                         phone=f"1390000{i:04d}") for i, name in enumerate(names)])
    doc = documents.upload(s, case, DocumentKind.SUBPOENA, "传票", pdf_bytes(), max_bytes=2 * 1024 * 1024)
    flow = flows.start_flow(s, doc, [flows.StepInput(StepAction.RECEIVE, party_id=p.id) for p, _c in added],
                            ordered=False)
    s.commit()
    return case.id, [p.id for p, _c in added], doc.id, flow.id


def _record(api, party_id: int, doc_id: int, **fields):  # type: ignore[no-untyped-def]
    data = {"document_id": str(doc_id), "card": (io.BytesIO(pdf_bytes(text="Return card")), "card.pdf"), **fields}
    r = api("post", f"/parties/{party_id}/other-service", content_type="multipart/form-data", data=data)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_postal_service_settles_the_receipt_step_and_the_flow_finishes_without_a_credential(
        api, console, court_setup, run_jobs, receiver):
    from notify import webhooks as sender

    court, _members = court_setup
    ep = api("post", "/webhooks", role="admin", json={"url": receiver.url, "events": ["flow.finished"]}).json
    case_id, (zhao, qian), doc_id, flow_id = _case_with_receipts(court, "（2026）京0491民初901号", ["赵六", "钱七"])
    run_jobs()
    today = other_service.today().isoformat()
    console.login()
    desk = console.get("/console/work").get_data(as_text=True)
    assert "赵六" in desk and "钱七" in desk

    _record(api, zhao, doc_id, method="postal", tracking_number=TRACKING, posted_on=today, received_on=today)
    steps = {st.party_id: st for st in read(select(FlowStep).where(FlowStep.flow_id == flow_id))}
    assert steps[zhao].status is StepStatus.DONE and steps[qian].status is StepStatus.READY
    assert read(select(SigningFlow.status).where(SigningFlow.id == flow_id)) == [FlowStatus.RUNNING]  # 钱七 waits
    desk = console.get("/console/work").get_data(as_text=True)
    assert "赵六" not in desk and "钱七" in desk  # no longer awaiting a signature

    _record(api, qian, doc_id, method="direct", received_on=today)
    assert read(select(SigningFlow.status).where(SigningFlow.id == flow_id)) == [FlowStatus.COMPLETED]
    run_jobs()
    sender.pump()
    run_jobs(("notify",))
    assert [e["type"] for e in receiver.events(ep["secret"]).values()] == ["flow.finished"]
    # served, not signed: no receipt, no e-service credential
    records = read(select(ServiceRecord).where(ServiceRecord.document_id == doc_id))
    assert {r.effective_channel for r in records} == {"postal", "direct"}
    assert all(r.signed_at is None and r.receipt_number is None and r.credential_version_id is None for r in records)
    assert read(select(Document.id).where(Document.case_id == case_id, Document.kind == DocumentKind.CREDENTIAL)) == []
    settled = read(select(AuditEvent).where(AuditEvent.action == "step.served_otherwise").order_by(AuditEvent.id))
    assert [(e.details["method"], e.details["served_on"]) for e in settled] == [("postal", today), ("direct", today)]
    assert not read(select(AuditEvent.id).where(AuditEvent.action == "step.receive"))
    page = console.get(f"/console/cases/{case_id}").get_data(as_text=True)
    assert "邮寄送达，EMS EA123456785CN" in page and "直接送达" in page
    audit_page = console.get(f"/console/cases/{case_id}/audit").get_data(as_text=True)
    assert "以其他方式送达，签收步骤办结" in audit_page
    assert read(select(Case.needs_attention).where(Case.id == case_id)) == [None]
    # the party's own list says served, never signed
    s = db.session()
    doc = s.get(Document, doc_id)
    assert party_documents.list_state(s, doc, s.get(Party, zhao)) == "served"


def test_a_case_flagged_only_at_case_level_shows_on_the_worklist(api, console, court_setup):
    from court.services import consent

    court, _members = court_setup
    s = db.session()
    quiet = cases.create_case(s, court, "（2026）京0491民初903号", "civil", "借款合同纠纷")
    cases.add_parties(s, quiet, [cases.PartyInput(role=PartyRole.DEFENDANT, name="孙八", phone="13900000801")])
    s.flush()
    # a case-level note with no open step and no consent answer behind it (as the WeChat fallback writes)
    consent.flag(s, quiet.id, "孙八：微信消息未送达且无法改发短信，需邮寄送达或公告送达")
    fine = cases.create_case(s, court, "（2026）京0491民初904号", "civil", "借款合同纠纷")
    s.commit()
    console.login()
    page = console.get("/console/work").get_data(as_text=True)
    assert "（2026）京0491民初903号" in page and "微信消息未送达且无法改发短信" in page
    assert fine.number not in page
    assert f'data-key="case:{quiet.id}"' in page and "改用其他方式送达" in page
    flagged = console.get("/console/work?kind=flagged").get_data(as_text=True)
    assert "（2026）京0491民初903号" in flagged
    assert "（2026）京0491民初903号" not in console.get("/console/work?q=904").get_data(as_text=True)
    out = api("get", "/worklist?kind=flagged").get_json()
    [row] = [it for it in out["items"] if it["case_id"] == quiet.id]
    assert row["key"] == f"case:{quiet.id}" and "无法改发短信" in row["title"] and row["step_id"] is None
    # once the clerk has served by another method and cleared the note, the row goes
    s = db.session()
    s.get(Case, quiet.id).needs_attention = None
    s.commit()
    assert "（2026）京0491民初903号" not in console.get("/console/work").get_data(as_text=True)


def test_a_party_already_listed_as_declined_is_not_listed_twice_for_the_same_note(api, console, court_setup):
    from court.models import Party
    from court.services import consent

    court, _members = court_setup
    s = db.session()
    case = cases.create_case(s, court, "（2026）京0491民初905号", "civil", "借款合同纠纷")
    [(party, _code)] = cases.add_parties(s, case, [cases.PartyInput(role=PartyRole.DEFENDANT, name="周九",
                                                                    phone="13900000901")])
    s.commit()
    consent.decline(s, s.get(Party, party.id), method="web", actor="person:1")
    s.commit()
    console.login()
    page = console.get("/console/work").get_data(as_text=True)
    assert f'data-key="party:{party.id}"' in page and f'data-key="case:{case.id}"' not in page


def _company_served(court, number: str, *, lawyer_phone: str | None):  # type: ignore[no-untyped-def]
    """An organisation served a subpoena (receipt step), with one authorised lawyer or none."""
    from court.services import agents
    from tests.support.factories import id_number

    s = db.session()
    case = cases.create_case(s, court, number, "civil", "买卖合同纠纷")
    [(company, _code)] = cases.add_parties(s, case, [cases.PartyInput(
        role=PartyRole.DEFENDANT, name="北京某某科技有限公司", kind="organisation", uscc="91110108551385082Q")])
    if lawyer_phone:
        agents.add(s, company, agents.AgentInput(name="李律师", id_number=id_number(seq="781"), phone=lawyer_phone,
                                                 role="lawyer", scope="general"),
                   poa=pdf_bytes(1, "POA"), actor="staff:1")
    doc = documents.upload(s, case, DocumentKind.SUBPOENA, "传票", pdf_bytes(), max_bytes=2 * 1024 * 1024)
    flow = flows.start_flow(s, doc, [flows.StepInput(StepAction.RECEIVE, party_id=company.id)], ordered=False)
    s.commit()
    [step_id] = [st.id for st in flow.steps]
    return company.id, step_id


def test_a_resend_for_a_company_goes_to_its_agent_and_the_page_says_so(api, console, court_setup, run_jobs):
    from court.models import Notification

    court, _members = court_setup
    company_id, step_id = _company_served(court, "（2026）京0491民初906号", lawyer_phone="13900000011")
    run_jobs()
    first = read(select(Notification).where(Notification.address == "13900000011"))
    assert len(first) == 1
    [choice] = api("get", f"/worklist/steps/{step_id}/choices").get_json()
    assert choice["agent"] == "李律师" and choice["label"] == "139****0011"
    console.login()
    page = console.get(f"/console/work/steps/{step_id}/resend").get_data(as_text=True)
    assert "单位当事人本身不能接收消息" in page and "委托诉讼代理人 李律师" in page and "139****0011" in page
    done = console.post(f"/console/work/steps/{step_id}/resend", data={"address": choice["key"]},
                        follow_redirects=True).get_data(as_text=True)
    assert "已重新发送给北京某某科技有限公司的代理人李律师" in done
    run_jobs()
    to_lawyer = read(select(Notification).where(Notification.address == "13900000011").order_by(Notification.id))
    assert len(to_lawyer) == 2 and to_lawyer[1].party_id == first[0].party_id != company_id  # the agent's own link
    assert read(select(Notification.id).where(Notification.party_id == company_id)) == []
    english = console.get(f"/console/work/steps/{step_id}/resend?lang=en").get_data(as_text=True)
    assert "Authorised agent 李律师" in english and "单位当事人本身" not in english


def test_a_resend_for_a_company_without_agents_is_refused_saying_why(api, console, court_setup, run_jobs):
    court, _members = court_setup
    _company_id, step_id = _company_served(court, "（2026）京0491民初907号", lawyer_phone=None)
    run_jobs()
    assert api("get", f"/worklist/steps/{step_id}/choices").get_json() == []
    r = api("post", f"/worklist/steps/{step_id}/resend", json={})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "no_agent"
    console.login()
    page = console.get(f"/console/work/steps/{step_id}/resend").get_data(as_text=True)
    assert "该单位当事人没有可以代为签收的代理人" in page


def test_a_pushed_hearing_notice_reaches_a_company_through_its_agent_and_the_preview_says_so(
        console, court_setup, run_jobs):
    from datetime import datetime, timedelta
    from urllib.parse import urlparse

    from court.display import CHINA
    from court.models import DevMessage, Notification, Party
    from court.services import consent

    court, _members = court_setup
    company_id, _step = _company_served(court, "（2026）京0491民初908号", lawyer_phone="13900000012")
    s = db.session()
    company = s.get(Party, company_id)
    consent.give(s, None, company.case, channels=["sms"], address={"sms": "13700000000"}, method="staff",
                 party=company, recorded_by="staff:test")
    case_id = company.case_id
    s.commit()
    run_jobs()
    when = (datetime.now(CHINA) + timedelta(days=3)).replace(second=0, microsecond=0)
    console.login()
    r = console.post("/console/notices/new", {
        "template": "hearing_notice", "who": "roles", "roles": ["defendant"], "case_ids": [str(case_id)],
        "field_time": when.strftime("%Y-%m-%dT%H:%M"), "field_place": "第三法庭"})
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    preview_url = urlparse(r.headers["Location"]).path
    page = console.get(preview_url).get_data(as_text=True)
    assert "单位当事人，发给其代理人 李律师" in page and "139****0012" in page and "不会发送" not in page
    assert console.post(preview_url).status_code == 303
    run_jobs(("notify",))
    [n] = read(select(Notification).where(Notification.push_id.is_not(None)))
    assert n.party_id == company_id and n.address == "13900000012" and n.error is None
    texts = [m.body for m in read(select(DevMessage).where(DevMessage.address == "13900000012"))]
    assert any("第三法庭" in t for t in texts)
    [rec] = read(select(ServiceRecord).where(ServiceRecord.push_id == n.push_id))
    assert rec.party_id == company_id  # the company's record: the delivery report decides its date
