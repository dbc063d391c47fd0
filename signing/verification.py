"""Verification: is this PDF what the court sealed and the parties signed, unchanged since?

:func:`verify` validates every signature with pyHanko against the platform's trust roots
(the platform CA, the seal's root, ``TRUST_ROOTS_PATH``) and reports, per signature: who
signed and when, whether the signed bytes are intact, whether the certificate chains to a
trusted root, how much of the file it covers, and — for the court's certification
signature — whether every later change stayed within what DocMDP allows. ``ok`` is true only
when every signature is valid and trusted and nothing was added after the last one.
"""
from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.orm import Session

from court.models import DocumentVersion
from signing import pki
from signing.codes import format_code
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

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.docmdp_ok is not False and self.problem is None


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
    error: str | None = None
    stored: StoredMatch | None = None

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


def _roots(settings: SigningSettings) -> list[Any]:
    from asn1crypto import x509 as ax509

    return [ax509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in pki.trust_roots(settings)]


def verify(pdf: bytes, *, settings: SigningSettings | None = None, session: Session | None = None) -> VerifyReport:
    """Validate every signature in ``pdf``; with a ``session``, also find the stored version."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.general import SigningError as PyhankoSigningError
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    settings = settings or current()
    report = VerifyReport(sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf))
    if session is not None:
        version = session.scalar(select(DocumentVersion).where(DocumentVersion.sha256 == report.sha256))
        if version is not None:
            doc = version.document
            report.stored = StoredMatch(doc.id, doc.title, format_code(doc.verify_code) if doc.verify_code else None,
                                        version.number, version.reason)
    if b"%PDF-" not in pdf[:1024]:
        report.error = "文件不是PDF格式"
        return report
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        sigs = list(reader.embedded_signatures)
    except Exception as exc:  # a damaged file is a verification result, not a crash
        report.error = f"PDF文件已损坏，无法读取（{type(exc).__name__}）"
        return report
    if not sigs:
        report.error = "文件中没有数字签名"
        return report
    roots = _roots(settings)
    for sig in sigs:
        name = sig.field_name or ""
        try:
            vc = ValidationContext(trust_roots=roots, allow_fetching=False)
            st = validate_pdf_signature(sig, vc, ts_validation_context=ValidationContext(trust_roots=roots,
                                                                                         allow_fetching=False))
            cert = st.signing_cert
            cov = st.coverage.name.lower() if st.coverage is not None else "partial"
            if cov not in ("entire_file", "entire_revision"):
                cov = "partial"
            report.signatures.append(SignatureReport(
                field=name,
                signer=_cn(cert),
                signer_subject=cert.subject.human_friendly if cert is not None else "",
                signing_time=st.signer_reported_dt,
                certification=sig.docmdp_level is not None,
                intact=bool(st.intact),
                valid=bool(st.valid),
                trusted=bool(st.trusted),
                coverage=cov,
                docmdp_ok=st.docmdp_ok,
                modification_level=st.modification_level.name.lower() if st.modification_level is not None else None,
                timestamped=st.timestamp_validity is not None,
            ))
        except (PyhankoSigningError, ValueError, KeyError, TypeError, OSError) as exc:
            report.signatures.append(SignatureReport(
                field=name, signer="", signer_subject="", signing_time=None, certification=False, intact=False,
                valid=False, trusted=False, coverage="partial", docmdp_ok=None, modification_level=None,
                timestamped=False, problem=f"签名无法验证：{type(exc).__name__}: {str(exc)[:200]}",
            ))
        except Exception as exc:
            log.exception("unexpected error validating signature %s", name)
            report.signatures.append(SignatureReport(
                field=name, signer="", signer_subject="", signing_time=None, certification=False, intact=False,
                valid=False, trusted=False, coverage="partial", docmdp_ok=None, modification_level=None,
                timestamped=False, problem=f"签名无法验证：{type(exc).__name__}",
            ))
    last = report.signatures[-1]
    report.changed_after_last_signature = last.coverage != "entire_file"
    return report


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
    if report.error:
        lines.append(f"错误 / error: {report.error}")
    for i, sig in enumerate(report.signatures, 1):
        kind = "认证签名（法院印章）/ certification" if sig.certification else "批准签名 / approval"
        lines.append(f"签名 #{i} [{sig.field}] {kind}")
        lines.append(f"  签署人 / signer: {sig.signer}  ({sig.signer_subject})")
        if sig.signing_time:
            lines.append(f"  时间 / time: {sig.signing_time.isoformat()}" + ("（含时间戳 / timestamped）" if sig.timestamped else ""))
        lines.append(f"  完整 / intact: {_yn(sig.intact)}  有效 / valid: {_yn(sig.valid)}  可信 / trusted: {_yn(sig.trusted)}")
        lines.append(f"  覆盖范围 / coverage: {sig.coverage}")
        if sig.docmdp_ok is not None or sig.modification_level:
            lines.append(f"  后续修改 / later changes: {sig.modification_level}  DocMDP: {_yn(sig.docmdp_ok)}")
        if sig.problem:
            lines.append(f"  问题 / problem: {sig.problem}")
    if report.changed_after_last_signature:
        lines.append("警告 / warning: 最后一个签名之后文件又被修改 / the file was changed after the last signature")
    lines.append("结论 / result: " + ("验证通过 / VALID" if report.ok else "验证未通过 / NOT VALID"))
    return "\n".join(lines)


def _yn(value: bool | None) -> str:
    return "是/yes" if value else ("否/no" if value is not None else "-")
