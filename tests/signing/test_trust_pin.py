"""Finding 4: the verify page and `flask court verify` trust only the court's own seal.

The attacker holds a certificate that chains to the seal's root CA (in development the platform
CA; in production the licensed CA that issued the seal, which certifies many organisations)
and certifies a PDF with it. Today that is reported as "法院印章 … 有效"."""
from __future__ import annotations

import io

import pytest

from signing import codes, pki, service
from signing.certify import SealStamper
from signing.cms import CmsSigner
from tests.support.factories import pdf_bytes
from tests.web_sign.conftest import csrf


@pytest.fixture
def forged(settings) -> bytes:
    """A PDF certified (DocMDP) by another organisation's certificate issued by the same root."""
    ca = pki.platform_ca(settings)
    creds = pki.issue_event_certificate(ca, "某科技有限公司", None, org="某科技有限公司")
    real = service.stamper(settings, court_name="北京互联网法院")
    fake = SealStamper(signer=CmsSigner(creds), seal=real.seal, verify_base=real.verify_base,
                       font_path=real.font_path, signer_name="北京互联网法院")
    return fake.stamp(pdf_bytes(2), codes.new_code()).pdf


def test_verify_page_says_not_issued_by_this_court(app, forged):
    client = app.test_client()
    token = csrf(client)
    page = client.post("/verify", data={"csrf_token": token, "pdf": (io.BytesIO(forged), "a.pdf")})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "验证未通过" in text and "不是本院签发" in text
    assert "法院印章" not in text  # never shown as the seal, valid or not
    english = client.post("/verify?lang=en", data={"csrf_token": token, "pdf": (io.BytesIO(forged), "a.pdf")})
    assert "not issued by this court" in english.get_data(as_text=True)


def test_cli_names_the_failed_check(app, tmp_path, forged):
    path = tmp_path / "forged.pdf"
    path.write_bytes(forged)
    r = app.test_cli_runner().invoke(args=["court", "verify", str(path)])
    assert r.exit_code == 1
    assert "不是本院签发 / not issued by this court" in r.output
    assert "认证签名所用的证书不是本院的印章证书" in r.output and "NOT VALID" in r.output
    assert "法院印章 / court seal" not in r.output


def test_party_signature_from_another_ca_is_not_this_courts(settings, stamper):
    """An approval signature must come from the platform CA (one-use event certificates)."""
    import signing
    from signing.approval import approve
    from signing.pagegeometry import FieldSpec

    other_root = pki.make_ca("别的CA", "ec")
    outsider = pki.issue_event_certificate(other_root, "张三", "1101**********1234")
    sealed = stamper.stamp(pdf_bytes(1), codes.new_code(), fields=[FieldSpec("x")]).pdf
    signed = approve(sealed, CmsSigner(outsider), field_name="x", image=None, signer_name="张三").pdf
    report = signing.verify(signed, settings=settings)
    seal, party = report.signatures
    assert seal.is_court_seal and seal.ok
    assert party.role == "foreign" and party.failed == "not_this_court" and not report.ok


def test_rotation_accepts_listed_fingerprints_only(settings, stamper):

    import signing

    sealed = stamper.stamp(pdf_bytes(1), codes.new_code()).pdf
    current = pki.fingerprint(pki.seal_credentials(settings).cert)
    assert signing.verify(sealed, settings=settings).ok  # default: the configured seal
    rotated = settings.changed(seal_fingerprints=f"{'ab' * 32}, {current.upper()}")
    assert signing.verify(sealed, settings=rotated).ok  # the old and the new, during a rotation
    retired = settings.changed(seal_fingerprints="ab" * 32)
    report = signing.verify(sealed, settings=retired)
    assert not report.ok and report.signatures[0].failed == "seal_not_court"


def test_classify_is_the_whole_rule():
    from signing.trust import classify

    fps = frozenset({"aa"})
    assert classify("AA", certification=True, platform_issued=False, court_fingerprints=fps).kind == "court_seal"
    assert classify("bb", certification=True, platform_issued=True, court_fingerprints=fps).failed == "seal_not_court"
    assert classify("bb", certification=False, platform_issued=True, court_fingerprints=fps).kind == "platform"
    assert classify("bb", certification=False, platform_issued=False, court_fingerprints=fps).failed == "not_this_court"
