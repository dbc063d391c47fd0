"""Document templates a court keeps (传票, 开庭通知书 …), filled per party and served like an upload."""
from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from court.db import Base
from court.models._types import created, enum_col, intpk, when
from court.models.documents import DocumentKind


class DocumentTemplate(Base):
    __tablename__ = "document_template"
    __table_args__ = (UniqueConstraint("court_id", "name"),)

    id: Mapped[intpk]
    court_id: Mapped[int] = mapped_column(ForeignKey("court.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[DocumentKind] = mapped_column(enum_col(DocumentKind))
    title: Mapped[str] = mapped_column(String(200))  # may hold {fields}
    body: Mapped[str] = mapped_column(Text)  # paragraphs separated by blank lines; {fields}
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[created]
    updated_at: Mapped[when]
