"""Timestamps (PAdES B-T): an RFC 3161 client, or the local development TSA.

``TSA_URL`` empty: no timestamp (B-B). ``TSA_URL=dev``: tokens are issued in-process by the
development TSA certificate under ``instance/pki`` (real RFC 3161 tokens, for local use).
Anything else is the URL of a real timestamp authority.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable

from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps.api import TimeStamper

from court.errors import DomainError
from signing import pki
from signing.settings import SigningSettings


class TimestampError(DomainError):
    status = 503
    code = "timestamp_failed"


def timestamper(settings: SigningSettings) -> Callable[[bytes], bytes] | None:
    """A function from a SHA-256 digest to a DER timestamp token, or None without a TSA."""
    if not settings.tsa_url:
        return None
    impl: TimeStamper
    if settings.tsa_url == "dev":
        from asn1crypto import keys as akeys
        from asn1crypto import x509 as ax509
        from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        creds = pki.dev_tsa(settings)
        impl = DummyTimeStamper(
            tsa_cert=ax509.Certificate.load(creds.cert.public_bytes(serialization.Encoding.DER)),
            tsa_key=akeys.PrivateKeyInfo.load(creds.key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
            certs_to_embed=SimpleCertificateStore.from_certs(
                [ax509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in creds.chain]),
        )
    else:
        from pyhanko.sign.timestamps.requests_client import HTTPTimeStamper

        impl = HTTPTimeStamper(settings.tsa_url, timeout=10)

    def _stamp(digest: bytes) -> bytes:
        try:
            token = asyncio.run(impl.async_timestamp(digest, "sha256"))
        except Exception as exc:  # network errors, bad responses: the job retries
            raise TimestampError("时间戳服务不可用：{reason}", reason=type(exc).__name__) from exc
        der: bytes = token.dump()
        return der

    return _stamp
