"""Events to the court's own systems (trial system, OA, archive): which, to whom, and their state.

The audit log is the platform's record of everything that happened, written in the same
transaction as the act itself. Events are read from it: a cursor remembers the last audit row
turned into deliveries, so an event can neither be lost (a crash before commit leaves no audit
row and no act) nor be invented. Each delivery carries the audit row's id as its event id, so a
receiver de-duplicates retries on it; the body is signed like Stripe's and GitHub's webhooks
(HMAC-SHA256 over ``"{timestamp}.{body}"``, sent as ``X-Court-Signature: t=…,v1=…``).

Delivery itself (HTTP) is ``notify/webhooks.py``; this module knows no HTTP. It does decide where
events may go (:func:`check_destination`): never to the platform's own loopback, link-local
(cloud metadata) or other non-public addresses, so an admin's URL cannot make the worker reach
inside the platform's network (SSRF). Every address the host name resolves to is checked, at
registration and again before each delivery; private networks where the court's own systems live
are allowed only when listed (``WEBHOOK_ALLOWED_NETWORKS``), loopback only with
``WEBHOOK_ALLOW_LOOPBACK`` (development and tests; refused in production).
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from court import audit, crypto, db
from court import settings as court_settings
from court.errors import DomainError, NotFound
from court.i18n import N_
from court.models import (
    AuditEvent,
    AuditHead,
    Case,
    Court,
    WebhookAttempt,
    WebhookCursor,
    WebhookDelivery,
    WebhookEndpoint,
)
from court.services.court_scope import court_row

# audit action -> event type sent to the court's systems
EVENTS: dict[str, str] = {
    "document.sealed": "document.sealed",
    "step.sign": "step.signed",
    "step.receive": "step.signed",
    "step.approve": "step.approved",
    "step.refused": "step.refused",
    "flow.finished": "flow.finished",
    "flow.completed": "flow.finished",  # what the flow engine audits when every step is settled
    "flow.returned": "flow.returned",
    "service.effective": "service.effective",
    "service.credential_issued": "credential.issued",
    "service.escalated_to_staff": "case.flagged",
    "consent.withdrawn": "case.flagged",
    "consent.declined": "case.flagged",
    "service.credential_refused": "case.flagged",  # no consent, no e-service credential: the case is flagged
    "case.status_changed": "case.status_changed",
    "case.archived": "case.archived",
}
EVENT_TYPES = tuple(sorted(set(EVENTS.values())))
ALL = "*"
# seconds to wait after the n-th failed try: about two and a half days in all, so a receiver
# that is down for a day loses nothing; after the last one the delivery waits for a replay
BACKOFF = (30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200, 86400, 86400)
LEASE = timedelta(seconds=90)  # a claimed delivery is not claimed again meanwhile
BATCH = 1000


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Court-Signature`` value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def body_of(delivery: WebhookDelivery) -> bytes:
    """The exact bytes sent (and signed) for a delivery."""
    return json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Iterable[str]]


@dataclass(frozen=True)
class Destinations:
    """Where events may be sent besides public addresses (``WEBHOOK_ALLOW_LOOPBACK``,
    ``WEBHOOK_ALLOWED_NETWORKS`` of the court's settings)."""

    allow_loopback: bool = False
    allowed_networks: tuple[Network, ...] = ()


def parse_networks(spec: str) -> tuple[Network, ...]:
    """``WEBHOOK_ALLOWED_NETWORKS``: CIDRs, comma-separated; never loopback, link-local or reserved."""
    nets = tuple(ipaddress.ip_network(n.strip(), strict=False) for n in spec.split(",") if n.strip())
    for n in nets:
        if n.is_link_local or n.is_multicast or n.is_unspecified or n.overlaps(ipaddress.ip_network("127.0.0.0/8")):
            raise ValueError(f"may not include {n} (loopback, link-local or reserved)")
    return nets


@lru_cache(maxsize=8)
def _rule(allow_loopback: bool, allowed_networks: str) -> Destinations:
    return Destinations(allow_loopback=allow_loopback, allowed_networks=parse_networks(allowed_networks))


def current_rule() -> Destinations:
    """The process's destination rule, from the court's settings (web and workers alike)."""
    cfg = court_settings.current()
    return _rule(cfg.webhook_allow_loopback, cfg.webhook_allowed_networks)


def configure(*, allow_loopback: bool = False, allowed_networks: str = "") -> Destinations:
    """Change the rule while running (tests); operators set the two variables."""
    court_settings.configure(webhook_allow_loopback=allow_loopback, webhook_allowed_networks=allowed_networks)
    return current_rule()


def address_refused(ip: str, rule: Destinations | None = None) -> str | None:
    """Why events may not go to ``ip`` (``loopback``, ``link_local``, ``reserved``, ``private``), or None."""
    rule = rule or current_rule()
    try:
        addr: IPAddress = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return "reserved"
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = addr.ipv4_mapped or addr.sixtofour or (addr.teredo[1] if addr.teredo else None)
        if embedded is None and addr in ipaddress.ip_network("64:ff9b::/96"):  # NAT64
            embedded = ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
        if embedded is not None:
            addr = embedded
    if addr.is_loopback:
        return None if rule.allow_loopback else "loopback"
    if addr.is_link_local:
        return "link_local"
    if addr.is_multicast or addr.is_unspecified or addr.is_reserved:
        return "reserved"
    if any(addr in n for n in rule.allowed_networks):
        return None
    if addr.is_private or not addr.is_global:
        return "private"
    return None


def _resolve(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


REFUSED = {"loopback": N_("接收地址指向本机回环地址（{ip}），不能向其发送事件"),
           "link_local": N_("接收地址指向链路本地地址（含云服务器元数据地址）（{ip}），不能向其发送事件"),
           "reserved": N_("接收地址指向保留地址（{ip}），不能向其发送事件"),
           "private": N_("接收地址指向内部网络地址（{ip}），不能向其发送事件；"
                         "法院内网系统的网段须由运维人员列入 WEBHOOK_ALLOWED_NETWORKS")}


def check_destination(url: str, *, resolve: Resolver | None = None) -> list[str]:
    """The addresses ``url``'s host resolves to, all allowed; else a DomainError saying which is not."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise DomainError("接收地址须为 http(s):// 开头的完整网址", code="bad_webhook_url") from None
    try:
        addresses = list((resolve or _resolve)(host, port))
    except (OSError, UnicodeError):
        raise DomainError("接收地址的主机名无法解析：{host}", code="webhook_unresolvable", host=host[:100]) from None
    if not addresses:
        raise DomainError("接收地址的主机名无法解析：{host}", code="webhook_unresolvable", host=host[:100])
    for ip in addresses:
        why = address_refused(ip)
        if why:
            raise DomainError(REFUSED[why], code="webhook_address_refused", ip=ip)
    return addresses


def _check_url(url: str, resolve: Resolver | None = None) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or len(url) > 500:
        raise DomainError("接收地址须为 http(s):// 开头的完整网址", code="bad_webhook_url")
    check_destination(url, resolve=resolve)
    return url


def _check_events(events: list[str] | None) -> list[str]:
    chosen = list(dict.fromkeys(events or [ALL]))
    unknown = [e for e in chosen if e != ALL and e not in EVENT_TYPES]
    if unknown:
        raise DomainError("不支持的事件类型：{events}", code="bad_webhook_events", events="、".join(unknown))
    return chosen


def create_endpoint(s: Session, court: Court, url: str, events: list[str] | None = None, *,
                    description: str = "", actor: str = "system") -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it with its signing secret in clear (the only time it is).

    It receives events that happen from now on, not the court's history."""
    chosen = _check_events(events)
    url = _check_url(url)  # last: it resolves the host name
    secret = "whsec_" + crypto.random_token(24)
    head = s.get(AuditHead, 1)
    ep = WebhookEndpoint(court_id=court.id, url=url, events=chosen,
                         description=(description or "").strip()[:200], secret_enc=crypto.encrypt(secret),
                         active=True, since_event_id=head.last_id if head else 0)
    if actor.startswith("staff:"):
        ep.created_by_id = int(actor.split(":")[1])
    s.add(ep)
    s.flush()
    audit.record(s, "webhook.endpoint_created", actor=actor, subject=f"webhook:{ep.id}",
                 details={"url": ep.url, "events": ep.events})
    return ep, secret


def update_endpoint(s: Session, ep: WebhookEndpoint, *, active: bool | None = None,
                    events: list[str] | None = None, actor: str = "system") -> WebhookEndpoint:
    if active is not None:
        ep.active = active
    if events is not None:
        ep.events = _check_events(events)
    s.flush()
    audit.record(s, "webhook.endpoint_updated", actor=actor, subject=f"webhook:{ep.id}",
                 details={"active": ep.active, "events": ep.events})
    return ep


def endpoint_of(s: Session, court_id: int, endpoint_id: int) -> WebhookEndpoint:
    return court_row(s, WebhookEndpoint, endpoint_id, court_id, lambda ep: ep.court_id,
                     NotFound("接收地址不存在", code="webhook_not_found"))


def delivery_of(s: Session, court_id: int, delivery_id: int) -> WebhookDelivery:
    return court_row(s, WebhookDelivery, delivery_id, court_id, lambda d: d.endpoint.court_id,
                     NotFound("投递记录不存在", code="webhook_delivery_not_found"))


def _payload(ev: AuditEvent, event_type: str, case: Case) -> dict[str, Any]:
    return {
        "id": f"evt_{ev.id}", "type": event_type, "created_at": ev.at.isoformat(timespec="seconds"),
        "court": {"code": case.court.code, "name": case.court.name},
        "case": {"id": case.id, "number": case.number, "status": case.status.value},
        "action": ev.action, "subject": ev.subject, "data": ev.details or {},
    }


def collect(s: Session, *, limit: int = BATCH) -> int:
    """Turn audit rows past the cursor into deliveries for the endpoints that want them.

    Safe to run concurrently: the cursor row is locked, and (endpoint, event) is unique."""
    cursor = s.get(WebhookCursor, 1, with_for_update=db.is_postgres())
    if cursor is None:
        cursor = WebhookCursor(id=1, last_audit_id=0)
        s.add(cursor)
        s.flush()
    events = s.scalars(select(AuditEvent).where(AuditEvent.id > cursor.last_audit_id)
                       .order_by(AuditEvent.id).limit(limit)).all()
    if not events:
        return 0
    # paused endpoints get their deliveries too: they wait (claim_due skips them) until resumed
    endpoints = s.scalars(select(WebhookEndpoint)).all()
    made = 0
    now = db.utcnow()
    for ev in events:
        event_type = EVENTS.get(ev.action)
        if event_type is None or ev.case_id is None or not endpoints:
            continue
        case = s.get(Case, ev.case_id)
        if case is None:
            continue
        for ep in endpoints:
            if ep.court_id != case.court_id or ev.id <= ep.since_event_id:
                continue
            if ALL not in ep.events and event_type not in ep.events:
                continue
            s.add(WebhookDelivery(endpoint_id=ep.id, event_id=ev.id, event_type=event_type,
                                  payload=_payload(ev, event_type, case), status="pending", attempts=0,
                                  next_attempt_at=now))
            made += 1
    cursor.last_audit_id = events[-1].id
    s.flush()
    return made


def claim_due(s: Session, *, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Ids of pending deliveries due now, leased so no other caller sends them meanwhile."""
    now = now or db.utcnow()
    ids = list(s.scalars(select(WebhookDelivery.id).join(WebhookEndpoint).where(
        WebhookDelivery.status == "pending", WebhookEndpoint.active.is_(True),
        WebhookDelivery.next_attempt_at <= now).order_by(WebhookDelivery.id).limit(limit)))
    claimed = []
    for did in ids:
        got = s.execute(update(WebhookDelivery).where(
            WebhookDelivery.id == did, WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now,
        ).values(next_attempt_at=now + LEASE).execution_options(synchronize_session=False))
        if db.rowcount(got):
            claimed.append(did)
    return claimed


def record_attempt(s: Session, d: WebhookDelivery, *, status_code: int | None, response: str | None,
                   error: str | None, duration_ms: int, now: datetime | None = None) -> WebhookDelivery:
    """Keep what the receiver answered; a 2xx ends the delivery, anything else waits and retries."""
    now = now or db.utcnow()
    s.add(WebhookAttempt(delivery_id=d.id, at=now, status_code=status_code, response=(response or "")[:1000] or None,
                         error=(error or "")[:500] or None, duration_ms=duration_ms))
    d.attempts += 1
    d.last_status = status_code
    if status_code is not None and 200 <= status_code < 300:
        d.status, d.delivered_at, d.next_attempt_at, d.last_error = "delivered", now, None, None
    else:
        d.last_error = (error or f"HTTP {status_code}")[:500]
        if d.attempts > len(BACKOFF):
            d.status, d.next_attempt_at = "failed", None
        else:
            d.next_attempt_at = now + timedelta(seconds=BACKOFF[d.attempts - 1])
    s.flush()
    return d


def replay(s: Session, d: WebhookDelivery, *, actor: str) -> WebhookDelivery:
    """Send a delivery again now (after the receiver was fixed, or on the receiver's request)."""
    d.status, d.next_attempt_at, d.delivered_at = "pending", db.utcnow(), None
    s.flush()
    audit.record(s, "webhook.replayed", actor=actor, subject=f"webhook_delivery:{d.id}",
                 details={"event": d.payload.get("id"), "endpoint": d.endpoint_id})
    return d
