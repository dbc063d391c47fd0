"""Keys and certificates: the court seal, the platform CA, event certificates, trust roots.

Production loads the court seal from a PKCS#12 file issued by a licensed CA
(``SEAL_P12_PATH``). On a development machine :func:`ensure_dev_pki` creates, once, under
``INSTANCE_PATH/pki``: a platform root CA, a seal certificate issued by it (RSA-2048 or EC
P-256), and a timestamping certificate for the local development TSA.

Party signatures use *event certificates*: a fresh EC key per signing act, certified by the
platform CA for the verified person (real name, masked ID number), used for one signature and
then dropped. Because the key no longer exists after that act, the certificate's validity
period grants no power to sign later; it is long so the signature still validates years on
without revocation infrastructure.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPublicKeyTypes, CertificatePublicKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from court.errors import DomainError
from signing.settings import SigningSettings

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

CA_FILE = "platform-ca.p12"
SEAL_FILE = "seal.p12"
TSA_FILE = "tsa.p12"
ROOTS_FILE = "roots.pem"


class SealKeyError(DomainError):
    """A key or certificate problem an operator must fix (wrong password, missing file)."""

    status = 500
    code = "seal_key_error"


@dataclass
class Credentials:
    """A private key with its certificate and the chain up to (and including) the root."""

    key: PrivateKey
    cert: x509.Certificate
    chain: list[x509.Certificate] = field(default_factory=list)

    @property
    def key_type(self) -> str:
        return "ec" if isinstance(self.key, ec.EllipticCurvePrivateKey) else "rsa"


def _now() -> datetime:
    return datetime.now(UTC)


def new_key(key_type: str) -> PrivateKey:
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise SealKeyError("不支持的密钥类型 {kind}（可选 rsa 或 ec）", kind=key_type)


def _name(cn: str, org: str | None = None, serial: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN")]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    if serial:
        # a masked ID number contains "*", which PrintableString cannot carry
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial, _type=_ASN1Type.UTF8String))
    return x509.Name(attrs)


def _builder(subject: x509.Name, issuer: x509.Name, public_key: CertificatePublicKeyTypes,
             days: int) -> x509.CertificateBuilder:
    now = _now()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=10))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def make_ca(cn: str, key_type: str = "rsa", days: int = 3650 * 2) -> Credentials:
    key = new_key(key_type)
    name = _name(cn, "Court e-signing platform")
    cert = (
        _builder(name, name, key.public_key(), days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
        ), critical=True)
        .sign(key, hashes.SHA256())
    )
    return Credentials(key, cert, [cert])


def issue(
    ca: Credentials, subject: x509.Name, public_key: CertificatePublicKeyTypes, *, days: int,
    timestamping: bool = False,
) -> x509.Certificate:
    """Issue an end-entity certificate for signing (or, with ``timestamping``, for a TSA)."""
    builder = (
        _builder(subject, ca.cert.subject, public_key, days)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            cast(CertificateIssuerPublicKeyTypes, ca.cert.public_key())), critical=False)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=not timestamping, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False,
        ), critical=True)
    )
    if timestamping:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return builder.sign(ca.key, hashes.SHA256())


def save_p12(path: Path, creds: Credentials, password: str = "") -> None:
    enc = (serialization.BestAvailableEncryption(password.encode()) if password
           else serialization.NoEncryption())
    extra = [c for c in creds.chain if c != creds.cert]
    data = pkcs12.serialize_key_and_certificates(b"court", creds.key, creds.cert, extra or None, enc)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def load_p12(path: str | Path, password: str = "") -> Credentials:
    """Load a PKCS#12 file; the chain is ordered signer → root as far as the file allows."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SealKeyError("无法读取印章证书文件 {path}", path=str(path)) from exc
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password.encode() if password else None)
    except ValueError as exc:
        raise SealKeyError("印章证书文件无法打开（密码错误或文件损坏）：{path}", path=str(path)) from exc
    if key is None or cert is None:
        raise SealKeyError("印章证书文件中缺少私钥或证书：{path}", path=str(path))
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SealKeyError("印章私钥类型不受支持（仅支持 RSA 与 EC）")
    return Credentials(key, cert, _order_chain(cert, list(extra or [])))


def _order_chain(leaf: x509.Certificate, pool: list[x509.Certificate]) -> list[x509.Certificate]:
    chain, current = [], leaf
    while True:
        if current.issuer == current.subject:
            break
        parent = next((c for c in pool if c.subject == current.issuer and c not in chain), None)
        if parent is None:
            break
        chain.append(parent)
        current = parent
    chain += [c for c in pool if c not in chain]
    return chain


_lock = threading.Lock()


def ensure_dev_pki(settings: SigningSettings) -> bool:
    """Create the development CA, seal and TSA certificates if missing. Returns True if created.

    Refuses in production, where the seal must come from ``SEAL_P12_PATH``.
    """
    folder = settings.pki_dir
    if (folder / SEAL_FILE).exists() and (folder / CA_FILE).exists() and (folder / TSA_FILE).exists():
        return False
    if settings.production and not settings.seal_p12_path:
        raise SealKeyError("生产环境必须配置 SEAL_P12_PATH（法院印章证书）")
    folder.mkdir(parents=True, exist_ok=True)
    with _lock, open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (folder / SEAL_FILE).exists() and (folder / CA_FILE).exists() and (folder / TSA_FILE).exists():
            return False
        kind = settings.seal_key_type if settings.seal_key_type in ("rsa", "ec") else "rsa"
        ca = make_ca("法院电子签章平台根证书（开发）", kind)
        seal_key = new_key(kind)
        seal_cert = issue(ca, _name("法院电子印章（开发）", "法院电子签章平台（开发）"), seal_key.public_key(), days=3650)
        tsa_key = new_key("rsa")  # pyHanko's in-process TSA signs with RSA only
        tsa_cert = issue(ca, _name("开发时间戳服务", "法院电子签章平台（开发）"), tsa_key.public_key(),
                         days=3650, timestamping=True)
        save_p12(folder / CA_FILE, ca)
        save_p12(folder / TSA_FILE, Credentials(tsa_key, tsa_cert, [ca.cert]))
        (folder / ROOTS_FILE).write_bytes(ca.cert.public_bytes(serialization.Encoding.PEM))
        save_p12(folder / SEAL_FILE, Credentials(seal_key, seal_cert, [ca.cert]))
    return True


_cache: dict[tuple[str, float], Credentials] = {}


def _cached_p12(path: Path, password: str) -> Credentials:
    key = (str(path), path.stat().st_mtime if path.exists() else 0.0)
    creds = _cache.get(key)
    if creds is None:
        creds = load_p12(path, password)
        _cache[key] = creds
    return creds


def seal_credentials(settings: SigningSettings) -> Credentials:
    """The court seal's key and chain, loaded once per process (and again if the file changes)."""
    if settings.seal_p12_path:
        return _cached_p12(Path(settings.seal_p12_path), settings.seal_p12_password)
    ensure_dev_pki(settings)
    return _cached_p12(settings.pki_dir / SEAL_FILE, "")


def platform_ca(settings: SigningSettings) -> Credentials:
    if settings.platform_ca_p12_path:
        return _cached_p12(Path(settings.platform_ca_p12_path), settings.platform_ca_p12_password)
    if settings.production:
        raise SealKeyError("生产环境必须配置 PLATFORM_CA_P12_PATH（签发事件证书的平台 CA）")
    ensure_dev_pki(settings)
    return _cached_p12(settings.pki_dir / CA_FILE, "")


def dev_tsa(settings: SigningSettings) -> Credentials:
    ensure_dev_pki(settings)
    return _cached_p12(settings.pki_dir / TSA_FILE, "")


def trust_roots(settings: SigningSettings) -> list[x509.Certificate]:
    """The roots verification trusts: the platform CA, the seal chain's root, TRUST_ROOTS_PATH."""
    roots: list[x509.Certificate] = []
    for creds in (platform_ca(settings), seal_credentials(settings)):
        for cert in [creds.cert, *creds.chain]:
            if cert.issuer == cert.subject and cert not in roots:
                roots.append(cert)
    if settings.tsa_url == "dev":
        tsa = dev_tsa(settings)
        roots += [c for c in tsa.chain if c.issuer == c.subject and c not in roots]
    if settings.trust_roots_path:
        try:
            extra = x509.load_pem_x509_certificates(Path(settings.trust_roots_path).read_bytes())
        except (OSError, ValueError) as exc:
            raise SealKeyError("无法读取信任根证书文件 {path}", path=settings.trust_roots_path) from exc
        roots += [c for c in extra if c not in roots]
    return roots


def issue_event_certificate(
    ca: Credentials, real_name: str, masked_id: str | None, *, org: str | None = None,
) -> Credentials:
    """A fresh one-use key and certificate for one signing act by one verified person.

    The subject carries the real name and the *masked* ID number only; the caller signs once
    with the key and lets it go out of scope.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(real_name[:64], org, masked_id)
    cert = issue(ca, subject, key.public_key(), days=3650 * 3)
    return Credentials(key, cert, [ca.cert, *[c for c in ca.chain if c != ca.cert]])


def fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
