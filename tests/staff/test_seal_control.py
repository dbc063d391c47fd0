"""Seal control from the auditor's side (issue 11, findings 1-3), through the staff API."""
import base64
import io

import pytest
from sqlalchemy import select

from court import db
from court.models import AuditEvent, Document, Notification
from court.services import staff as staff_service
from tests.support.factories import id_number, pdf_bytes
from tests.support.signing import signature_png

PASSWORD = "seal keeper password"


@pytest.fixture
def world(api, s):
    for member, _key in api.members.values():
        staff_service.set_password(s, member, PASSWORD)
    s.commit()
    case_id = api("post", "/cases", json={"number": "（2026）京0491民初19号"}).json["id"]
    parties = api("post", f"/cases/{case_id}/parties", json={"parties": [
        {"role": "plaintiff", "name": "张三", "id_number": id_number(seq="111"), "phone": "13800000001"},
        {"role": "defendant", "name": "李四", "id_number": id_number(seq="222"), "phone": "13800000002"}]}).json
    return case_id, [p["id"] for p in parties]


def _upload(api, case_id, kind="subpoena", title="传票"):
    return api("post", f"/cases/{case_id}/documents", data={"file": (io.BytesIO(pdf_bytes(2)), "d.pdf"),
               "kind": kind, "title": title}, content_type="multipart/form-data").json["id"]


def _approval_flow(api, doc_id, party_id):
    approver = api.members["seal_approver"][0]
    r = api("post", f"/documents/{doc_id}/flows", json={"steps": [
        {"action": "approve", "staff_id": approver.id}, {"action": "seal"},
        {"action": "receive", "party_id": party_id}]})
    assert r.status_code == 201, r.json
    return r.json


def test_a_refused_approval_returns_the_flow_and_never_seals_or_serves(api, world, run_jobs):
    case_id, (plaintiff, _defendant) = world
    doc_id = _upload(api, case_id)
    flow = _approval_flow(api, doc_id, plaintiff)
    approve = flow["steps"][0]["id"]
    r = api("post", f"/flows/{flow['id']}/steps/{approve}/refuse", role="seal_approver",
            json={"reason": "案号与判决主文不符"})
    assert r.status_code == 200, r.json
    run_jobs()  # the worker runs whatever was queued
    s = db.session()
    doc = s.get(Document, doc_id)
    assert [v.reason for v in doc.versions] == ["uploaded"] and doc.verify_code is None
    assert doc.status.value == "returned"
    assert s.scalars(select(Notification).where(Notification.document_id == doc_id)).all() == []
    after = api("get", f"/flows/{flow['id']}").json
    assert after["status"] == "returned"
    assert after["returned_reason"] == "案号与判决主文不符"
    assert [st["status"] for st in after["steps"]] == ["refused", "waiting", "waiting"]
    # staff upload a corrected version and start again
    fixed = api("post", f"/documents/{doc_id}/versions", data={"file": (io.BytesIO(pdf_bytes(3)), "fixed.pdf")},
                content_type="multipart/form-data")
    assert fixed.status_code == 201, fixed.json
    again = _approval_flow(api, doc_id, plaintiff)
    assert again["steps"][0]["status"] == "ready"


def test_the_seal_keeper_reauthenticates_at_approval(api, world):
    case_id, (plaintiff, _defendant) = world
    flow = _approval_flow(api, _upload(api, case_id), plaintiff)
    url = f"/flows/{flow['id']}/steps/{flow['steps'][0]['id']}/approve"
    missing = api("post", url, role="seal_approver", json={})
    assert missing.status_code == 400 and missing.json["error"]["code"] == "reauth_required"
    wrong = api("post", url, role="seal_approver", json={"password": "not the password"})
    assert wrong.status_code == 403 and wrong.json["error"]["code"] == "reauth_failed"
    ok = api("post", url, role="seal_approver", json={"password": PASSWORD})
    assert ok.status_code == 200 and ok.json["steps"][0]["status"] == "done"
    row = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "step.approve")).one()
    assert row.details["reauth"] == "password" and row.actor == f"staff:{api.members['seal_approver'][0].id}"


@pytest.mark.parametrize("kind", ["judgment", "ruling", "mediation_agreement"])
def test_judge_or_clerk_cannot_seal_a_judgment_without_approval(api, world, kind):
    case_id, (plaintiff, _defendant) = world
    doc_id = _upload(api, case_id, kind=kind, title="文书")
    for role in ("judge", "clerk"):
        r = api("post", f"/documents/{doc_id}/flows", role=role, json={"steps": [
            {"action": "seal"}, {"action": "receive", "party_id": plaintiff}]})
        assert r.status_code == 400 and r.json["error"]["code"] == "approval_required", r.json
    # an "approval" by someone who is not a seal keeper does not count either
    judge = api.members["judge"][0]
    r = api("post", f"/documents/{doc_id}/flows", json={"steps": [
        {"action": "approve", "staff_id": judge.id}, {"action": "seal"}]})
    assert r.status_code == 400 and r.json["error"]["code"] == "approver_role"
    assert _approval_flow(api, doc_id, plaintiff)["status"] == "running"


def test_the_court_chooses_which_kinds_need_approval(api, world):
    case_id, (plaintiff, _defendant) = world
    assert api("get", "/court/seal-rules").json["approval_kinds"] == ["judgment", "ruling", "mediation_agreement"]
    assert api("put", "/court/seal-rules", role="clerk", json={"approval_kinds": ["subpoena"]}).status_code == 403
    r = api("put", "/court/seal-rules", role="admin", json={"approval_kinds": ["subpoena", "judgment"]})
    assert r.status_code == 200 and r.json["approval_kinds"] == ["subpoena", "judgment"]
    doc_id = _upload(api, case_id)
    r = api("post", f"/documents/{doc_id}/flows", json={"steps": [{"action": "seal"}]})
    assert r.status_code == 400 and r.json["error"]["code"] == "approval_required"


def test_a_transcript_starting_with_the_presiding_judge_can_be_signed_by_the_judge(api, world, run_jobs):
    case_id, (plaintiff, _defendant) = world
    doc_id = _upload(api, case_id, kind="transcript", title="庭审笔录")
    judge = api.members["judge"][0]
    flow = api("post", f"/documents/{doc_id}/flows", json={"steps": [
        {"action": "sign", "staff_id": judge.id}, {"action": "sign", "party_id": plaintiff}]}).json
    step = flow["steps"][0]["id"]
    png = base64.b64encode(signature_png()).decode()
    url = f"/flows/{flow['id']}/steps/{step}/sign"
    assert api("post", url, role="clerk", json={"password": PASSWORD, "signature": png}).status_code == 403
    assert api("post", url, role="judge", json={"password": "wrong wrong", "signature": png}).status_code == 403
    r = api("post", url, role="judge", json={"password": PASSWORD, "signature": png})
    assert r.status_code == 202, r.json
    run_jobs(("signing",))
    after = api("get", f"/flows/{flow['id']}").json
    assert [st["status"] for st in after["steps"]] == ["done", "ready"]
    doc = db.session().get(Document, doc_id)
    assert doc.current.reason == "签名：judge 一号"


def test_a_clerk_keeps_a_signature_on_their_profile_and_signs_with_it(api, world, run_jobs):
    case_id, (plaintiff, _defendant) = world
    doc_id = _upload(api, case_id, kind="transcript", title="庭审笔录")
    clerk = api.members["clerk"][0]
    flow = api("post", f"/documents/{doc_id}/flows", json={"steps": [{"action": "sign", "staff_id": clerk.id}]}).json
    url = f"/flows/{flow['id']}/steps/{flow['steps'][0]['id']}/sign"
    r = api("post", url, json={"password": PASSWORD})
    assert r.status_code == 400 and r.json["error"]["code"] == "no_signature"
    blank = base64.b64encode(b"not a png").decode()
    assert api("put", "/me/signature", json={"signature": blank}).status_code == 422  # not an image
    assert api("put", "/me/signature", json={"signature": "%%%"}).json["error"]["code"] == "bad_signature"
    assert api("put", "/me/signature", json={"signature": base64.b64encode(signature_png()).decode()}).status_code == 204
    assert api("post", url, json={"password": PASSWORD}).status_code == 202
    run_jobs(("signing",))
    assert api("get", f"/flows/{flow['id']}").json["status"] == "completed"
