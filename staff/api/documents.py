"""Documents: upload a PDF (multipart), list, inspect, download any version."""
from __future__ import annotations

from flask import request, send_file

from court import db
from court import settings as court_settings
from court.errors import DomainError, NotFound
from court.models import StaffRole
from court.services import documents as doc_service
from staff import disposition
from staff.api import bp
from staff.api.auth import actor, current_staff
from staff.api.cases import WRITERS, _case
from staff.api.openapi import route
from staff.api.schemas import DocumentOut


@route(bp, "/cases/<int:case_id>/documents", "POST", summary="上传文书（PDF）/ upload a document",
       tag="documents", response=DocumentOut, status=201, roles=WRITERS,
       multipart={"file": "file", "kind": "judgment | ruling | mediation_agreement | subpoena | notice | transcript | other",
                  "title": "文书标题 / title"})
def upload_document(case_id: int) -> DocumentOut:
    upload = request.files.get("file")
    if upload is None:
        raise DomainError("请以 multipart/form-data 上传名为 file 的PDF文件", code="file_required")
    kind = doc_service.parse_kind(request.form.get("kind"))
    limit = court_settings.current().max_upload_bytes
    data = upload.stream.read(limit + 1)
    s = db.session()
    doc = doc_service.upload(s, _case(case_id), kind, request.form.get("title", ""), data,
                             filename=(upload.filename or "")[:200] or None, max_bytes=limit, actor=actor())
    s.commit()
    return DocumentOut.model_validate(doc)


@route(bp, "/documents/<int:document_id>/versions", "POST",
       summary="上传更正后的版本（被退回的文书）/ upload a corrected version", tag="documents",
       response=DocumentOut, status=201, roles=WRITERS, multipart={"file": "file"})
def upload_correction(document_id: int) -> DocumentOut:
    upload = request.files.get("file")
    if upload is None:
        raise DomainError("请以 multipart/form-data 上传名为 file 的PDF文件", code="file_required")
    limit = court_settings.current().max_upload_bytes
    s = db.session()
    doc = doc_service.get_document(s, current_staff().court_id, document_id)
    doc_service.upload_correction(s, doc, upload.stream.read(limit + 1),
                                  filename=(upload.filename or "")[:200] or None, max_bytes=limit, actor=actor())
    s.commit()
    return DocumentOut.model_validate(doc)


@route(bp, "/cases/<int:case_id>/documents", summary="案件文书 / a case's documents", tag="documents",
       response=list[DocumentOut])
def list_documents(case_id: int) -> list[DocumentOut]:
    from sqlalchemy import select

    from court.models import Document

    docs = db.session().scalars(select(Document).where(Document.case_id == _case(case_id).id).order_by(Document.id))
    return [DocumentOut.model_validate(d) for d in docs]


@route(bp, "/documents/<int:document_id>", summary="文书详情 / a document", tag="documents", response=DocumentOut)
def get_document(document_id: int) -> DocumentOut:
    return DocumentOut.model_validate(doc_service.get_document(db.session(), current_staff().court_id, document_id))


@route(bp, "/documents/<int:document_id>/versions/<int:number>/file", summary="下载某一版本 / download a version",
       tag="documents", binary=True)
def download_version(document_id: int, number: int):  # type: ignore[no-untyped-def]
    doc = doc_service.get_document(db.session(), current_staff().court_id, document_id)
    version = next((v for v in doc.versions if v.number == number), None)
    if version is None:
        raise NotFound("该版本不存在", code="version_not_found")
    resp = send_file(doc_service.open_version(version), mimetype="application/pdf")
    resp.headers["Content-Disposition"] = disposition.header(doc_service.download_name(db.session(), version))
    resp.content_length = version.size
    resp.headers["X-Content-SHA256"] = version.sha256
    return resp


_ = StaffRole
