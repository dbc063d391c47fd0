"""A push to all parties reaches each person once per channel: a lawyer acting for two companies of
the case, or a party who is also the legal representative of another, gets one message naming
every party it is for; each party still has its own delivery evidence (its service record for the
push names the message, its address and times, and its delivery fixes that party's date)."""
from __future__ import annotations

from sqlalchemy import select

from court import db
from court.models import DevMessage, Party, PartyRole, ServiceRecord
from court.services import agents, cases
from tests.notify.conftest import bulk_consent, notifications, read
from tests.support.factories import id_number, pdf_bytes

HEARING = {"time": "2030年12月1日9时", "place": "第三法庭"}
ACME, BETA, GAMMA = "北京某某科技有限公司", "上海某某贸易有限公司", "广州某某物流有限公司"
LAWYER_PHONE, ZHANG_PHONE = "13900000007", "13800000001"


def _case_with_shared_agents(api):  # type: ignore[no-untyped-def]
    from court.models import Case

    made = api("post", "/cases", json={"number": "（2026）京0491民初300号", "type": "civil", "title": "合同纠纷"})
    s = db.session()
    case = s.get(Case, made.get_json()["id"])
    added = cases.add_parties(s, case, [
        cases.PartyInput(PartyRole.PLAINTIFF, "张三", id_number(), ZHANG_PHONE),
        cases.PartyInput(PartyRole.DEFENDANT, ACME, kind="organisation", uscc="91110108551385082Q"),
        cases.PartyInput(PartyRole.DEFENDANT, BETA, kind="organisation", uscc="91350100M000100Y43"),
        cases.PartyInput(PartyRole.PLAINTIFF, GAMMA, kind="organisation", uscc="91110000802100433B"),
        cases.PartyInput(PartyRole.THIRD_PARTY, "王五", id_number(seq="789"), "13800000005"),
    ])
    by_name = {p.name: p for p, _code in added}
    for company in (ACME, BETA):  # one lawyer for both defendants (one agent record)
        agents.add(s, by_name[company], agents.AgentInput(
            name="李律师", id_number=id_number(seq="777"), phone=LAWYER_PHONE, role="lawyer", scope="general"),
            poa=pdf_bytes(1, "Power of attorney"), actor="staff:1")
    # 张三 is also GAMMA's legal representative, reached at the same phone
    agents.add(s, by_name[GAMMA], agents.AgentInput(
        name="张三", id_number=None, phone=ZHANG_PHONE, role="legal_representative", scope="statutory"),
        poa=None, actor="staff:1")
    s.commit()
    bulk_consent(case.id)
    s = db.session()
    from court.services import consent

    for company in (ACME, BETA, GAMMA):  # the companies agreed through their agents (paper form)
        party = s.get(Party, by_name[company].id)
        consent.give(s, None, party.case, channels=["sms"], address={"sms": "13700000000"}, method="staff",
                     party=party, recorded_by="staff:test")
    s.commit()
    return case.id, {name: p.id for name, p in by_name.items()}


def test_one_message_per_person_naming_every_party_it_is_for(api, run_jobs):
    case_id, ids = _case_with_shared_agents(api)
    resp = api("post", "/notices", json={"case_ids": [case_id], "recipients": {"all": True},
                                         "template": "hearing_notice", "fields": HEARING})
    assert resp.status_code == 202, resp.get_json()
    run_jobs()
    sent = read(select(DevMessage))
    to_lawyer = [m for m in sent if m.address == LAWYER_PHONE]
    to_zhang = [m for m in sent if m.address == ZHANG_PHONE]
    assert len(to_lawyer) == 1, [m.body for m in to_lawyer]
    assert len(to_zhang) == 1, [m.body for m in to_zhang]
    assert ACME in to_lawyer[0].body and BETA in to_lawyer[0].body
    assert GAMMA in to_zhang[0].body and "张三" in to_zhang[0].body
    assert [m.address for m in sent].count("13800000005") == 1  # 王五: as before, nothing to merge
    assert "王五" not in next(m.body for m in sent if m.address == "13800000005")

    # the evidence stays per party: each company's record names the one message, its address and time
    push_id = resp.get_json()["id"]
    records = {r.party_id: r for r in read(select(ServiceRecord).where(ServiceRecord.push_id == push_id))}
    lawyer_message = to_lawyer[0].notification_id
    for company in (ACME, BETA):
        events = [e for e in records[ids[company]].channels_tried if e.get("notification_id") == lawyer_message]
        assert events and all(e["channel"] == "sms" for e in events), records[ids[company]].channels_tried
        assert {e["event"] for e in events} & {"sent", "delivered"}
    for name in ("张三", GAMMA):
        events = [e for e in records[ids[name]].channels_tried if e.get("notification_id") == to_zhang[0].notification_id]
        assert events, records[ids[name]].channels_tried
    # 张三 agreed with his own phone: the one message's delivery there fixes his date of service
    assert records[ids["张三"]].effective_at is not None
    # and each party's row in the push says where its notice went
    rows = {n.party_id: n for n in notifications(push_id=push_id)}
    assert rows[ids[ACME]].address == rows[ids[BETA]].address == LAWYER_PHONE
    assert rows[ids[GAMMA]].address == rows[ids["张三"]].address == ZHANG_PHONE


def test_a_second_run_of_the_fan_out_sends_nothing_more(api, run_jobs):
    from notify import push as push_service

    case_id, _ids = _case_with_shared_agents(api)
    resp = api("post", "/notices", json={"case_ids": [case_id], "recipients": {"all": True},
                                         "template": "hearing_notice", "fields": HEARING})
    run_jobs()
    before = len(read(select(DevMessage)))
    assert push_service.fan_out(resp.get_json()["id"]) == 0
    run_jobs()
    assert len(read(select(DevMessage))) == before


def test_the_providers_delivery_report_serves_every_party_the_message_was_for(api, run_jobs, aliyun, client, app):
    """CPL art. 88: the lawyer's proven phone received the one message, so both companies were
    served then; the report is written to each company's record."""
    from datetime import timedelta

    from court.models import ChannelBinding, NotificationStatus, Person
    from tests.notify.conftest import china, use_settings

    use_settings(app, SMS_CALLBACK_TOKEN="cb-secret")
    case_id, ids = _case_with_shared_agents(api)
    s = db.session()
    record = s.scalar(select(Party).where(Party.case_id == case_id, Party.role == PartyRole.AGENT,
                                          Party.phone == LAWYER_PHONE))
    person = Person(real_name=record.name, phone=record.phone, id_number_enc=record.id_number_enc,
                    id_number_hash=record.id_number_hash, id_number_masked=record.id_number_masked)
    s.add(person)
    s.flush()
    record.person_id = person.id
    s.add(ChannelBinding(person_id=person.id, channel="phone", address=LAWYER_PHONE, verified_at=db.utcnow()))
    s.commit()
    resp = api("post", "/notices", json={"case_ids": [case_id], "recipients": {"all": True},
                                         "template": "hearing_notice", "fields": HEARING})
    run_jobs()
    [n] = [n for n in notifications(address=LAWYER_PHONE) if n.status is NotificationStatus.SENT]
    arrived = n.sent_at.replace(microsecond=0) + timedelta(seconds=3)
    report = [{"phone_number": n.address, "send_time": china(n.sent_at), "report_time": china(arrived),
               "success": True, "err_code": "DELIVERED", "err_msg": "用户接收成功", "sms_size": "1",
               "biz_id": n.provider_id, "out_id": str(n.id)}]
    assert client.post("/notify/callbacks/aliyun/cb-secret", json=report).get_json()["code"] == 0
    push_id = resp.get_json()["id"]
    records = {r.party_id: r for r in read(select(ServiceRecord).where(ServiceRecord.push_id == push_id))}
    for company in (ACME, BETA):
        rec = records[ids[company]]
        assert rec.effective_at is not None and abs((rec.effective_at - arrived).total_seconds()) < 1, rec.channels_tried
        [event] = [e for e in rec.channels_tried if e["event"] == "delivered"]
        assert event["notification_id"] == n.id and event["counts"] is True


def test_staff_see_each_party_with_the_state_of_the_message_that_carried_its_notice(api, run_jobs):
    from court.models import NoticePush, NotificationStatus
    from notify import push as push_service

    case_id, ids = _case_with_shared_agents(api)
    resp = api("post", "/notices", json={"case_ids": [case_id], "recipients": {"all": True},
                                         "template": "hearing_notice", "fields": HEARING})
    run_jobs()
    out = api("get", f"/notices/{resp.get_json()['id']}").get_json()
    assert out["status"] == "done" and out["progress"] == 1.0
    assert out["counts"]["merged"] >= 2 and out["counts"]["cancelled"] == 0
    s = db.session()
    shown = {d.party_id: d for d in push_service.deliveries(s, s.get(NoticePush, resp.get_json()["id"]))}
    for name in (ACME, BETA, GAMMA, "张三"):
        assert shown[ids[name]].status in (NotificationStatus.SENT, NotificationStatus.DELIVERED)
        assert shown[ids[name]].sent_at is not None
    merged = [d for d in shown.values() if d.error and d.error.startswith("merged:")]
    assert {d.party_id for d in merged} >= {ids[BETA], ids[GAMMA]}
