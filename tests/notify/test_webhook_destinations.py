"""Events may not be pointed inside the platform's own network (SSRF): an admin registering a
loopback, link-local (cloud metadata) or private address is refused, every address a name resolves
to is checked, the check is made again before each delivery, and a name that resolves to a public
address at the check but connects to an internal one (DNS rebinding) reaches nothing."""
from __future__ import annotations

import socket

import pytest
from sqlalchemy import select

from config import Config
from court import db
from court.models import WebhookAttempt, WebhookDelivery
from court.services import webhooks
from notify import webhooks as sender
from tests.notify.test_webhooks import flow_with_two_refusals

PUBLIC = "93.184.216.34"


@pytest.fixture
def production_rule(app, monkeypatch):  # type: ignore[no-untyped-def]
    """The rule as in production: no loopback; names resolved by the fake DNS in ``dns``."""
    webhooks.configure()
    dns: dict[str, list[str]] = {}
    real = webhooks._resolve
    monkeypatch.setattr(webhooks, "_resolve", lambda host, port: dns[host] if host in dns else real(host, port))
    return dns


@pytest.mark.parametrize("url, kind", [
    ("http://127.0.0.1:5000/hooks", "本机回环地址"),
    ("http://localhost/hooks", "本机回环地址"),
    ("http://2130706433/hooks", "本机回环地址"),  # 127.0.0.1 written as one number
    ("http://[::ffff:127.0.0.1]/hooks", "本机回环地址"),
    ("http://[::1]:8080/", "本机回环地址"),
    ("http://169.254.169.254/latest/meta-data/", "链路本地地址（含云服务器元数据地址）"),
    ("http://10.0.0.5/hooks", "内部网络地址"),
    ("http://192.168.1.10/hooks", "内部网络地址"),
    ("http://100.64.0.1/hooks", "内部网络地址"),
    ("http://0.0.0.0/hooks", "保留地址"),
])
def test_registration_refuses_internal_addresses(api, production_rule, url, kind):
    r = api("post", "/webhooks", role="admin", json={"url": url})
    assert r.status_code == 400, r.json
    assert r.json["error"]["code"] == "webhook_address_refused" and kind in r.json["error"]["message"]


def test_every_address_of_a_name_is_checked_and_listed_court_networks_are_allowed(api, production_rule):
    production_rule["oa.court.example"] = [PUBLIC, "10.20.1.5"]
    r = api("post", "/webhooks", role="admin", json={"url": "https://oa.court.example/hooks"})
    assert r.status_code == 400 and "10.20.1.5" in r.json["error"]["message"]
    webhooks.configure(allowed_networks="10.20.0.0/16")  # the court's own network, listed by the operator
    assert api("post", "/webhooks", role="admin", json={"url": "https://oa.court.example/hooks"}).status_code == 201
    production_rule["other.example"] = ["10.21.0.1"]
    assert api("post", "/webhooks", role="admin", json={"url": "https://other.example/"}).status_code == 400
    production_rule["gone.example"] = []
    r = api("post", "/webhooks", role="admin", json={"url": "https://gone.example/"})
    assert r.status_code == 400 and r.json["error"]["code"] == "webhook_unresolvable"
    for bad in ("169.254.0.0/16", "127.0.0.0/8", "0.0.0.0/0"):
        with pytest.raises(ValueError):
            webhooks.configure(allowed_networks=bad)


def _one_delivery(api, s, run_jobs, url):  # type: ignore[no-untyped-def]
    ep = api("post", "/webhooks", role="admin", json={"url": url, "events": ["step.refused"]}).json
    flow_with_two_refusals(db.session(), run_jobs)
    return ep


def test_delivery_checks_the_destination_again(api, s, run_jobs, receiver, monkeypatch):
    _one_delivery(api, s, run_jobs, receiver.url)  # registered while loopback was allowed
    webhooks.configure()  # the rule as in production
    sender.pump()
    run_jobs(("notify",))
    assert receiver.got == []
    s = db.session()
    attempts = s.scalars(select(WebhookAttempt)).all()
    assert attempts and all(a.status_code is None and "本机回环地址" in a.error for a in attempts)
    assert all(d.status == "pending" and d.next_attempt_at is not None for d in s.scalars(select(WebhookDelivery)))


def test_a_name_that_rebinds_to_loopback_after_the_check_reaches_nothing(api, s, run_jobs, receiver, monkeypatch,
                                                                         production_rule):
    port = receiver.url.split(":")[2].split("/")[0]
    production_rule["rebind.example"] = [PUBLIC]  # what the check sees
    real = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        return real("127.0.0.1" if host == "rebind.example" else host, *args, **kwargs)  # what the connection sees

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    _one_delivery(api, s, run_jobs, f"http://rebind.example:{port}/hooks")
    sender.pump()
    run_jobs(("notify",))
    assert receiver.got == []
    errors = [a.error for a in db.session().scalars(select(WebhookAttempt))]
    assert errors and all("refused destination address 127.0.0.1 (loopback)" in e for e in errors)


def test_production_refuses_loopback_webhooks():
    problems = Config(ENV="production", AUDIT_KEY="k" * 40, WEBHOOK_ALLOW_LOOPBACK=True).problems()
    assert any(p.startswith("WEBHOOK_ALLOW_LOOPBACK") for p in problems)
    assert not any("WEBHOOK" in p for p in Config(ENV="production", AUDIT_KEY="k" * 40).problems())
