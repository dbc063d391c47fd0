"""Signed SMS links ``/s/<token>``.

The token is 128 random bits (22 URL-safe characters) and carries no personal data; only its
keyed hash is stored, bound to one party, one document and one purpose, with an expiry. A link
can be revoked. The clear token exists only in the message handed to the provider.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import crypto, db
from court.models import SmsLink
from court.services import service_actions

TOKEN_BYTES = 16  # 128 bits
PURPOSES = ("receive", "sign", "view", "identity")  # identity: after a clerk verified the party (web_sign /m/verified)


@dataclass
class NewLink:
    link: SmsLink
    token: str

    def url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/s/{self.token}"


def create(
    s: Session, *, party_id: int, document_id: int | None, purpose: str, ttl_days: int,
    notification_id: int | None = None, now: datetime | None = None,
) -> NewLink:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    token = crypto.random_token(TOKEN_BYTES)
    link = SmsLink(
        token_hash=crypto.token_hash(token), party_id=party_id, document_id=document_id, purpose=purpose,
        notification_id=notification_id, expires_at=(now or db.utcnow()) + timedelta(days=ttl_days),
    )
    s.add(link)
    s.flush()
    return NewLink(link, token)


class LinkProblem(Exception):
    def __init__(self, reason: str, link: SmsLink | None = None) -> None:
        super().__init__(reason)
        self.reason = reason  # unknown | expired | revoked
        self.link = link  # the link, when there is one (to say why it was revoked)


def resolve(s: Session, token: str, *, now: datetime | None = None) -> SmsLink:
    """The live link for ``token``, or :class:`LinkProblem` saying why not."""
    now = now or db.utcnow()
    if not token or len(token) > 64:
        raise LinkProblem("unknown")
    link = s.scalar(select(SmsLink).where(SmsLink.token_hash == crypto.token_hash(token)))
    if link is None:
        raise LinkProblem("unknown")
    if link.revoked_at is not None:
        raise LinkProblem("revoked", link)
    if link.expires_at <= now:
        raise LinkProblem("expired")
    return link


def mark_opened(link: SmsLink, now: datetime) -> bool:
    """Count an open; True the first time."""
    first = link.first_opened_at is None
    if first:
        link.first_opened_at = now
    link.last_opened_at = now
    link.open_count = (link.open_count or 0) + 1
    return first


def revoke(s: Session, *, party_id: int | None = None, document_id: int | None = None,
           link_id: int | None = None, now: datetime | None = None) -> int:
    """Revoke live links matching the filters; returns how many (the rule lives in
    ``court.services.service_actions``, which staff actions use directly)."""
    return service_actions.revoke_where(s, party_id=party_id, document_id=document_id, link_id=link_id, now=now)
