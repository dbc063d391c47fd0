"""Who may act for a party: its legal representative or an authorised agent (CPL arts. 51, 61-62).

The agent is a person the court entered on the case like any party (a ``Party`` row with role
``agent``), so they prove who they are through the same pages and association codes as anyone
else, against *their own* name and ID number. An :class:`AgentAuthority` ties that agent row to the
party it acts for (``principal``), with the scope of the authority, its validity and the power of
attorney staff uploaded. ``court.services.agents`` is the one place that reads these rows to answer
"may this person act for that party in this act now?".
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from court.db import Base, UTCDateTime
from court.models._types import created, intpk, when
from court.models.cases import Party


class AgentAuthority(Base):
    __tablename__ = "agent_authority"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    principal_party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)  # the party acted for
    agent_party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)  # the agent's own record
    role: Mapped[str] = mapped_column(String(32))  # legal_representative | lawyer | legal_worker | employee | …
    scope: Mapped[str] = mapped_column(String(16))  # statutory | special | general
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[when]  # None: until the end of the case
    poa_key: Mapped[str | None] = mapped_column(String(200))  # the power of attorney (PDF) in the file store
    poa_sha256: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created]
    revoked_at: Mapped[when]
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    principal: Mapped[Party] = relationship(foreign_keys=[principal_party_id])
    agent: Mapped[Party] = relationship(foreign_keys=[agent_party_id])
