"""Posting events to the court's systems (the rules and records are ``court/services/webhooks.py``).

:func:`pump` turns new audit rows into deliveries and queues the due ones; the outbox sweep calls
it every ``NOTIFY_SWEEP_SECONDS``, so nothing waits on a job that Redis lost. :func:`deliver` posts
one delivery, signed, and records the receiver's answer; a failure is retried with backoff.

Before each post the endpoint's host is resolved again and every address checked
(``court.services.webhooks.check_destination``), and the connection itself refuses a peer address
the rule does not allow: a name that resolved to a public address at the check and to an internal
one a moment later (DNS rebinding) still reaches nothing inside.

Through a proxy (``HTTP_PROXY``/``HTTPS_PROXY``, minus ``NO_PROXY``, as for any HTTP client) the
connection's peer is the proxy, which says nothing about where the event goes, and the proxy would
resolve the name again itself. So the destination is resolved and checked here, and the proxy is
handed the checked address, not the name: an ``http://`` event goes as ``POST http://<address>/…``
with the name in ``Host``, an ``https://`` one through ``CONNECT <address>:443`` with the name used
for SNI and the certificate check. A name that rebinds after the check cannot steer the proxy; the
proxy itself is the operator's and is not checked as a destination.
"""
from __future__ import annotations

import logging
import os
import time
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies, select_proxy
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


class _PinnedAdapter(HTTPAdapter):
    """Through a proxy, to a URL whose host is the checked address: TLS still names the real host
    (SNI) and checks the certificate against it."""

    def __init__(self, host: str) -> None:
        self.host = host
        super().__init__()

    def build_connection_pool_key_attributes(self, request, verify, cert=None):  # type: ignore[no-untyped-def]
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        if host_params.get("scheme") == "https":
            pool_kwargs["server_hostname"] = self.host
            pool_kwargs["assert_hostname"] = self.host
        return host_params, pool_kwargs


def proxy_for(url: str) -> str | None:
    """The proxy the environment says ``url`` goes through (``NO_PROXY`` honoured), or None."""
    return select_proxy(url, get_environ_proxies(url)) or None


def _pinned(url: str, address: str) -> tuple[str, str]:
    """``url`` with its host replaced by the checked ``address``, and the ``Host`` header it needs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    literal = f"[{address}]" if ":" in address else address
    return urlunsplit((parts.scheme, f"{literal}{port}", parts.path or "/", parts.query, "")), f"{host}{port}"


def _post(url: str, body: bytes, headers: dict[str, str], addresses: list[str] | None = None) -> requests.Response:
    """POST ``body``; ``addresses``: the destination's checked addresses (used through a proxy)."""
    proxy = proxy_for(url)
    with requests.Session() as session:
        session.trust_env = False  # the proxy was chosen above, for the name, not for the address
        session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        if proxy is None:
            session.mount("http://", _GuardedAdapter())
            session.mount("https://", _GuardedAdapter())
            return session.post(url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False)
        if not addresses:
            raise requests.ConnectionError("destination not checked before sending through the proxy")
        target, host = _pinned(url, addresses[0])
        adapter = _PinnedAdapter(urlsplit(url).hostname or "")
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        scheme = urlsplit(url).scheme
        return session.post(target, data=body, headers={**headers, "Host": host}, timeout=TIMEOUT,
                            allow_redirects=False, proxies={scheme: proxy})


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
        addresses = webhooks.check_destination(url)
        resp = _post(url, body, headers, addresses)
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
