"""Events through an outbound proxy (HTTP_PROXY / HTTPS_PROXY): the connection's peer is then the
proxy, so the destination itself is resolved and checked before the post, and the proxy is given
the checked address, never the name (it cannot resolve the name again to somewhere inside). A
forward proxy on loopback stands in for the court's; the rule is production's (no loopback
destinations), which must not stop the operator's own proxy."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from court import db
from court.models import WebhookAttempt, WebhookDelivery
from notify import webhooks as sender
from tests.notify.test_webhook_destinations import PUBLIC, _one_delivery, production_rule  # noqa: F401


class Proxy:
    """A forward proxy that answers for the destination: records every request line and Host."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str]] = []  # (request target, Host header)
        self.connects: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.posts.append((self.path, self.headers.get("Host", "")))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def do_CONNECT(self) -> None:  # noqa: N802
                outer.connects.append(self.path)
                self.send_response(502)  # no tunnel: what was asked for is what the test reads
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def proxy(monkeypatch) -> Iterator[Proxy]:  # type: ignore[no-untyped-def]
    p = Proxy()
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(name, p.url)
    yield p
    p.server.shutdown()


def _attempt_errors() -> list[str | None]:
    return [a.error for a in db.session().scalars(select(WebhookAttempt))]


def test_through_a_proxy_the_checked_address_is_sent_not_the_name(api, s, run_jobs, proxy, production_rule):  # noqa: F811
    production_rule["hooks.court.example"] = [PUBLIC]
    _one_delivery(api, s, run_jobs, "http://hooks.court.example:8080/events?x=1")
    sender.pump()
    run_jobs(("notify",))
    assert proxy.posts, _attempt_errors()
    assert {target for target, _host in proxy.posts} == {f"http://{PUBLIC}:8080/events?x=1"}
    assert {host for _target, host in proxy.posts} == {"hooks.court.example:8080"}
    assert all(d.status == "delivered" for d in db.session().scalars(select(WebhookDelivery)))


def test_a_name_that_resolves_inside_is_refused_before_the_proxy_is_asked(api, s, run_jobs, proxy,
                                                                         production_rule):  # noqa: F811
    production_rule["hooks.court.example"] = [PUBLIC]  # at registration
    _one_delivery(api, s, run_jobs, "http://hooks.court.example/events")
    production_rule["hooks.court.example"] = ["169.254.169.254"]  # rebound to the cloud metadata service
    sender.pump()
    run_jobs(("notify",))
    assert proxy.posts == [] and proxy.connects == []
    errors = _attempt_errors()
    assert errors and all(e and "链路本地地址" in e for e in errors)


def test_https_through_a_proxy_tunnels_to_the_checked_address(api, s, run_jobs, proxy, production_rule):  # noqa: F811
    production_rule["hooks.court.example"] = [PUBLIC]
    _one_delivery(api, s, run_jobs, "https://hooks.court.example/events")
    sender.pump()
    run_jobs(("notify",))
    assert proxy.connects and set(proxy.connects) == {f"{PUBLIC}:443"}
    assert proxy.posts == []


def test_no_proxy_for_the_destination_keeps_the_connection_check(api, s, run_jobs, proxy, receiver, monkeypatch):
    """NO_PROXY names the destination: no proxy, and the connection's peer is checked as before."""
    from court.services import webhooks

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    _one_delivery(api, s, run_jobs, receiver.url)  # registered while loopback was allowed
    webhooks.configure()  # the rule as in production: no loopback
    sender.pump()
    run_jobs(("notify",))
    assert proxy.posts == [] and receiver.got == []
    errors = _attempt_errors()
    assert errors and all(e and "本机回环地址" in e for e in errors)
