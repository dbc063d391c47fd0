"""The development gateway: a real, offline provider that "sends" by recording each SMS or
e-mail in the database (``dev_message``). ``/dev/phone`` lists them per number like a phone's
inbox. One row per notification at most, so a retried send is never shown twice; the app refuses
to start with this provider when ``ENV=production``.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from court import db
from court.models import DevMessage
from notify.providers.base import Outgoing, SendResult


def _insert(dialect: str):  # type: ignore[no-untyped-def]
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(DevMessage)
    return stmt.on_conflict_do_nothing(index_elements=["notification_id"])


class DevelopmentGateway:
    """Records messages for one channel (``sms`` or ``email``)."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.name = f"development-{channel}"

    def send(self, batch: list[Outgoing]) -> list[SendResult]:
        if not batch:
            return []
        now = db.utcnow()
        rows = [{"channel": self.channel, "address": m.address, "subject": m.subject, "body": m.text,
                 "notification_id": m.notification_id, "created_at": now} for m in batch]
        engine = db.engine()
        with engine.begin() as conn:
            conn.execute(_insert(engine.dialect.name), rows)
        return [SendResult(m.notification_id, ok=True, provider_id=f"dev-{m.notification_id}", delivered=True)
                for m in batch]

    def already_sent(self, notification_ids: list[int]) -> dict[int, str]:
        # the caller's session: on SQLite a second connection would wait for its write lock
        found = db.session().scalars(select(DevMessage.notification_id).where(
            DevMessage.notification_id.in_(notification_ids))).all()
        return {nid: f"dev-{nid}" for nid in found}


class ConsoleInbox:
    """Staff reminders with no e-mail address: the row itself is the message, listed in the
    staff console's inbox (``channel='console'``, ``address='staff:<id>'``)."""

    name = "console"

    def send(self, batch: list[Outgoing]) -> list[SendResult]:
        return [SendResult(m.notification_id, ok=True, provider_id=f"console-{m.notification_id}", delivered=True)
                for m in batch]

    def already_sent(self, notification_ids: list[int]) -> dict[int, str]:
        return {nid: f"console-{nid}" for nid in notification_ids}
