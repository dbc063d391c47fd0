"""The append-only audit log. Each row carries an HMAC-SHA256 of its canonical form (keyed with
``AUDIT_KEY``, which is not in the database) chained to the previous row's hash, so editing or
deleting any row is detectable; RFC 3161 anchors pin the head at intervals (see :mod:`court.audit`)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from court.db import Base, UTCDateTime
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
    # which AUDIT_KEY sealed the row (so keys can rotate); NULL: a row from before keyed
    # sealing (plain SHA-256), which verification reports until `flask court audit rekey`
    key_id: Mapped[str | None] = mapped_column(String(16))


class AuditHead(Base):
    """The newest row of the chain, so deleting the last rows is detectable too."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """How far the chain was last verified in full order, so a page view checks only newer rows.

    ``mac`` seals the checkpoint itself with the audit key: a forged checkpoint is ignored."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    full_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last check of the whole chain
    mac: Mapped[str] = mapped_column(String(64))


class AuditAnchor(Base):
    """An RFC 3161 timestamp over the chain's head at one moment.

    The token is signed by the timestamp authority, so whoever rewrites the rows before
    ``last_id`` (even holding the audit key) cannot make the anchored hash match again."""

    __tablename__ = "audit_anchor"

    id: Mapped[intpk]
    at: Mapped[created]
    last_id: Mapped[int] = mapped_column(Integer, index=True)
    last_hash: Mapped[str] = mapped_column(String(64))
    tsa: Mapped[str] = mapped_column(String(200))  # which authority issued the token
    token: Mapped[bytes] = mapped_column(LargeBinary)  # DER TimeStampToken (CMS SignedData)
    gen_time: Mapped[datetime] = mapped_column(UTCDateTime)  # the authority's time in the token
