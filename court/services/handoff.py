"""Carrying a signed-in party from a desktop to her phone (a QR code she scans).

The QR code carries a one-time token, kept only as its hash in Redis for ``SECONDS``; scanning it
signs the phone in as the same person for the same parties and spends it. The phone still does
its own face check before reading or signing anything (``court.services.party_sessions``).
"""
from __future__ import annotations

import json
from typing import TypedDict

from sqlalchemy.orm import Session

from court import audit, crypto, ratelimit, redis_conn
from court.models import Person

SECONDS = 600
LIMIT = ratelimit.Limit(10, 3600)  # QR codes per person an hour


class Handoff(TypedDict):
    person_id: int
    party_ids: list[int]
    document_id: int


def _key(token: str) -> str:
    return f"m:handoff:{crypto.token_hash(token)}"


def create(person_id: int, party_ids: list[int], document_id: int) -> str:
    """A new one-time token for the QR code (``RateLimited`` past ``LIMIT``)."""
    ratelimit.hit("m-handoff", str(person_id), LIMIT)
    token = crypto.random_token(18)
    payload: Handoff = {"person_id": person_id, "party_ids": list(party_ids), "document_id": document_id}
    redis_conn.client().set(_key(token), json.dumps(payload), ex=SECONDS)
    return token


def take(s: Session, token: str) -> tuple[Person, Handoff] | None:
    """Spend ``token``: the person and what the desktop acted for, or None when it was used,
    expired, never existed, or its person is gone."""
    raw = redis_conn.client().getdel(_key(token[:64]))
    if raw is None:
        return None
    payload: Handoff = json.loads(raw)
    person = s.get(Person, payload["person_id"])
    return (person, payload) if person is not None else None


def landed(s: Session, person: Person, document_id: int) -> None:
    """The audit row for a phone signed in by a scanned QR code."""
    audit.record(s, "web.handoff", actor=f"person:{person.id}", subject=f"document:{document_id}")
