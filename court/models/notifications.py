"""The outbox of messages to parties, and the service record that says when service took effect."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from court.db import Base, UTCDateTime
from court.models._types import created, enum_col, intpk, when
from court.models.cases import Party
from court.models.documents import Document, DocumentVersion


class NotificationStatus(str, enum.Enum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    OPENED = "opened"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Notification(Base):
    """One message on one channel. Written in the same transaction as the event that causes it."""

    __tablename__ = "notification"

    id: Mapped[intpk]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # sms | wechat | email
    address: Mapped[str] = mapped_column(String(200))
    template: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    status: Mapped[NotificationStatus] = mapped_column(
        enum_col(NotificationStatus), default=NotificationStatus.PENDING, index=True
    )
    provider_id: Mapped[str | None] = mapped_column(String(128), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[when]
    sent_at: Mapped[when]
    delivered_at: Mapped[when]
    opened_at: Mapped[when]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created]
    # notify/: the staff push this row belongs to, and a key that makes a cause send only once
    push_id: Mapped[int | None] = mapped_column(ForeignKey("notice_push.id"), index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(100), unique=True)

    party: Mapped[Party | None] = relationship()


class ServiceRecord(Base):
    """Service of one document (or one staff push: ``push_id``) on one party. ``effective_at``
    is the legal date of service as decided by ``court.services.service_date`` (Online Litigation
    Rules art. 31); ``served_version_id`` is the exact version the party was served."""

    __tablename__ = "service_record"
    __table_args__ = (UniqueConstraint("party_id", "document_id"),)

    id: Mapped[intpk]
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), index=True)
    push_id: Mapped[int | None] = mapped_column(ForeignKey("notice_push.id"), index=True)
    served_version_id: Mapped[int | None] = mapped_column(ForeignKey("document_version.id"))
    channels_tried: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    effective_at: Mapped[when]
    effective_channel: Mapped[str | None] = mapped_column(String(16))
    signed_at: Mapped[when]
    receipt_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    credential_version_id: Mapped[int | None] = mapped_column(ForeignKey("document_version.id"))
    created_at: Mapped[created]
    # who signed the receipt when it was not the party itself (CPL art. 88: receipt by the agent is
    # service on the party), and the sentence the receipt and credential state (court.services.agents)
    signed_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    agent_authority_id: Mapped[int | None] = mapped_column(ForeignKey("agent_authority.id"))
    acted_for: Mapped[str | None] = mapped_column(String(300))
    # notify/ escalation: the flow step being served, where escalation stands and when to look again
    step_id: Mapped[int | None] = mapped_column(ForeignKey("flow_step.id"))
    stage: Mapped[str | None] = mapped_column(String(16))  # wechat | sms | flagged | done
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    party: Mapped[Party] = relationship()
    document: Mapped[Document | None] = relationship()
    credential: Mapped[DocumentVersion | None] = relationship(foreign_keys=[credential_version_id])
    served_version: Mapped[DocumentVersion | None] = relationship(foreign_keys=[served_version_id])


class NoticePush(Base):
    """A staff push of one notice template to many parties, fanned out in the background.

    ``cursor`` is the last party id already written to the outbox, so an interrupted fan-out
    resumes where it stopped; ``heartbeat_at`` lets the sweep spot a fan-out whose worker died.
    """

    __tablename__ = "notice_push"

    id: Mapped[intpk]
    court_id: Mapped[int] = mapped_column(ForeignKey("court.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    template: Mapped[str] = mapped_column(String(64))
    fields: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    case_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    recipients: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)  # {"all": true} | roles | party_ids
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | running | done | failed
    total: Mapped[int] = mapped_column(Integer, default=0)
    queued: Mapped[int] = mapped_column(Integer, default=0)  # outbox rows written so far
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    heartbeat_at: Mapped[when]
    created_at: Mapped[created]
    finished_at: Mapped[when]


class SmsLink(Base):
    """A signed link ``/s/<token>`` in an SMS. Only the token's keyed hash is stored; the link is
    bound to one party, one document and one purpose, expires, and can be revoked."""

    __tablename__ = "sms_link"

    id: Mapped[intpk]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # receive | sign | view
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[when]
    first_opened_at: Mapped[when]
    last_opened_at: Mapped[when]
    open_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[created]


class DeliveryReport(Base):
    """A delivery receipt from a provider or WeChat, kept once (providers retry their callbacks)."""

    __tablename__ = "delivery_report"

    id: Mapped[intpk]
    provider: Mapped[str] = mapped_column(String(16))
    report_key: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the identifying fields
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id"), index=True)
    success: Mapped[bool] = mapped_column(Boolean)
    code: Mapped[str | None] = mapped_column(String(64))
    reported_at: Mapped[when]
    received_at: Mapped[created]


class DevMessage(Base):
    """A message the development gateway "sent": the /dev/phone page shows these like a phone.
    One row per notification at most, which makes the development gateway exactly-once."""

    __tablename__ = "dev_message"

    id: Mapped[intpk]
    channel: Mapped[str] = mapped_column(String(16))  # sms | email
    address: Mapped[str] = mapped_column(String(200), index=True)
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id"), unique=True)
    created_at: Mapped[created]
