"""The court seal on a PDF: what a recipient, a PDF reader and a validator see."""
from __future__ import annotations

import io

import pytest
from asn1crypto import cms

from signing import codes, pdfsign
from signing.errors import SigningError
from signing.pagegeometry import FieldSpec, Placement
from tests.support.factories import pdf_bytes
from tests.support.signing import (
    assert_all_valid,
    assert_pdfsig_valid,
    footer_code,
    pdftotext,
    qpdf_check,
)


def test_stamped_pdf_is_certified_valid_and_shows_the_code_on_every_page(stamper, settings):
    code = codes.new_code()
    result = stamper.stamp(pdf_bytes(3), code)
    statuses = assert_all_valid(result.pdf, settings, 1)
    seal = statuses[0]
    assert seal.coverage.name == "ENTIRE_FILE"
    assert seal.docmdp_ok
    text = pdftotext(result.pdf)
    pages = text.split("\f")
    for page in pages[:3]:
        assert footer_code(page) == code
        assert "Court document" in page
    assert "http://court.test/verify" in text
    out = assert_pdfsig_valid(result.pdf, 1)
    assert "ETSI.CAdES.detached" in out and "Total document signed" in out


def test_certification_allows_only_form_filling_and_signing(stamper):
    from pyhanko.pdf_utils.reader import PdfFileReader

    result = stamper.stamp(pdf_bytes(1), codes.new_code())
    sig = PdfFileReader(io.BytesIO(result.pdf)).embedded_signatures[0]
    assert sig.docmdp_level is not None and sig.docmdp_level.value == 2


def test_cms_is_pades_baseline(stamper):
    from pyhanko.pdf_utils.reader import PdfFileReader

    result = stamper.stamp(pdf_bytes(1), codes.new_code())
    sig = PdfFileReader(io.BytesIO(result.pdf)).embedded_signatures[0]
    raw = bytes(sig.pkcs7_content)
    info = cms.ContentInfo.load(raw.rstrip(b"\x00") if raw[-1:] == b"\x00" else raw, strict=False)
    signer = info["content"]["signer_infos"][0]
    assert signer["signature_algorithm"]["algorithm"].native in ("sha256_rsa", "rsassa_pkcs1v15")
    assert len(info["content"]["certificates"]) == 2
    attrs = {a["type"].native for a in signer["signed_attrs"]}
    assert attrs == {"content_type", "message_digest", "signing_certificate_v2"}
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"


def test_ec_seal_key(app, tmp_path):
    from signing import service
    from signing.settings import SigningSettings

    ec = SigningSettings(instance_path=str(tmp_path / "ec"), public_base_url="http://court.test", seal_key_type="ec")
    result = service.stamper(ec, court_name="测试法院").stamp(pdf_bytes(2), codes.new_code())
    assert_all_valid(result.pdf, ec, 1)


def test_seal_position_and_signer_fields(stamper, settings):
    result = stamper.stamp(pdf_bytes(2), codes.new_code(), placement=Placement(1, (300, 400, 100, 100)),
                           fields=[FieldSpec("step-7", -1), FieldSpec("step-8", 1, (50, 300, 120, 50))])
    reader = pdfsign.open_pdf(result.pdf, max_bytes=10**8, max_pages=10)
    fields = {pdfsign.sig_field_name(f): f for _, f in pdfsign.signature_fields(reader)}
    assert set(fields) == {"CourtSeal", "step-7", "step-8"}
    pages = reader.page_list  # type: ignore[attr-defined]
    assert fields["CourtSeal"]["P"] == pages[0].ref and fields["CourtSeal"]["Rect"] == [300, 400, 400, 500]
    assert fields["step-7"]["P"] == pages[1].ref and "V" not in fields["step-7"]
    assert_all_valid(result.pdf, settings, 1)


def test_rotated_cropped_and_xref_stream_pdfs(stamper, settings, tmp_path):
    import subprocess

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import RectangleObject

    src = PdfReader(io.BytesIO(pdf_bytes(3)))
    w = PdfWriter(clone_from=src)
    w.pages[0].rotate(90)
    w.pages[1].cropbox = RectangleObject([20, 20, 500, 700])
    w.pages[2].rotate(270)
    buf = io.BytesIO()
    w.write(buf)
    (tmp_path / "a.pdf").write_bytes(buf.getvalue())
    subprocess.run(["qpdf", "--object-streams=generate", str(tmp_path / "a.pdf"), str(tmp_path / "b.pdf")], check=True)
    data = (tmp_path / "b.pdf").read_bytes()
    assert b"/ObjStm" in data
    result = stamper.stamp(data, codes.new_code())
    assert_all_valid(result.pdf, settings, 1)
    assert pdftotext(result.pdf).count("电子签章防伪码") == 3
    (tmp_path / "out.pdf").write_bytes(result.pdf)


def test_damaged_xref_is_repaired_before_sealing(stamper, settings):
    data = pdf_bytes(2)
    head = data.index(b"\n") + 1
    broken = data[:head] + b"% inserted by a broken tool, every offset is now wrong\n" + data[head:]
    result = stamper.stamp(broken, codes.new_code())
    assert_all_valid(result.pdf, settings, 1)


def _encrypted() -> bytes:
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(1))))
    w.encrypt("user", "owner")
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def _zero_pages() -> bytes:
    body = [b"%PDF-1.4\n"]
    offs = []
    for obj in (b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[]/Count 0>>"):
        offs.append(sum(map(len, body)))
        body.append(b"%d 0 obj\n%s\nendobj\n" % (len(offs), obj))
    x = sum(map(len, body))
    body.append(b"xref\n0 3\n0000000000 65535 f\r\n" + b"".join(b"%010d 00000 n\r\n" % o for o in offs))
    body.append(b"trailer\n<</Size 3/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % x)
    return b"".join(body)


@pytest.mark.parametrize("make, code", [
    (lambda: b"", "empty_file"),
    (lambda: b"hello, this is not a PDF at all" * 10, "not_pdf"),
    (lambda: b"%PDF-1.7\n" + b"\x00garbage" * 100, "broken_pdf"),
    (_encrypted, "encrypted_pdf"),
    (_zero_pages, "empty_pdf"),
])
def test_bad_input_gives_a_clear_error(stamper, make, code):
    with pytest.raises(SigningError) as err:
        stamper.stamp(make(), codes.new_code())
    assert err.value.code == code
    assert err.value.localized()  # a message staff can read


def test_too_large(stamper):
    data = pdf_bytes(1)
    with pytest.raises(SigningError) as err:
        stamper.stamp(data + b"%" + b"x" * 2048 + b"\n", codes.new_code(), max_bytes=len(data) + 100)
    assert err.value.code == "too_large" and "MB" in err.value.localized()


def test_already_certified_by_someone_else(stamper, settings, tmp_path):
    from signing import service
    from signing.settings import SigningSettings

    other = SigningSettings(instance_path=str(tmp_path / "other"), public_base_url="http://other.test")
    certified = service.stamper(other, court_name="别的机构").stamp(pdf_bytes(1), codes.new_code()).pdf
    with pytest.raises(SigningError) as err:
        stamper.stamp(certified, codes.new_code())
    assert err.value.code == "already_certified"


def test_qr_matches_reference_encoder():
    from signing import qr

    enc = qr.encoder(b"https://court.example.cn/verify/", 16)
    for _ in range(10):
        code = codes.new_code().encode()
        assert enc.matrix(code) == qr.reference_matrix(b"https://court.example.cn/verify/" + code, enc.version)


def test_codes_are_readable_and_normalised():
    code = codes.new_code()
    assert len(code) == 16 and set(code) <= set(codes.ALPHABET)
    printed = codes.format_code(code)
    assert printed.count("-") == 3
    assert codes.normalize(printed.lower().replace("-", " ")) == code
    assert codes.normalize("OOOO-IIII-LLLL-0000") == "0000111111110000"
    assert codes.normalize("short") is None
    assert len({codes.new_code() for _ in range(1000)}) == 1000


def test_footer_renders_with_qr(stamper, tmp_path):
    import subprocess

    result = stamper.stamp(pdf_bytes(1), codes.new_code())
    (tmp_path / "s.pdf").write_bytes(result.pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(tmp_path / "s.pdf"), str(tmp_path / "p")], check=True)
    from PIL import Image

    img = Image.open(next(tmp_path.glob("p*.png"))).convert("RGB")
    w, h = img.size
    # the QR's dark modules sit in the bottom-left corner; the red seal at the bottom right
    corner = img.crop((0, h - 30, 30, h))
    assert corner.getextrema()[0][0] < 80
    seal_area = img.crop((w // 2, h // 2, w, h))
    raw = seal_area.tobytes()
    assert any(raw[i] > 150 and raw[i + 1] < 90 and raw[i + 2] < 90 for i in range(0, len(raw), 3))
    qpdf_check(result.pdf)
