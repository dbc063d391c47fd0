"""Endpoints of the court's own systems that receive the platform's events, and each delivery."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from court.db import Base
from court.models._types import created, intpk, when


class WebhookEndpoint(Base):
    """A URL of the court's trial system, OA or archive that wants events, with its signing secret."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[intpk]
    court_id: Mapped[int] = mapped_column(ForeignKey("court.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(200), default="")
    secret_enc: Mapped[bytes] = mapped_column(LargeBinary)  # encrypted; shown once when created
    events: Mapped[list[str]] = mapped_column(JSON, default=list)  # event types, or ["*"]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    since_event_id: Mapped[int] = mapped_column(Integer, default=0)  # events after this audit row only
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[created]


class WebhookDelivery(Base):
    """One event for one endpoint. ``event_id`` is the audit row's id, so the receiver can dedupe."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (UniqueConstraint("endpoint_id", "event_id"),)

    id: Mapped[intpk]
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id"), index=True)
    event_id: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[when]
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created]
    delivered_at: Mapped[when]

    endpoint: Mapped[WebhookEndpoint] = relationship()
    tries: Mapped[list[WebhookAttempt]] = relationship(order_by="WebhookAttempt.id", back_populates="delivery")


class WebhookAttempt(Base):
    """What happened on one try: the receiver's status and the start of its answer."""

    __tablename__ = "webhook_attempt"

    id: Mapped[intpk]
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_delivery.id"), index=True)
    at: Mapped[created]
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)

    delivery: Mapped[WebhookDelivery] = relationship(back_populates="tries")


class WebhookCursor(Base):
    """How far the audit log has been turned into deliveries (one row, id 1)."""

    __tablename__ = "webhook_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_audit_id: Mapped[int] = mapped_column(Integer, default=0)
