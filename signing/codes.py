"""Anti-counterfeit codes (防伪码): unique, unguessable, printed in readable groups.

A code is 16 characters of Crockford's base32 (80 random bits; no I, L, O or U, so nothing
is confused when typed from paper), stored without separators in ``Document.verify_code``
and printed as ``XXXX-XXXX-XXXX-XXXX``. Input is normalised leniently (case, spaces, dashes,
O→0, I/L→1) before look-up.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from court.models import Document, DocumentVersion, SigningFlow, StepAction, StepStatus

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16
_FIX = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def format_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalize(text: str) -> str | None:
    """The canonical code for what someone typed, or None if it cannot be one."""
    raw = "".join(ch for ch in (text or "").upper() if ch.isalnum()).translate(_FIX)
    if len(raw) != LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return raw


def assign(s: Session, doc: Document) -> str:
    """Give ``doc`` a code if it has none (retrying on the astronomically rare collision)."""
    if doc.verify_code:
        return doc.verify_code
    for _ in range(5):
        code = new_code()
        if s.scalar(select(Document.id).where(Document.verify_code == code)) is None:
            doc.verify_code = code
            s.flush()
            return code
    raise RuntimeError("could not allocate a unique anti-counterfeit code")


@dataclass
class CodeInfo:
    """What the public verify page shows for a code."""

    code: str
    document_id: int
    title: str
    kind: str
    case_number: str
    court: str
    status: str
    sha256: str
    size: int
    version: int
    sealed_at: datetime | None
    signers: list[dict[str, object]] = field(default_factory=list)


def _registered(s: Session, code: str) -> CodeInfo | None:
    """A file sealed outside any case (``flask court stamp`` / ``stamp-batch``), from the seal register."""
    from signing import seals

    use = seals.find_code(s, code)
    if use is None:
        return None
    court = use.seal.court.name if use.seal is not None else use.seal_name
    return CodeInfo(
        code=format_code(code), document_id=0, title=use.filename or "", kind="other", case_number="",
        court=court, status="sealed", sha256=use.sha256, size=use.size, version=1, sealed_at=use.at,
        signers=[{"role": "seal", "name": use.seal_name, "at": use.at}],
    )


def lookup(s: Session, text: str) -> CodeInfo | None:
    """The stored document behind a code and its current fingerprint, or None."""
    code = normalize(text)
    if code is None:
        return None
    doc = s.scalar(select(Document).where(Document.verify_code == code))
    if doc is None or not doc.versions:
        return _registered(s, code)
    current: DocumentVersion = doc.current
    signers: list[dict[str, object]] = []
    sealed_at = None
    for flow in s.scalars(select(SigningFlow).where(SigningFlow.document_id == doc.id).order_by(SigningFlow.id)):
        for step in flow.steps:
            if step.status is not StepStatus.DONE or step.action is StepAction.APPROVE:
                continue
            if step.action is StepAction.SEAL:
                sealed_at = step.acted_at
                signers.append({"role": "seal", "name": doc.case.court.name, "at": step.acted_at})
            else:
                name = step.party.name if step.party else (step.staff.name if step.staff else "")
                signers.append({"role": step.action.value, "name": name, "at": step.acted_at})
    return CodeInfo(
        code=format_code(code), document_id=doc.id, title=doc.title, kind=doc.kind.value,
        case_number=doc.case.number, court=doc.case.court.name, status=doc.status.value,
        sha256=current.sha256, size=current.size, version=current.number, sealed_at=sealed_at, signers=signers,
    )
