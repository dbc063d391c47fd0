"""Subpoenas generated from the court's template for every party, sealed and served."""
from __future__ import annotations

from sqlalchemy import select

from court import db
from court.models import Document, DocumentKind, SigningFlow, StepStatus
from court.services import documents
from tests.support.signing import assert_all_valid, make_world, pdftotext


def test_clerk_generates_subpoenas_for_every_party_and_they_are_sealed(api, s, run_jobs, settings):
    world = make_world(s, 2)
    s.commit()
    templates = api("get", "/templates").json
    subpoena = next(t for t in templates if t["name"] == "传票")
    assert "{hearing_time}" in subpoena["body"]

    missing = api("post", f"/cases/{world.case.id}/generate", json={"template_id": subpoena["id"]})
    assert missing.status_code == 400 and "开庭时间" in missing.json["error"]["message"]
    assert db.session().query(Document).count() == 0  # nothing half-generated

    made = api("post", f"/cases/{world.case.id}/generate", json={
        "template_id": subpoena["id"], "hearing_time": "2030-12-21T09:30:00+08:00",
        "hearing_place": "第三法庭", "judge": "王法官"})
    assert made.status_code == 201 and len(made.json) == 2
    assert {d["kind"] for d in made.json} == {"subpoena"}
    run_jobs(("signing",))
    for item in made.json:
        doc = db.session().get(Document, item["id"])
        data = documents.read_version(doc.current)
        assert_all_valid(data, settings, 1)  # the court's certification signature
        text = pdftotext(data)
        party = next(p for p in world.parties if p.name in doc.title)
        assert "传票" in text and party.name in text and "2030年12月21日 09:30" in text and "第三法庭" in text
        assert "北京互联网法院" in text and world.case.number in text
        flow = db.session().scalar(select(SigningFlow).where(SigningFlow.document_id == doc.id))
        assert flow.steps[1].party_id == party.id and flow.steps[1].status is StepStatus.READY  # served


def test_a_court_edits_its_template_and_bad_fields_are_refused(api, s):
    make_world(s, 1)
    s.commit()
    bad = api("post", "/templates", json={"name": "出庭通知", "kind": "notice", "title": "出庭通知",
                                          "body": "{party}：请于{hearing_tim}到庭。"})
    assert bad.status_code == 400 and "hearing_tim" in bad.json["error"]["message"]
    good = api("post", "/templates", json={"name": "出庭通知", "kind": "notice", "title": "出庭通知",
                                           "body": "{party}：请于{hearing_time}到{hearing_place}出庭。"})
    assert good.status_code == 201
    judgment = api("post", "/templates", json={"name": "判决", "kind": "judgment", "title": "判决", "body": "x"})
    assert judgment.status_code == 400 and judgment.json["error"]["code"] == "bad_template_kind"
    assert DocumentKind.NOTICE.value == good.json["kind"]


def test_console_generates_from_a_template_for_chosen_parties(console, s, run_jobs):
    import re

    world = make_world(s, 2)
    s.commit()
    console.login()
    page = console.get(f"/console/cases/{world.case.id}").get_data(as_text=True)
    template_id = re.search(r'<option value="(\d+)">开庭通知书</option>', page).group(1)
    r = console.post(f"/console/cases/{world.case.id}/generate", {
        "template_id": template_id, "party_ids": [str(world.parties[1].id)], "hearing_time": "2030-12-21T09:30",
        "hearing_place": "第三法庭", "judge": "王法官", "serve": "1"}, follow_redirects=True)
    assert "已生成1份文书" in r.get_data(as_text=True)
    doc = db.session().scalar(select(Document).where(Document.case_id == world.case.id))
    assert doc.title == f"开庭通知书（{world.parties[1].name}）" and doc.kind is DocumentKind.NOTICE
    text = pdftotext(documents.read_version(doc.current))
    assert "2030年12月21日 09:30" in text  # Beijing time as typed, not UTC


def test_generated_documents_are_served_through_the_consent_gate(api, s, run_jobs):
    """Templated documents go SEAL → RECEIVE(party) through notify/serve.py, which asks the consent
    service: the consenting party is served at the confirmed address and the arrival fixes the date;
    the party without consent is only told a document is waiting, and nothing counts as service."""
    from court.models import AuditEvent, Notification, ServiceRecord
    from court.services import consent

    world = make_world(s, 2)
    agreed, silent = world.parties
    consent.give(s, None, world.case, channels=["sms"], address={"sms": agreed.phone}, method="staff",
                 party=agreed, recorded_by="staff:test")
    s.commit()
    subpoena = next(t for t in api("get", "/templates").json if t["name"] == "传票")
    made = api("post", f"/cases/{world.case.id}/generate", json={
        "template_id": subpoena["id"], "hearing_time": "2030-12-21T09:30:00+08:00",
        "hearing_place": "第三法庭", "judge": "王法官"})
    assert made.status_code == 201
    run_jobs(("signing",))
    run_jobs(("notify",))
    s = db.session()
    s.expire_all()
    notified = {e.details["party_id"]: e.details for e in s.scalars(
        select(AuditEvent).where(AuditEvent.action == "service.notified"))}
    assert notified[agreed.id]["consent"] is True and notified[agreed.id]["confirmed"] is True
    assert notified[silent.id]["consent"] is False and notified[silent.id]["confirmed"] is False
    to_silent = s.scalars(select(Notification).where(Notification.party_id == silent.id)).all()
    assert [n.template for n in to_silent] == ["document_ready"]  # the permitted "a document is waiting"
    records = {r.party_id: r for r in s.scalars(select(ServiceRecord))}
    assert records[agreed.id].effective_at is not None  # delivered at a confirmed address with consent
    assert records[silent.id].effective_at is None  # no consent: no arrival counts
