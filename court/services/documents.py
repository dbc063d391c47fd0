"""Documents: upload (checked before anything is stored) and immutable versions."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import audit, storage
from court.errors import DomainError, NotFound
from court.models import Case, Document, DocumentKind, DocumentStatus, DocumentVersion
from court.pdfcheck import check_pdf
from court.services import lifecycle
from court.services.court_scope import court_row

UPLOADABLE = tuple(k for k in DocumentKind if k is not DocumentKind.CREDENTIAL)


def parse_kind(value: str | None) -> DocumentKind:
    """The kind staff may upload; credentials are only ever produced by the system."""
    try:
        kind = DocumentKind(value or "")
    except ValueError:
        raise DomainError("文书类型不正确", code="bad_kind") from None
    if kind not in UPLOADABLE:
        raise DomainError("送达凭证由系统生成，不能上传", code="bad_kind")
    return kind


def upload(
    s: Session, case: Case, kind: DocumentKind, title: str, data: bytes, *,
    filename: str | None = None, max_bytes: int, actor: str = "system",
) -> Document:
    """Create a document from an uploaded PDF. Invalid input raises before anything is stored."""
    lifecycle.require_writable(case)
    if kind not in UPLOADABLE:
        raise DomainError("送达凭证由系统生成，不能上传", code="bad_kind")
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise DomainError("文书标题不能为空且不超过200字", code="bad_title")
    pages = check_pdf(data, max_bytes)
    doc = Document(case_id=case.id, kind=kind, title=title)
    if actor.startswith("staff:"):
        doc.created_by_id = int(actor.split(":")[1])
    s.add(doc)
    s.flush()
    version = add_version(s, doc, data, "uploaded", filename=filename, actor=actor)
    audit.record(
        s, "document.uploaded", actor=actor, case_id=case.id, subject=f"document:{doc.id}",
        details={"kind": kind.value, "sha256": version.sha256, "size": version.size, "pages": pages},
    )
    return doc


def add_version(
    s: Session, doc: Document, data: bytes, reason: str, *, filename: str | None = None, actor: str = "system"
) -> DocumentVersion:
    """Store ``data`` and append it as the document's newest version."""
    key = storage.store().put(data)
    number = (doc.versions[-1].number + 1) if doc.versions else 1
    version = DocumentVersion(
        document_id=doc.id, number=number, blob_key=key, sha256=hashlib.sha256(data).hexdigest(),
        size=len(data), reason=reason, filename=filename,
    )
    s.add(version)
    doc.versions.append(version)
    s.flush()
    if number > 1:
        audit.record(
            s, "document.version_added", actor=actor, case_id=doc.case_id, subject=f"document:{doc.id}",
            details={"number": number, "reason": reason, "sha256": version.sha256},
        )
    return version


CORRECTABLE = (DocumentStatus.UPLOADED, DocumentStatus.RETURNED, DocumentStatus.FAILED)


def upload_correction(
    s: Session, doc: Document, data: bytes, *, filename: str | None = None, max_bytes: int, actor: str = "system",
) -> DocumentVersion:
    """Staff replace a document not yet sealed (e.g. returned by the seal keeper) with a corrected
    PDF: a new version, checked like an upload; the next flow seals that version."""
    if doc.status not in CORRECTABLE:
        raise DomainError("该文书已进入签署流程或已盖章，不能替换；请上传新的文书", code="not_correctable", status=409)
    check_pdf(data, max_bytes)
    version = add_version(s, doc, data, "corrected", filename=filename, actor=actor)
    doc.status = DocumentStatus.UPLOADED
    doc.error = None
    s.flush()
    return version


def get_document(s: Session, court_id: int, document_id: int) -> Document:
    return court_row(s, Document, document_id, court_id, lambda d: d.case.court_id,
                     NotFound("文书不存在", code="document_not_found"))


def read_version(version: DocumentVersion) -> bytes:
    return storage.store().get(version.blob_key)


def open_version(version: DocumentVersion) -> IO[bytes]:
    """The version's bytes as a stream (a download never holds a large PDF whole in memory)."""
    return storage.store().open(version.blob_key)


_UNSAFE_IN_NAMES = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def _name_part(text: str, limit: int = 60) -> str:
    """A piece of a file name: no path separators or characters Windows refuses, bounded."""
    return _UNSAFE_IN_NAMES.sub("_", text).strip(" ._")[:limit]


@dataclass(frozen=True)
class DownloadName:
    """A version's file name for people (case number, title, party) and an ASCII fallback for
    clients that read only ``filename`` (RFC 6266: ``filename*`` carries the real one)."""

    name: str
    ascii: str


def download_name(s: Session, version: DocumentVersion) -> DownloadName:
    """``（2026）京0105民初123号-判决书-送达凭证-张三.pdf`` for a party's e-service credential,
    ``（2026）京0105民初123号-判决书-第2版.pdf`` for a version of any other document: a clerk
    who downloads ten credentials can tell them apart without opening them."""
    from court.models import ServiceRecord

    doc = version.document
    number = _name_part(doc.case.number, 40)
    if doc.kind is DocumentKind.CREDENTIAL:
        rec = s.scalar(select(ServiceRecord).where(ServiceRecord.credential_version_id == version.id).limit(1))
        if rec is None:  # an older version of the credential document: find its record by document
            rec = s.scalar(select(ServiceRecord).join(DocumentVersion, ServiceRecord.credential_version_id
                                                     == DocumentVersion.id).where(DocumentVersion.document_id == doc.id)
                           .limit(1))
        if rec is not None:
            source = _name_part(rec.document.title if rec.document else doc.title)
            parts = [number, source, "送达凭证", _name_part(rec.party.name, 40)]
            receipt = rec.receipt_number if rec.receipt_number and rec.receipt_number.isascii() else f"record-{rec.id}"
            return DownloadName("-".join(p for p in parts if p) + ".pdf",
                                f"credential-{_name_part(receipt)}-party-{rec.party_id}.pdf")
    parts = [number, _name_part(doc.title), f"第{version.number}版"]
    return DownloadName("-".join(p for p in parts if p) + ".pdf", f"document-{doc.id}-v{version.number}.pdf")
