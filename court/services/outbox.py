"""The transactional outbox: a notification row is written in the caller's transaction and its
dispatch job is sent only after that transaction commits (``notify.jobs.dispatch``). A
periodic sweep in ``notify/`` re-enqueues anything still pending, so nothing is lost."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from court import queue
from court.models import Notification

DISPATCH_JOB = "notify.jobs.dispatch"


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
    queue.enqueue(DISPATCH_JOB, n.id, queue_name="notify", job_id=f"notification-{n.id}", session=s)
    return n
