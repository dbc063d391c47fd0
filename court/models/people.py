"""Courts, their staff, and the people (parties) who use the bot and the web pages."""
from __future__ import annotations

import enum

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from court.db import Base
from court.models._types import created, enum_col, intpk, when


class Court(Base):
    __tablename__ = "court"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(32), unique=True)  # e.g. 京0491
    seal_image_key: Mapped[str | None] = mapped_column(String(200))  # staff-uploaded seal image
    # document kinds that need the seal keeper's approval before the seal; None = the default
    # set (court.services.flow_seal.DEFAULT_APPROVAL_KINDS)
    approval_kinds: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[created]


class StaffRole(str, enum.Enum):
    JUDGE = "judge"
    CLERK = "clerk"
    SEAL_APPROVER = "seal_approver"
    ADMIN = "admin"


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[intpk]
    court_id: Mapped[int] = mapped_column(ForeignKey("court.id"))
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[StaffRole] = mapped_column(enum_col(StaffRole))
    api_key_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    api_key_prefix: Mapped[str | None] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(200))  # where notify/ sends staff their tasks
    signature_image_key: Mapped[str | None] = mapped_column(String(200))  # their handwritten signature (PNG)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # console sessions carry the value they started with; raising it ends every one of them
    # (log-out, a new password), since the cookie itself cannot be recalled
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[created]

    court: Mapped[Court] = relationship()


class Person(Base):
    """A natural person whose identity the platform has checked (Online Litigation Rules art. 7).

    The ID number is kept encrypted (``id_number_enc``) with a keyed lookup hash so a party
    record entered by the court can be matched without decrypting anything.
    """

    __tablename__ = "person"

    id: Mapped[intpk]
    real_name: Mapped[str] = mapped_column(String(100))
    id_number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(20))
    phone_verified_at: Mapped[when]
    face_verified_at: Mapped[when]
    face_provider: Mapped[str | None] = mapped_column(String(32))
    face_score: Mapped[float | None]
    # the latest face check of any outcome (identity/): only its result, never the image
    face_checked_at: Mapped[when]
    face_result: Mapped[str | None] = mapped_column(String(32))  # pass | low_score | no_face | …
    face_log_id: Mapped[str | None] = mapped_column(String(64))  # the provider's request id
    locale: Mapped[str] = mapped_column(String(16), default="zh_Hans_CN")
    created_at: Mapped[created]

    bindings: Mapped[list[ChannelBinding]] = relationship(back_populates="person")


class ChannelBinding(Base):
    """How to reach a person: a WeChat openid, a verified phone number, an e-mail address."""

    __tablename__ = "channel_binding"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # wechat | phone | email
    address: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[created]
    # set when an identity check passed in the conversation or session that owns this address
    # (DESIGN: binding); notices go only to verified bindings, the most recently verified first
    verified_at: Mapped[when]
    verified_by_check_id: Mapped[int | None] = mapped_column(ForeignKey("identity_check.id"))

    person: Mapped[Person] = relationship(back_populates="bindings")


class IdentityCheck(Base):
    """One attempt to prove who someone is, owned by the conversation or session that asked for it.

    Online Litigation Rules art. 7 accepts several routes (``method``): a face check against the
    national ID photo (``face``), a clerk comparing the ID card in person (``staff``), or an external
    identity authority such as the national network identity service (``authority``). A check is
    *owned* by ``holder`` — an opaque id of one WeChat conversation or one party-page session — so a
    pass in one place never unlocks another (DESIGN: binding). Only the outcome is kept, never an image.
    """

    __tablename__ = "identity_check"

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))  # face | staff | authority
    provider: Mapped[str] = mapped_column(String(32))  # baidu | development | staff | netid-development …
    channel: Mapped[str] = mapped_column(String(16))  # wechat | web | console | cli
    holder: Mapped[str] = mapped_column(String(96), index=True)  # the conversation / session that owns it
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | pass | fail
    result: Mapped[str | None] = mapped_column(String(32))  # pass | low_score | no_face | expired | …
    score: Mapped[float | None]
    ref: Mapped[str | None] = mapped_column(String(64))  # provider request id, or "staff:<id>"
    token: Mapped[str | None] = mapped_column(String(64), unique=True)  # the queued job's check id
    requested_at: Mapped[created]
    decided_at: Mapped[when]


class PartySession(Base):
    """One browser's signed-in session on the party pages, kept on the server (DESIGN: binding).

    The browser's cookie holds only an opaque token whose keyed hash is ``token_hash``; what the
    session may do (person, parties, the face check it passed) lives here, so every web server
    sees the same truth and a session can be ended from anywhere: logout, a new face check in
    another session, or staff revoking the party's access. A copied cookie dies with its row.
    """

    __tablename__ = "party_session"

    id: Mapped[intpk]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    party_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    via: Mapped[str] = mapped_column(String(16))  # sms | wechat | handoff
    proven_phone: Mapped[str | None] = mapped_column(String(20))  # the number whose SMS code this session entered
    pending_check_id: Mapped[int | None] = mapped_column(ForeignKey("identity_check.id"))  # the face check it queued
    created_at: Mapped[created]
    expires_at: Mapped[when]
    ended_at: Mapped[when]
    ended_reason: Mapped[str | None] = mapped_column(String(32))  # logout | face_elsewhere | revoked | expired


class Consent(Base):
    """A party's answer on electronic service for one case (CPL art. 90; Online Rules arts. 29-31).

    ``decision`` is ``given`` or ``declined``; the newest row for a party and case that is not
    withdrawn is the one in force (``court.services.consent``). ``party_id`` lets staff record
    a paper form for a party who never registered; ``person_id`` is set when the person gave it
    themselves. ``recorded_by`` says who entered it (``person:<id>`` or ``staff:<id>``) and
    ``scan_key`` is the file-store key of the signed paper form's scan.
    """

    __tablename__ = "consent"

    id: Mapped[intpk]
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16), default="given", server_default="given")
    channels: Mapped[list[str]] = mapped_column(JSON)
    address: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    text_shown: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(16))  # bot | web | staff
    recorded_by: Mapped[str | None] = mapped_column(String(64))
    scan_key: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    given_at: Mapped[created]
    withdrawn_at: Mapped[when]
    withdrawn_by: Mapped[str | None] = mapped_column(String(64))


class FaceConsent(Base):
    """A party's separate decision (单独同意) on one face-check notice, before any face is processed.

    The Face Recognition Measures (2025) require separate, informed consent before a face is
    processed. The decision belongs to one conversation or session (``holder``, as for
    :class:`IdentityCheck`): agreeing in WeChat never opens the camera in a browser. The exact
    notice shown is kept (``text_shown`` and its hash) with the provider named in it, so the court
    can show what the person agreed to; a refusal is kept too, because it leads to the other routes.
    """

    __tablename__ = "face_consent"

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    holder: Mapped[str] = mapped_column(String(96), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # wechat | web
    agreed: Mapped[bool] = mapped_column(Boolean)
    provider: Mapped[str] = mapped_column(String(32))  # the configured face provider named in the notice
    text_shown: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[created]
