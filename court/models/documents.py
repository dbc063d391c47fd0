"""Documents and their immutable versions (each a blob in the file store)."""
from __future__ import annotations

import enum

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from court.db import Base
from court.models._types import created, enum_col, intpk
from court.models.cases import Case


class DocumentKind(str, enum.Enum):
    JUDGMENT = "judgment"
    RULING = "ruling"
    MEDIATION_AGREEMENT = "mediation_agreement"
    SUBPOENA = "subpoena"
    NOTICE = "notice"
    TRANSCRIPT = "transcript"
    CREDENTIAL = "credential"  # the e-service credential the platform produces
    OTHER = "other"


class DocumentStatus(str, enum.Enum):
    UPLOADED = "uploaded"
    IN_FLOW = "in_flow"
    RETURNED = "returned"  # approval of the seal refused: upload a corrected version and start again
    SEALED = "sealed"
    COMPLETED = "completed"
    FAILED = "failed"
    ARCHIVED = "archived"


class Document(Base):
    __tablename__ = "document"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_col(DocumentKind))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[DocumentStatus] = mapped_column(enum_col(DocumentStatus), default=DocumentStatus.UPLOADED)
    verify_code: Mapped[str | None] = mapped_column(String(32), unique=True)  # anti-counterfeit code
    error: Mapped[str | None] = mapped_column(Text)  # last failure, shown to staff
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[created]

    case: Mapped[Case] = relationship()
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", order_by="DocumentVersion.number"
    )

    @property
    def current(self) -> DocumentVersion:
        return self.versions[-1]


class DocumentVersion(Base):
    """One immutable state of a document. Rows are only ever inserted."""

    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[intpk]
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    blob_key: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200))  # uploaded | sealed | signed by … | …
    filename: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[created]

    document: Mapped[Document] = relationship(back_populates="versions")
