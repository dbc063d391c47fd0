"""Append to and verify the hash-chained audit log.

Every service records what it did with :func:`record` inside its own transaction, so an
action and its audit row commit together or not at all. Appends are serialised (SQLite:
``BEGIN IMMEDIATE``; PostgreSQL: a transaction-scoped advisory lock) and ``prev_hash`` is
unique, so the chain can never fork.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from court import db
from court.models import AuditEvent, AuditHead

GENESIS = "0" * 64
_LOCK_KEY = 0x636F757274  # "court"


def canonical(ev: AuditEvent) -> bytes:
    """The bytes that are hashed: every field but the hash, in a fixed JSON form."""
    body = {
        "id": ev.id,
        "at": ev.at.isoformat(timespec="microseconds"),
        "actor": ev.actor,
        "action": ev.action,
        "case_id": ev.case_id,
        "subject": ev.subject,
        "details": ev.details or {},
        "prev_hash": ev.prev_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def record(
    s: Session,
    action: str,
    *,
    actor: str = "system",
    case_id: int | None = None,
    subject: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction. Details must hold no personal data in clear."""
    if db.is_postgres():
        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    head = s.get(AuditHead, 1, with_for_update=db.is_postgres())
    prev_id, prev_hash = (head.last_id, head.last_hash) if head else (0, GENESIS)
    ev = AuditEvent(
        id=prev_id + 1,
        at=db.utcnow(),
        actor=actor,
        action=action,
        case_id=case_id,
        subject=subject,
        details=json.loads(json.dumps(details or {}, default=str)),
        prev_hash=prev_hash,
    )
    ev.hash = hashlib.sha256(canonical(ev)).hexdigest()
    s.add(ev)
    if head is None:
        s.add(AuditHead(id=1, last_id=ev.id, last_hash=ev.hash))
    else:
        head.last_id, head.last_hash = ev.id, ev.hash
    s.flush()
    return ev


@dataclass
class ChainReport:
    ok: bool
    checked: int
    problems: list[dict[str, Any]] = field(default_factory=list)


def verify(s: Session) -> ChainReport:
    """Walk the whole chain; report every edited, deleted or out-of-order row."""
    problems: list[dict[str, Any]] = []
    expected_prev, expected_id, count = GENESIS, 1, 0
    for ev in s.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        count += 1
        if ev.id != expected_id:
            problems.append({"id": expected_id, "problem": "deleted", "detail": f"rows {expected_id}..{ev.id - 1} missing"})
        if ev.prev_hash != expected_prev:
            problems.append({"id": ev.id, "problem": "broken_link", "detail": "prev_hash does not match the row before"})
        if hashlib.sha256(canonical(ev)).hexdigest() != ev.hash:
            problems.append({"id": ev.id, "problem": "edited", "detail": "content does not match its hash"})
        expected_prev, expected_id = ev.hash, ev.id + 1
    head = s.get(AuditHead, 1)
    if head is not None and (head.last_id != expected_id - 1 or head.last_hash != expected_prev):
        problems.append({"id": head.last_id, "problem": "deleted", "detail": "newest rows missing"})
    if head is None and count:
        problems.append({"id": None, "problem": "edited", "detail": "chain head missing"})
    return ChainReport(ok=not problems, checked=count, problems=problems)


def events_for_case(s: Session, case_id: int) -> list[AuditEvent]:
    return list(s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)))


def at_iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None
