"""The public verify page: a printed code, an uploaded file, a tampered file, limits."""
from __future__ import annotations

import io

from tests.web_sign.conftest import csrf, needs_signing


def test_verify_page_renders_in_both_languages(client, app):
    html = client.get("/verify").get_data(as_text=True)
    assert "文书真伪查验" in html and 'name="code"' in html and 'name="pdf"' in html
    assert "Verify a court document" in client.get("/verify?lang=en").get_data(as_text=True)


def test_malformed_code_says_so(client, app):
    pytest_signing = __import__("importlib").util.find_spec("signing.codes")
    if pytest_signing is None:
        import pytest

        pytest.skip("waits for the signing branch")
    r = client.get("/verify?code=abc")
    assert r.status_code == 400 and "防伪码格式不正确" in r.get_data(as_text=True)


def test_upload_needs_csrf_and_a_file(client, app):
    assert client.post("/verify", data={}).status_code == 400
    token = csrf(client)
    r = client.post("/verify", data={"csrf_token": token})
    assert r.status_code == 400 and "请选择要验证的PDF文件" in r.get_data(as_text=True)


@needs_signing
def test_code_lookup_and_upload_of_sealed_and_tampered_copies(client, app, run_jobs):
    from court import db
    from court.models import Document, StepAction
    from court.services import cases, documents, flows
    from court.services import staff as staff_service
    from tests.factories import pdf_bytes

    s = db.session()
    court = staff_service.create_court(s, "北京互联网法院", "京0491")
    flows.set_approval_kinds(s, court, [], actor="test")  # seal control is tested in tests/staff
    case = cases.create_case(s, court, "（2026）京0491民初5号", "civil")
    doc = documents.upload(s, case, documents.parse_kind("judgment"), "民事判决书", pdf_bytes(2), max_bytes=10**6)
    flows.start_flow(s, doc, [flows.StepInput(StepAction.SEAL)])
    s.commit()
    run_jobs(("signing",))
    doc = db.session().get(Document, doc.id)
    assert doc.verify_code, doc.error
    code = f"{doc.verify_code[:4]}-{doc.verify_code[4:8]}-{doc.verify_code[8:12]}-{doc.verify_code[12:]}"

    r = client.get(f"/verify?code={doc.verify_code.lower()}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/verify/{code}")
    page = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "民事判决书" in page and "（2026）京0491民初5号" in page and doc.current.sha256 in page
    assert "北京互联网法院" in page and "已盖章" in page
    assert client.get("/verify/0000-0000-0000-0000").status_code == 404

    sealed = documents.read_version(doc.current)
    token = csrf(client)
    ok = client.post("/verify", data={"csrf_token": token, "pdf": (io.BytesIO(sealed), "a.pdf")})
    assert ok.status_code == 200 and "验证通过" in ok.get_data(as_text=True)

    tampered = sealed.replace(b"Court document - page 1", b"Court document - page 9")
    assert tampered != sealed
    bad = client.post("/verify", data={"csrf_token": token, "pdf": (io.BytesIO(tampered), "a.pdf")})
    text = bad.get_data(as_text=True)
    assert "验证未通过" in text and "平台未存档与此完全相同的文件" in text


@needs_signing
def test_lookups_are_rate_limited(client, app):
    for _ in range(30):
        client.get("/verify/0000-0000-0000-0000")
    assert client.get("/verify/0000-0000-0000-0000").status_code == 429
