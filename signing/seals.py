"""The court's seals (certificate + image each) and the seal register.

A court holds one or more seals: its own (the default, used unless a flow or command names
another), a subordinate court's, a department's. Each has its own certificate and image:
- the default seal uses the configured court seal (``SEAL_P12_PATH``, or the development seal);
- another seal uses its own PKCS#12 (``Seal.p12_path``, password in the environment variable
  named by ``Seal.p12_password_env``); on a development machine one is issued under the
  development CA the first time it is used.

Every use of a seal — a flow's SEAL step, ``flask court stamp``, ``stamp-batch``, the note the
court seals into a transcript when someone refuses to sign — is one :class:`SealUse` row plus
one audit row (who, which document and version hash, which approval, which certificate), and
its anti-counterfeit code is then found by the public verify page (:func:`find_code`).

:func:`court_fingerprints` is the one place that says which certificates are the court's own
seals; verification pins trust to exactly that set.
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session

from court import audit, db, storage
from court.errors import DomainError
from court.models import SEAL_KINDS, Court, Seal, SealUse
from signing import pki, sealimage
from signing.settings import SigningSettings, current

_lock = threading.Lock()
_seal_pngs: dict[str, bytes] = {}


# ----------------------------------------------------------------------------- the seals

def court_seals(s: Session, court: Court) -> list[Seal]:
    """The court's active seals, the default (court) seal first; creates the default on first use."""
    seals = list(s.scalars(select(Seal).where(Seal.court_id == court.id, Seal.active.is_(True))
                           .order_by(Seal.is_default.desc(), Seal.id)))
    if not any(seal.is_default for seal in seals):
        seals.insert(0, default_seal(s, court))
    return seals


def default_seal(s: Session, court: Court) -> Seal:
    seal = s.scalar(select(Seal).where(Seal.court_id == court.id, Seal.is_default.is_(True)))
    if seal is None:
        seal = Seal(court_id=court.id, name=court.name, kind="court", is_default=True, active=True)
        s.add(seal)
        s.flush()
    return seal


def resolve(s: Session, court: Court, seal_id: int | None) -> Seal:
    """The seal to use: the one named (it must be this court's and active), else the court seal."""
    if seal_id is None:
        return default_seal(s, court)
    seal = s.get(Seal, seal_id)
    if seal is None or seal.court_id != court.id or not seal.active:
        raise DomainError("所选印章不存在或已停用", code="seal_not_found")
    return seal


def add_seal(s: Session, court: Court, name: str, kind: str, *, actor: str, p12_path: str | None = None,
             p12_password_env: str | None = None) -> Seal:
    """Register another seal of the court (subordinate court, department)."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise DomainError("印章名称不能为空且不超过200字", code="bad_seal_name")
    if kind not in SEAL_KINDS:
        raise DomainError("印章类型不正确", code="bad_seal_kind")
    seal = Seal(court_id=court.id, name=name, kind=kind, is_default=False, active=True,
                p12_path=p12_path or None, p12_password_env=p12_password_env or None)
    s.add(seal)
    s.flush()
    if p12_path:
        credentials(seal)  # a wrong path or password is an error now, not at the first use
    audit.record(s, "seal.added", actor=actor, subject=f"seal:{seal.id}",
                 details={"name": name, "kind": kind, "cert": fingerprint(seal) if p12_path else None})
    return seal


def credentials(seal: Seal | None, settings: SigningSettings | None = None) -> pki.Credentials:
    """The seal's key and chain."""
    settings = settings or current()
    if seal is None or (seal.is_default and not seal.p12_path):
        return pki.seal_credentials(settings)
    if seal.p12_path:
        return _load(Path(seal.p12_path), os.environ.get(seal.p12_password_env or "", ""))
    path = _dev_path(seal, settings)
    if not path.exists():
        if settings.production:
            raise pki.SealKeyError("生产环境中印章“{name}”须配置证书文件", name=seal.name)
        ca = pki.platform_ca(settings)
        key = pki.new_key(settings.seal_key_type if settings.seal_key_type in ("rsa", "ec") else "rsa")
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{seal.name}电子印章（开发）"[:64]),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, seal.court.name[:64])])
        cert = pki.issue(ca, subject, key.public_key(), days=3650)
        with _lock:
            if not path.exists():
                pki.save_p12(path, pki.Credentials(key, cert, [ca.cert]))
    return _load(path, "")


_creds: dict[tuple[str, float], pki.Credentials] = {}


def _load(path: Path, password: str) -> pki.Credentials:
    key = (str(path), path.stat().st_mtime if path.exists() else 0.0)
    with _lock:
        hit = _creds.get(key)
    if hit is None:
        hit = pki.load_p12(path, password)
        with _lock:
            _creds[key] = hit
    return hit


def _dev_path(seal: Seal, settings: SigningSettings) -> Path:
    return settings.pki_dir / f"seal-{seal.court_id}-{seal.id}.p12"


def fingerprint(seal: Seal | None, settings: SigningSettings | None = None) -> str:
    return pki.fingerprint(credentials(seal, settings).cert)


def image(seal: Seal | None, court: Court | None, settings: SigningSettings | None = None,
          name: str | None = None) -> bytes:
    """The seal's image: its own upload, the court's upload for the court seal, else one generated
    from its name."""
    settings = settings or current()
    if seal is not None and seal.image_key:
        return storage.store().get(seal.image_key)
    if (seal is None or seal.is_default) and court is not None and court.seal_image_key:
        return storage.store().get(court.seal_image_key)
    text = (seal.name if seal is not None else (court.name if court is not None else name)) or "人民法院"
    with _lock:
        png = _seal_pngs.get(text)
    if png is None:
        png = sealimage.generate(text, font_path=settings.cjk_font_path)
        with _lock:
            _seal_pngs[text] = png
    return png


def set_image(s: Session, seal: Seal, data: bytes, *, actor: str) -> None:
    """Replace a seal's generated image (checked before anything is stored)."""
    sealimage.to_pdf_image(data, max_side=800, max_bytes=5 * 1024 * 1024)
    seal.image_key = storage.store().put(data)
    s.flush()
    audit.record(s, "seal.image_set", actor=actor, subject=f"seal:{seal.id}",
                 details={"sha256": hashlib.sha256(data).hexdigest()})


def court_fingerprints(session: Session | None = None, settings: SigningSettings | None = None) -> set[str]:
    """SHA-256 fingerprints (hex, DER) of every certificate that is one of the court's own seals.

    The configured court seal, every seal certificate the courts hold now, and every certificate
    the seal register shows was used (so documents sealed before a certificate was rotated still
    verify as the court's). Verification treats a certification by anything else as not the
    court's seal."""
    s = session if session is not None else db.session()
    return held_fingerprints(s, settings) | set(s.scalars(select(SealUse.cert_fingerprint).distinct()))


def held_fingerprints(session: Session | None = None, settings: SigningSettings | None = None) -> set[str]:
    """The configured court seal and the certificates of the seals the courts hold now (read from
    their key files, not from the register, which anyone with database access could extend).
    Verification accepts these as the court's seals (with ``SEAL_FINGERPRINTS`` for rotated ones)."""
    settings = settings or current()
    found = {pki.fingerprint(pki.seal_credentials(settings).cert)}
    s = session if session is not None else db.session()
    for seal in s.scalars(select(Seal).where(Seal.active.is_(True))):
        if seal.p12_path or _dev_path(seal, settings).exists():
            found.add(fingerprint(seal, settings))
    return found


# ----------------------------------------------------------------------------- the register

@dataclass
class Use:
    """One use of a seal, before it is written (the batch command collects these)."""

    channel: str  # flow | cli | batch | note | credential
    actor: str
    code: str
    source_sha256: str
    pdf: bytes
    pages: int
    cert_fingerprint: str
    seal: Seal | None = None
    court_id: int | None = None
    seal_name: str = ""
    filename: str | None = None
    case_id: int | None = None
    document_id: int | None = None
    version_id: int | None = None
    step_id: int | None = None
    approval_step_id: int | None = None


def record(s: Session, uses: Iterable[Use], *, one_audit_row: bool = False) -> list[SealUse]:
    """Write register rows and their audit rows in the caller's transaction.

    ``one_audit_row``: the batch command's chunk of uses by one operator with one seal goes into
    the audit chain as one row naming every use (id, code, hashes, file), so the register write
    stays off the sealing fast path; each use still has its own register row."""
    rows: list[SealUse] = []
    for use in uses:
        row = SealUse(
            court_id=use.court_id if use.court_id is not None else (use.seal.court_id if use.seal else None),
            seal_id=use.seal.id if use.seal else None, seal_name=(use.seal.name if use.seal else use.seal_name)[:200],
            channel=use.channel, actor=use.actor[:64], code=use.code, case_id=use.case_id,
            document_id=use.document_id, version_id=use.version_id, step_id=use.step_id,
            approval_step_id=use.approval_step_id, source_sha256=use.source_sha256,
            sha256=hashlib.sha256(use.pdf).hexdigest(), size=len(use.pdf), pages=use.pages,
            filename=(use.filename or None) and use.filename[:200], cert_fingerprint=use.cert_fingerprint,
        )
        s.add(row)
        rows.append(row)
    s.flush()
    if one_audit_row and rows:
        first = rows[0]
        if any((r.actor, r.seal_id, r.cert_fingerprint, r.channel) !=
               (first.actor, first.seal_id, first.cert_fingerprint, first.channel) for r in rows):
            raise ValueError("one audit row covers uses by one operator with one seal only")
        audit.record(s, "seal.used", actor=first.actor, subject=f"seal_use:{first.id}-{rows[-1].id}", details={
            "channel": first.channel, "seal_id": first.seal_id, "cert": first.cert_fingerprint,
            "uses": [{"id": r.id, "code": r.code, "source_sha256": r.source_sha256, "sha256": r.sha256,
                      "filename": r.filename} for r in rows],
        })
        return rows
    for row in rows:
        audit.record(s, "seal.used", actor=row.actor, case_id=row.case_id, subject=f"seal_use:{row.id}", details={
            "channel": row.channel, "seal_id": row.seal_id, "code": row.code, "document_id": row.document_id,
            "version_id": row.version_id, "source_sha256": row.source_sha256, "sha256": row.sha256,
            "approval_step_id": row.approval_step_id, "step_id": row.step_id, "cert": row.cert_fingerprint,
            "filename": row.filename,
        })
    return rows


def find_code(s: Session, code: str) -> SealUse | None:
    """The register row of a sealed file that is not a case document (CLI, batch)."""
    return s.scalar(select(SealUse).where(SealUse.code == code, SealUse.document_id.is_(None))
                    .order_by(SealUse.id.desc()).limit(1))


@dataclass
class Filters:
    date_from: datetime | None = None
    date_to: datetime | None = None  # exclusive
    seal_id: int | None = None
    case_number: str | None = None
    actor: str | None = None


def entries(s: Session, court_id: int, f: Filters, *, limit: int = 500) -> list[SealUse]:
    """The court's register, newest first, filtered by date, seal, case and who.

    Rows written without a court (a command run before any court existed) are shown to every
    court's staff, since they were sealed with the configured court seal."""
    from court.models import Case

    q = select(SealUse).where((SealUse.court_id == court_id) | SealUse.court_id.is_(None))
    if f.date_from is not None:
        q = q.where(SealUse.at >= f.date_from)
    if f.date_to is not None:
        q = q.where(SealUse.at < f.date_to)
    if f.seal_id is not None:
        q = q.where(SealUse.seal_id == f.seal_id)
    if f.case_number:
        q = q.join(Case, Case.id == SealUse.case_id).where(Case.number.contains(f.case_number.strip()))
    if f.actor:
        q = q.where(SealUse.actor == f.actor.strip())
    return list(s.scalars(q.order_by(SealUse.id.desc()).limit(limit)))


CSV_COLUMNS = ("id", "at", "seal", "channel", "actor", "code", "case_id", "document_id", "version_id",
               "approval_step_id", "filename", "source_sha256", "sha256", "size", "pages", "cert_fingerprint")


def to_csv(rows: Iterable[SealUse]) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(CSV_COLUMNS)
    for r in rows:
        w.writerow([r.id, r.at.isoformat(timespec="seconds"), _cell(r.seal_name), r.channel, r.actor, r.code,
                    r.case_id or "", r.document_id or "", r.version_id or "", r.approval_step_id or "",
                    _cell(r.filename or ""), r.source_sha256, r.sha256, r.size, r.pages, r.cert_fingerprint])
    return out.getvalue()


def _cell(value: str) -> str:
    """Neutralise spreadsheet formulas in free text (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
