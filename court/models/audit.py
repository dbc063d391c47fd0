"""The append-only audit log. Each row carries the SHA-256 of its canonical form chained to the
previous row's hash, so editing or deleting any row is detectable (see :mod:`court.audit`)."""
from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from court.db import Base
from court.models._types import created, intpk


class AuditEvent(Base):
    __tablename__ = "audit_event"

    id: Mapped[intpk]
    at: Mapped[created]
    actor: Mapped[str] = mapped_column(String(64))  # staff:3 | party:5 | person:7 | system
    action: Mapped[str] = mapped_column(String(64))  # case.created, document.uploaded, …
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    subject: Mapped[str | None] = mapped_column(String(64))  # document:12
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The newest row of the chain, so deleting the last rows is detectable too."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
