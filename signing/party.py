"""Party (and judge / clerk) signatures on a flow step: SIGN and RECEIVE.

The web pages and the bot call :func:`request_sign` once the person has re-verified their
identity (face check) and drawn their signature; it stores the image and queues
``signing.jobs.sign_step``. :func:`sign_step` does the work (the job calls it; tests and
synchronous callers may too): it checks the actor, issues a one-use event certificate to the
verified person (real name, masked ID number), appends an approval signature with the
handwritten image into the field laid out for this step at sealing time, stores the new
version and completes the step. Work on one document is serialised, so concurrent signers
each build on the previous signer's version and no signature is lost.
"""
from __future__ import annotations

import hashlib
import logging

from sqlalchemy.orm import Session

from court import audit, db, storage
from court.errors import Conflict, DomainError, Forbidden, NotFound
from court.models import Document, DocumentVersion, FlowStep, Person, Staff, StepAction, StepStatus
from court.services import agents, documents, flow_steps, identity_checks
from court.services import staff as staff_service
from signing import fonts, jobs, pki, sealimage, tsa
from signing.approval import approve
from signing.cms import CmsSigner
from signing.pagegeometry import Placement
from signing.service import field_name, field_rect, locked_step
from signing.settings import current

log = logging.getLogger(__name__)
MAX_SIGNATURE_BYTES = 2 * 1024 * 1024


def check_signature_image(png: bytes) -> None:
    """Raise :class:`~signing.sealimage.BadImage` unless ``png`` is a usable handwritten signature."""
    sealimage.to_pdf_image(png, max_side=600, max_bytes=MAX_SIGNATURE_BYTES)
    if not sealimage.has_ink(png):
        raise sealimage.BadImage("签名为空，请在签名区域手写签名", code="empty_signature")


def _check_actor(s: Session, step: FlowStep, person_id: int | None, staff_id: int | None) -> tuple[str, str | None, str, str]:
    """Who signs: (real name, masked ID, audit actor, organisation) — or raise."""
    if step.action not in (StepAction.SIGN, StepAction.RECEIVE):
        raise DomainError("该步骤不需要签名", code="not_a_sign_step")
    if step.party_id is not None:
        if person_id is None or step.party is None:
            raise Forbidden("您不是该步骤的签署人", code="not_the_signer")
        try:  # the party in person, or an agent within a live authority (court.services.agents)
            authority = agents.require(s, person_id, step.party, agents.act_for_step(step))
        except Forbidden as exc:
            if exc.code == "not_the_party":
                raise Forbidden("您不是该步骤的签署人", code="not_the_signer") from None
            raise
        person = s.get(Person, person_id)
        if person is None:
            raise NotFound("用户不存在", code="person_not_found")
        if person.face_verified_at is None and identity_checks.last_pass(s, person_id=person.id) is None:
            raise Forbidden("签名前须完成身份核验（人脸识别、工作人员核验或网络身份认证）", code="face_not_verified")
        org = step.party.name if authority is not None and step.party.kind == "organisation" else ""
        return person.real_name, person.id_number_masked, f"person:{person.id}", org
    if staff_id is None or step.staff_id != staff_id:
        raise Forbidden("您不是该步骤的签署人", code="not_the_signer")
    staff = s.get(Staff, staff_id)
    if staff is None or not staff.active:
        raise Forbidden("工作人员账号不可用", code="staff_inactive")
    return staff.name, None, f"staff:{staff.id}", staff.court.name


def request_sign(s: Session, step: FlowStep, signature_png: bytes, *, person_id: int | None = None,
                 staff_id: int | None = None) -> str:
    """Check the request now (clear errors for the page), then queue the signing job after
    the caller's transaction commits. Returns the job id; the page polls the step status."""
    check_signature_image(signature_png)
    _check_actor(s, step, person_id, staff_id)
    if step.status not in (StepStatus.READY, StepStatus.RUNNING):
        raise Conflict("还未轮到该步骤或该步骤已完成", code="step_not_ready")
    key = storage.store().put(signature_png)
    job_id = jobs.sign_step.enqueue(step.id, key, person_id, staff_id, key=step.attempts, session=s)
    assert job_id is not None  # the declaration has an id scheme
    return job_id


def set_staff_signature(s: Session, staff: Staff, png: bytes, *, actor: str) -> str:
    """Keep a judge's or clerk's handwritten signature on their profile (uploaded or drawn once),
    checked like any signature before it is stored. Returns the storage key."""
    check_signature_image(png)
    staff.signature_image_key = storage.store().put(png)
    s.flush()
    audit.record(s, "staff.signature_set", actor=actor, subject=f"staff:{staff.id}",
                 details={"sha256": hashlib.sha256(png).hexdigest()})
    return staff.signature_image_key


def request_staff_sign(s: Session, step: FlowStep, staff: Staff, *, password: str | None,
                       signature_png: bytes | None = None) -> str:
    """A judge, clerk or other staff member signs their SIGN step (console or API): they
    re-authenticate now, and sign with the image given or the one on their profile."""
    if step.staff_id != staff.id:
        raise Forbidden("您不是该步骤的签署人", code="not_the_signer")
    if step.action is not StepAction.SIGN:
        raise DomainError("该步骤不需要签名", code="not_a_sign_step")
    if signature_png is None:
        if not staff.signature_image_key:
            raise DomainError("请先在个人资料中上传或手写您的签名", code="no_signature")
        signature_png = storage.store().get(staff.signature_image_key)
    check_signature_image(signature_png)
    method = staff_service.reauthenticate(s, staff, password)
    audit.record(s, "step.sign_requested", actor=f"staff:{staff.id}", case_id=step.flow.document.case_id,
                 subject=f"step:{step.id}", details={"reauth": method,
                                                     "signature_sha256": hashlib.sha256(signature_png).hexdigest()})
    return request_sign(s, step, signature_png, staff_id=staff.id)


def sign_step(step_id: int, signature_png: bytes, person_id: int | None = None, *,
              staff_id: int | None = None) -> DocumentVersion:
    """Sign ``step_id`` now; returns the new version (or the earlier one if already signed)."""
    settings = current()
    check_signature_image(signature_png)
    with locked_step(step_id) as (s, step):
        if step.status is StepStatus.DONE and step.result_version_id is not None:
            done = s.get(DocumentVersion, step.result_version_id)
            assert done is not None
            return done
        name, masked, actor, org = _check_actor(s, step, person_id, staff_id)
        if step.flow.status.value != "running" or step.status not in (StepStatus.READY, StepStatus.RUNNING):
            raise Conflict("还未轮到该步骤或该步骤已完成", code="step_not_ready")
        doc = s.get(Document, step.flow.document_id, with_for_update=db.is_postgres())
        assert doc is not None
        data = documents.read_version(doc.current)
        event = pki.issue_event_certificate(pki.platform_ca(settings), name, masked, org=org or None)
        try:
            result = approve(
                data, CmsSigner(event), field_name=field_name(step),
                image=sealimage.to_pdf_image(signature_png, max_side=600, max_bytes=MAX_SIGNATURE_BYTES),
                signer_name=name, reason="签收" if step.action is StepAction.RECEIVE else "签名",
                placement=Placement(step.page, field_rect(step)), font_path=fonts.find_font(settings.cjk_font_path),
                timestamper=tsa.timestamper(settings), max_bytes=settings.max_bytes + 16 * 1024 * 1024,
                max_pages=settings.max_pages,
            )
        finally:
            cert_fp = pki.fingerprint(event.cert)
            del event  # the one-use key goes out of scope here and is never stored
        reason = ("签收：" if step.action is StepAction.RECEIVE else "签名：") + name
        version = documents.add_version(s, doc, result.pdf, reason[:200], filename=doc.current.filename, actor=actor)
        flow_steps.complete_step(s, step, actor=actor, version=version,
                            details={"sha256": version.sha256, "event_cert": cert_fp[:16], "field": result.field_name})
        audit.record(s, "document.signed", actor=actor, case_id=doc.case_id, subject=f"document:{doc.id}",
                     details={"step_id": step.id, "version": version.number, "event_cert": cert_fp})
        return version
