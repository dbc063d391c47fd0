"""The real baidu-aip client against the local Baidu stand-in: pass, fail by score, every
error class, token trouble, TLS verification, a slow and a dead endpoint."""
from __future__ import annotations

import socket
import ssl
import time
from datetime import UTC, datetime, timedelta

import pytest

from identity import settings
from identity.face import base, check_now, registry
from identity.face.baidu import BaiduFaceVerifier
from tests.support.baidu_standin import BaiduStandIn
from tests.support.factories import id_number
from tests.support.identity import face_photo

PHOTO = face_photo()


def verify(**kw):
    return check_now(None, kw.pop("image", PHOTO), kw.pop("name", "张三"), kw.pop("id_number", id_number()))


def test_pass_uses_the_real_sdk_with_liveness_control(use_baidu, standin):
    provider = registry.get(settings.current())
    assert isinstance(provider, BaiduFaceVerifier)
    assert type(provider._client).__mro__[1].__module__ == "aip.face"  # the SDK's own AipFace
    result = verify()
    assert result.ok and result.code == base.PASS
    assert result.score == pytest.approx(93.46)
    assert result.log_id and result.log_id.isdigit()
    assert not result.development
    assert "通过" in result.message_zh
    assert standin.paths() == ["/oauth/2.0/token", "/rest/2.0/face/v3/person/verify"]
    call = standin.calls[-1]
    assert call["has_token"] and not call["bce_signed"]
    assert call["options"] == {"image_type": "BASE64", "liveness_control": "NORMAL", "quality_control": "NORMAL"}


def test_token_is_cached_between_checks(use_baidu, standin):
    verify()
    verify()
    assert standin.paths().count("/oauth/2.0/token") == 1


def test_below_pass_score_fails(use_baidu, standin):
    standin.next_score(79.99)
    result = verify()
    assert not result.ok and result.code == base.LOW_SCORE
    assert result.score == pytest.approx(79.99)
    assert "相似度不足" in result.message_zh


def test_pass_score_is_configurable(use_baidu, standin):
    use_baidu(face_pass_score=95)
    result = verify()
    assert result.code == base.LOW_SCORE


@pytest.mark.parametrize("code, outcome, words", [
    (222202, base.NO_FACE, "没有检测到人脸"),
    (223113, base.COVERED, "遮挡"),
    (223121, base.COVERED, "遮挡"),
    (223125, base.COVERED, "遮挡"),
    (223114, base.BLURRY, "模糊"),
    (223115, base.POOR_LIGHT, "光线"),
    (223116, base.POSE, "角度"),
    (223120, base.LIVENESS, "活体检测未通过"),
    (222351, base.MISMATCH, "姓名与身份证号码不匹配"),
    (222355, base.NO_RECORD, "人工核验"),
    (18, base.BUSY, "繁忙"),
    (17, base.BUSY, "繁忙"),
    (222361, base.BUSY, "繁忙"),
    (6, base.UNAVAILABLE, "暂时无法使用"),
    (216201, base.BAD_IMAGE, "JPG"),
])
def test_baidu_errors_become_actionable_messages(use_baidu, standin, code, outcome, words):
    standin.next_error(code)
    result = verify()
    assert not result.ok
    assert result.code == outcome
    assert result.provider_code == str(code)
    assert result.log_id  # the operator can trace it with Baidu
    assert words in result.message_zh
    assert result.message_en and result.message_en != result.message_zh


def test_unknown_error_code_is_reported_as_unavailable(use_baidu, standin):
    standin.answers.append({"error_code": 999999, "error_msg": "something new"})
    result = verify()
    assert result.code == base.UNAVAILABLE and result.provider_code == "999999"


def test_expired_token_111_is_refreshed_and_retried(use_baidu, standin):
    assert verify().ok
    standin.expire_tokens()
    assert verify().ok
    assert standin.paths().count("/oauth/2.0/token") == 2


def test_invalid_token_110_is_refreshed_by_the_sdk(use_baidu, standin):
    assert verify().ok
    standin.tokens.clear()  # Baidu no longer knows the token
    assert verify().ok
    assert standin.paths().count("/oauth/2.0/token") == 2


def test_wrong_credentials_do_not_fall_back_to_iam_signing(use_baidu, standin):
    use_baidu(baidu_secret_key="wrong-secret")
    result = verify()
    assert result.code == base.UNAVAILABLE
    assert "token refused" in result.detail and "Client authentication failed" in result.detail
    # the SDK would otherwise go on to sign requests with the secret key: nothing was sent
    assert standin.paths() == ["/oauth/2.0/token"]
    result = verify()  # and it does not stay stuck in that mode
    assert standin.paths() == ["/oauth/2.0/token", "/oauth/2.0/token"]


def test_match_compares_two_photos(use_baidu, standin):
    standin.next_score(88.0)
    result = registry.get(settings.current()).compare(PHOTO, face_photo(fmt="PNG"))
    assert result.ok and result.score == 88.0
    assert standin.paths()[-1] == "/rest/2.0/face/v3/match"


def test_match_error(use_baidu, standin):
    standin.next_error(223120)
    result = registry.get(settings.current()).compare(PHOTO, PHOTO)
    assert result.code == base.LIVENESS


def test_not_an_image_is_refused_before_calling_baidu(use_baidu, standin):
    result = verify(image=b"GIF89a not a photo")
    assert result.code == base.BAD_IMAGE
    assert standin.calls == []


def test_slow_endpoint_times_out_quickly(use_baidu, standin):
    use_baidu(face_timeout_seconds=0.4)
    verify()  # fetch the token first
    standin.delay = 3
    started = time.monotonic()
    result = verify()
    elapsed = time.monotonic() - started
    assert result.code == base.BUSY and result.provider_code == "SDK108"
    assert elapsed < 2, "the SDK's 60 s timeout must not apply"
    assert "繁忙" in result.message_zh


def test_dead_endpoint_is_unavailable(use_baidu):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    use_baidu(baidu_api_base=f"http://127.0.0.1:{port}")
    started = time.monotonic()
    result = verify()
    assert result.code == base.UNAVAILABLE and "cannot connect" in result.detail
    assert time.monotonic() - started < 3


def _self_signed(tmp_path):
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aip.baidubce.test")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
            .not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "standin.pem", tmp_path / "standin.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_tls_certificates_are_verified(app, tmp_path):
    cert, key = _self_signed(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server = BaiduStandIn(tls=ctx)
    url = server.start()
    try:
        from tests.support.baidu_standin import API_KEY, APP_ID, SECRET_KEY

        common = dict(face_provider="baidu", baidu_app_id=APP_ID, baidu_api_key=API_KEY,
                      baidu_secret_key=SECRET_KEY, baidu_api_base=url, face_timeout_seconds=2.0)
        settings.configure(**common)  # the SDK alone would accept this untrusted certificate
        result = verify()
        assert result.code == base.UNAVAILABLE and "TLS" in result.detail
        assert server.calls == []  # the handshake failed: no request was sent
        settings.configure(**common, baidu_ca_bundle=str(cert))  # trusted explicitly: it works
        assert verify().ok
    finally:
        server.stop()
