"""What happened to a message after it was sent, and what that means for service.

A delivery report (Aliyun, Tencent), WeChat's ``TEMPLATESENDJOBFINISH`` event or a party
opening an SMS link moves a notification to delivered / opened / failed, and adds the event to
the party's :class:`~court.models.ServiceRecord` for that document (or staff push). Whether an
event fixes the legal date of service is decided by ``court.services.service_date`` (consent in
force, confirmed address, earliest wins); a report with a time before the message was sent, or
from an address that is not the notification's, is refused there and audited.
"""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from court import audit, db
from court.chinatime import CHINA
from court.models import DeliveryReport, Notification, NotificationStatus, ServiceRecord
from court.services import service_date

REACHED = (NotificationStatus.DELIVERED, NotificationStatus.OPENED)
LIVE_STAGES = ("wechat", "sms", "email")


def china_time(value: str | None) -> datetime | None:
    """``2026-11-22 10:00:00`` (Beijing time) -> aware UTC datetime; None when unparsable."""
    if not value:
        return None
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA).astimezone(UTC)
    except ValueError:
        return None


def record_event(s: Session, n: Notification, event: str, at: datetime, detail: str | None = None) -> None:
    """Add ``event`` (sent | delivered | opened | failed) on ``n``'s channel to the service record,
    and, for a message to an agent, to the record of each party the agent acts for
    (``service_date.records_reached``)."""
    for rec, own in service_date.records_reached(s, n, at):
        service_date.record_event(s, rec, channel=n.channel, event=event, at=at, address=n.address,
                                  notification_id=n.id, detail=detail)
        if rec.document_id is None:
            continue  # a push: no escalation
        if event == "opened":
            rec.stage, rec.next_check_at = "done", None
        elif own and event == "failed" and rec.stage in LIVE_STAGES and n.channel == rec.stage:
            # this channel cannot reach the party: escalate now rather than wait (an agent's failed
            # message leaves the party's other ways, and the usual deadline, in place)
            rec.next_check_at = db.utcnow()
            from notify import jobs  # (not at the top: notify.jobs imports this module)
            jobs.escalate.enqueue(rec.id, key=f"failed-{n.id}", session=s)
    s.flush()


def push_events(s: Session, items: list[tuple[int, int, int, str, str, str, str | None]], at: datetime) -> int:
    """Record sent / delivered / failed for a batch of push messages at once: ``items`` are
    (notification id, party id, push id, channel, address, event, error). The batch is audited
    once (a push reaches 100,000 parties). Returns how many records got their legal date of service."""
    from types import SimpleNamespace

    from sqlalchemy import bindparam, update

    if not items:
        return 0
    party_ids = {i[1] for i in items}
    push_ids = {i[2] for i in items}
    # plain rows throughout (no ORM bookkeeping): a push's batch is thousands of messages
    records = {(r.party_id, r.push_id): SimpleNamespace(**r._mapping) for r in s.execute(select(
        ServiceRecord.id, ServiceRecord.party_id, ServiceRecord.push_id, ServiceRecord.document_id,
        ServiceRecord.channels_tried, ServiceRecord.effective_at, ServiceRecord.effective_channel).where(
        ServiceRecord.push_id.in_(push_ids), ServiceRecord.party_id.in_(party_ids)))}
    queued_to = {records[(i[1], i[2])].id: i[4] for i in items if (i[1], i[2]) in records}
    standing = service_date.queued_standing(s, list(records.values()), queued_to, at)
    fixed, changed = 0, {}
    for nid, party_id, push_id, channel, address, event, error in items:
        rec = records.get((party_id, push_id))
        if rec is None:
            continue
        fixed += service_date.record_event(s, rec, channel=channel, event=event, at=at, address=address,  # type: ignore[arg-type]
                                           notification_id=nid, detail=error, standing=standing.get(rec.id),
                                           audited=False)
        changed[rec.id] = rec
    if changed:
        table = ServiceRecord.__table__
        s.execute(update(table).where(table.c.id == bindparam("_id")).values(
            channels_tried=bindparam("_tried"), effective_at=bindparam("_at"), effective_channel=bindparam("_channel")),
            [{"_id": r.id, "_tried": r.channels_tried, "_at": r.effective_at, "_channel": r.effective_channel}
             for r in changed.values()])
    if fixed:
        audit.record(s, "service.effective_batch", subject=f"push:{min(push_ids)}",
                     details={"pushes": sorted(push_ids), "served": fixed, "at": at.isoformat()})
    return fixed


def delivered(s: Session, n: Notification, at: datetime) -> None:
    if n.delivered_at is None:  # the first accepted report stands; a later one changes nothing
        n.delivered_at = at
    if n.status not in REACHED:
        n.status = NotificationStatus.DELIVERED
        n.error = None
    record_event(s, n, "delivered", n.delivered_at)


def opened(s: Session, n: Notification, at: datetime) -> None:
    first = n.opened_at is None
    if first:
        n.opened_at = at
    n.status = NotificationStatus.OPENED
    if first:
        record_event(s, n, "opened", at)


def failed_report(s: Session, n: Notification, reason: str, at: datetime) -> None:
    """The provider could not deliver (number off, blocked, unknown). A message already reported
    delivered or opened stays so: a late or duplicated failure cannot undo service."""
    if n.status in REACHED:
        return
    n.status = NotificationStatus.FAILED
    n.error = reason[:1000]
    record_event(s, n, "failed", at, reason)


def report_key(provider: str, *parts: object) -> str:
    raw = json.dumps([provider, *[str(p) for p in parts]], ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def apply_report(
    s: Session, *, provider: str, key: str, n: Notification | None, success: bool, code: str | None,
    at: datetime | None, address: str | None,
) -> bool:
    """Apply one delivery report once. Returns False when it was seen before (providers retry)
    or refused (``address``: who the report says it reached, checked against the notification)."""
    if s.scalar(select(DeliveryReport.id).where(DeliveryReport.report_key == key)) is not None:
        return False
    when = at or db.utcnow()
    refused = None
    if n is not None:
        refused = service_date.check_report(s, n, at=when, address=address, provider=provider)
        if refused == "not_sent":
            return False  # not recorded as seen: the provider's retry will apply once the send is recorded
    try:
        with s.begin_nested():
            s.add(DeliveryReport(provider=provider, report_key=key, notification_id=n.id if n else None,
                                 success=success and refused is None,
                                 code=((f"refused:{refused}" if refused else code) or "")[:64] or None, reported_at=at))
            s.flush()
    except IntegrityError:  # a concurrent delivery of the same report won
        return False
    if n is None or refused:
        return False
    when = service_date.clamp(n, when)
    if success:
        delivered(s, n, when)
    else:
        failed_report(s, n, f"{provider} report: {code or 'failed'}", when)
    return True
