"""Finding 5: hostile PDFs are bounded everywhere (verify page, upload, seal job, page images).

An 800-byte PDF whose cross-reference stream claims 200 million entries made POST /verify and
the seal job run for minutes until MemoryError, and passed the upload check; a 510 KB page that
inflates to 500 MB rendered with a gigabyte of memory in the web process."""
from __future__ import annotations

import io
import resource
import time

import pytest
from sqlalchemy import select

from court import db, storage
from court.models import Document, DocumentKind, DocumentVersion, FlowStep, StepStatus
from tests.signing.test_pdf_reader import HOSTILE_LIMIT
from tests.support import pdfcorpus
from tests.support.signing import make_world, seal_flow
from tests.web_sign.conftest import csrf


def _warm() -> None:
    """Keys generated and the fork server started, as on a running server: time only the file."""
    import signing

    signing.verify(pdfcorpus.minimal())


def test_verify_page_refuses_the_xref_bomb_at_once(app):
    _warm()
    bomb = pdfcorpus.xref_index_bomb()
    assert len(bomb) < 900
    client = app.test_client()
    token = csrf(client)
    started = time.perf_counter()
    r = client.post("/verify", data={"csrf_token": token, "pdf": (io.BytesIO(bomb), "bomb.pdf")})
    assert time.perf_counter() - started < 2
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and "验证未通过" in text and "PDF文件结构异常" in text


def test_cli_verify_refuses_the_xref_bomb(app, tmp_path):
    _warm()
    path = tmp_path / "bomb.pdf"
    path.write_bytes(pdfcorpus.xref_index_bomb())
    started = time.perf_counter()
    r = app.test_cli_runner().invoke(args=["court", "verify", str(path)])
    assert time.perf_counter() - started < 2
    assert r.exit_code == 1 and "PDF文件结构异常" in r.output and "The PDF's structure is abnormal" in r.output


@pytest.mark.parametrize("name", sorted(pdfcorpus.HOSTILE))
def test_upload_refuses_what_the_seal_engine_refuses(api, name):
    case_id = api("post", "/cases", json={"number": "（2026）京0491民初5号"}).json["id"]
    _warm()
    data = pdfcorpus.HOSTILE[name]()
    started = time.perf_counter()
    r = api("post", f"/cases/{case_id}/documents",
            data={"file": (io.BytesIO(data), "a.pdf"), "kind": "subpoena", "title": "传票"},
            content_type="multipart/form-data")
    assert time.perf_counter() - started < 2
    engine_code = _engine_verdict(data)
    if engine_code is None:  # damaged but repairable: the seal engine seals it, so the upload takes it
        assert r.status_code == 201, r.json
    else:
        assert r.status_code == 422, r.json
        assert r.json["error"]["code"] == engine_code and r.json["error"]["message"]
    if name in HOSTILE_LIMIT:
        assert engine_code == "hostile_pdf"


def test_upload_refuses_a_page_nobody_could_read(api):
    case_id = api("post", "/cases", json={"number": "（2026）京0491民初5号"}).json["id"]
    r = api("post", f"/cases/{case_id}/documents",
            data={"file": (io.BytesIO(pdfcorpus.content_bomb()), "a.pdf"), "kind": "subpoena", "title": "传票"},
            content_type="multipart/form-data")
    assert r.status_code == 422 and r.json["error"]["code"] == "hostile_pdf"


def _engine_verdict(data: bytes) -> str | None:
    """What the seal engine itself says about ``data`` (None: it would seal it)."""
    from signing.errors import SigningError
    from signing.pdfsign import inspect

    try:
        inspect(data, 10**8, 2000)
    except SigningError as exc:
        return exc.code
    return None


def test_seal_job_stops_at_once_on_a_hostile_file(s, run_jobs, monkeypatch):
    """A file stored before the upload check existed (or by any other way) still cannot hurt the worker,
    and the job is not retried even with retries left: the step fails for good with a reason staff can read."""
    from signing import service

    monkeypatch.setattr(service, "_is_last_attempt", lambda: False)
    world = make_world(s, 1)
    doc = Document(case_id=world.case.id, kind=DocumentKind.SUBPOENA, title="传票")
    s.add(doc)
    s.flush()
    from court.services import documents

    documents.add_version(s, doc, pdfcorpus.xref_index_bomb(), "uploaded", filename="bomb.pdf")
    flow = seal_flow(s, world, doc)
    s.commit()
    started = time.perf_counter()
    run_jobs(("signing",))
    assert time.perf_counter() - started < 5
    s = db.session()
    step = s.scalar(select(FlowStep).where(FlowStep.id == flow.steps[0].id))
    assert step.status is StepStatus.FAILED and step.attempts == 1
    assert "PDF文件结构异常" in step.error
    assert s.scalar(select(DocumentVersion).where(DocumentVersion.document_id == doc.id,
                                                  DocumentVersion.number == 2)) is None


def test_a_decompression_bomb_page_is_not_drawn_in_the_web_process(app, s):
    from signing import pages

    bomb = pdfcorpus.content_bomb()
    assert len(bomb) < 600 * 1024
    world = make_world(s, 1)
    doc = Document(case_id=world.case.id, kind=DocumentKind.SUBPOENA, title="传票")
    s.add(doc)
    s.flush()
    from court.services import documents

    version = documents.add_version(s, doc, bomb, "uploaded")
    s.commit()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    assert pages.page_count(version) == 1
    png = pages.render(version, 1)
    grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    assert grew < 100, f"the web process grew by {grew:.0f} MB"  # today's code: about 1000 MB
    assert png is None  # refused within the limits, not drawn at any cost
    assert time.perf_counter() - started < 10
    assert storage.store().get(version.blob_key) == bomb
