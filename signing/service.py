"""Sealing documents of the court domain: the work behind ``signing.jobs.seal_step``.

A seal step reads the document's current version, stamps it (footer with the document's
anti-counterfeit code and QR on every page, the visible seal, empty signature fields for
every later signer of the flow, the certification signature), stores the result as a new
version and completes the step — all in one database transaction, under a per-document
lock. A crash anywhere before the commit leaves no version behind (a stored blob without a
version is unreferenced and harmless: blobs are content-addressed), so the retried job
produces exactly one new version.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.orm import Session

from court import audit, db, display, locks, storage
from court.errors import Conflict, DomainError, NotFound
from court.models import (
    Court,
    Document,
    DocumentStatus,
    DocumentVersion,
    FlowStep,
    Seal,
    StepAction,
    StepStatus,
)
from court.services import documents, flow_seal, flow_steps
from signing import codes, fonts, pki, sealimage, seals, tsa
from signing.certify import SealResult, SealStamper
from signing.cms import CmsSigner
from signing.pagegeometry import FieldSpec, Placement
from signing.recordpage import RecordLine, RecordPage, note_field
from signing.settings import SigningSettings, current

log = logging.getLogger(__name__)
LOCK_TTL = 30.0  # seconds; refreshed every 10 s while held


class Busy(Exception):
    """Another worker holds the document; the job is retried."""


@contextlib.contextmanager
def document_lock(document_id: int, *, wait: float = 60.0) -> Iterator[None]:
    """Serialise all signing work on one document across processes (Redis lock).

    The database transaction inside also takes the document row ``FOR UPDATE`` on PostgreSQL,
    so two signers can never both build on the same version.
    The lock has a short TTL refreshed while the job runs (:mod:`court.locks`), so a worker
    killed mid-seal holds the retry back for seconds, not minutes.
    """
    try:
        with locks.hold(locks.document_lock_name(document_id), ttl=LOCK_TTL, wait=wait):
            yield
    except locks.LockBusy:
        raise Busy(f"document {document_id} is being signed by another worker") from None


@contextlib.contextmanager
def locked_step(step_id: int) -> Iterator[tuple[Session, FlowStep]]:
    """``step_id`` reloaded in a transaction held under its document's lock, for work that adds a
    version to that document (a signature, a refusal note).

    The document is found first in a transaction of its own, so the lock is taken before the row
    the work decides on is read: a second signer waiting on the lock then sees the first one's
    version. An unknown step is :class:`NotFound`, as the caller's page or job would report it.
    """
    with db.transaction() as s:
        found = s.get(FlowStep, step_id)
        if found is None:
            raise NotFound("签署步骤不存在", code="step_not_found")
        document_id = found.flow.document_id
    with document_lock(document_id), db.transaction() as s:
        step = s.get(FlowStep, step_id)
        assert step is not None  # steps are never deleted
        yield s, step


# ----------------------------------------------------------------------------- stampers

_stampers: dict[tuple[object, ...], SealStamper] = {}
_signers: dict[int, CmsSigner] = {}
_lock = threading.Lock()


def cms_signer(creds: pki.Credentials) -> CmsSigner:
    with _lock:
        signer = _signers.get(id(creds))
        if signer is None or signer.creds is not creds:
            signer = CmsSigner(creds)
            _signers[id(creds)] = signer
        return signer


def seal_png(court: Court | None, settings: SigningSettings, name: str | None = None) -> bytes:
    """The court seal's image: the court's upload, or one generated from its name."""
    return seals.image(None, court, settings, name)


def stamper(settings: SigningSettings | None = None, *, court: Court | None = None,
            court_name: str | None = None, seal: Seal | None = None) -> SealStamper:
    """A ready :class:`SealStamper` for this court's ``seal`` (default: the configured court seal),
    cached per key, image, URL and TSA."""
    settings = settings or current()
    creds = seals.credentials(seal, settings)
    png = seals.image(seal, court, settings, court_name)
    name = seal.name if seal is not None else (court.name if court is not None else (court_name or ""))
    key = (id(creds), hashlib.sha256(png).hexdigest(), settings.public_base_url, settings.tsa_url,
           settings.cjk_font_path, name)
    with _lock:
        hit = _stampers.get(key)
    if hit is not None:
        return hit
    made = SealStamper(
        signer=cms_signer(creds), seal=sealimage.to_pdf_image(png), verify_base=settings.public_base_url + "/verify/",
        font_path=fonts.find_font(settings.cjk_font_path), signer_name=name, location=name,
        timestamper=tsa.timestamper(settings),
    )
    with _lock:
        _stampers[key] = made
    return made


def stamp_bytes(data: bytes, *, code: str | None = None, court_name: str | None = None,
                placement: Placement | None = None, settings: SigningSettings | None = None) -> SealResult:
    """Stamp a PDF outside any case (operators' ``flask court stamp``)."""
    settings = settings or current()
    return stamper(settings, court_name=court_name).stamp(
        data, code or codes.new_code(), placement=placement, max_bytes=settings.max_bytes,
        max_pages=settings.max_pages)


def set_seal_image(s: Session, court: Court, data: bytes, *, actor: str) -> str:
    """Staff replace the generated seal with their own image (PNG with transparency, or JPEG).

    The image is checked before anything is stored; returns the new storage key."""
    sealimage.to_pdf_image(data, max_side=800, max_bytes=5 * 1024 * 1024)
    key = storage.store().put(data)
    court.seal_image_key = key
    s.flush()
    audit.record(s, "court.seal_image_set", actor=actor, subject=f"court:{court.id}",
                 details={"sha256": hashlib.sha256(data).hexdigest()})
    return key


# ----------------------------------------------------------------------------- the seal step

def _rect(step: FlowStep) -> tuple[float, float, float, float] | None:
    if step.x is None or step.y is None:
        return None
    return (step.x, step.y, step.width or 120.0, step.height or (step.width or 120.0))


def field_rect(step: FlowStep) -> tuple[float, float, float, float] | None:
    if step.x is None or step.y is None:
        return None
    return (step.x, step.y, step.width or 120.0, step.height or 50.0)


def field_name(step: FlowStep) -> str:
    return f"step-{step.id}"


def signer_label(step: FlowStep) -> str:
    if step.party is not None:
        return step.party.name
    if step.staff is not None:
        return step.staff.name
    return ""


def signer_caption(step: FlowStep) -> str:
    """第2步 张三（原告）: how a signer is named on the record page and in a refusal note."""
    role = display.label(step.party.role, "zh_Hans_CN") if step.party is not None else (
        display.label(step.staff.role, "zh_Hans_CN") if step.staff is not None else "")
    return f"第{step.position}步 {signer_label(step)}（{role}）"


@dataclass
class StepOutcome:
    status: str  # done | already_done | not_ready | failed
    version_id: int | None = None
    error: str | None = None


def _is_last_attempt() -> bool:
    try:
        from rq import get_current_job

        job = get_current_job()
    except Exception:
        return True
    if job is None:
        return True
    return not job.retries_left


def seal_step(step_id: int) -> StepOutcome:
    """Stamp the court seal for one SEAL step (idempotent; see the module docstring)."""
    settings = current()
    with db.transaction() as s:
        step = s.get(FlowStep, step_id)
        if step is None:
            return StepOutcome("missing")
        if step.status is StepStatus.DONE:
            return StepOutcome("already_done", step.result_version_id)
        if step.action is not StepAction.SEAL or step.status not in (StepStatus.READY, StepStatus.RUNNING):
            return StepOutcome("not_ready")
        try:
            flow_seal.seal_permitted(step)
        except Conflict as exc:  # returned, or not approved: never seal, leave the flow as it is
            log.warning("seal step %s not permitted: %s", step_id, exc.code)
            return _not_permitted(s, step, exc)
        document_id = step.flow.document_id
        step.status = StepStatus.RUNNING
    try:
        with document_lock(document_id):
            with db.transaction() as s:
                return _seal_locked(s, step_id, settings)
    except Busy:
        raise  # another worker is on this document: let RQ retry later
    except DomainError as exc:  # bad input (SigningError) or configuration (keys, fonts)
        _record_failure(step_id, exc.localized("zh_Hans_CN"), final=True, code=exc.code)
        return StepOutcome("failed", error=exc.code)
    except Exception as exc:
        final = _is_last_attempt()
        _record_failure(step_id, f"用印失败，{'已停止重试' if final else '将自动重试'}：{type(exc).__name__}",
                        final=final, code="seal_error")
        if final:
            log.exception("seal step %s failed", step_id)
            return StepOutcome("failed", error="seal_error")
        raise


def _seal_locked(s: Session, step_id: int, settings: SigningSettings) -> StepOutcome:
    step = s.get(FlowStep, step_id)
    if step is None:
        return StepOutcome("missing")
    if step.status is StepStatus.DONE:
        return StepOutcome("already_done", step.result_version_id)
    if step.status not in (StepStatus.READY, StepStatus.RUNNING):
        return StepOutcome("not_ready")
    doc = s.get(Document, step.flow.document_id, with_for_update=db.is_postgres())
    assert doc is not None
    source = doc.current
    data = documents.read_version(source)
    try:  # asked with the bytes about to be sealed: the approval names these, or nothing is sealed
        approval_id = flow_seal.seal_permitted(step, hashlib.sha256(data).hexdigest())
    except Conflict as exc:
        return _not_permitted(s, step, exc)
    code = codes.assign(s, doc)
    specs = [
        FieldSpec(field_name(st), st.page, field_rect(st), tooltip=signer_label(st))
        for st in step.flow.steps
        if st.action in (StepAction.SIGN, StepAction.RECEIVE) and st.position > step.position
    ]
    court = doc.case.court
    seal = seals.resolve(s, court, step.flow.seal_id)
    noted = flow_seal.record_page_steps(step.flow)
    record = RecordPage([RecordLine(note_field(st.id), signer_caption(st)) for st in noted]) if noted else None
    result = stamper(settings, court=court, seal=seal).stamp(
        data, code, placement=Placement(step.page, _rect(step)), fields=specs,
        reason=f"{seal.name}电子印章", max_bytes=settings.max_bytes, max_pages=settings.max_pages, record=record,
    )
    version = documents.add_version(s, doc, result.pdf, "sealed", filename=_sealed_name(doc), actor="system:seal")
    cert = seals.fingerprint(seal, settings)
    flow_steps.complete_step(s, step, actor="system:seal", version=version, details={
        "sha256": version.sha256, "pages": result.pages, "fields": len(specs), "seal_cert": cert[:16],
    })
    flow = step.flow
    seals.record(s, [seals.Use(
        "flow", actor=f"staff:{flow.created_by_id}" if flow.created_by_id else "system:seal", code=code,
        source_sha256=source.sha256, pdf=result.pdf, pages=result.pages, cert_fingerprint=cert, seal=seal,
        case_id=doc.case_id, document_id=doc.id, version_id=version.id, step_id=step.id,
        approval_step_id=approval_id, filename=version.filename,
    )])
    doc.error = None
    audit.record(s, "document.sealed", actor="system:seal", case_id=doc.case_id, subject=f"document:{doc.id}",
                 details={"version": version.number, "sha256": version.sha256, "timestamped": bool(settings.tsa_url)})
    return StepOutcome("done", version.id)


# a flow or approval the audit chain does not bear out, or that names other bytes: staff must see it
_TAMPERED = ("approval_unverified", "approval_mismatch", "flow_unverified", "document_changed")


def _not_permitted(s: Session, step: FlowStep, exc: Conflict) -> StepOutcome:
    """Nothing is sealed. A returned or still unapproved flow is left as it is; an approval that is
    not borne out stops the step for good, with the reason, so staff see it (and the audit log has it)."""
    if exc.code in _TAMPERED:
        log.error("seal step %s refused: %s", step.id, exc.code)
        flow_steps.fail_step(s, step, exc.localized("zh_Hans_CN"), final=True)
        audit.record(s, "signing.failed", actor="system:seal", case_id=step.flow.document.case_id,
                     subject=f"step:{step.id}", details={"code": exc.code, "final": True})
    return StepOutcome("not_permitted", error=exc.code)


def _sealed_name(doc: Document) -> str:
    name = doc.versions[0].filename if doc.versions and doc.versions[0].filename else doc.title
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    return f"{stem}（已签章）.pdf"[:200]


def _record_failure(step_id: int, message: str, *, final: bool, code: str) -> None:
    with db.transaction() as s:
        step = s.get(FlowStep, step_id)
        if step is None or step.status is StepStatus.DONE:
            return
        if not final:
            step.status = StepStatus.READY
        flow_steps.fail_step(s, step, message, final=final)
        audit.record(s, "signing.failed", actor="system:seal", case_id=step.flow.document.case_id,
                     subject=f"step:{step.id}", details={"code": code, "final": final})


def current_version(s: Session, document_id: int) -> DocumentVersion:
    doc = s.get(Document, document_id)
    if doc is None:
        raise DomainError("文书不存在", code="document_not_found", status=404)
    return doc.current


__all__ = ["Busy", "DocumentStatus", "document_lock", "locked_step", "seal_step", "stamp_bytes", "stamper"]
