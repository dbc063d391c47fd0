"""Identity checks, each owned by the conversation or session that asked for it (DESIGN: binding).

Online Litigation Rules art. 7 requires real-name identity, re-verified before key acts, and accepts
several routes: a face check, a clerk comparing the ID card, or an external identity authority.
Whatever the route, the outcome is an :class:`~court.models.IdentityCheck` row whose ``holder`` names
one WeChat conversation or one party-page session. Freshness is asked *per holder*: a pass in one
browser never unlocks another, and nobody else's failed attempt changes this holder's state.

This module is the one home of those rules; channels (``handlers/``, ``web_sign/``, ``staff/``) and
providers (``identity/``) call it and never decide freshness themselves.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import audit, crypto, db
from court.models import IdentityCheck

METHODS = ("face", "staff", "authority")
PENDING, PASS, FAIL = "pending", "pass", "fail"


def holder(channel: str, key: str) -> str:
    """An opaque, stable holder id for one conversation (``wechat`` + openid) or one session.

    The channel address is keyed-hashed so no openid or session id is stored in clear."""
    return f"{channel}:{crypto.lookup_hash(f'holder:{channel}:{key}')[:64]}"


def open_check(s: Session, *, person_id: int, method: str, provider: str, channel: str, holder_id: str,
               token: str | None = None) -> IdentityCheck:
    """Record that ``holder_id`` started a check of ``person_id`` by ``method``."""
    if method not in METHODS:
        raise ValueError(f"identity check method must be one of {METHODS}")
    check = IdentityCheck(person_id=person_id, method=method, provider=provider, channel=channel,
                          holder=holder_id, status=PENDING, token=token)
    s.add(check)
    s.flush()
    return check


def by_token(s: Session, token: str) -> IdentityCheck | None:
    return s.scalar(select(IdentityCheck).where(IdentityCheck.token == token))


def decide(s: Session, check: IdentityCheck, *, ok: bool, result: str, score: float | None = None,
           ref: str | None = None, actor: str | None = None) -> IdentityCheck:
    """Close a pending check with its outcome (only the outcome: never an image). Idempotent."""
    if check.status != PENDING:
        return check
    check.status = PASS if ok else FAIL
    check.result = result
    check.score = score
    check.ref = ref
    check.decided_at = db.utcnow()
    s.flush()
    audit.record(s, "identity.check_decided", actor=actor or f"person:{check.person_id}",
                 subject=f"person:{check.person_id}", details={
                     "check": check.id, "method": check.method, "provider": check.provider,
                     "channel": check.channel, "ok": ok, "result": result, "score": score, "ref": ref})
    return check


def fresh(s: Session, *, person_id: int, holder_id: str, minutes: int) -> IdentityCheck | None:
    """The newest check that passed for ``person_id`` in ``holder_id`` within ``minutes``, if any."""
    since = db.utcnow() - timedelta(minutes=minutes)
    return s.scalar(select(IdentityCheck).where(
        IdentityCheck.person_id == person_id, IdentityCheck.holder == holder_id, IdentityCheck.status == PASS,
        IdentityCheck.decided_at >= since,
    ).order_by(IdentityCheck.decided_at.desc(), IdentityCheck.id.desc()).limit(1))


def latest_pass(s: Session, *, person_id: int, holder_id: str) -> IdentityCheck | None:
    """The newest passed check in this holder, however old (a bound conversation stays bound)."""
    return s.scalar(select(IdentityCheck).where(
        IdentityCheck.person_id == person_id, IdentityCheck.holder == holder_id, IdentityCheck.status == PASS,
    ).order_by(IdentityCheck.decided_at.desc(), IdentityCheck.id.desc()).limit(1))


def last_pass(s: Session, *, person_id: int, before: datetime | None = None) -> IdentityCheck | None:
    """The person's newest passed check in any holder, decided no later than ``before``: the route
    by which they proved who they were for an act done at that time (named in the credential)."""
    query = select(IdentityCheck).where(IdentityCheck.person_id == person_id, IdentityCheck.status == PASS,
                                        IdentityCheck.decided_at.is_not(None))
    if before is not None:
        query = query.where(IdentityCheck.decided_at <= before)
    return s.scalar(query.order_by(IdentityCheck.decided_at.desc(), IdentityCheck.id.desc()).limit(1))
