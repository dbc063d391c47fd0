"""Migration 0003_notify up and down, the development phone page, the sweep's schedule."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, inspect, select

from court import db, migrate, redis_conn
from court.models import DevMessage
from notify import sweep
from notify.views import inbox_key
from tests.notify.conftest import read


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migration_0002_up_and_down_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate.upgrade(url, "0003_notify")
    assert {"notice_push", "sms_link", "delivery_report", "dev_message"} <= _tables(url)
    migrate.downgrade(url, "0001")
    assert not {"notice_push", "sms_link", "delivery_report", "dev_message"} & _tables(url)
    migrate.upgrade(url)


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_migration_0002_down_and_up_on_postgresql(app):
    url = os.environ["TEST_DATABASE_URL"]
    db.session.remove()
    migrate.downgrade(url, "0001")
    assert "sms_link" not in _tables(url)
    migrate.upgrade(url)
    assert "sms_link" in _tables(url)


def test_dev_phone_shows_inboxes_with_clickable_links(client, app):
    s = db.session()
    s.add(DevMessage(channel="sms", address="13800000001", body="【法院】请点击 http://court.test/s/abcDEF123 查看。"))
    s.add(DevMessage(channel="sms", address="13800000001", body="<script>alert(1)</script>"))
    s.add(DevMessage(channel="email", address="a@example.com", subject="通知", body="正文"))
    s.commit()
    index = client.get("/dev/phone").get_data(as_text=True)
    assert "13800000001" in index and "a@example.com" in index
    page = client.get(f"/dev/phone/{inbox_key('13800000001')}").get_data(as_text=True)
    assert '<a href="http://court.test/s/abcDEF123">http://court.test/s/abcDEF123</a>' in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_dev_phone_is_absent_with_cloud_gateways(aliyun, app):
    from app import create_app
    from notify import settings

    in_force = settings.current().model_dump(exclude={"env"})  # the stand-in gateway the fixture chose
    other = create_app(app.extensions["court_config"].replace(**{**in_force, "MAIL_PROVIDER": "smtp"}))
    assert other.test_client().get("/dev/phone").status_code == 404
    assert read(select(DevMessage)) == []


def test_sweep_keeps_one_chain_scheduled(app):
    from rq.registry import ScheduledJobRegistry

    from court import queue

    assert sweep.schedule_next() is True
    assert sweep.schedule_next() is False  # a chain is already alive
    owner = redis_conn.client().get(sweep.CHAIN_KEY).decode()
    registry = ScheduledJobRegistry(queue=queue.queue("notify"))
    assert registry.get_job_ids() == [owner]
    sweep.continue_chain("some-stray-job")  # a duplicate chain does not reschedule itself
    assert registry.get_job_ids() == [owner]
    sweep.continue_chain(owner)  # the owner hands over to the next run
    new_owner = redis_conn.client().get(sweep.CHAIN_KEY).decode()
    assert new_owner != owner and new_owner in registry.get_job_ids()
