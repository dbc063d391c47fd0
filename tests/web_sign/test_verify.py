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
    from court.services import cases, documents, flow_seal, flows
    from court.services import staff as staff_service
    from tests.support.factories import pdf_bytes

    s = db.session()
    court = staff_service.create_court(s, "北京互联网法院", "京0491")
    flow_seal.set_approval_kinds(s, court, [], actor="test")  # seal control is tested in tests/staff
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
    # what the stored file carries, verified: the court's certification signature, valid
    assert "北京互联网法院" in page and "法院印章（认证签名）" in page and "有效" in page and "尚无签名" not in page
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


def _sealed_judgment(run_jobs, pages: int = 2):
    """A judgment uploaded and sealed through a flow; returns (document, the uploaded original)."""
    from court import db
    from court.models import Document, StepAction
    from court.services import cases, documents, flow_seal, flows
    from court.services import staff as staff_service
    from tests.support.factories import pdf_bytes

    s = db.session()
    court = staff_service.create_court(s, "北京互联网法院", "京0491")
    flow_seal.set_approval_kinds(s, court, [], actor="test")
    case = cases.create_case(s, court, "（2026）京0491民初6号", "civil")
    original = pdf_bytes(pages, "Judgment")
    doc = documents.upload(s, case, documents.parse_kind("judgment"), "民事判决书", original, max_bytes=10**6)
    flows.start_flow(s, doc, [flows.StepInput(StepAction.SEAL)])
    s.commit()
    run_jobs(("signing",))
    doc = db.session().get(Document, doc.id)
    assert doc.verify_code, doc.error
    return doc, original


def _dashed(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, 16, 4))


def _red_pixels(png: bytes) -> int:
    from PIL import Image

    data = Image.open(io.BytesIO(png)).convert("RGB").tobytes()
    return sum(1 for i in range(0, len(data), 3) if data[i] > 170 and data[i + 1] < 100 and data[i + 2] < 100)


@needs_signing
def test_code_lookup_of_a_credential_shows_the_seal_it_carries_and_its_pages(client, app, run_jobs):
    """The e-service credential has no signing flow: its page used to say "尚无签名" while an upload
    of the same file said the seal was valid. Both now read the file."""
    from court import db
    from court.models import ServiceRecord
    from signing import jobs
    from tests.signing.test_credential_cli_verify import _served

    s = db.session()
    _world, _doc, rec = _served(s)
    jobs.issue_credential.enqueue(rec.id)
    assert run_jobs(("signing",)) == 1
    cred = db.session().get(ServiceRecord, rec.id).credential.document
    code = _dashed(cred.verify_code)

    page = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "尚无签名" not in page
    assert "法院印章（认证签名）" in page and "有效" in page and 'class="verdict ok"' in page
    # the uploaded file gets the very same findings
    from court.services import documents

    token = csrf(client)
    up = client.post("/verify", data={"csrf_token": token, "pdf": (io.BytesIO(documents.read_version(cred.current)),
                                                                       "c.pdf")}).get_data(as_text=True)
    assert "验证通过" in up and "法院印章（认证签名）" in up
    # the archived pages as images, with the seal drawn as on paper
    assert f"/verify/{code}/pages/1.png?w=720 720w" in page
    png = client.get(f"/verify/{code}/pages/1.png?w=720")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert _red_pixels(png.data) > 500
    # nothing personal beyond the document: the phone and ID number are not in the page's text
    assert "13800000001" not in page and "138****0001" not in page and "1101**********" not in page
    # explained in plain words, in both languages
    assert "认证签名" in page and "文件指纹" in page and "这些词是什么意思" in page
    en = client.get(f"/verify/{code}?lang=en").get_data(as_text=True)
    assert "What do these words mean?" in en and "certification signature" in en.lower()


@needs_signing
def test_previews_are_bounded(client, app, run_jobs):
    doc, _original = _sealed_judgment(run_jobs, pages=2)
    code = _dashed(doc.verify_code)
    assert client.get(f"/verify/{code}/pages/2.png").status_code == 200
    assert client.get(f"/verify/{code}/pages/3.png").status_code == 404  # no such page
    assert client.get(f"/verify/{code}/pages/21.png").status_code == 404  # beyond the previews
    assert client.get(f"/verify/{code}/pages/1.png?w=99999").status_code == 400
    assert client.get("/verify/0000-0000-0000-0000/pages/1.png").status_code == 404


@needs_signing
def test_upload_of_the_original_before_sealing_says_so_and_points_to_the_sealed_one(client, app, run_jobs):
    doc, original = _sealed_judgment(run_jobs)
    code = _dashed(doc.verify_code)
    token = csrf(client)
    r = client.post("/verify", data={"csrf_token": token, "pdf": (io.BytesIO(original), "judgment.pdf")})
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "这是本院盖章前的原件" in page and "验证未通过" not in page and 'class="verdict info"' in page
    assert f'href="/verify/{code}"' in page and code in page
    assert "与平台存档的《民事判决书》第1版完全一致" in page

    # the same content altered by one character is no original: plainly red
    altered = original.replace(b"Judgment - page 1", b"Judgment - page 7")
    assert altered != original
    bad = client.post("/verify", data={"csrf_token": token, "pdf": (io.BytesIO(altered), "judgment.pdf")})
    text = bad.get_data(as_text=True)
    assert "验证未通过" in text and "这是本院盖章前的原件" not in text and 'class="verdict bad"' in text
    assert "平台未存档与此完全相同的文件" in text


@needs_signing
def test_the_original_with_a_forged_seal_is_not_passed_off_as_the_original(client, app, run_jobs):
    """The attacker holds the court's original and certifies it with another organisation's
    certificate from the same root, drawn with the court's seal image: red, never "原件"."""
    from signing import codes, pki, service
    from signing.certify import SealStamper
    from signing.cms import CmsSigner
    from signing.settings import current

    doc, original = _sealed_judgment(run_jobs)
    settings = current()
    creds = pki.issue_event_certificate(pki.platform_ca(settings), "某科技有限公司", None, org="某科技有限公司")
    real = service.stamper(settings, court_name="北京互联网法院")
    fake = SealStamper(signer=CmsSigner(creds), seal=real.seal, verify_base=real.verify_base,
                       font_path=real.font_path, signer_name="北京互联网法院")
    forged = fake.stamp(original, doc.verify_code).pdf
    token = csrf(client)
    page = client.post("/verify", data={"csrf_token": token, "pdf": (io.BytesIO(forged), "judgment.pdf")})
    text = page.get_data(as_text=True)
    assert "验证未通过" in text and "不是本院签发" in text and 'class="verdict bad"' in text
    assert "这是本院盖章前的原件" not in text and "平台未存档与此完全相同的文件" in text
    assert codes.format_code(doc.verify_code) not in text  # no link to the genuine one from a forgery
