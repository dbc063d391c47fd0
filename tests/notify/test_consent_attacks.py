"""Issue 10, findings 3 and 4 from the attacker's side, through the public interfaces: the SMS
providers' delivery-report callbacks, staff pushes through the API, and the SMS link.

Each of these passed on the code before the consent service: a party who never agreed (or
declined) was served and their delivery report fixed the legal date of service; pushes ignored
consent and left no service record; a report timed a month before the send, or naming another
phone, was accepted."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from court import db
from court.models import AuditEvent, Case, DeliveryReport, NotificationStatus, Party, PartyRole, ServiceRecord
from court.services import consent
from tests.notify.conftest import aliyun_report, bulk_consent, china, consent_for, notifications, read, use_settings

S = NotificationStatus


def _report(n, at, *, phone=None):  # type: ignore[no-untyped-def]
    """The body of an Aliyun SmsReport for notification ``n`` alone."""
    return [aliyun_report(n, at, phone=phone)]


def _served_on_aliyun(serve_document, make_case, run_jobs, app, *, agree: bool):  # type: ignore[no-untyped-def]
    use_settings(app, SMS_CALLBACK_TOKEN="cb-secret")
    case, parties = make_case()
    if agree:
        consent_for(parties[0])
    serve_document(case, parties[:1])
    run_jobs()
    [n] = notifications(party_id=parties[0].id)
    assert n.status is S.SENT
    return case, parties[0], n


def _record(party_id: int) -> ServiceRecord:
    [rec] = read(select(ServiceRecord).where(ServiceRecord.party_id == party_id))
    return rec


def test_delivery_report_of_a_party_who_never_agreed_is_not_service(serve_document, make_case, aliyun, run_jobs,
                                                                   client, app):
    _case, party, n = _served_on_aliyun(serve_document, make_case, run_jobs, app, agree=False)
    # the party may be told a document is waiting ...
    assert n.template == "document_ready" and n.address == "13800000001"
    arrived = n.sent_at.replace(microsecond=0) + timedelta(seconds=3)
    assert client.post("/notify/callbacks/aliyun/cb-secret", json=_report(n, arrived)).get_json()["code"] == 0
    # ... but the arrival is no service: no legal date, and the record says why
    rec = _record(party.id)
    assert rec.effective_at is None
    [event] = [e for e in rec.channels_tried if e["event"] == "delivered"]
    assert event["counts"] is False and event["why_not"] == "no_consent"


def test_delivery_report_of_a_party_who_declined_is_not_service(serve_document, make_case, aliyun, run_jobs,
                                                               client, app):
    case, parties = make_case()
    use_settings(app, SMS_CALLBACK_TOKEN="cb-secret")
    s = db.session()
    consent.decline(s, s.get(Party, parties[0].id), method="web", actor="person:1", reason="不用手机")
    s.commit()
    serve_document(case, parties[:1])
    run_jobs()
    [n] = notifications(party_id=parties[0].id)
    arrived = n.sent_at.replace(microsecond=0) + timedelta(seconds=3)
    client.post("/notify/callbacks/aliyun/cb-secret", json=_report(n, arrived))
    assert _record(parties[0].id).effective_at is None
    [case] = read(select(Case).where(Case.id == case.id))
    assert "不同意电子送达" in case.needs_attention and "张三" in case.needs_attention


def test_a_report_timed_a_month_before_the_send_is_refused(serve_document, make_case, aliyun, run_jobs, client, app):
    _case, party, n = _served_on_aliyun(serve_document, make_case, run_jobs, app, agree=True)
    forged = n.sent_at - timedelta(days=30)
    client.post("/notify/callbacks/aliyun/cb-secret", json=_report(n, forged))
    [n2] = notifications(party_id=party.id)
    assert n2.status is S.SENT and n2.delivered_at is None
    assert _record(party.id).effective_at is None
    [refused] = read(select(AuditEvent).where(AuditEvent.action == "delivery.report_refused"))
    assert refused.details["reason"] == "before_send"
    # the genuine report still applies afterwards, and its replay with another time changes nothing
    genuine = n.sent_at.replace(microsecond=0) + timedelta(seconds=4)
    client.post("/notify/callbacks/aliyun/cb-secret", json=_report(n, genuine))
    client.post("/notify/callbacks/aliyun/cb-secret", json=_report(n, genuine - timedelta(seconds=2)))
    rec = _record(party.id)
    assert rec.effective_at == genuine and rec.effective_channel == "sms"
    assert len([e for e in rec.channels_tried if e["event"] == "delivered"]) == 1


def test_a_report_naming_another_phone_is_refused(serve_document, make_case, aliyun, run_jobs, client, app):
    _case, party, n = _served_on_aliyun(serve_document, make_case, run_jobs, app, agree=True)
    arrived = n.sent_at.replace(microsecond=0) + timedelta(seconds=3)
    client.post("/notify/callbacks/aliyun/cb-secret", json=_report(n, arrived, phone="13999999999"))
    assert _record(party.id).effective_at is None
    [refused] = read(select(AuditEvent).where(AuditEvent.action == "delivery.report_refused"))
    assert refused.details["reason"] == "address_mismatch"
    assert [r.code for r in read(select(DeliveryReport))] == ["refused:address_mismatch"]


def test_a_tencent_report_from_before_the_send_is_refused(serve_document, make_case, tencent, run_jobs, client, app):
    use_settings(app, SMS_CALLBACK_TOKEN="cb-secret")
    case, parties = make_case()
    consent_for(parties[0])
    serve_document(case, parties[:1])
    run_jobs()
    [n] = notifications(party_id=parties[0].id)
    cb = [{"user_receive_time": china(n.sent_at - timedelta(days=30)), "nationcode": "86", "mobile": n.address,
           "report_status": "SUCCESS", "errmsg": "DELIVRD", "description": "用户接收成功", "sid": n.provider_id}]
    client.post("/notify/callbacks/tencent/cb-secret", json=cb)
    assert _record(parties[0].id).effective_at is None


def test_pushes_serve_only_consenting_parties_and_leave_a_service_record_each(api, run_jobs):
    case = api("post", "/cases", json={"number": "（2026）京0491民初300号", "type": "civil", "title": "合同纠纷"}).get_json()
    s = db.session()
    from court.services import cases

    c = s.get(Case, case["id"])
    (agreed, _c1), (silent, _c2) = cases.add_parties(s, c, [
        cases.PartyInput(PartyRole.PLAINTIFF, "原告", phone="13800003001"),
        cases.PartyInput(PartyRole.DEFENDANT, "被告", phone="13800003002")])
    s.commit()
    consent_for(agreed)
    resp = api("post", "/notices", json={"case_ids": [c.id], "recipients": {"all": True}, "template": "summons",
                                         "fields": {"time": "2030年12月1日9时", "place": "第三法庭", "matter": "庭审"}})
    assert resp.status_code == 202
    run_jobs()
    status = api("get", f"/notices/{resp.get_json()['id']}").get_json()
    assert status["counts"]["delivered"] == 1 and status["counts"]["failed"] == 1
    assert [f["error"].split(":")[0] for f in status["failures"]] == ["no_consent"]
    # the summons reached the consenting party's confirmed phone: that is its legal date of service
    [rec] = read(select(ServiceRecord).where(ServiceRecord.push_id == resp.get_json()["id"]))
    assert rec.party_id == agreed.id and rec.document_id is None and rec.effective_at is not None
    assert rec.effective_channel == "sms"
    [n] = notifications(party_id=silent.id)
    assert n.status is S.FAILED
    [case_row] = read(select(Case).where(Case.id == c.id))
    assert "被告未同意电子送达" in case_row.needs_attention and "传票" in case_row.needs_attention


def test_a_push_to_many_asks_consent_in_bulk(app, court, make_case, run_jobs):
    """One query for consents and one for bindings per chunk, however many parties."""
    from sqlalchemy import event

    from notify import push

    case, parties = make_case([{"role": PartyRole.PLAINTIFF, "name": f"当事人{i}", "phone": f"1380000{i:04d}"}
                               for i in range(60)])
    bulk_consent(case.id)
    s = db.session()
    p = push.start_push(s, court_id=court.id, case_ids=[case.id], recipients={"all": True},
                        template="general_notice", fields={"content": "请按时参加庭前会议。"})
    s.commit()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = db.engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert push.fan_out(p.id) == 60
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert sum(1 for st in statements if "FROM consent" in st) == 1
    assert len(read(select(ServiceRecord).where(ServiceRecord.push_id == p.id))) == 60
