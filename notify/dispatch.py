"""The dispatcher: send outbox rows exactly once, in batches.

Three short transactions per batch:

1. **claim** — ``pending → sending`` with one conditional UPDATE; only rows still pending and due
   are taken, so two workers (or a job and the sweep) never both send a row. The claim sets
   ``next_attempt_at`` to a lease expiry: a row still "sending" after it belongs to a crashed
   worker and the sweep resolves it. SMS links are minted here, in the same transaction.
2. **send** — each channel's provider gets its part of the batch; the provider id it returns is
   recorded (the notification id is what the provider is handed as its own reference).
3. **record** — ``sending → sent`` (or delivered, when the channel confirms at once), or back to
   pending with a backoff, or failed with the reason once attempts run out or the error is final.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import bindparam, or_, select, update

from court import audit, db
from court import settings as court_settings
from court.errors import DomainError
from court.models import Notification, NotificationStatus
from court.services import service_date
from notify import links, messages, settings, status, wechat_fallback
from notify.providers import registry
from notify.providers.base import Outgoing, SendResult

log = logging.getLogger(__name__)
S = NotificationStatus


@dataclass
class Summary:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


def _outgoing(s, cfg, row, now) -> Outgoing:  # type: ignore[no-untyped-def]
    """Render one claimed row for its channel (minting its SMS link when the template has one)."""
    tpl = messages.get(row.template)
    params: dict[str, object] = dict(row.params or {})
    url = None
    if tpl.link_purpose:
        if row.channel in ("sms", "email"):
            if row.party_id is None:
                raise DomainError("带链接的消息必须指定当事人", code="link_without_party")
            new = links.create(s, party_id=row.party_id, document_id=row.document_id, purpose=tpl.link_purpose,
                               ttl_days=cfg.LINK_TTL_DAYS, notification_id=row.id, now=now)
            params["link"] = new.url(court_settings.current().public_base_url)
            params.setdefault("days", cfg.LINK_TTL_DAYS)
        else:
            params.setdefault("link", "")
            params.setdefault("days", cfg.LINK_TTL_DAYS)
            url = f"{court_settings.current().public_base_url}/m/documents/{row.document_id}" if row.document_id else None
    text = messages.render_sms(tpl, params, cfg.SMS_SIGN_NAME)
    out = Outgoing(
        notification_id=row.id, address=row.address, template=row.template,
        params=messages.provider_params(tpl, params), text=text,
        subject=messages.render_subject(tpl, params), url=url,
    )
    if row.channel == "wechat":
        out.extra["wechat_data"] = messages.wechat_data(tpl, params)
    return out


def dispatch(ids: list[int]) -> Summary:
    """Send the given outbox rows (those still pending and due); safe to call twice."""
    cfg = settings.get()
    summary = Summary()
    if not ids:
        return summary
    now = db.utcnow()
    lease = now + timedelta(seconds=cfg.NOTIFY_STUCK_SECONDS)
    results: list[SendResult] = []
    by_channel: dict[str, list[Outgoing]] = defaultdict(list)
    with db.transaction() as s:
        rows = s.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.status == S.PENDING,
                   or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now))
            .values(status=S.SENDING, attempts=Notification.attempts + 1, next_attempt_at=lease)
            .returning(Notification.id, Notification.channel, Notification.address, Notification.template,
                       Notification.params, Notification.party_id, Notification.document_id)
            .execution_options(synchronize_session=False)
        ).all()
        summary.claimed = len(rows)
        for row in rows:
            try:
                if row.channel not in registry.REGISTRY:
                    raise DomainError("未知的发送渠道：{channel}", code="unknown_channel", channel=row.channel)
                if not row.address:
                    raise DomainError("收件人没有可用的联系方式", code="no_address")
                by_channel[row.channel].append(_outgoing(s, cfg, row, now))
            except DomainError as exc:
                results.append(SendResult(row.id, ok=False, error=f"{exc.code}: {exc.localized()}"))
    if not rows:
        return summary
    for channel, batch in by_channel.items():
        try:
            results.extend(registry.get(cfg, channel).send(batch))
        except Exception as exc:  # a provider bug or misconfiguration must not lose the batch
            log.exception("provider for %s failed", channel)
            results.extend(SendResult(m.notification_id, ok=False, error=f"{type(exc).__name__}: {exc}"[:1000],
                                      retryable=True) for m in batch)
    _record(results, summary)
    return summary


def _record(results: list[SendResult], summary: Summary) -> None:
    cfg = settings.get()
    now = db.utcnow()
    retries: dict[int, list[int]] = defaultdict(list)
    with db.transaction() as s:
        ids = [r.notification_id for r in results]
        current = {r.id: r for r in s.execute(select(
            Notification.id, Notification.status, Notification.attempts, Notification.template, Notification.params,
            Notification.document_id, Notification.push_id, Notification.party_id, Notification.channel,
            Notification.address).where(Notification.id.in_(ids))).all()}
        updates: list[dict[str, object]] = []
        service: list[tuple[int, str, str | None]] = []
        pushed: list[tuple[int, int, int, str, str, str, str | None]] = []
        for r in results:
            row = current.get(r.notification_id)
            if row is None:
                continue
            values: dict[str, object] = {"id": r.notification_id}
            final = True
            if r.ok:
                values.update(provider_id=r.provider_id, sent_at=now, next_attempt_at=None)
                if row.status is S.SENDING:
                    values.update(status=S.DELIVERED if r.delivered else S.SENT, error=None)
                    if r.delivered:
                        values["delivered_at"] = now
                summary.sent += 1
                event = "delivered" if r.delivered else "sent"
            elif r.retryable and row.attempts < cfg.NOTIFY_MAX_ATTEMPTS:
                backoff = cfg.NOTIFY_BACKOFF_SECONDS or [60]
                delay = r.retry_after or backoff[min(row.attempts, len(backoff)) - 1]
                values.update(status=S.PENDING, error=r.error, next_attempt_at=now + timedelta(seconds=delay))
                retries[delay].append(r.notification_id)
                summary.retrying += 1
                final = False
                event = "retry"
            else:
                values.update(status=S.FAILED, error=r.error, next_attempt_at=None)
                summary.failed += 1
                event = "failed"
            if final and row.template == "otp" and row.params and "code" in row.params:
                values["params"] = {k: v for k, v in row.params.items() if k != "code"} | {"code_purged": True}
            updates.append(values)
            if row.document_id is not None:
                service.append((r.notification_id, event, r.error))
            elif row.push_id is not None and row.party_id is not None and event != "retry":  # a pushed notice
                pushed += [(r.notification_id, party_id, row.push_id, row.channel, row.address, event, r.error)
                           for party_id in service_date.push_parties(row.params, row.party_id)]
        if updates:
            _bulk_update(s, updates)
        status.push_events(s, pushed, now)
        for nid, event, error in service:
            n = s.get(Notification, nid)
            if event == "delivered":
                status.delivered(s, n, now)
            elif event in ("sent", "failed"):
                status.record_event(s, n, event, now, error)
            audit.record(s, f"notification.{event}", case_id=n.case_id, subject=f"notification:{nid}",
                         details={"channel": n.channel, "template": n.template, "attempts": n.attempts,
                                  "error": (error or "")[:200] or None})
        wechat_fallback.apply(s, results)  # WeChat could not reach them: SMS instead, staff told
        for delay, nids in retries.items():
            from notify import jobs  # (not at the top: notify.jobs imports this module)
            jobs.dispatch_batch.enqueue(nids, key=f"retry-{nids[0]}-{len(nids)}-{int(now.timestamp())}",
                                        delay=timedelta(seconds=delay) if delay else None, session=s)


def _bulk_update(s, updates: list[dict[str, object]]) -> None:  # type: ignore[no-untyped-def]
    """One Core executemany per shape of update, keyed by primary key (the ORM's per-row
    bookkeeping costs more than the database at push scale)."""
    table = Notification.__table__
    shapes: dict[tuple[str, ...], list[dict[str, object]]] = defaultdict(list)
    for u in updates:
        shapes[tuple(sorted(k for k in u if k != "id"))].append(u)
    for cols, rows in shapes.items():
        stmt = update(table).where(table.c.id == bindparam("_id")).values({c: bindparam(f"_{c}") for c in cols})
        s.execute(stmt, [{f"_{k}": v for k, v in row.items()} for row in rows])
