"""Append to the keyed, hash-chained audit log: the one way any service records what it did.

Every service records what it did with :func:`record` inside its own transaction, so an
action and its audit row commit together or not at all. Appends are serialised (SQLite:
``BEGIN IMMEDIATE``; PostgreSQL: a transaction-scoped advisory lock) and ``prev_hash`` is
unique, so the chain can never fork.

Why keyed: a plain SHA-256 chain can be rewritten by anyone with write access to the
database (edit a row, recompute every hash after it, update the head). Each row's hash is
therefore an HMAC-SHA256 under ``AUDIT_KEY``, which lives outside the database; the row keeps
the key's id so keys can rotate (old keys stay configured as retired keys to verify old rows).

Checking the chain, its timestamp anchors and checkpoints is :mod:`court.audit_chain`'s job;
this module only writes, and says how a row is sealed.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from court import crypto, db
from court.models import AuditEvent, AuditHead

GENESIS = "0" * 64
_LOCK_KEY = 0x636F757274  # "court"


# --- keys ------------------------------------------------------------------------------------

_keys: dict[str, bytes] = {}
_current_kid: str | None = None


def key_id(key: bytes) -> str:
    """A short public name for a key, derived from it (so nobody has to invent and track ids)."""
    return hmac.new(key, b"court-audit-key-id", hashlib.sha256).hexdigest()[:12]


def configure(audit_key: str | None, secret_key: str, retired: Iterable[str] = ()) -> str:
    """Set the sealing key: ``AUDIT_KEY``, or in development one derived from ``SECRET_KEY``.
    ``retired`` keys only verify rows sealed before a rotation. Returns the current key id."""
    global _current_kid
    _keys.clear()
    for material in retired:
        if material:
            key = crypto.derive_key(material, "audit-chain")
            _keys[key_id(key)] = key
    key = crypto.derive_key(audit_key, "audit-chain") if audit_key else crypto.derive_key(secret_key, "audit-dev")
    _current_kid = key_id(key)
    _keys[_current_kid] = key
    return _current_kid


def current_key_id() -> str:
    return current_key()[0]


def current_key() -> tuple[str, bytes]:
    """The id and key new rows (and checkpoints) are sealed with; configured at start-up."""
    if _current_kid is None:
        raise RuntimeError("court.audit.configure() has not been called")
    return _current_kid, _keys[_current_kid]


# --- sealing ---------------------------------------------------------------------------------

def canonical(ev: AuditEvent) -> bytes:
    """The bytes that are sealed: every field but the hash, in a fixed JSON form. ``key_id`` is
    included for keyed rows (so the id cannot be swapped); legacy rows keep their old form."""
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
    if ev.key_id is not None:
        body["key_id"] = ev.key_id
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def seal(ev: AuditEvent) -> str | None:
    """The hash the row should carry; None when its key is not configured."""
    if ev.key_id is None:
        return hashlib.sha256(canonical(ev)).hexdigest()
    key = _keys.get(ev.key_id)
    return hmac.new(key, canonical(ev), hashlib.sha256).hexdigest() if key else None


def lock_head(s: Session) -> AuditHead | None:
    """The chain head, locked for this transaction: appends (and a re-seal) are serialised."""
    if db.is_postgres():
        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    return s.get(AuditHead, 1, with_for_update=db.is_postgres())


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
    kid, key = current_key()
    head = lock_head(s)
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
        key_id=kid,
    )
    ev.hash = hmac.new(key, canonical(ev), hashlib.sha256).hexdigest()
    s.add(ev)
    if head is None:
        s.add(AuditHead(id=1, last_id=ev.id, last_hash=ev.hash))
    else:
        head.last_id, head.last_hash = ev.id, ev.hash
    s.flush()
    return ev


def head(s: Session) -> AuditHead | None:
    return s.get(AuditHead, 1)


def events_for_case(s: Session, case_id: int) -> list[AuditEvent]:
    return list(s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)))


def at_iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None
