
"""The outbox: written with the cause, sent once, retried with backoff, failures recorded."""
from __future__ import annotations

from datetime import timedelta
from functools import partial

from sqlalchemy import select, update

from court import db
from court.models import DevMessage, Notification, NotificationStatus
from court.services import outbox
from notify import dispatch, sweep
from notify.providers import registry
from notify.providers.base import SendResult
from notify.views import inbox_key
from tests.notify.conftest import notifications, queue_otp, read, use_settings

S = NotificationStatus


CODE = "482913"  # the one-time code these tests send and look for
_otp = partial(queue_otp, code=CODE)


def test_otp_reaches_the_phone_once_and_the_code_is_purged(s, run_jobs, client):
    n = _otp(s)
    assert run_jobs() >= 1
    [row] = notifications(id=n.id)
    assert row.status is S.DELIVERED and row.sent_at and row.delivered_at
    assert row.provider_id == f"dev-{n.id}"
    assert "code" not in row.params and row.params["code_purged"] is True
    [msg] = read(select(DevMessage))
    assert msg.address == "13900000009"
    assert msg.body.startswith("【法院电子送达】您的验证码为482913，5分钟内有效")
    # the development phone shows it
    page = client.get(f"/dev/phone/{inbox_key('13900000009')}").get_data(as_text=True)
    assert "482913" in page
    assert "13900000009" in client.get("/dev/phone").get_data(as_text=True)


def test_dispatch_is_idempotent(s, app):
    n = _otp(s)
    first = dispatch.dispatch([n.id])
    second = dispatch.dispatch([n.id])
    assert (first.claimed, first.sent) == (1, 1)
    assert second.claimed == 0
    assert len(read(select(DevMessage))) == 1


def test_rollback_writes_nothing_and_sends_nothing(s, run_jobs):
    try:
        with db.transaction() as tx:
            outbox.add(tx, channel="sms", address="13900000009", template="otp", params={"code": "1", "minutes": 5})
            raise RuntimeError("the cause failed")
    except RuntimeError:
        pass
    assert run_jobs() == 0
    assert notifications() == []


def test_bad_input_is_a_recorded_failure_with_the_reason(s, run_jobs):
    unknown = outbox.add(s, channel="sms", address="13900000009", template="no_such_template", params={})
    missing = outbox.add(s, channel="sms", address="13900000009", template="otp", params={"minutes": 5})
    no_phone = outbox.add(s, channel="sms", address="", template="otp", params={"code": "1", "minutes": 5})
    fax = outbox.add(s, channel="fax", address="010-1234", template="otp", params={"code": "1", "minutes": 5})
    s.commit()
    run_jobs()
    rows = {n.id: n for n in notifications()}
    assert rows[unknown.id].status is S.FAILED and "unknown_template" in rows[unknown.id].error
    assert rows[missing.id].status is S.FAILED and "missing_field" in rows[missing.id].error
    assert rows[no_phone.id].status is S.FAILED and "no_address" in rows[no_phone.id].error
    assert rows[fax.id].status is S.FAILED and "unknown_channel" in rows[fax.id].error


class Flaky:
    """A provider answering with a rate limit a number of times, then accepting."""

    name = "flaky"

    def __init__(self, failures: int, retryable: bool = True) -> None:
        self.failures, self.retryable, self.calls = failures, retryable, 0

    def send(self, batch):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.failures:
            self.failures -= 1
            return [SendResult(m.notification_id, ok=False, error="isv.BUSINESS_LIMIT_CONTROL: 触发流控",
                               retryable=self.retryable) for m in batch]
        return [SendResult(m.notification_id, ok=True, provider_id="p-1") for m in batch]

    def already_sent(self, ids):  # type: ignore[no-untyped-def]
        return None


def _sms_through(monkeypatch, provider):  # type: ignore[no-untyped-def]
    """Send SMS through ``provider`` (the registry builds the others as configured)."""
    built = registry.get
    monkeypatch.setattr(registry, "get", lambda cfg, channel: provider if channel == "sms" else built(cfg, channel))
    return provider


def test_rate_limited_send_backs_off_then_succeeds(s, app, monkeypatch):
    use_settings(app, NOTIFY_BACKOFF_SECONDS=[30, 120], NOTIFY_MAX_ATTEMPTS=3)
    flaky = _sms_through(monkeypatch, Flaky(failures=1))
    n = _otp(s)
    dispatch.dispatch([n.id])
    [row] = notifications(id=n.id)
    assert row.status is S.PENDING and row.attempts == 1 and "BUSINESS_LIMIT_CONTROL" in row.error
    assert timedelta(seconds=25) < row.next_attempt_at - db.utcnow() <= timedelta(seconds=30)
    assert row.params["code"] == "482913"  # kept until the last attempt
    assert dispatch.dispatch([n.id]).claimed == 0  # not due yet
    db.session().execute(update(Notification).values(next_attempt_at=db.utcnow()))
    db.session().commit()
    dispatch.dispatch([n.id])
    [row] = notifications(id=n.id)
    assert row.status is S.SENT and row.attempts == 2 and row.error is None and flaky.calls == 2


def test_attempts_run_out_into_a_failed_status(s, app, monkeypatch):
    use_settings(app, NOTIFY_BACKOFF_SECONDS=[0], NOTIFY_MAX_ATTEMPTS=2)
    _sms_through(monkeypatch, Flaky(failures=5))
    n = _otp(s)
    dispatch.dispatch([n.id])
    dispatch.dispatch([n.id])
    [row] = notifications(id=n.id)
    assert row.status is S.FAILED and row.attempts == 2 and "BUSINESS_LIMIT_CONTROL" in row.error
    assert "code" not in row.params


def test_sweep_sends_rows_whose_job_was_lost_and_resolves_stuck_ones(s, app, run_jobs):
    from court import redis_conn

    a, b, c = (_otp(s, f"1390000000{i}") for i in (1, 2, 3))
    redis_conn.client().flushdb()  # the dispatch jobs are lost
    old = db.utcnow() - timedelta(minutes=10)
    # a: pending with a lost job; b: a worker died after the gateway took it; c: died before sending
    dispatch.dispatch([b.id])
    db.session().execute(update(Notification).values(created_at=old))
    db.session().execute(update(Notification).where(Notification.id.in_([b.id, c.id])).values(
        status=S.SENDING, next_attempt_at=old, attempts=1))
    db.session().commit()
    report = sweep.run()
    assert report["pending"] == 1 and report["stuck_sent"] == 1 and report["stuck_retry"] == 1
    run_jobs()
    rows = {n.id: n for n in notifications()}
    assert rows[a.id].status is S.DELIVERED and rows[c.id].status is S.DELIVERED
    assert rows[b.id].status is S.SENT
    bodies = read(select(DevMessage.notification_id))
    assert sorted(bodies) == sorted([a.id, b.id, c.id])  # each exactly once
