"""Uploading documents: only real, unencrypted PDFs within the limit; nothing stored otherwise."""
import hashlib
import io
import os

import pytest
from sqlalchemy import func, select

from court import storage
from court.models import Document, DocumentVersion
from tests.support.factories import pdf_bytes


@pytest.fixture
def case_id(api):
    return api("post", "/cases", json={"number": "（2026）京0491民初5号"}).json["id"]


def upload(api, case_id, data, kind="subpoena", title="传票", filename="a.pdf"):
    return api("post", f"/cases/{case_id}/documents",
               data={"file": (io.BytesIO(data), filename), "kind": kind, "title": title},
               content_type="multipart/form-data")


def _stored_files():
    return [f for _, _, files in os.walk(storage.store().root) for f in files]


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    w.encrypt("secret")
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def test_upload_and_download(api, case_id):
    data = pdf_bytes(3)
    r = upload(api, case_id, data)
    assert r.status_code == 201
    assert r.json["versions"][0]["sha256"] == hashlib.sha256(data).hexdigest()
    assert r.json["status"] == "uploaded"
    dl = api("get", f"/documents/{r.json['id']}/versions/1/file")
    assert dl.status_code == 200 and dl.data == data and dl.mimetype == "application/pdf"
    assert dl.headers["X-Content-SHA256"] == hashlib.sha256(data).hexdigest()
    assert dl.headers["Content-Disposition"].startswith(f'attachment; filename="document-{r.json["id"]}-v1.pdf"; ')
    assert "filename*=UTF-8''" in dl.headers["Content-Disposition"]  # the case number and title, RFC 5987
    assert api("get", f"/documents/{r.json['id']}/versions/2/file").status_code == 404
    assert [d["id"] for d in api("get", f"/cases/{case_id}/documents").json] == [r.json["id"]]


@pytest.mark.parametrize("make,code,status", [
    (lambda: b"", "empty_file", 422),
    (lambda: b"PK\x03\x04 this is a zip, not a pdf" * 10, "not_pdf", 415),
    (lambda: b"%PDF-1.7\n" + os.urandom(4000), "broken_pdf", 422),
    (_encrypted_pdf, "encrypted_pdf", 422),
    (lambda: pdf_bytes() + b"\n%" + b"x" * (2 * 1024 * 1024), "too_large", 413),
])
def test_bad_uploads_store_nothing(api, s, case_id, make, code, status):
    r = upload(api, case_id, make())
    assert r.status_code == status, r.json
    assert r.json["error"]["code"] == code and r.json["error"]["message"]
    assert s.scalar(select(func.count()).select_from(Document)) == 0
    assert s.scalar(select(func.count()).select_from(DocumentVersion)) == 0
    assert _stored_files() == []


def test_zero_page_pdf_is_refused(api, s, case_id):
    from pypdf import PdfWriter

    out = io.BytesIO()
    PdfWriter().write(out)
    r = upload(api, case_id, out.getvalue())
    assert r.status_code == 422 and r.json["error"]["code"] == "empty_pdf"


def test_upload_form_errors(api, case_id):
    assert upload(api, case_id, pdf_bytes(), kind="poem").json["error"]["code"] == "bad_kind"
    assert upload(api, case_id, pdf_bytes(), kind="credential").json["error"]["code"] == "bad_kind"
    assert upload(api, case_id, pdf_bytes(), title="").json["error"]["code"] == "bad_title"
    no_file = api("post", f"/cases/{case_id}/documents", data={"kind": "notice"}, content_type="multipart/form-data")
    assert no_file.status_code == 400 and no_file.json["error"]["code"] == "file_required"
    assert upload(api, 999, pdf_bytes()).status_code == 404
