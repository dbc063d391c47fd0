"""Request and response shapes of the staff API (pydantic), also the source of the OpenAPI schemas."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from court.models import DocumentKind, PartyRole, StaffRole, StepAction


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class StaffOut(Out):
    id: int
    username: str
    name: str
    role: StaffRole
    court_id: int


class StaffIn(Strict):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[a-zA-Z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=100)
    role: StaffRole


class StaffCreated(StaffOut):
    api_key: str = Field(description="shown once; stored only as a hash")


class CaseIn(Strict):
    number: str = Field(min_length=6, max_length=64, examples=["（2026）京0491民初123号"])
    type: Literal["civil", "criminal", "administrative", "enforcement", "other"] = "civil"
    title: str = Field(default="", max_length=200)


class CaseOut(Out):
    id: int
    number: str
    type: str
    title: str
    status: str
    needs_attention: str | None
    created_at: datetime
    status_changed_at: datetime | None = None
    archived_at: datetime | None = None
    archive_sha256: str | None = Field(default=None, description="SHA-256 of the kept electronic case file")


class CaseList(BaseModel):
    items: list[CaseOut]
    total: int


class CaseQuery(Strict):
    number: str | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class PartyIn(Strict):
    role: PartyRole
    name: str = Field(min_length=1, max_length=100)
    id_number: str | None = Field(default=None, max_length=32)
    phone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=200)
    kind: Literal["person", "organisation"] = "person"
    uscc: str | None = Field(default=None, max_length=24)  # an organisation's unified social credit code


class PartiesIn(Strict):
    parties: list[PartyIn] = Field(min_length=1, max_length=200)


class PartyOut(Out):
    id: int
    case_id: int
    role: PartyRole
    name: str
    id_number_masked: str | None
    phone_masked: str | None
    joined: bool
    code_expires_at: datetime | None
    code_used: bool
    kind: str = "person"
    uscc: str | None = None


class ConsentOut(Out):
    """A party's answer on electronic service for its case: ``given`` | ``declined`` |
    ``withdrawn`` | ``none``; how, when, by whom and which (masked) addresses."""

    party_id: int
    case_id: int
    state: str
    method: str | None = None
    at: datetime | None = None
    recorded_by: str | None = None
    channels: list[str] = []
    addresses: dict[str, str] = {}
    scan: bool = False
    reason: str | None = None


class PartyWithCode(PartyOut):
    association_code: str = Field(description="shown once; stored only as a hash")


class EventIn(Strict):
    kind: Literal["hearing", "deadline", "other"]
    title: str = Field(min_length=1, max_length=200)
    at: datetime
    place: str | None = Field(default=None, max_length=200)


class EventOut(Out):
    id: int
    kind: str
    title: str
    at: datetime
    place: str | None


class VersionOut(Out):
    number: int
    sha256: str
    size: int
    reason: str
    filename: str | None
    created_at: datetime


class DocumentOut(Out):
    id: int
    case_id: int
    kind: DocumentKind
    title: str
    status: str
    verify_code: str | None
    error: str | None
    created_at: datetime
    versions: list[VersionOut]


class StepIn(Strict):
    action: StepAction
    staff_id: int | None = None
    party_id: int | None = None
    page: int = Field(default=-1, description="1-based page; -1 = last page")
    x: float | None = Field(default=None, ge=0)
    y: float | None = Field(default=None, ge=0)
    width: float | None = Field(default=None, gt=0)
    height: float | None = Field(default=None, gt=0)


class FlowIn(Strict):
    steps: list[StepIn] = Field(min_length=1, max_length=100)
    ordered: bool | None = Field(default=None, description="default: in order for transcripts, parallel otherwise")
    seal_id: int | None = Field(default=None, description="which of the court's seals; default: the court seal")


class StepOut(Out):
    id: int
    position: int
    action: StepAction
    staff_id: int | None
    party_id: int | None
    status: str
    acted_at: datetime | None
    refusal_reason: str | None
    error: str | None
    note_version_id: int | None = None


class FlowOut(Out):
    id: int
    document_id: int
    ordered: bool
    status: str
    seal_id: int | None = None
    returned_reason: str | None = None
    created_at: datetime
    completed_at: datetime | None
    steps: list[StepOut]


class RefuseIn(Strict):
    reason: str = Field(min_length=1, max_length=1000)


class ReauthIn(Strict):
    password: str | None = Field(default=None, max_length=200, description="your log-in password, again")


class SignIn(ReauthIn):
    signature: str | None = Field(default=None, max_length=3_000_000,
                                  description="handwritten signature, base64 PNG; default: the one on your profile")


class SignQueued(Out):
    job_id: str
    flow: FlowOut


class SealRules(Strict):
    approval_kinds: list[DocumentKind] = Field(max_length=20)


class AuditEventOut(Out):
    id: int
    at: datetime
    actor: str
    action: str
    subject: str | None
    details: dict[str, object]
    hash: str


class ChainProblem(BaseModel):
    id: int | None
    problem: str
    detail: str


class AuditOut(BaseModel):
    events: list[AuditEventOut]
    chain_ok: bool
    chain_checked: int
    problems: list[ChainProblem]
    checked_from_id: int = 1  # rows before it were verified by an earlier full check (shown rows re-checked)
    anchored_id: int | None = None  # newest row covered by a valid RFC 3161 timestamp anchor
    anchored_at: datetime | None = None
