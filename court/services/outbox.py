"""The transactional outbox: a notification row is written in the caller's transaction and its
:class:`~court.events.NotificationAdded` event leaves only after that transaction commits (the
notify room sends the row). A periodic sweep re-enqueues anything still pending, so nothing is lost."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from court import events
from court.models import Notification


def add(
    s: Session, *, channel: str, address: str, template: str, params: dict[str, Any] | None = None,
    case_id: int | None = None, party_id: int | None = None, person_id: int | None = None,
    document_id: int | None = None, dedupe_key: str | None = None, push_id: int | None = None,
) -> Notification:
    """``dedupe_key`` (unique) lets a cause that may run twice write its message only once."""
    n = Notification(
        channel=channel, address=address, template=template, params=dict(params or {}),
        case_id=case_id, party_id=party_id, person_id=person_id, document_id=document_id,
        dedupe_key=dedupe_key, push_id=push_id,
    )
    s.add(n)
    s.flush()
    events.emit(events.NotificationAdded(n.id), s)
    return n
