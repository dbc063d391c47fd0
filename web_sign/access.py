"""Who this browser may act for, and which documents that lets it see.

Every page that shows or changes a document goes through :func:`party_document`, which
answers 404 for anything outside the session's own parties, so ids typed into a URL reveal
nothing (not even whether the document exists).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import abort, session
from sqlalchemy import select
from sqlalchemy.orm import Session

from court import db
from court.models import (
    Document,
    DocumentKind,
    FlowStep,
    Party,
    Person,
    ServiceRecord,
    SigningFlow,
    StepStatus,
)
from court.services import identity_checks

LINK_KEYS = ("sms_link",)  # written by notify's landing (notify.views.LINK_SESSION_KEY)
AUTH_KEY = "m_auth"


def link() -> dict[str, Any] | None:
    """The SMS link (or desktop hand-off) this browser came in by, if any."""
    for key in LINK_KEYS:
        value = session.get(key)
        if isinstance(value, dict) and isinstance(value.get("party_id"), int):
            return value
    return None


def auth() -> dict[str, Any] | None:
    value = session.get(AUTH_KEY)
    return value if isinstance(value, dict) and isinstance(value.get("person_id"), int) else None


def set_auth(person: Person, party_ids: list[int], via: str, *, holder_key: str | None = None) -> None:
    session.permanent = True
    session[AUTH_KEY] = {"person_id": person.id, "party_ids": sorted(set(party_ids)), "via": via, "face_at": None,
                         "holder": holder_key or new_holder_key()}


def new_holder_key() -> str:
    return secrets.token_urlsafe(24)


def holder_id() -> str:
    """The identity-check holder of this signed-in browser session (DESIGN: binding): each log-in
    gets a new one, so checks passed in another browser or an earlier log-in never count here."""
    data = auth()
    if data is None:
        raise RuntimeError("holder_id() needs a signed-in session")
    if not data.get("holder"):
        data["holder"] = new_holder_key()
        session[AUTH_KEY] = data
    return identity_checks.holder("web", str(data["holder"]))


def mark_face(at: datetime) -> None:
    data = auth()
    if data is not None:
        data["face_at"] = at.isoformat()
        session[AUTH_KEY] = data


def face_done() -> bool:
    data = auth()
    return bool(data and data.get("face_at"))


def person(s: Session) -> Person | None:
    data = auth()
    return s.get(Person, data["person_id"]) if data else None


def party_ids() -> set[int]:
    data = auth()
    return set(data.get("party_ids") or []) if data else set()


def own_parties(s: Session, person_id: int, extra: list[int] | None = None) -> list[int]:
    """The person's parties: every party bound to them, plus those named (the link's party)."""
    ids = set(s.scalars(select(Party.id).where(Party.person_id == person_id)))
    ids.update(extra or [])
    return sorted(ids)


def steps_of(s: Session, document_id: int, parties: set[int]) -> list[FlowStep]:
    """The session's steps in the document's newest flow."""
    flow = s.scalar(select(SigningFlow).where(SigningFlow.document_id == document_id).order_by(SigningFlow.id.desc()))
    if flow is None or not parties:
        return []
    return [st for st in flow.steps if st.party_id in parties]


def _visible(s: Session, doc: Document, parties: set[int]) -> Party | None:
    """The session's party on ``doc`` when it may see it: it has a step that has reached it
    (not still waiting behind the court's seal) or a service record; credentials are visible
    to the party whose service record they belong to."""
    if not parties:
        return None
    if doc.kind is DocumentKind.CREDENTIAL:
        rec = s.scalar(select(ServiceRecord).where(
            ServiceRecord.party_id.in_(parties), ServiceRecord.credential_version_id.in_([v.id for v in doc.versions])))
        return rec.party if rec else None
    for step in steps_of(s, doc.id, parties):
        if step.status is not StepStatus.WAITING:
            return step.party
    rec = s.scalar(select(ServiceRecord).where(ServiceRecord.document_id == doc.id, ServiceRecord.party_id.in_(parties)))
    return rec.party if rec else None


@dataclass
class Access:
    document: Document
    party: Party


def party_document(document_id: int) -> Access:
    """The document and the session's party on it, or 404 (or 403 for a signed-out session on
    a document outside its link). Callers have already required an identified session."""
    s = db.session()
    doc = s.get(Document, document_id)
    parties = party_ids()
    party = _visible(s, doc, parties) if doc is not None else None
    if doc is None or party is None:
        abort(404)
    return Access(doc, party)


def documents_for(s: Session, parties: set[int]) -> list[tuple[Document, Party]]:
    """Every document the session's parties may see, newest first."""
    if not parties:
        return []
    case_ids = set(s.scalars(select(Party.case_id).where(Party.id.in_(parties))))
    docs = s.scalars(select(Document).where(Document.case_id.in_(case_ids)).order_by(Document.id.desc())).all()
    out: list[tuple[Document, Party]] = []
    for doc in docs:
        party = _visible(s, doc, parties)
        if party is not None:
            out.append((doc, party))
    return out
