"""Posting events to the court's systems (the rules and records are ``court/services/webhooks.py``).

:func:`pump` turns new audit rows into deliveries and queues the due ones; the outbox sweep calls
it every ``NOTIFY_SWEEP_SECONDS``, so nothing waits on a job that Redis lost. :func:`deliver` posts
one delivery, signed, and records the receiver's answer; a failure is retried with backoff.

Before each post the endpoint's host is resolved again and every address checked
(``court.services.webhooks.check_destination``), and the connection itself refuses a peer address
the rule does not allow: a name that resolved to a public address at the check and to an internal
one a moment later (DNS rebinding) still reaches nothing inside.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from court import crypto, db
from court.errors import DomainError
from court.models import WebhookDelivery
from court.services import webhooks

log = logging.getLogger(__name__)
TIMEOUT = (3.0, 10.0)  # connect, read
USER_AGENT = "court-platform-webhooks/1"


def configure(cfg: object) -> None:
    """Set the process's destination rule from the settings (web and workers alike)."""
    webhooks.configure(allow_loopback=bool(getattr(cfg, "WEBHOOK_ALLOW_LOOPBACK", False)),
                       allowed_networks=str(getattr(cfg, "WEBHOOK_ALLOWED_NETWORKS", "") or ""))


class _Guard:
    """Refuse the connection when the peer address is not allowed, whatever DNS said before."""

    def _new_conn(self):  # type: ignore[no-untyped-def]
        sock = super()._new_conn()  # type: ignore[misc]
        peer = sock.getpeername()[0]
        why = webhooks.address_refused(peer)
        if why:
            sock.close()
            raise NewConnectionError(self, f"refused destination address {peer} ({why})")  # type: ignore[arg-type]
        return sock


class _GuardedHTTP(_Guard, HTTPConnection):
    pass


class _GuardedHTTPS(_Guard, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTP


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPS


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def _post(url: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    with requests.Session() as session:
        session.mount("http://", _GuardedAdapter())
        session.mount("https://", _GuardedAdapter())
        return session.post(url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False)


def pump(*, now: datetime | None = None) -> dict[str, int]:
    """Collect new events and queue every delivery that is due. Safe to run at any time."""
    with db.transaction() as s:
        made = webhooks.collect(s)
    with db.transaction() as s:
        due = webhooks.claim_due(s, now=now)
        for did in due:
            from notify import jobs  # (not at the top: notify.jobs imports this module)
            jobs.deliver_webhook.enqueue(did, session=s)
    return {"collected": made, "queued": len(due)}


def deliver(delivery_id: int) -> str:
    """POST one delivery and record what happened; returns its status afterwards."""
    with db.transaction() as s:
        d = s.get(WebhookDelivery, delivery_id)
        if d is None or d.status != "pending":
            return d.status if d is not None else "missing"
        url, secret, body = d.endpoint.url, crypto.decrypt(d.endpoint.secret_enc), webhooks.body_of(d)
        event_id, event_type = str(d.payload.get("id")), d.event_type
    ts = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
        "X-Court-Event": event_type, "X-Court-Event-Id": event_id,
        "X-Court-Signature": webhooks.sign(secret, ts, body),
    }
    started = time.monotonic()
    status_code: int | None = None
    text: str | None = None
    error: str | None = None
    try:
        webhooks.check_destination(url)
        resp = _post(url, body, headers)
        status_code, text = resp.status_code, resp.text[:1000]
    except DomainError as exc:
        error = f"refused: {exc.localized()}"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {str(exc)[:300]}"
    took = int((time.monotonic() - started) * 1000)
    with db.transaction() as s:
        d = s.get(WebhookDelivery, delivery_id)
        assert d is not None
        webhooks.record_attempt(s, d, status_code=status_code, response=text, error=error, duration_ms=took)
        outcome = d.status
    log.info("webhook delivery %s (%s) to endpoint: %s in %d ms", delivery_id, event_type,
             status_code or error, took)
    return outcome
