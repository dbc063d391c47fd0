"""Documents: upload (checked before anything is stored) and immutable versions."""
from __future__ import annotations

import hashlib
from typing import IO

from sqlalchemy.orm import Session

from court import audit, storage
from court.errors import DomainError, NotFound
from court.models import Case, Document, DocumentKind, DocumentStatus, DocumentVersion
from court.pdfcheck import check_pdf
from court.services import lifecycle

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
    doc = s.get(Document, document_id)
    if doc is None or doc.case.court_id != court_id:
        raise NotFound("文书不存在", code="document_not_found")
    return doc


def read_version(version: DocumentVersion) -> bytes:
    return storage.store().get(version.blob_key)


def open_version(version: DocumentVersion) -> IO[bytes]:
    """The version's bytes as a stream (a download never holds a large PDF whole in memory)."""
    return storage.store().open(version.blob_key)
