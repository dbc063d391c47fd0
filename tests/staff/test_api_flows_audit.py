"""Flows and the audit trail through the staff API."""
import io

import pytest

from tests.support.factories import id_number, pdf_bytes


@pytest.fixture
def setup(api):
    case_id = api("post", "/cases", json={"number": "（2026）京0491民初9号"}).json["id"]
    parties = api("post", f"/cases/{case_id}/parties", json={"parties": [
        {"role": "defendant", "name": "李四", "id_number": id_number(seq="222"), "phone": "13800000002"}]}).json
    doc = api("post", f"/cases/{case_id}/documents", data={"file": (io.BytesIO(pdf_bytes()), "s.pdf"),
              "kind": "subpoena", "title": "传票"}, content_type="multipart/form-data").json
    return case_id, parties[0]["id"], doc["id"]


def test_approval_flow(api, setup, s):
    from court.services import staff as staff_service

    case_id, party_id, doc_id = setup
    approver = api.members["seal_approver"][0]
    staff_service.set_password(s, approver, "seal keeper password")
    s.commit()
    r = api("post", f"/documents/{doc_id}/flows", json={"steps": [
        {"action": "approve", "staff_id": approver.id},
        {"action": "seal", "page": -1, "x": 400, "y": 80, "width": 120, "height": 120},
        {"action": "receive", "party_id": party_id},
    ]})
    assert r.status_code == 201, r.json
    flow = r.json
    assert [st["status"] for st in flow["steps"]] == ["ready", "waiting", "waiting"]
    assert api("post", f"/documents/{doc_id}/flows", json={"steps": [{"action": "seal"}]}).status_code == 409
    step = flow["steps"][0]["id"]
    assert api("post", f"/flows/{flow['id']}/steps/{step}/approve", role="clerk", json={}).status_code == 403
    done = api("post", f"/flows/{flow['id']}/steps/{step}/approve", role="seal_approver",
               json={"password": "seal keeper password"})
    assert done.status_code == 200
    assert [st["status"] for st in done.json["steps"]] == ["done", "ready", "waiting"]
    assert api("get", f"/flows/{flow['id']}").json["status"] == "running"
    assert api("post", f"/flows/{flow['id']}/steps/{flow['steps'][1]['id']}/retry").status_code == 409


def test_flow_validation_errors(api, setup):
    _case, party_id, doc_id = setup
    r = api("post", f"/documents/{doc_id}/flows", json={"steps": [{"action": "receive", "party_id": 9999}]})
    assert r.status_code == 400 and r.json["error"]["code"] == "step_party"
    r = api("post", f"/documents/{doc_id}/flows", json={"steps": [{"action": "dance"}]})
    assert r.status_code == 422
    r = api("post", f"/documents/{doc_id}/flows", json={"steps": []})
    assert r.status_code == 422
    assert api("get", "/flows/777").status_code == 404


def test_refusal_is_recorded(api, setup):
    _case, _party, doc_id = setup
    judge = api.members["judge"][0]
    flow = api("post", f"/documents/{doc_id}/flows", json={"steps": [{"action": "sign", "staff_id": judge.id}]}).json
    step = flow["steps"][0]["id"]
    assert api("post", f"/flows/{flow['id']}/steps/{step}/refuse", role="clerk", json={"reason": "x"}).status_code == 403
    r = api("post", f"/flows/{flow['id']}/steps/{step}/refuse", role="judge", json={"reason": "笔录有误"})
    assert r.json["status"] == "completed" and r.json["steps"][0]["refusal_reason"] == "笔录有误"


def test_case_audit_with_chain_check(api, setup, s):
    from sqlalchemy import text

    case_id, _party, _doc = setup
    r = api("get", f"/cases/{case_id}/audit")
    actions = [e["action"] for e in r.json["events"]]
    assert actions[:3] == ["case.created", "party.added", "document.uploaded"]
    assert r.json["chain_ok"] is True
    dumped = str(r.json)
    assert id_number(seq="222") not in dumped and "13800000002" not in dumped
    s.execute(text("UPDATE audit_event SET actor = 'staff:999' WHERE action = 'party.added'"))
    s.commit()
    broken = api("get", f"/cases/{case_id}/audit").json
    assert broken["chain_ok"] is False and broken["problems"][0]["problem"] == "edited"


def test_rewritten_history_is_reported_by_the_api(api, setup, s):
    """An attacker with database access edits a row, recomputes every hash after it and moves
    the head; the staff API's chain check says the chain is broken at that row."""
    from sqlalchemy import select

    from court import audit_chain
    from court.models import AuditEvent
    from tests.support.audit import rewrite_forward

    case_id, _party, _doc = setup
    audit_chain.save_checkpoint(s, audit_chain.verify(s))  # a full check ran earlier (so pages check incrementally)
    s.commit()
    target = s.scalar(select(AuditEvent).where(AuditEvent.action == "party.added"))
    rewrite_forward(s, target.id)
    report = api("get", f"/cases/{case_id}/audit").json
    assert report["chain_ok"] is False
    assert report["problems"][0] == {"id": target.id, "problem": "edited",
                                     "detail": report["problems"][0]["detail"]}
