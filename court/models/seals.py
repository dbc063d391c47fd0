"""The court's seals and the seal register (every use of a seal, by flow or by command).

A court may hold several seals (the court's own, a subordinate court's, a department's), each
with its own certificate and image. Every use of any of them is one :class:`SealUse` row: who
used it, on which document and version (hash), under which approval, with which certificate,
and the anti-counterfeit code printed on the result so the public verify page finds it.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from court.db import Base
from court.models._types import created, intpk
from court.models.people import Court

SEAL_KINDS = ("court", "subordinate", "department")


class Seal(Base):
    __tablename__ = "seal"

    id: Mapped[intpk]
    court_id: Mapped[int] = mapped_column(ForeignKey("court.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))  # the text around the seal, e.g. 北京互联网法院
    kind: Mapped[str] = mapped_column(String(16), default="court")  # court | subordinate | department
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)  # the court seal flows use unless told
    # its PKCS#12 (production: from a licensed CA); None = the configured court seal for the default
    # seal, or a development certificate issued under the development CA for the others
    p12_path: Mapped[str | None] = mapped_column(String(500))
    p12_password_env: Mapped[str | None] = mapped_column(String(100))  # environment variable holding its password
    image_key: Mapped[str | None] = mapped_column(String(200))  # uploaded seal image; None = generated
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[created]

    court: Mapped[Court] = relationship()


class SealUse(Base):
    """One use of a seal. Rows are only ever inserted."""

    __tablename__ = "seal_use"

    id: Mapped[intpk]
    at: Mapped[created]
    court_id: Mapped[int | None] = mapped_column(ForeignKey("court.id"), index=True)
    seal_id: Mapped[int | None] = mapped_column(ForeignKey("seal.id"), index=True)
    seal_name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))  # flow | cli | batch | note
    actor: Mapped[str] = mapped_column(String(64))  # staff:<id> | system:seal | cli:<os user>
    code: Mapped[str] = mapped_column(String(32), index=True)  # the anti-counterfeit code printed on it
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("document_version.id"))
    step_id: Mapped[int | None] = mapped_column(ForeignKey("flow_step.id"))
    approval_step_id: Mapped[int | None] = mapped_column(ForeignKey("flow_step.id"))
    source_sha256: Mapped[str] = mapped_column(String(64))  # what was sealed
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # the sealed result
    size: Mapped[int] = mapped_column(BigInteger)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    filename: Mapped[str | None] = mapped_column(String(200))
    cert_fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of the seal certificate (DER)

    seal: Mapped[Seal | None] = relationship()
