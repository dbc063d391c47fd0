"""Serving a document: the party is told on the right channel, the SMS link works, and the
earliest delivered/opened time becomes the legal date of service; escalation follows."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, update

from court import crypto, db
from court.models import (
    Case,
    DevMessage,
    FlowStep,
    NotificationStatus,
    PartyRole,
    ServiceRecord,
    SmsLink,
    StepAction,
    StepStatus,
)
from court.services import flow_steps, flows
from notify import jobs, links
from tests.notify.conftest import bind_wechat, consent_for, notifications, read

S = NotificationStatus


def _link_from(body: str) -> str:
    return re.search(r"http://court\.test/s/([A-Za-z0-9_-]+)", body).group(1)


def test_party_with_a_phone_gets_an_sms_link_and_opening_it_is_service(serve_document, make_case, run_jobs, client):
    case, parties = make_case()
    for p in parties:
        consent_for(p)  # the parties confirmed these phones in their consent
    case, parties, doc, _flow = serve_document(case, parties)
    run_jobs()
    sms = notifications(channel="sms")
    assert {n.party_id for n in sms} == {p.id for p in parties}
    assert all(n.status is S.DELIVERED for n in sms)  # the development phone received them
    [msg] = read(select(DevMessage).where(DevMessage.address == "13800000001"))
    assert "北京互联网法院" in msg.body and case.number in msg.body and "判决书" in msg.body
    assert "张三" not in msg.body and "13800000001" not in msg.body.split("http")[1]  # no personal data in the link
    token = _link_from(msg.body)
    assert len(token) >= 22  # 128 bits
    [link] = read(select(SmsLink).where(SmsLink.party_id == parties[0].id))
    assert link.token_hash == crypto.token_hash(token) and token not in link.token_hash
    assert link.document_id == doc.id and link.purpose == "receive"
    assert timedelta(days=6, hours=23) < link.expires_at - db.utcnow() <= timedelta(days=7)
    [rec] = read(select(ServiceRecord).where(ServiceRecord.party_id == parties[0].id))
    delivered_at = rec.effective_at
    assert rec.effective_channel == "sms" and delivered_at is not None and rec.stage == "sms"

    resp = client.get(f"/s/{token}")
    assert resp.status_code == 303 and urlsplit(resp.location).path == f"/m/documents/{doc.id}"
    assert resp.headers["Cache-Control"] == "no-store"
    with client.session_transaction() as sess:
        assert sess["sms_link"]["party_id"] == parties[0].id and sess["sms_link"]["document_id"] == doc.id
    [n] = notifications(party_id=parties[0].id)
    assert n.status is S.OPENED and n.opened_at is not None
    [rec] = read(select(ServiceRecord).where(ServiceRecord.party_id == parties[0].id))
    assert rec.effective_at == delivered_at  # the earliest time counts
    assert [e["event"] for e in rec.channels_tried] == ["delivered", "opened"]
    assert rec.stage == "done" and rec.next_check_at is None


def test_bad_links_are_refused(serve_document, run_jobs, client):
    _case, parties, doc, _flow = serve_document()
    run_jobs()
    assert client.get("/s/not-a-real-token-at-all-xx").status_code == 404
    [msg] = read(select(DevMessage).where(DevMessage.address == "13800000001"))
    token = _link_from(msg.body)
    s = db.session()
    s.execute(update(SmsLink).values(expires_at=db.utcnow() - timedelta(seconds=1)))
    s.commit()
    assert client.get(f"/s/{token}").status_code == 410
    s.execute(update(SmsLink).values(expires_at=db.utcnow() + timedelta(days=1)))
    assert links.revoke(s, party_id=parties[0].id, document_id=doc.id) == 1
    s.commit()
    resp = client.get(f"/s/{token}")
    assert resp.status_code == 410 and "撤销" in resp.get_data(as_text=True)


def test_wechat_first_then_sms_when_not_delivered_in_time(serve_document, make_case, run_jobs, wechat, app):
    case, parties = make_case()
    bind_wechat(parties[0], "oWX-zhang")
    consent_for(parties[0])
    _case, _parties, doc, _flow = serve_document(case, parties[:1])
    run_jobs()
    [wx] = notifications(party_id=parties[0].id)
    assert wx.channel == "wechat" and wx.status is S.SENT and wx.address == "oWX-zhang"
    msgid = wx.provider_id
    call = wechat.calls[-1]
    assert call["path"] == "/cgi-bin/message/template/send" and call["params"]["touser"] == "oWX-zhang"
    assert call["params"]["template_id"] == "TPL-document_ready"
    assert call["params"]["url"] == f"http://court.test/m/documents/{doc.id}"
    [rec] = read(select(ServiceRecord))
    assert rec.stage == "wechat" and rec.effective_at is None
    # not delivered within ESCALATE_SMS_AFTER_MINUTES: the due escalation sends an SMS
    s = db.session()
    s.execute(update(ServiceRecord).values(next_check_at=db.utcnow() - timedelta(seconds=1)))
    s.commit()
    assert jobs.escalate(rec.id) == "sms"
    run_jobs()
    sms = notifications(channel="sms")
    assert len(sms) == 1 and sms[0].status is S.DELIVERED
    # WeChat's TEMPLATESENDJOBFINISH arrives late but with an earlier time (after its own send):
    # the earliest counts
    [wx] = notifications(channel="wechat")
    earlier = (wx.sent_at + (sms[0].delivered_at - wx.sent_at) / 2).isoformat()
    assert jobs.wechat_template_finished(msgid, "success", earlier, "oWX-zhang") is True
    assert jobs.wechat_template_finished(msgid, "success", earlier, "oWX-zhang") is False  # a repeat
    [rec] = read(select(ServiceRecord))
    assert rec.effective_channel == "wechat" and rec.effective_at.isoformat() == earlier
    [wx] = notifications(channel="wechat")
    assert wx.status is S.DELIVERED


def test_wechat_delivered_means_no_sms(serve_document, make_case, run_jobs, wechat):
    case, parties = make_case()
    bind_wechat(parties[0])
    consent_for(parties[0])
    serve_document(case, parties[:1])
    run_jobs()
    [wx] = notifications()
    jobs.wechat_template_finished(wx.provider_id, "success", None, wx.address)
    s = db.session()
    s.execute(update(ServiceRecord).values(next_check_at=db.utcnow() - timedelta(seconds=1)))
    s.commit()
    [rec] = read(select(ServiceRecord))
    jobs.escalate(rec.id)
    run_jobs()
    assert [n.channel for n in notifications()] == ["wechat"]


def test_blocked_wechat_falls_back_to_sms_at_once(serve_document, make_case, run_jobs, wechat):
    case, parties = make_case()
    bind_wechat(parties[0])
    serve_document(case, parties[:1])
    wechat.errors.append("43004")  # the user unsubscribed
    run_jobs()
    wx, sms = notifications()
    assert wx.status is S.FAILED and "43004" in wx.error
    assert sms.channel == "sms" and sms.status is S.DELIVERED


def test_unopened_after_days_flags_the_case(serve_document, make_case, run_jobs):
    case, parties = make_case()
    for p in parties:
        consent_for(p)
    case, parties, doc, _flow = serve_document(case, parties)
    run_jobs()
    s = db.session()
    s.execute(update(ServiceRecord).values(next_check_at=db.utcnow() - timedelta(seconds=1)))
    s.commit()
    for rec in read(select(ServiceRecord)):
        assert jobs.escalate(rec.id) == "flagged"
    [case] = read(select(Case).where(Case.id == case.id))
    assert "邮寄送达或公告送达" in case.needs_attention and "3日内未查收" in case.needs_attention


def test_party_without_any_contact_is_recorded_and_flagged(serve_document, make_case, run_jobs):
    case, parties = make_case([{"role": PartyRole.DEFENDANT, "name": "王五"}])
    serve_document(case, parties)
    run_jobs()
    [n] = notifications()
    assert n.status is S.FAILED and "no_address" in n.error
    [case] = read(select(Case).where(Case.id == case.id))
    assert "王五" in case.needs_attention and "没有可用的联系方式" in case.needs_attention


def test_step_ready_twice_sends_once(serve_document, run_jobs):
    _case, _parties, _doc, flow = serve_document()
    run_jobs()
    for step in read(select(FlowStep)):
        jobs.step_ready(step.id)
    run_jobs()
    assert len(notifications()) == 2


def test_staff_step_and_finished_flow(serve_document, make_case, run_jobs, court):
    from court.models import StaffRole
    from court.services import staff as staff_service

    s = db.session()
    judge, _key = staff_service.create_staff(s, court, "judge1", "审判员", StaffRole.JUDGE)
    clerk, _key = staff_service.create_staff(s, court, "clerk1", "书记员", StaffRole.CLERK)
    clerk.email = "clerk@court.example"
    s.commit()
    case, parties = make_case()
    from court.services import documents
    from tests.support.factories import pdf_bytes

    s = db.session()
    doc = documents.upload(s, case, documents.DocumentKind.TRANSCRIPT, "庭审笔录", pdf_bytes(), max_bytes=10**7)
    flows.start_flow(s, doc, [flows.StepInput(StepAction.SIGN, staff_id=judge.id),
                                     flows.StepInput(StepAction.SIGN, staff_id=clerk.id),
                                     flows.StepInput(StepAction.SIGN, party_id=parties[0].id)],
                            ordered=True, actor=f"staff:{clerk.id}")
    s.commit()
    run_jobs()
    [n] = notifications()
    assert n.channel == "console" and n.address == f"staff:{judge.id}" and n.status is S.DELIVERED
    steps = read(select(FlowStep).order_by(FlowStep.position))
    for step in steps:
        s = db.session()
        flow_steps.complete_step(s, s.get(FlowStep, step.id), actor="test")
        s.commit()
        run_jobs()
    rows = notifications()
    assert [(n.channel, n.template) for n in rows] == [
        ("console", "staff_task"), ("email", "staff_task"), ("sms", "sign_request"), ("email", "flow_finished")]
    email = read(select(DevMessage).where(DevMessage.channel == "email"))
    assert email[0].address == "clerk@court.example" and "待您签名" in email[0].subject
    [rec] = read(select(ServiceRecord))
    assert rec.stage == "done"
    assert all(st.status is StepStatus.DONE for st in read(select(FlowStep)))
