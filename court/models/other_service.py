"""Service by another method than the electronic one (CPL arts. 88–95): postal service with the
return card, public notice, direct service and leaving the document at the address. One row per
party and document; it becomes that party's service record (``ServiceRecord.effective_at``)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from court.db import Base
from court.models._types import created, intpk
from court.models.cases import Party
from court.models.documents import Document


class OtherService(Base):
    """What the clerk recorded: the method, its evidence (tracking number, return card scan,
    where published, witnesses) and the legal date of service that follows from it."""

    __tablename__ = "other_service"
    __table_args__ = (UniqueConstraint("party_id", "document_id"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    service_record_id: Mapped[int] = mapped_column(ForeignKey("service_record.id"), unique=True)
    method: Mapped[str] = mapped_column(String(16))  # postal | public_notice | direct | left
    tracking_number: Mapped[str | None] = mapped_column(String(32))
    posted_on: Mapped[date | None] = mapped_column(Date)
    received_on: Mapped[date | None] = mapped_column(Date)  # per the return card or the tracking
    published_in: Mapped[str | None] = mapped_column(String(200))
    published_on: Mapped[date | None] = mapped_column(Date)
    abroad: Mapped[bool] = mapped_column(default=False)  # a party without a domicile in China
    witnesses: Mapped[list[str]] = mapped_column(JSON, default=list)
    scan_key: Mapped[str | None] = mapped_column(String(200))  # the return card (送达回证) as a PDF
    scan_sha256: Mapped[str | None] = mapped_column(String(64))
    served_on: Mapped[date] = mapped_column(Date)  # the legal date of service (service_date.other_method_date)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[created]

    party: Mapped[Party] = relationship()
    document: Mapped[Document] = relationship()
