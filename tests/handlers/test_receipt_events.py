"""A signed receipt reaches the party in WeChat through the ReceiptSigned event (court names no
channel), and a rolled-back transaction sends nothing at all."""
from __future__ import annotations

from sqlalchemy import select

from court import queue
from court.models import Document, DocumentKind, FlowStep, ServiceRecord, SigningFlow, StepAction, StepStatus
from court.services import flow_steps
from tests.handlers.test_flows import pushed_texts, register, verify_face


def _party_with_a_receipt_to_sign(make_user, court_case, run_jobs, s, openid: str):  # type: ignore[no-untyped-def]
    case, parties = court_case
    party, code = parties["张三"]
    user = make_user(openid)
    register(user)
    verify_face(user, run_jobs)
    user.say(f"绑定 {code}")
    user.say("同意")
    doc = Document(case_id=case.id, kind=DocumentKind.NOTICE, title="举证通知书")
    s.add(doc)
    s.flush()
    flow = SigningFlow(document_id=doc.id)
    s.add(flow)
    s.flush()
    step = FlowStep(flow_id=flow.id, position=1, action=StepAction.RECEIVE, party_id=party.id, status=StepStatus.READY)
    s.add(step)
    s.commit()
    run_jobs(("default", "notify", "signing"))  # whatever the set-up asked for, done before we look
    return user, step.id, party.id, doc.id


def _sign(s, step_id: int, party_id: int) -> None:  # type: ignore[no-untyped-def]
    from court.models import Party

    person_id = s.get(Party, party_id).person_id
    flow_steps.complete_step(s, s.get(FlowStep, step_id), actor=f"person:{person_id}")


def test_a_signed_receipt_is_confirmed_to_the_party_in_wechat(make_user, court_case, run_jobs, s):
    user, step_id, party_id, doc_id = _party_with_a_receipt_to_sign(
        make_user, court_case, run_jobs, s, "oRECEIPTaaaaaaaaaaaaaaaaaaaa")
    _sign(s, step_id, party_id)
    s.commit()
    run_jobs(("notify",))
    number = s.scalar(select(ServiceRecord.receipt_number).where(
        ServiceRecord.party_id == party_id, ServiceRecord.document_id == doc_id))
    confirmations = [t for t in pushed_texts(user) if "送达回执编号" in t]
    assert number and len(confirmations) == 1
    assert number in confirmations[0] and "举证通知书" in confirmations[0]


def test_a_rolled_back_receipt_sends_nothing(make_user, court_case, run_jobs, s):
    user, step_id, party_id, doc_id = _party_with_a_receipt_to_sign(
        make_user, court_case, run_jobs, s, "oROLLBACKaaaaaaaaaaaaaaaaaaa")
    before = len(pushed_texts(user))
    _sign(s, step_id, party_id)
    s.rollback()
    assert queue.queue("notify").count == 0 and queue.queue("signing").count == 0
    run_jobs(("default", "notify", "signing"))
    assert len(pushed_texts(user)) == before  # no confirmation, nothing else either
    s.expire_all()
    assert s.get(FlowStep, step_id).status is StepStatus.READY
    assert s.scalar(select(ServiceRecord).where(ServiceRecord.party_id == party_id,
                                                ServiceRecord.document_id == doc_id)) is None
