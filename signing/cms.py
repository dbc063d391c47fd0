"""CMS SignedData for PAdES (``ETSI.CAdES.detached``), built from precomputed DER.

A :class:`CmsSigner` is made once per key: the certificate set, the signer identifier, the
ESS signing-certificate-v2 attribute and the algorithm identifiers are encoded once. Each
signature then only inserts the document digest, signs the signed attributes with the raw
key through ``cryptography`` and concatenates bytes. The result is an ordinary DER
SignedData (checked in the tests with asn1crypto, pyHanko and poppler).

PAdES baseline B-B: signed attributes are content-type, message-digest and
signing-certificate-v2; there is no signing-time attribute (the time is the signature
dictionary's ``/M``). B-T adds an RFC 3161 signature timestamp as an unsigned attribute.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from signing.pki import Credentials

# OIDs, DER-encoded (tag + length + body)
OID_DATA = bytes.fromhex("06092a864886f70d010701")
OID_SIGNED_DATA = bytes.fromhex("06092a864886f70d010702")
OID_CONTENT_TYPE = bytes.fromhex("06092a864886f70d010903")
OID_MESSAGE_DIGEST = bytes.fromhex("06092a864886f70d010904")
OID_SIGNING_CERT_V2 = bytes.fromhex("060b2a864886f70d010910022f")
OID_TIMESTAMP_TOKEN = bytes.fromhex("060b2a864886f70d010910020e")
ALG_SHA256 = bytes.fromhex("300b0609608648016503040201")  # sha256, parameters absent
ALG_SHA256_RSA = bytes.fromhex("300d06092a864886f70d01010b0500")
ALG_ECDSA_SHA256 = bytes.fromhex("300a06082a8648ce3d040302")


def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _len(len(content)) + content


def seq(*parts: bytes) -> bytes:
    return tlv(0x30, b"".join(parts))


def set_of(*parts: bytes) -> bytes:
    return tlv(0x31, b"".join(sorted(parts)))


def integer(value: int) -> bytes:
    body = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True)
    return tlv(0x02, body)


def octets(data: bytes) -> bytes:
    return tlv(0x04, data)


def _der(cert: x509.Certificate) -> bytes:
    der: bytes = cert.public_bytes(serialization.Encoding.DER)
    return der


class CmsSigner:
    """Sign PDF byte-range digests with one key; everything else is precomputed."""

    def __init__(self, creds: Credentials):
        self.creds = creds
        self.key = creds.key
        cert = creds.cert
        cert_der = _der(cert)
        issuer = cert.issuer.public_bytes()
        serial = integer(cert.serial_number)
        if isinstance(self.key, rsa.RSAPrivateKey):
            self.sig_alg = ALG_SHA256_RSA
            key = self.key
            self._sign: Callable[[bytes], bytes] = lambda data: key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(self.key, ec.EllipticCurvePrivateKey):
            self.sig_alg = ALG_ECDSA_SHA256
            eckey = self.key
            self._sign = lambda data: eckey.sign(data, ec.ECDSA(hashes.SHA256()))
        else:  # pragma: no cover - pki refuses other key types
            raise TypeError("unsupported key type")
        ess = seq(seq(seq(octets(hashlib.sha256(cert_der).digest()),
                          seq(seq(tlv(0xA4, issuer)), serial))))
        self._attr_ct = seq(OID_CONTENT_TYPE, set_of(OID_DATA))
        self._attr_scv2 = seq(OID_SIGNING_CERT_V2, set_of(ess))
        # The message-digest attribute is the only one that changes; its position in the
        # DER-sorted SET OF depends only on the (fixed) bytes before the digest.
        probe = seq(OID_MESSAGE_DIGEST, set_of(octets(b"\x00" * 32)))
        order = sorted([self._attr_ct, self._attr_scv2, probe])
        self._md_index = order.index(probe)
        self._others = [a for a in order if a is not probe]
        chain = [c for c in creds.chain if c != cert]
        self.certs_der = b"".join([cert_der, *(_der(c) for c in chain)])
        self._sid = seq(issuer, serial)  # IssuerAndSerialNumber
        self._head = integer(1) + set_of(ALG_SHA256) + seq(OID_DATA) + tlv(0xA0, self.certs_der)

    def signed_attrs(self, digest: bytes) -> bytes:
        attrs = list(self._others)
        attrs.insert(self._md_index, seq(OID_MESSAGE_DIGEST, tlv(0x31, octets(digest))))
        return b"".join(attrs)

    def sign_digest(self, digest: bytes, timestamper: Callable[[bytes], bytes] | None = None) -> bytes:
        """The DER ContentInfo for a document digest (SHA-256 of the signed byte ranges)."""
        attrs = self.signed_attrs(digest)
        signature = self._sign(tlv(0x31, attrs))
        unsigned = b""
        if timestamper is not None:
            token = timestamper(hashlib.sha256(signature).digest())
            unsigned = tlv(0xA1, seq(OID_TIMESTAMP_TOKEN, tlv(0x31, token)))
        signer_info = seq(integer(1), self._sid, ALG_SHA256, tlv(0xA0, attrs), self.sig_alg,
                          octets(signature), unsigned)
        signed_data = seq(self._head, tlv(0x31, signer_info))
        return seq(OID_SIGNED_DATA, tlv(0xA0, signed_data))

