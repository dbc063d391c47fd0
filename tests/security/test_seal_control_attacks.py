"""Attacks on seal control (DESIGN: seal control), through the staff API, the console and the seal job.

Each test is an attempt an insider could make to get the court's seal on a document without the
seal keeper's approval of *that* document; the guarantee holds when nothing is sealed."""
import io

import pytest
from sqlalchemy import select, update

from court import db
from court.models import AuditEvent, Document, FlowStep, StaffRole, StepStatus
from court.services import staff as staff_service
from tests.support.console import PASSWORD
from tests.support.factories import id_number, pdf_bytes


@pytest.fixture
def world(api, console):
    """A case with one party; every member has the console password (``console`` sets it)."""
    case_id = api("post", "/cases", json={"number": "（2030）京0491民初7号"}).json["id"]
    party = api("post", f"/cases/{case_id}/parties", json={"parties": [
        {"role": "plaintiff", "name": "张三", "id_number": id_number(seq="111"), "phone": "13800000001"}]}).json[0]
    return case_id, party["id"]


def _upload(api, case_id, role="clerk"):
    r = api("post", f"/cases/{case_id}/documents", role=role, data={
        "file": (io.BytesIO(pdf_bytes(2)), "j.pdf"), "kind": "judgment", "title": "判决书"},
        content_type="multipart/form-data")
    assert r.status_code == 201, r.json
    return r.json["id"]


def _flow(api, doc_id, party_id, approver_id, role="clerk"):
    r = api("post", f"/documents/{doc_id}/flows", role=role, json={"steps": [
        {"action": "approve", "staff_id": approver_id}, {"action": "seal"},
        {"action": "receive", "party_id": party_id}]})
    assert r.status_code == 201, r.json
    return r.json["id"], r.json["steps"][0]["id"], r.json["steps"][1]["id"]


def _sealed(doc_id):
    db.session.remove()
    doc = db.session().get(Document, doc_id)
    return doc.verify_code is not None or any(v.reason == "sealed" for v in doc.versions)


def _approve(api, flow_id, step_id):
    return api("post", f"/flows/{flow_id}/steps/{step_id}/approve", role="seal_approver", json={"password": PASSWORD})


def test_a_clean_approval_seals_the_approved_document(api, world, run_jobs):
    """The baseline every attack below is measured against."""
    case_id, party = world
    doc_id = _upload(api, case_id)
    flow_id, approve, _seal = _flow(api, doc_id, party, api.members["seal_approver"][0].id)
    assert _approve(api, flow_id, approve).status_code == 200
    run_jobs(("signing",))
    assert _sealed(doc_id)


def test_a_seal_keeper_whose_approver_role_was_taken_away_cannot_approve_in_the_console(api, world, console, run_jobs):
    case_id, party = world
    approver = api.members["seal_approver"][0]
    doc_id = _upload(api, case_id)
    _flow_id, approve, _seal = _flow(api, doc_id, party, approver.id)
    s = db.session()
    staff_service.set_role(s, s.get(type(approver), approver.id), StaffRole.CLERK, actor="staff:admin")
    s.commit()
    console.login("seal_approver1")
    r = console.post(f"/console/steps/{approve}/approve", data={"password": PASSWORD}, follow_redirects=True)
    assert "您不是本院的用印审批人" in r.get_data(as_text=True)
    run_jobs(("signing",))
    assert not _sealed(doc_id)
    assert db.session().get(FlowStep, approve).status is StepStatus.READY


def test_a_deactivated_seal_keeper_cannot_approve_with_an_old_api_key(api, world, run_jobs):
    case_id, party = world
    approver = api.members["seal_approver"][0]
    doc_id = _upload(api, case_id)
    flow_id, approve, _seal = _flow(api, doc_id, party, approver.id)
    s = db.session()
    staff_service.set_active(s, s.get(type(approver), approver.id), False, actor="staff:admin")
    s.commit()
    r = _approve(api, flow_id, approve)
    assert r.status_code == 401
    run_jobs(("signing",))
    assert not _sealed(doc_id)


def test_the_seal_keeper_cannot_approve_a_document_they_uploaded_themselves(api, world, run_jobs):
    """Four eyes: a clerk who uploaded a judgment and is later made seal keeper cannot approve it."""
    case_id, party = world
    member = api.members["clerk"][0]
    doc_id = _upload(api, case_id, role="clerk")
    s = db.session()
    staff_service.set_role(s, s.get(type(member), member.id), StaffRole.SEAL_APPROVER, actor="staff:admin")
    s.commit()
    flow_id, approve, _seal = _flow(api, doc_id, party, member.id, role="judge")
    r = api("post", f"/flows/{flow_id}/steps/{approve}/approve", role="clerk", json={"password": PASSWORD})
    assert r.status_code == 403 and r.json["error"]["code"] == "four_eyes", r.json
    run_jobs(("signing",))
    assert not _sealed(doc_id)


def test_other_roles_and_api_keys_cannot_approve_or_seal(api, world, run_jobs):
    case_id, party = world
    doc_id = _upload(api, case_id)
    flow_id, approve, seal = _flow(api, doc_id, party, api.members["seal_approver"][0].id)
    for role in ("clerk", "judge", "admin"):
        r = api("post", f"/flows/{flow_id}/steps/{approve}/approve", role=role, json={"password": PASSWORD})
        assert r.status_code == 403, (role, r.json)
    # a SEAL step is the job's, never a person's
    r = api("post", f"/flows/{flow_id}/steps/{seal}/approve", role="seal_approver", json={"password": PASSWORD})
    assert r.status_code in (400, 403, 409), r.json
    run_jobs(("signing",))
    assert not _sealed(doc_id)


def test_a_seal_keeper_of_another_court_cannot_approve(api, world, run_jobs):
    case_id, party = world
    doc_id = _upload(api, case_id)
    flow_id, approve, _seal = _flow(api, doc_id, party, api.members["seal_approver"][0].id)
    s = db.session()
    other = staff_service.create_court(s, "上海市第一中级人民法院", "沪01")
    _member, key = staff_service.create_staff(s, other, "sh_keeper", "外院审批人", StaffRole.SEAL_APPROVER)
    staff_service.set_password(s, _member, PASSWORD)
    s.commit()
    r = api("post", f"/flows/{flow_id}/steps/{approve}/approve", headers={"Authorization": f"Bearer {key}"},
            json={"password": PASSWORD})
    assert r.status_code in (403, 404), r.json
    run_jobs(("signing",))
    assert not _sealed(doc_id)


def test_someone_with_database_access_cannot_mark_the_approval_done(api, world, run_jobs):
    """The seal job re-checks the approval against the sealed audit chain, not the status column."""
    case_id, party = world
    doc_id = _upload(api, case_id)
    _flow_id, approve, seal = _flow(api, doc_id, party, api.members["seal_approver"][0].id)
    db.session.remove()
    with db.engine().begin() as conn:
        conn.execute(update(FlowStep).where(FlowStep.id == approve).values(status=StepStatus.DONE))
        conn.execute(update(FlowStep).where(FlowStep.id == seal).values(status=StepStatus.READY))
    from signing import jobs

    assert jobs.seal_step(seal) == "not_permitted"
    assert not _sealed(doc_id)


def test_an_audit_row_edited_into_an_approval_without_the_audit_key_does_not_count(api, world):
    """The attacker rewrites an existing audit row (they cannot compute its keyed hash) into an approval."""
    case_id, party = world
    doc_id = _upload(api, case_id)
    _flow_id, approve, seal = _flow(api, doc_id, party, api.members["seal_approver"][0].id)
    keeper = api.members["seal_approver"][0]
    s = db.session()
    sha = s.get(Document, doc_id).current.sha256
    victim = s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)).first()
    db.session.remove()
    with db.engine().begin() as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.id == victim.id).values(
            action="step.approve", actor=f"staff:{keeper.id}", subject=f"step:{approve}",
            details={"reauth": "password", "sha256": sha}))
        conn.execute(update(FlowStep).where(FlowStep.id == approve).values(status=StepStatus.DONE))
        conn.execute(update(FlowStep).where(FlowStep.id == seal).values(status=StepStatus.READY))
    from signing import jobs

    assert jobs.seal_step(seal) == "not_permitted"
    assert not _sealed(doc_id)
    from court import audit_chain

    report = audit_chain.verify(db.session())
    assert not report.ok and report.first_broken["id"] == victim.id


def test_a_document_changed_between_approval_and_sealing_is_not_sealed(api, world, run_jobs):
    """The approval is bound to the SHA-256 of what the keeper approved."""
    case_id, party = world
    doc_id = _upload(api, case_id)
    flow_id, approve, seal = _flow(api, doc_id, party, api.members["seal_approver"][0].id)
    # through the public interface a document in a flow cannot be replaced ...
    r = api("post", f"/documents/{doc_id}/versions", data={"file": (io.BytesIO(pdf_bytes(3)), "x.pdf")},
            content_type="multipart/form-data")
    assert r.status_code == 409, r.json
    assert _approve(api, flow_id, approve).status_code == 200
    # ... so the attacker swaps it in the store and the database after the approval
    from court import storage
    from court.models import DocumentVersion

    other = pdf_bytes(1, text="a different judgment")
    import hashlib

    key = storage.store().put(other)
    s = db.session()
    version = s.get(Document, doc_id).current
    db.session.remove()
    with db.engine().begin() as conn:
        conn.execute(update(DocumentVersion).where(DocumentVersion.id == version.id).values(
            blob_key=key, sha256=hashlib.sha256(other).hexdigest(), size=len(other)))
    run_jobs(("signing",))
    assert not _sealed(doc_id)
    assert db.session().get(FlowStep, seal).status is not StepStatus.DONE


def test_an_approved_document_whose_stored_bytes_were_swapped_is_not_sealed(api, world, run_jobs):
    case_id, party = world
    doc_id = _upload(api, case_id)
    flow_id, approve, _seal = _flow(api, doc_id, party, api.members["seal_approver"][0].id)
    assert _approve(api, flow_id, approve).status_code == 200
    from court import storage
    from court.models import DocumentVersion

    key = storage.store().put(pdf_bytes(1, text="swapped bytes"))
    version_id = db.session().get(Document, doc_id).current.id
    db.session.remove()
    with db.engine().begin() as conn:  # the row keeps the approved hash, the bytes are others
        conn.execute(update(DocumentVersion).where(DocumentVersion.id == version_id).values(blob_key=key))
    run_jobs(("signing",))
    assert not _sealed(doc_id)


def _subpoena(api, case_id):
    r = api("post", f"/cases/{case_id}/documents", data={
        "file": (io.BytesIO(pdf_bytes(1)), "s.pdf"), "kind": "subpoena", "title": "传票"},
        content_type="multipart/form-data")
    assert r.status_code == 201, r.json
    return r.json["id"]


def test_a_flow_inserted_in_the_database_is_not_sealed(api, world):
    """A kind that needs no approval, so the attacker needs only a flow: one written straight into SQL."""
    from court.models import DocumentStatus, SigningFlow, StepAction
    from signing import jobs

    case_id, _party = world
    doc_id = _subpoena(api, case_id)
    s = db.session()
    flow = SigningFlow(document_id=doc_id, ordered=False)
    s.add(flow)
    s.flush()
    step = FlowStep(flow_id=flow.id, position=1, action=StepAction.SEAL, status=StepStatus.READY)
    s.add(step)
    s.get(Document, doc_id).status = DocumentStatus.IN_FLOW
    s.commit()
    assert jobs.seal_step(step.id) == "not_permitted"
    assert not _sealed(doc_id)
    assert db.session().get(FlowStep, step.id).status is StepStatus.FAILED  # staff see it, with the reason


def test_a_document_swapped_after_its_flow_started_is_not_sealed(api, world):
    """No approval needed, but the flow's start names the bytes it was started on (the seal job is
    still queued when the attacker swaps the stored file)."""
    from court import storage
    from court.models import DocumentVersion

    case_id, party = world
    doc_id = _subpoena(api, case_id)
    r = api("post", f"/documents/{doc_id}/flows", json={"steps": [{"action": "seal"},
                                                                  {"action": "receive", "party_id": party}]})
    assert r.status_code == 201, r.json
    key = storage.store().put(pdf_bytes(1, text="not the subpoena that was sent"))
    version_id = db.session().get(Document, doc_id).current.id
    db.session.remove()
    with db.engine().begin() as conn:
        conn.execute(update(DocumentVersion).where(DocumentVersion.id == version_id).values(blob_key=key))
    from signing import jobs

    assert jobs.seal_step(r.json["steps"][0]["id"]) == "not_permitted"
    assert not _sealed(doc_id)
