"""The clerk's 送达工作台: what is outstanding, and revoke / re-send / cancel / bulk actions,
through the console and the staff API, including the attacks."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, select, update

from court import db
from court.models import (
    Case,
    CaseStatus,
    DevMessage,
    Document,
    DocumentKind,
    FlowStatus,
    FlowStep,
    Notification,
    NotificationStatus,
    Party,
    PartyRole,
    ServiceRecord,
    SigningFlow,
    SmsLink,
    StepAction,
    StepStatus,
)
from court.services import cases, documents, flow_steps, flows
from court.services import staff as staff_service
from tests.notify.conftest import bulk_consent, consent_for, read
from tests.support.console import PASSWORD
from tests.support.factories import pdf_bytes

LINK = re.compile(r"http://court\.test/s/([A-Za-z0-9_-]+)")


def _serve(court, n: int, *, number: str = "（2026）京0491民初500号", consent: bool = True, seal: bool = False,
           kind: DocumentKind = DocumentKind.SUBPOENA, title: str = "传票"):
    """A case with ``n`` parties served one document (optionally sealed first)."""
    s = db.session()
    case = cases.create_case(s, court, number, "civil", "买卖合同纠纷")
    added = cases.add_parties(s, case, [cases.PartyInput(role=PartyRole.DEFENDANT, name=f"当事人{i:03d}",
                                                         phone=f"139{i:08d}") for i in range(n)])
    s.commit()
    if consent:
        bulk_consent(case.id)
    s = db.session()
    doc = documents.upload(s, s.get(Case, case.id), kind, title, pdf_bytes(), max_bytes=2 * 1024 * 1024)
    steps = [flows.StepInput(StepAction.SEAL)] if seal else []
    steps += [flows.StepInput(StepAction.RECEIVE, party_id=p.id) for p, _code in added]
    flow = flows.start_flow(s, doc, steps, ordered=False)
    s.commit()
    return case.id, [p.id for p, _c in added], doc.id, flow.id


def _steps(flow_id: int) -> dict[int, int]:
    """party id -> step id."""
    return {st.party_id: st.id for st in read(select(FlowStep).where(FlowStep.flow_id == flow_id))
            if st.party_id is not None}


def _sms_to(phone: str) -> list[str]:
    return [m.body for m in read(select(DevMessage).where(DevMessage.address == phone).order_by(DevMessage.id))]


@contextmanager
def _counted():
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):  # not SQLite's BEGIN, which comes and goes
            statements.append(statement)

    engine = db.engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _other_court_clerk(console):  # type: ignore[no-untyped-def]
    s = db.session()
    other = staff_service.create_court(s, "上海市浦东新区人民法院", "沪0115")
    member, key = staff_service.create_staff(s, other, "pdclerk", "浦东书记员", staff_service.StaffRole.CLERK)
    staff_service.set_password(s, member, PASSWORD)
    s.commit()
    return key


def test_clerk_lands_on_the_worklist_and_sees_what_is_outstanding(console, court_setup, run_jobs):
    court, _members = court_setup
    _case, parties, _doc, flow_id = _serve(court, 3)
    s = db.session()
    quiet = s.get(Party, parties[2])
    quiet_case = quiet.case
    cases.add_event(s, quiet_case, "hearing", "第一次开庭", db.utcnow() + timedelta(days=2), "第三法庭")
    s.commit()
    run_jobs()
    # the third party's SMS failed; the second withdrew consent
    db.session().execute(update(Notification).where(Notification.party_id == parties[2])
                         .values(status=NotificationStatus.FAILED, error="号码不存在"))
    db.session().commit()
    consent_for_withdrawn = db.session().get(Party, parties[1])
    from court.services import consent

    consent.withdraw_for(db.session(), consent_for_withdrawn, actor="staff:test")
    db.session().commit()

    r = console.login()
    assert r.headers["Location"].endswith("/console/work")  # a clerk's start page
    page = console.get("/console/work").get_data(as_text=True)
    assert "送达工作台" in page and "当事人000" in page and "第一次开庭" in page
    counts = dict(re.findall(r'data-kind="(\w+)">[^<]*<strong>(\d+)</strong>', page))
    assert counts["awaiting"] == "3" and counts["failed"] == "1" and counts["declined"] == "1"
    assert counts["hearing"] == "1"
    failed = console.get("/console/work?kind=failed").get_data(as_text=True)
    assert "当事人002" in failed and "当事人000" not in failed
    found = console.get("/console/work?q=当事人001").get_data(as_text=True)
    assert "当事人001" in found and "当事人000" not in found
    # rubbish filters are ignored, never a 500
    assert console.get("/console/work?kind=<script>&page=-4&per_page=99999&min_age_days=x&sort=;drop").status_code == 200
    english = console.get("/console/work?lang=en").get_data(as_text=True)
    assert "Service desk" in english and "Awaiting receipt/signature" in english and "送达工作台" not in english
    older = console.get("/console/work?min_age_days=3").get_data(as_text=True)
    assert "当事人000" not in older and "第一次开庭" in older


def test_a_300_party_case_renders_in_the_same_few_queries_as_a_3_party_case(console, court_setup, run_jobs):
    court, _members = court_setup
    _serve(court, 3, number="（2026）京0491民初1号")
    run_jobs()
    console.login()
    with _counted() as small:
        r = console.get("/console/work?per_page=200")
    assert r.status_code == 200
    _serve(court, 300, number="（2026）京0491民初2号")
    run_jobs()
    with _counted() as big:
        r = console.get("/console/work?per_page=200")
    page = r.get_data(as_text=True)
    assert page.count('name="step_id"') == 200 and "共303项" in page
    assert len(big) == len(small) <= 10, (len(small), len(big))  # 8 today: the log-in check and 7 for the list


def test_revoke_stops_the_link_at_once_and_a_resend_issues_a_new_one(console, court_setup, run_jobs, client):
    court, _members = court_setup
    _case, parties, _doc, flow_id = _serve(court, 1)
    run_jobs()
    phone = "13900000000"
    [first] = _sms_to(phone)
    token = LINK.search(first).group(1)
    assert client.get(f"/s/{token}").status_code == 303
    console.login()
    step_id = _steps(flow_id)[parties[0]]
    confirm = console.get(f"/console/work/steps/{step_id}/revoke?back=kind%3Dawaiting")
    assert confirm.status_code == 200 and "确认撤销" in confirm.get_data(as_text=True)
    done = console.post(f"/console/work/steps/{step_id}/revoke", {"back": "kind=awaiting"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/console/work?kind=awaiting")
    gone = client.get(f"/s/{token}")
    assert gone.status_code == 410 and "链接已撤销" in gone.get_data(as_text=True)
    # the new send carries a new link, which works
    page = console.get(f"/console/work/steps/{step_id}/resend").get_data(as_text=True)
    key = re.search(r'name="address" value="([^"]+)"', page).group(1)
    assert phone not in page and "139****0000" in page  # masked, and never in a URL
    assert console.post(f"/console/work/steps/{step_id}/resend", {"address": key}).status_code == 303
    run_jobs()
    second = _sms_to(phone)[-1]
    new_token = LINK.search(second).group(1)
    assert new_token != token and client.get(f"/s/{new_token}").status_code == 303
    audit = [e.action for e in read(select(__import__("court.models", fromlist=["AuditEvent"]).AuditEvent))]
    assert "link.revoked" in audit and "service.resent" in audit


def test_resend_goes_through_the_outbox_and_counts_for_service(api, court_setup, run_jobs):
    court, _members = court_setup
    _case, parties, doc_id, flow_id = _serve(court, 1, consent=False)
    party = db.session().get(Party, parties[0])
    consent_for(party, channels=("sms", "email"), address={"sms": party.phone, "email": "dangshiren@example.cn"})
    run_jobs()
    step_id = _steps(flow_id)[parties[0]]
    choices = api("get", f"/worklist/steps/{step_id}/choices").json
    assert {c["channel"] for c in choices} == {"sms", "email"}
    email = next(c for c in choices if c["channel"] == "email")
    assert "dangshiren@example.cn" not in str(choices) and email["label"] == "d***@example.cn"
    r = api("post", f"/worklist/steps/{step_id}/resend", json={"address": email["key"]})
    assert r.status_code == 202 and r.json == {"queued": True, "channel": "email"}
    again = api("post", f"/worklist/steps/{step_id}/resend", json={"address": email["key"]})
    assert again.status_code == 429 and again.json["error"]["code"] == "resent_recently"
    run_jobs()
    [mail] = read(select(Notification).where(Notification.channel == "email", Notification.party_id == parties[0]))
    assert mail.status is NotificationStatus.DELIVERED and mail.document_id == doc_id
    [rec] = read(select(ServiceRecord).where(ServiceRecord.party_id == parties[0]))
    entry = next(e for e in rec.channels_tried if e.get("notification_id") == mail.id and e["event"] == "delivered")
    assert entry["counts"] is True  # a confirmed address with consent in force: it counts


def test_resend_without_consent_or_to_another_address_is_refused(console, api, court_setup, run_jobs):
    court, _members = court_setup
    _case, parties, _doc, flow_id = _serve(court, 1, consent=False)
    run_jobs()
    step_id = _steps(flow_id)[parties[0]]
    before = len(read(select(Notification)))
    r = api("post", f"/worklist/steps/{step_id}/resend", json={})
    assert r.status_code == 409 and r.json["error"]["code"] == "no_consent"
    console.login()
    page = console.get(f"/console/work/steps/{step_id}/resend").get_data(as_text=True)
    assert "不能通过电子方式重新发送" in page and 'name="address"' not in page
    forced = console.post(f"/console/work/steps/{step_id}/resend", {"address": "sms:000000000000"},
                          follow_redirects=True)
    assert "未同意电子送达" in forced.get_data(as_text=True)
    consent_for(db.session().get(Party, parties[0]))
    made_up = api("post", f"/worklist/steps/{step_id}/resend", json={"address": "email:0123456789ab"})
    assert made_up.status_code == 409 and made_up.json["error"]["code"] == "address_not_consented"
    run_jobs()
    assert len(read(select(Notification))) == before


def test_cancel_a_flow_nothing_seals_and_the_party_sees_it_was_cancelled(console, court_setup, run_jobs, client):
    court, _members = court_setup
    # a flow whose seal job is still queued, and one that already reached the parties
    _c1, _p1, doc1, flow1 = _serve(court, 1, seal=True, number="（2026）京0491民初7号")
    _c2, parties2, doc2, flow2 = _serve(court, 1, number="（2026）京0491民初8号")
    run_jobs(("notify",))  # the parties of flow 2 get their SMS; flow 1's seal job waits
    [sms] = _sms_to("13900000000")
    token = LINK.search(sms).group(1)
    console.login()
    page = console.get(f"/console/work/flows/{flow1}/cancel").get_data(as_text=True)
    assert "确认取消流程" in page
    no_reason = console.post(f"/console/work/flows/{flow1}/cancel", {"reason": "  "}, follow_redirects=True)
    assert "请填写取消的理由" in no_reason.get_data(as_text=True)
    assert read(select(SigningFlow).where(SigningFlow.id == flow1))[0].status is FlowStatus.RUNNING
    for flow_id in (flow1, flow2):
        r = console.post(f"/console/work/flows/{flow_id}/cancel", {"reason": "文书有误，重新制作"})
        assert r.status_code == 303
    run_jobs()
    assert read(select(SigningFlow.status).where(SigningFlow.id.in_((flow1, flow2)))) == [FlowStatus.CANCELLED] * 2
    [doc] = read(select(Document).where(Document.id == doc1))
    assert len(doc.versions) == 1 and doc.status.value == "uploaded"  # the queued seal job did nothing
    seal_step = read(select(FlowStep).where(FlowStep.flow_id == flow1, FlowStep.action == StepAction.SEAL))[0]
    assert seal_step.status is not StepStatus.DONE
    gone = client.get(f"/s/{token}")
    assert gone.status_code == 410 and "送达已取消" in gone.get_data(as_text=True)
    # nothing of the flow can happen now: no receipt, so no credential
    s = db.session()
    step = s.get(FlowStep, _steps(flow2)[parties2[0]])
    try:
        flow_steps.complete_step(s, step, actor=f"party:{parties2[0]}")
        raise AssertionError("a cancelled flow's step was completed")
    except flows.Conflict:
        s.rollback()
    assert all(r.credential_version_id is None and r.signed_at is None
               for r in read(select(ServiceRecord).where(ServiceRecord.document_id == doc2)))
    again = console.post(f"/console/work/flows/{flow2}/cancel", {"reason": "再次取消"}, follow_redirects=True)
    assert "不能取消" in again.get_data(as_text=True)
    # a new flow may start on the corrected document
    assert console.get("/console/work").status_code == 200


def test_bulk_remind_reports_each_row_and_is_bounded(console, api, court_setup, run_jobs):
    court, _members = court_setup
    _case, parties, _doc, flow_id = _serve(court, 3)
    run_jobs()
    steps = _steps(flow_id)
    from court.services import consent

    consent.withdraw_for(db.session(), db.session().get(Party, parties[2]), actor="staff:test")
    db.session().commit()
    console.login()
    ids = [str(steps[p]) for p in parties]
    confirm = console.post("/console/work/bulk", {"action": "remind", "step_id": ids, "back": "kind=awaiting"})
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "确认批量重新发送提醒" in text and text.count("<li>") == 3
    done = console.post("/console/work/bulk", {"action": "remind", "step_id": ids, "confirm": "1",
                                               "back": "kind=awaiting"})
    assert done.status_code == 303
    report = console.get(done.headers["Location"]).get_data(as_text=True)
    assert "成功2项，未处理1项" in report and "当事人未同意电子送达" in report
    assert console.get(done.headers["Location"]).status_code == 302  # shown once; a reload repeats nothing
    run_jobs()
    assert len(_sms_to("13900000000")) == 2 and len(_sms_to("13900000002")) == 1
    # the API's bulk: the same rule; a second reminder within ten minutes is refused per row
    rows = api("post", "/worklist/bulk", json={"action": "remind", "step_ids": [steps[parties[0]]]}).json
    assert rows[0]["ok"] is False and rows[0]["code"] == "resent_recently"
    too_many = api("post", "/worklist/bulk", json={"action": "revoke", "step_ids": list(range(1, 203))})
    assert too_many.status_code == 422
    revoked = api("post", "/worklist/bulk", json={"action": "revoke", "step_ids": [steps[parties[0]], 999999]}).json
    assert [(r["ok"], r["code"]) for r in revoked] == [(True, "revoked"), (False, "item_not_found")]
    assert read(select(SmsLink.revoked_at).where(SmsLink.party_id == parties[0]))[0] is not None


def test_a_clerk_of_another_court_can_neither_see_nor_act(console, api, court_setup, run_jobs, client):
    court, _members = court_setup
    _case, parties, _doc, flow_id = _serve(court, 1)
    run_jobs()
    step_id = _steps(flow_id)[parties[0]]
    key = _other_court_clerk(console)
    other = {"Authorization": f"Bearer {key}"}
    listed = client.get("/api/v1/worklist", headers=other).json
    assert listed["total"] == 0 and listed["items"] == []
    for path, body in ((f"/worklist/steps/{step_id}/resend", {}), (f"/worklist/steps/{step_id}/revoke", None),
                       (f"/flows/{flow_id}/cancel", {"reason": "x"})):
        r = client.post(f"/api/v1{path}", headers=other, json=body)
        assert r.status_code == 404, (path, r.json)
    bulk = client.post("/api/v1/worklist/bulk", headers=other, json={"action": "revoke", "step_ids": [step_id]}).json
    assert bulk[0]["code"] == "item_not_found"
    console.login("pdclerk")
    assert "当事人000" not in console.get("/console/work").get_data(as_text=True)
    assert console.get(f"/console/work/steps/{step_id}/revoke").status_code == 404
    assert console.post(f"/console/work/steps/{step_id}/revoke").status_code == 404
    assert console.post(f"/console/work/flows/{flow_id}/cancel", {"reason": "x"}).status_code == 404
    assert read(select(SmsLink.revoked_at).where(SmsLink.party_id == parties[0]))[0] is None
    assert read(select(SigningFlow.status).where(SigningFlow.id == flow_id))[0] is FlowStatus.RUNNING
    # the home court's own clerk sees it, and the API documents the endpoints
    assert api("get", "/worklist?kind=awaiting").json["counts"]["awaiting"] == 1
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "/api/v1/worklist" in paths and "/api/v1/flows/{flow_id}/cancel" in paths


def test_seal_approvers_see_the_list_but_cannot_act(console, court_setup, run_jobs):
    court, _members = court_setup
    _case, parties, _doc, flow_id = _serve(court, 1)
    run_jobs()
    console.login("seal_approver1")
    page = console.get("/console/work").get_data(as_text=True)
    assert "当事人000" in page and 'name="step_id"' not in page
    step_id = _steps(flow_id)[parties[0]]
    assert console.post(f"/console/work/steps/{step_id}/revoke").status_code == 403
    assert read(select(Case.status))[0] is CaseStatus.OPEN
