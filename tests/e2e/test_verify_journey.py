"""Anyone with a printed copy: the code from the paper, then an uploaded copy, then a tampered one."""
from __future__ import annotations

from court.models import Document, StepAction
from court.services import documents
from tests.e2e.conftest import requires
from tests.e2e.helpers import (
    at,
    court_with_staff,
    read,
    seed_flow,
    verify_upload,
    wait_for,
)

pytestmark = requires("signing.codes")


def test_verify_by_code_and_by_upload(stack, phone, shots, tmp_path):
    court, _staff = court_with_staff()
    doc, _parties = seed_flow(court, StepAction.RECEIVE)
    code, sha256, data = wait_for(lambda: read(lambda s: (d := s.get(Document, doc.id)).verify_code and (
        d.verify_code, d.current.sha256, documents.read_version(d.current))), what="the seal")
    page = phone()
    page.goto("/verify")
    shots(page, "verify")
    page.fill("#code", code.lower())
    page.click("#verify-code")
    page.wait_for_url(at(r"/verify/[0-9A-Z-]{19}$"))
    shots(page, "verify-by-code")
    assert "民事判决书" in page.inner_text("#doc-title")
    assert sha256 in page.inner_text("main")

    good, bad = tmp_path / "sealed.pdf", tmp_path / "tampered.pdf"
    good.write_bytes(data)
    i = data.index(b"Beijing Internet Court")
    bad.write_bytes(data[:i] + b"Beijing Internet Cour7" + data[i + 22:])

    verdict = verify_upload(page, good)
    shots(page, "verify-upload-ok")
    assert "验证通过" in verdict

    verdict = verify_upload(page, bad, "#verdict.bad")
    shots(page, "verify-upload-tampered")
    assert "验证未通过" in verdict

    page.goto("/verify?code=NOT-A-CODE")
    shots(page, "verify-bad-code")
    assert "防伪码格式不正确" in page.inner_text("#verify-error")
