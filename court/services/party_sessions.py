"""Party-page sessions kept on the server, so any of them can be ended from anywhere (issue 10).

A browser holds only an opaque random token (in its cookie); the row found by the token's hash
says which person and parties it acts for and which face check it is waiting on. Several web
servers share the database, so a session ended on one (logout, a new face check elsewhere, staff
revoking the party's access) is ended on all of them, and a copied cookie stops working at once.
The token's holder id (:func:`holder_id`) is what this session's identity checks are owned by.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import audit, crypto, db
from court.models import Party, PartySession, Person
from court.services import identity_checks

CHANNEL = "web"
LOGOUT, FACE_ELSEWHERE, REVOKED, REPLACED = "logout", "face_elsewhere", "revoked", "replaced"


def holder_id(token: str) -> str:
    """The identity-check holder of the session whose cookie carries ``token``."""
    return identity_checks.holder(CHANNEL, token)


def start(s: Session, person: Person, party_ids: list[int], *, via: str, minutes: int,
          proven_phone: str | None = None) -> tuple[str, PartySession]:
    """Open a session for ``person``; returns the token for the cookie (shown once) and the row."""
    token = crypto.random_token(24)
    row = PartySession(token_hash=crypto.token_hash(token), person_id=person.id, party_ids=sorted(set(party_ids)),
                       via=via, proven_phone=proven_phone, expires_at=db.utcnow() + timedelta(minutes=minutes))
    s.add(row)
    s.flush()
    audit.record(s, "party_session.started", actor=f"person:{person.id}", subject=f"person:{person.id}",
                 details={"session": row.id, "via": via, "parties": row.party_ids})
    return token, row


def find(s: Session, token: str | None) -> PartySession | None:
    """The live session for ``token``: None when unknown, ended or past its time."""
    if not token or not isinstance(token, str) or len(token) > 128:
        return None
    row = s.scalar(select(PartySession).where(PartySession.token_hash == crypto.token_hash(token)))
    if row is None or row.ended_at is not None:
        return None
    if row.expires_at is not None and row.expires_at < db.utcnow():
        return None
    return row


def touch(row: PartySession, *, minutes: int) -> None:
    """Slide the session's end forward (an active party is not signed out mid-reading)."""
    row.expires_at = db.utcnow() + timedelta(minutes=minutes)


def end(s: Session, row: PartySession, reason: str, *, actor: str | None = None) -> None:
    if row.ended_at is None:
        row.ended_at = db.utcnow()
        row.ended_reason = reason
        s.flush()
        audit.record(s, "party_session.ended", actor=actor or f"person:{row.person_id}",
                     subject=f"person:{row.person_id}", details={"session": row.id, "reason": reason})


def end_others(s: Session, keep: PartySession, reason: str = FACE_ELSEWHERE) -> int:
    """End every other live session of ``keep``'s person (a new face check proves who is here now)."""
    rows = s.scalars(select(PartySession).where(PartySession.person_id == keep.person_id,
                                                PartySession.id != keep.id, PartySession.ended_at.is_(None))).all()
    for row in rows:
        end(s, row, reason)
    return len(rows)


def revoke_party(s: Session, party: Party, *, actor: str) -> int:
    """Staff end every live session acting for ``party`` or its person. Returns how many ended."""
    person_ids = {party.person_id} if party.person_id is not None else set()
    # before joining, a session acts for the person whose ID number the party record carries
    person_ids.update(s.scalars(select(Person.id).where(Person.id_number_hash == party.id_number_hash)))
    live = s.scalars(select(PartySession).where(PartySession.ended_at.is_(None),
                                                PartySession.person_id.in_(person_ids))).all() if person_ids else []
    for row in live:
        end(s, row, REVOKED, actor=actor)
    ended = len(live)
    audit.record(s, "party.sessions_revoked", actor=actor, case_id=party.case_id, subject=f"party:{party.id}",
                 details={"ended": ended})
    return ended
