"""The e-service credential (电子送达凭证), which has the effect of a service receipt (送达回证).

Built from the service record: court, case number, the served document's title and the SHA-256
of the exact version served, the recipient (name, masked ID number), the recorded consent (how,
when, which addresses; ``court.services.consent``), every channel tried with its sent / delivered
/ opened times and the provider's message id, the face check, when the party signed for it, and
the legal date of service (``court.services.service_date``). Without a consent in force when the
party was served there is no e-service credential: the case is flagged for another method.
The PDF is written with real, embedded Chinese text (a subset of the installed CJK font with
a ToUnicode map), then sealed by the court like any other document, with its own
anti-counterfeit code. It is stored as a document of kind CREDENTIAL in the same case and
linked from ``ServiceRecord.credential_version_id``.

This module issues it (once per service record, under a lock, sealed and registered in the seal
register); what it says is gathered by :mod:`signing.credential_data` and laid out by
:mod:`signing.credential_render`.
"""
from __future__ import annotations

import contextlib
import hashlib

from sqlalchemy.orm import Session

from court import audit, db, redis_conn
from court.errors import Conflict, NotFound
from court.models import (
    Document,
    DocumentKind,
    DocumentStatus,
    DocumentVersion,
    ServiceRecord,
)
from court.services import consent as consent_rules
from court.services import documents, service_date
from signing import codes, fonts, seals
from signing.credential_data import gather, served_document
from signing.credential_render import render
from signing.pagegeometry import Placement
from signing.service import stamper
from signing.settings import current


def refuse_without_consent(s: Session, rec: ServiceRecord) -> None:
    """No consent, no e-service credential: flag the case for another method of service."""
    consent_rules.flag(s, rec.party.case_id, f"{rec.party.name}：未同意电子送达，不出具电子送达凭证，请改用其他方式送达")
    audit.record(s, "service.credential_refused", actor="system:credential", case_id=rec.party.case_id,
                 subject=f"service_record:{rec.id}", details={"reason": "no_consent"})


def _issue(s: Session, rec: ServiceRecord) -> DocumentVersion:
    """Render, seal and store the credential for ``rec`` (consent already checked)."""
    settings = current()
    data = gather(s, rec)
    font_path = fonts.find_font(settings.cjk_font_path)
    raw, rect, pages = render(data, font_path)
    source = served_document(rec)
    doc = Document(case_id=source.case_id, kind=DocumentKind.CREDENTIAL, title=f"电子送达凭证（{source.title}）"[:200])
    s.add(doc)
    s.flush()
    code = codes.assign(s, doc)
    court = source.case.court
    seal = seals.default_seal(s, court)  # every use of the court seal is in the register
    sealed = stamper(settings, court=court, seal=seal).stamp(
        raw, code, placement=Placement(pages, rect), reason=f"{court.name}电子送达凭证",
        max_bytes=settings.max_bytes, max_pages=settings.max_pages)
    version = documents.add_version(s, doc, sealed.pdf, "issued", filename=f"电子送达凭证-{data.receipt_number}.pdf",
                                    actor="system:credential")
    doc.status = DocumentStatus.SEALED
    rec.credential_version_id = version.id
    seals.record(s, [seals.Use(
        "credential", actor="system:credential", code=code, source_sha256=hashlib.sha256(raw).hexdigest(),
        pdf=sealed.pdf, pages=sealed.pages, cert_fingerprint=seals.fingerprint(seal, settings), seal=seal,
        case_id=source.case_id, document_id=doc.id, version_id=version.id, filename=version.filename)])
    audit.record(s, "service.credential_issued", actor="system:credential", case_id=source.case_id,
                 subject=f"service_record:{rec.id}", details={
                     "credential_document_id": doc.id, "sha256": version.sha256,
                     "served_sha256": data.document_sha256})
    return version


def build(service_record_id: int) -> DocumentVersion:
    """Produce (once) the sealed credential for a service record; returns its version.

    Refused (``no_consent``, the case flagged and the flag committed) when the party had no
    consent in force when served."""
    lock = redis_conn.client().lock(f"signing:credential:{service_record_id}", timeout=300, blocking_timeout=60,
                                    thread_local=False)
    if not lock.acquire(blocking=True):
        raise Conflict("送达凭证正在生成中", code="credential_busy")
    try:
        with db.transaction() as s:
            rec = s.get(ServiceRecord, service_record_id)
            if rec is None:
                raise NotFound("送达记录不存在", code="service_record_not_found")
            if rec.credential_version_id is not None:
                existing = s.get(DocumentVersion, rec.credential_version_id)
                assert existing is not None
                return existing
            served_at = rec.signed_at or rec.effective_at
            if rec.document_id is None or served_at is None:
                raise Conflict("尚未送达，不能出具送达凭证", code="not_served")
            why = service_date.unattested(s, rec)
            given = consent_rules.given_at_time(s, rec.party, served_at)
            if why is None and given is not None:  # the consent it will state must be the audited one too
                why = consent_rules.unattested(s, given, served_at)
            if why is None and given is not None:
                return _issue(s, rec)
            if why is None:
                refuse_without_consent(s, rec)  # committed with the transaction, then refused below
            else:  # the date it would state is not the audited one: an edit in the database
                audit.record(s, "service.credential_refused", actor="system:credential", case_id=rec.party.case_id,
                             subject=f"service_record:{rec.id}", details={"reason": why})
        if why is not None:
            raise Conflict("送达日期或电子送达同意与审计记录不符，不能出具送达凭证", code="service_date_unattested")
        raise Conflict("受送达人未同意电子送达，不能出具电子送达凭证", code="no_consent")
    finally:
        with contextlib.suppress(Exception):
            lock.release()
