"""Separate consent to a face check (人脸识别技术应用安全管理办法, 2025: 单独同意).

The one home of the rule "no face is processed without the person's separate, informed consent,
given in the same conversation or session". Channels (``handlers/``, ``web_sign/``) show the
notice and record the answer here; :func:`require` is asked by the face check itself
(``identity.face.request_check``) before a photo is accepted, so no channel can skip it.

A decision is kept as a :class:`~court.models.FaceConsent` row (what was shown, its hash, the
provider named, channel, time) and an audit row. A table rather than only an audit row: the check
must be answered quickly per holder, and the court must be able to show the exact notice agreed
to. The newest decision in a holder wins, so "不同意" after "同意" withdraws it, and an agreement
lasts :data:`VALID_MINUTES` (long enough to retake a blurry photo, short enough that a later
check is asked again).
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from court import audit, db
from court.errors import DomainError
from court.models import FaceConsent, IdentityCheck, Person

VALID_MINUTES = 30
CHANNELS = ("wechat", "web")


def record(s: Session, *, person_id: int, holder_id: str, channel: str, agreed: bool, provider: str,
           text_shown: str) -> FaceConsent:
    """Keep the person's answer to the notice ``text_shown`` (agree or refuse)."""
    if channel not in CHANNELS:
        raise ValueError(f"face consent channel must be one of {CHANNELS}")
    digest = hashlib.sha256(text_shown.encode()).hexdigest()
    row = FaceConsent(person_id=person_id, holder=holder_id, channel=channel, agreed=agreed, provider=provider,
                      text_shown=text_shown, text_sha256=digest)
    s.add(row)
    s.flush()
    audit.record(s, "identity.face_consent", actor=f"person:{person_id}", subject=f"person:{person_id}",
                 details={"consent": row.id, "agreed": agreed, "channel": channel, "provider": provider,
                          "text_sha256": digest})
    return row


def current(s: Session, *, person_id: int, holder_id: str) -> FaceConsent | None:
    """The agreement that lets ``holder_id`` send a photo of ``person_id`` now, if any."""
    latest = s.scalar(select(FaceConsent).where(
        FaceConsent.person_id == person_id, FaceConsent.holder == holder_id,
    ).order_by(FaceConsent.decided_at.desc(), FaceConsent.id.desc()).limit(1))
    if latest is None or not latest.agreed:
        return None
    if latest.decided_at < db.utcnow() - timedelta(minutes=VALID_MINUTES):
        return None
    return latest


def require(s: Session, *, person_id: int, holder_id: str) -> FaceConsent:
    """The current agreement, or ``face_consent_needed``: no photo is taken without one."""
    found = current(s, person_id=person_id, holder_id=holder_id)
    if found is None:
        raise DomainError("人脸识别前须先阅读《人脸信息处理告知书》并单独同意；您也可以选择其他身份核验方式",
                          code="face_consent_needed", status=403)
    return found


def people_processed(s: Session) -> int:
    """How many people's face information the platform has processed (the operator's filing count).

    A person counts once their face was handed to a provider: a face outcome on the person or a
    face identity check, whatever the result."""
    on_person = select(Person.id).where(Person.face_checked_at.is_not(None))
    by_check = select(IdentityCheck.person_id).where(IdentityCheck.method == "face",
                                                     IdentityCheck.status != "pending")
    return int(s.scalar(select(func.count()).select_from(on_person.union(by_check).subquery())) or 0)
