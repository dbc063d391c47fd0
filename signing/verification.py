"""Verification: is this PDF what the court sealed and the parties signed, unchanged since?

:func:`verify` validates every signature with pyHanko against the platform's trust roots
(the platform CA, the seal's root, ``TRUST_ROOTS_PATH``) and reports, per signature: who
signed and when, whether the signed bytes are intact, whether the certificate chains to a
trusted root, how much of the file it covers, and — for the court's certification
signature — whether every later change stayed within what DocMDP allows. A chain to a
trusted root is not enough: :mod:`signing.trust` pins the certification signature to the
court's own seal certificates and other signatures to the platform CA; anything else is
"not issued by this court". ``ok`` is true only when every signature passes every check and
nothing was added after the last one; each signature names the first check it failed.

The uploaded file is untrusted: it is examined in a child process with CPU and memory limits.
"""
from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.orm import Session

from court import sandbox
from court.errors import DomainError
from court.i18n import N_, translate
from court.models import DocumentVersion, SealUse
from signing import pki, trust
from signing.codes import format_code
from signing.errors import refusal
from signing.pdfobjects import PdfError, PdfLimitError
from signing.pdfreader import Reader
from signing.settings import SigningSettings, current

log = logging.getLogger(__name__)


@dataclass
class SignatureReport:
    field: str
    signer: str
    signer_subject: str
    signing_time: datetime | None
    certification: bool
    intact: bool
    valid: bool
    trusted: bool
    coverage: str  # entire_file | entire_revision | partial
    docmdp_ok: bool | None
    modification_level: str | None
    timestamped: bool
    problem: str | None = None
    fingerprint: str = ""  # SHA-256 of the signing certificate
    platform_issued: bool = False  # issued directly by the platform CA (an event certificate)
    role: str = "foreign"  # signing.trust: court_seal | platform | foreign
    failed: str | None = None  # the first check that failed (a key of CHECKS), None when all passed

    @property
    def ok(self) -> bool:
        return self.failed is None and self.intact and self.valid and self.trusted and self.docmdp_ok is not False

    @property
    def is_court_seal(self) -> bool:
        return self.role == trust.COURT_SEAL

    @property
    def failure(self) -> str | None:
        """The failed check in plain words (Chinese source text; translate for display)."""
        return CHECKS.get(self.failed) if self.failed else None


@dataclass
class StoredMatch:
    document_id: int
    title: str
    code: str | None
    version: int
    reason: str


@dataclass
class VerifyReport:
    sha256: str
    size: int
    signatures: list[SignatureReport] = field(default_factory=list)
    changed_after_last_signature: bool = False
    error: str | None = None  # Chinese source message ({name} placeholders filled from error_params)
    error_params: dict[str, Any] = field(default_factory=dict)
    stored: StoredMatch | None = None
    #: this very file is what the court sealed: the sealed document it became (whose code to check)
    original_of: StoredMatch | None = None

    def error_text(self, locale: str | None = None) -> str:
        return translate(self.error, locale).format(**self.error_params) if self.error else ""

    @property
    def ok(self) -> bool:
        return (self.error is None and bool(self.signatures) and all(s.ok for s in self.signatures)
                and not self.changed_after_last_signature)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        for sig, rep in zip(data["signatures"], self.signatures, strict=True):
            sig["ok"] = rep.ok
        return data


#: every check a signature can fail, in the order they are tried, in plain words (Chinese source,
#: English in the catalogue); the report names the first one that failed
CHECKS: dict[str, str] = {
    "unreadable": N_("签名无法读取或验证"),
    "tampered": N_("签名后内容被改动"),
    "invalid": N_("签名数据无效"),
    "seal_not_court": N_("不是本院签发：认证签名所用的证书不是本院的印章证书"),
    "not_this_court": N_("不是本院签发：签名证书既不是本院的印章证书，也不是本平台为签名人签发的证书"),
    "untrusted": N_("签名证书不受信任"),
    "docmdp": N_("盖章后出现了不允许的修改"),
}


def _der(certs: list[Any]) -> list[bytes]:
    return [c.public_bytes(serialization.Encoding.DER) for c in certs]


def verify(pdf: bytes, *, settings: SigningSettings | None = None, session: Session | None = None) -> VerifyReport:
    """Validate every signature in ``pdf``; with a ``session``, also find the stored version.

    The file is untrusted: its structure is checked by our bounded reader and pyHanko reads it,
    both in a child process with CPU and memory limits (:mod:`court.sandbox`). Which signatures
    count as the court's is decided here, by :func:`signing.trust.classify`."""
    settings = settings or current()
    report = VerifyReport(sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf))
    if session is not None:
        match_stored(session, report)
    if b"%PDF-" not in pdf[:1024]:
        report.error = N_("文件不是PDF格式")
        return report
    roots, platform = trust_roots_der(settings)
    try:
        found = sandbox.run(examine, pdf, roots, platform, what="verify upload").value
    except DomainError as exc:  # over the time or memory limit
        report.error, report.error_params = exc.message, dict(exc.params)
        return report
    if isinstance(found, tuple):
        report.error, report.error_params = found
        return report
    accepted = accepted_fingerprints(settings, session)
    for raw in found:
        sig = SignatureReport(**raw)
        role = trust.classify(sig.fingerprint, certification=sig.certification,
                              platform_issued=sig.platform_issued,
                              court_fingerprints=accepted)
        sig.role = role.kind
        sig.failed = _first_failure(sig, role.failed)
        report.signatures.append(sig)
    if report.signatures:
        report.changed_after_last_signature = report.signatures[-1].coverage != "entire_file"
    return report


def accepted_fingerprints(settings: SigningSettings, session: Session | None = None) -> frozenset[str]:
    """The seal certificates accepted as this court's: the configured ones and, with a session,
    the court's other seals (subordinate court, department)."""
    accepted = trust.court_fingerprints(settings)
    if session is not None:
        from signing import seals

        accepted = accepted | seals.held_fingerprints(session, settings)
    return frozenset(accepted)


def trust_roots_der(settings: SigningSettings) -> tuple[list[bytes], list[bytes]]:
    """(trust roots, platform CA) as DER: what a signature is validated against."""
    return _der(pki.trust_roots(settings)), _der([pki.platform_ca(settings).cert])


def match_stored(session: Session, report: VerifyReport) -> None:
    """Find the stored version with the file's fingerprint, and whether it is what the court sealed
    (a seal-register use of that document whose source is this file): someone holding the court's
    original before sealing holds a true copy of the content, just not the sealed one."""
    versions = list(session.scalars(select(DocumentVersion).where(DocumentVersion.sha256 == report.sha256)
                                    .order_by(DocumentVersion.id).limit(20)))
    if not versions:
        return
    doc = versions[0].document
    report.stored = StoredMatch(doc.id, doc.title, format_code(doc.verify_code) if doc.verify_code else None,
                                versions[0].number, versions[0].reason)
    use = session.scalar(select(SealUse).where(SealUse.document_id.in_({v.document_id for v in versions}),
                                               SealUse.source_sha256 == report.sha256, SealUse.channel != "note",
                                               SealUse.version_id.is_not(None)).order_by(SealUse.id).limit(1))
    if use is None:
        return
    sealed = session.get(DocumentVersion, use.version_id)
    if sealed is not None:
        report.original_of = StoredMatch(sealed.document_id, sealed.document.title, format_code(use.code),
                                         sealed.number, sealed.reason)


def verify_stored(session: Session, version: DocumentVersion, *,
                  settings: SigningSettings | None = None) -> VerifyReport:
    """The report for a stored version, exactly as if its file were uploaded: what the public page
    shows for a code is what the file itself carries, not what the flow records say. The file is
    read every time; its signatures' report is reused while the file's bytes and the trust
    configuration are the same (:mod:`signing.verify_cache`)."""
    from court.services import documents
    from signing import verify_cache

    return verify_cache.verify_cached(documents.read_version(version), settings=settings, session=session)


def _first_failure(sig: SignatureReport, pin: str | None) -> str | None:
    if sig.problem:
        return "unreadable"
    if not sig.intact:
        return "tampered"
    if not sig.valid:
        return "invalid"
    if pin:
        return pin
    if not sig.trusted:
        return "untrusted"
    if sig.docmdp_ok is False:
        return "docmdp"
    return None


def examine(pdf: bytes, roots_der: list[bytes], platform_der: list[bytes]) -> list[dict[str, Any]] | tuple[str, dict[str, Any]]:
    """Every signature of an untrusted file as plain values, or (error message, parameters).

    Runs in the sandbox. Our bounded reader looks first: a file claiming more than it holds is
    refused before pyHanko (whose reader would loop over every claimed entry) sees it."""
    from asn1crypto import x509 as ax509
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        Reader(pdf)
    except PdfLimitError as exc:
        err = refusal(exc)
        return err.message, {}
    except (PdfError, RecursionError, ValueError, KeyError, TypeError, IndexError):
        pass  # not hostile, just unusual: pyHanko may still read it
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        sigs = list(reader.embedded_signatures)
    except Exception as exc:  # a damaged file is a verification result, not a crash
        log.info("verify: unreadable PDF: %s", type(exc).__name__)
        return N_("PDF文件已损坏，无法读取"), {}
    if not sigs:
        return N_("文件中没有数字签名"), {}
    roots = [ax509.Certificate.load(d) for d in roots_der]
    platform = [x509.load_der_x509_certificate(d) for d in platform_der]
    return [_one(sig, roots, platform) for sig in sigs]


def _one(sig: Any, roots: list[Any], platform: list[x509.Certificate]) -> dict[str, Any]:
    """One signature, validated with pyHanko against ``roots``."""
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    name = sig.field_name or ""
    base: dict[str, Any] = dict(field=name, signer="", signer_subject="", signing_time=None,
                                certification=_certifies(sig), intact=False, valid=False, trusted=False,
                                coverage="partial", docmdp_ok=None, modification_level=None, timestamped=False)
    try:
        cert = sig.signer_cert
        base.update(fingerprint=hashlib.sha256(cert.dump()).hexdigest(), signer=_cn(cert),
                    signer_subject=cert.subject.human_friendly, platform_issued=_issued_by(cert.dump(), platform))
        st = validate_pdf_signature(sig, ValidationContext(trust_roots=roots, allow_fetching=False),
                                    ts_validation_context=ValidationContext(trust_roots=roots, allow_fetching=False))
        cov = st.coverage.name.lower() if st.coverage is not None else "partial"
        base.update(
            signing_time=st.signer_reported_dt, intact=bool(st.intact), valid=bool(st.valid), trusted=bool(st.trusted),
            coverage=cov if cov in ("entire_file", "entire_revision") else "partial", docmdp_ok=st.docmdp_ok,
            modification_level=st.modification_level.name.lower() if st.modification_level is not None else None,
            timestamped=st.timestamp_validity is not None,
        )
    except Exception as exc:  # one bad signature is a finding about that signature
        log.info("verify: signature %s not verifiable: %s", name, type(exc).__name__)
        base["problem"] = f"签名无法验证：{type(exc).__name__}: {str(exc)[:200]}"
    return base


def _certifies(sig: Any) -> bool:
    try:
        return sig.docmdp_level is not None
    except Exception:
        return False


def _issued_by(cert_der: bytes, cas: list[x509.Certificate]) -> bool:
    """True when a platform CA signed this certificate itself (event certificates are issued directly)."""
    cert = x509.load_der_x509_certificate(cert_der)
    for ca in cas:
        if cert.issuer != ca.subject or cert == ca:
            continue
        try:
            cert.verify_directly_issued_by(ca)
            return True
        except (ValueError, TypeError, InvalidSignature):
            continue
    return False


def _cn(cert: Any) -> str:
    if cert is None:
        return ""
    try:
        return str(cert.subject.native.get("common_name", "")) or cert.subject.human_friendly
    except Exception:
        return ""


def render(report: VerifyReport) -> str:
    """A human-readable report for the CLI (Chinese first, English after each heading)."""
    lines = [f"文件指纹 / SHA-256: {report.sha256}", f"大小 / size: {report.size} bytes"]
    if report.stored is not None:
        st = report.stored
        lines.append(f"平台存档 / stored: 文书 #{st.document_id} 《{st.title}》 第{st.version}版"
                     + (f" 防伪码 {st.code}" if st.code else ""))
    if report.original_of is not None:
        lines.append(f"盖章前的原件 / original before sealing: 盖章后防伪码 / sealed code {report.original_of.code}")
    if report.error:
        lines.append(f"错误 / error: {report.error_text('zh_Hans_CN')} / {report.error_text('en')}")
    for i, sig in enumerate(report.signatures, 1):
        lines.append(f"签名 #{i} [{sig.field}] {_kind(sig)}")
        lines.append(f"  签署人 / signer: {sig.signer}  ({sig.signer_subject})")
        if sig.signing_time:
            lines.append(f"  时间 / time: {sig.signing_time.isoformat()}" + ("（含时间戳 / timestamped）" if sig.timestamped else ""))
        lines.append(f"  完整 / intact: {_yn(sig.intact)}  有效 / valid: {_yn(sig.valid)}  可信 / trusted: {_yn(sig.trusted)}")
        lines.append(f"  覆盖范围 / coverage: {sig.coverage}")
        if sig.docmdp_ok is not None or sig.modification_level:
            lines.append(f"  后续修改 / later changes: {sig.modification_level}  DocMDP: {_yn(sig.docmdp_ok)}")
        if sig.failure:
            lines.append(f"  未通过 / failed: {sig.failure} / {translate(sig.failure, 'en')}")
        if sig.problem:
            lines.append(f"  问题 / problem: {sig.problem}")
    if report.changed_after_last_signature:
        lines.append("警告 / warning: 最后一个签名之后文件又被修改 / the file was changed after the last signature")
    lines.append("结论 / result: " + ("验证通过 / VALID" if report.ok else "验证未通过 / NOT VALID"))
    return "\n".join(lines)


def _kind(sig: SignatureReport) -> str:
    if sig.role == trust.FOREIGN:
        return "不是本院签发 / not issued by this court" + ("（认证签名 / certification）" if sig.certification else "")
    if sig.is_court_seal:
        return "法院印章 / court seal" + ("（认证签名 / certification）" if sig.certification else "")
    return "签名人签名 / signer's signature"


def _yn(value: bool | None) -> str:
    return "是/yes" if value else ("否/no" if value is not None else "-")
