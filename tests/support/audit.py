"""What an attacker with write access to the database does to the audit chain."""
from __future__ import annotations

import hashlib

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from court import audit
from court.models import AuditEvent, AuditHead

KEEP = "keep"


def rewrite_forward(s: Session, row_id: int, actor: str = "staff:99", key_id: str | None = KEEP) -> None:
    """Edit one row, recompute every hash from there on with SHA-256 (the attacker has no audit
    key) and move the head: a plain hash chain cannot tell this from the truth."""
    assert s.get(AuditEvent, row_id) is not None, f"no audit row {row_id} to rewrite"
    prev = s.get(AuditEvent, row_id - 1).hash if row_id > 1 else audit.GENESIS
    s.execute(text("UPDATE audit_event SET actor = :a WHERE id = :i"), {"a": actor, "i": row_id})
    s.expire_all()
    last_id = row_id
    for ev in s.scalars(select(AuditEvent).where(AuditEvent.id >= row_id).order_by(AuditEvent.id)):
        if key_id != KEEP:
            ev.key_id = key_id
        ev.prev_hash = prev
        ev.hash = prev = hashlib.sha256(audit.canonical(ev)).hexdigest()
        last_id = ev.id
        s.flush()
    head = s.get(AuditHead, 1)
    assert head is not None, "the chain has no head row"
    head.last_id, head.last_hash = last_id, prev
    s.commit()
