"""Cases, their parties (as the court entered them), and dated events such as hearings."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from court.db import Base, UTCDateTime
from court.models._types import created, enum_col, intpk, when
from court.models.people import Court, Person


class CaseStatus(str, enum.Enum):
    """立案 → 审理中 → 结案 → 归档 (``court.services.lifecycle`` says which moves are allowed)."""

    OPEN = "open"  # filed
    IN_TRIAL = "in_trial"
    CLOSED = "closed"
    ARCHIVED = "archived"  # read-only; the electronic case file is kept (archive_key)


class Case(Base):
    __tablename__ = "case"
    __table_args__ = (UniqueConstraint("court_id", "number"),)

    id: Mapped[intpk]
    court_id: Mapped[int] = mapped_column(ForeignKey("court.id"), index=True)
    number: Mapped[str] = mapped_column(String(64))  # (2026)京0491民初123号
    type: Mapped[str] = mapped_column(String(32))  # civil | criminal | administrative | enforcement
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[CaseStatus] = mapped_column(enum_col(CaseStatus), default=CaseStatus.OPEN)
    needs_attention: Mapped[str | None] = mapped_column(String(200))  # e.g. postal service needed
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[created]
    status_changed_at: Mapped[when]
    archived_at: Mapped[when]
    archive_key: Mapped[str | None] = mapped_column(String(200))  # the kept bundle in the file store
    archive_sha256: Mapped[str | None] = mapped_column(String(64))

    court: Mapped[Court] = relationship()
    parties: Mapped[list[Party]] = relationship(back_populates="case", order_by="Party.id")
    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.at")


class PartyRole(str, enum.Enum):
    PLAINTIFF = "plaintiff"
    DEFENDANT = "defendant"
    THIRD_PARTY = "third_party"
    WITNESS = "witness"
    AGENT = "agent"


class Party(Base):
    """A participant as the court entered them. ``person_id`` is set once a verified person joins.

    The association code is never stored in clear: only its keyed hash, expiry and use time.
    """

    __tablename__ = "party"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    role: Mapped[PartyRole] = mapped_column(enum_col(PartyRole))
    name: Mapped[str] = mapped_column(String(100))
    # person | organisation; an organisation has a unified social credit code (court.uscc) and acts
    # through its legal representative or an authorised agent (court.services.agents)
    kind: Mapped[str] = mapped_column(String(16), default="person", server_default="person")
    uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    id_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(200))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    bound_at: Mapped[when]
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    code_expires_at: Mapped[when]
    code_used_at: Mapped[when]
    code_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[created]

    case: Mapped[Case] = relationship(back_populates="parties")
    person: Mapped[Person | None] = relationship()


class CaseEvent(Base):
    """Something dated in a case a party should know about: a hearing, a deadline."""

    __tablename__ = "case_event"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # hearing | deadline | other
    title: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str | None] = mapped_column(String(200))

    case: Mapped[Case] = relationship(back_populates="events")
