"""The outbox of messages to parties, and the service record that says when service took effect."""
from __future__ import annotations

import enum

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from court.db import Base
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

    party: Mapped[Party | None] = relationship()


class ServiceRecord(Base):
    """Service of one document on one party. ``effective_at`` is the legal date of service:
    the earliest time any channel reached the party's system (Online Litigation Rules art. 31)."""

    __tablename__ = "service_record"
    __table_args__ = (UniqueConstraint("party_id", "document_id"),)

    id: Mapped[intpk]
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    channels_tried: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    effective_at: Mapped[when]
    effective_channel: Mapped[str | None] = mapped_column(String(16))
    signed_at: Mapped[when]
    receipt_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    credential_version_id: Mapped[int | None] = mapped_column(ForeignKey("document_version.id"))
    created_at: Mapped[created]

    party: Mapped[Party] = relationship()
    document: Mapped[Document] = relationship()
    credential: Mapped[DocumentVersion | None] = relationship()
