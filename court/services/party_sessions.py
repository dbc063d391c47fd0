"""Party-page sessions kept on the server, so any of them can be ended from anywhere (issue 10).

A browser holds only an opaque random token (in its cookie); the row found by the token's hash
says which person and parties it acts for and which face check it is waiting on. Several web
servers share the database, so a session ended on one (logout, a new face check elsewhere, staff
revoking the party's access) is ended on all of them, and a copied cookie stops working at once.
The token's holder id (:func:`holder_id`) is what this session's identity checks are owned by.

It is also the one home of *which step suffices for which act* on the party pages (issue 12,
item 3; Online Litigation Rules art. 7): :func:`may_read` says whether a session may read and
download without a face check. Signing, refusing and joining never take that lighter step: they
need an identity check passed in this session within ``FACE_FRESH_MINUTES``
(``identity.face.require_fresh``), so a returning party re-reads for the price of an SMS code
and spends no face attempt, and still shows her face before she signs anything new.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import audit, crypto, db
from court.models import (
    ChannelBinding,
    Document,
    DocumentKind,
    IdentityCheck,
    Party,
    PartyRole,
    PartySession,
    Person,
    ServiceRecord,
    StepStatus,
)
from court.services import agents, binding, identity_checks, party_documents
from court.services import consent as consent_rules

CHANNEL = "web"
READ, SIGN = "read", "sign"  # the acts a party page asks about (signing: identity.face.require_fresh)
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


def returning(s: Session, row: PartySession, party: Party) -> bool:
    """This session came back by a lighter step for ``party``, which was joined to this person after
    an identity check: either it entered the SMS code sent to the person's *verified* phone (one
    proven in a session whose identity check passed), or it was signed in from a *verified* WeChat
    binding (``via`` ``wechat``: only :func:`court.services.binding.person_for` starts those, and a
    binding is verified only by a check in that conversation). Knowing a name, an ID number or a
    stale cookie never gets here; a new phone, a first visit or someone else's party does not."""
    if party.person_id != row.person_id or identity_checks.last_pass(s, person_id=row.person_id) is None:
        return False
    if row.via == "wechat":
        return True
    if row.via != "sms" or not row.proven_phone:
        return False
    person = s.get(Person, row.person_id)
    if person is None or person.phone != row.proven_phone or person.phone_verified_at is None:
        return False
    proven = s.scalar(select(ChannelBinding).where(ChannelBinding.channel == "phone",
                                                   ChannelBinding.address == row.proven_phone,
                                                   ChannelBinding.person_id == person.id,
                                                   ChannelBinding.verified_at.is_not(None)))
    return proven is not None


def served(s: Session, party: Party, document: Document) -> bool:
    """``document`` has already been served on ``party``: its service took effect or was signed
    for, the party's steps on it are all done, or it is the party's own e-service credential."""
    if document.kind is DocumentKind.CREDENTIAL:
        return s.scalar(select(ServiceRecord.id).where(
            ServiceRecord.party_id == party.id,
            ServiceRecord.credential_version_id.in_([v.id for v in document.versions]))) is not None
    rec = s.scalar(select(ServiceRecord).where(ServiceRecord.party_id == party.id,
                                               ServiceRecord.document_id == document.id))
    if rec is not None and (rec.signed_at is not None or rec.effective_at is not None):
        return True
    steps = party_documents.steps_of(s, document.id, {party.id})
    return bool(steps) and all(st.status is StepStatus.DONE for st in steps)


def may_read(s: Session, row: PartySession, holder: str, parties: list[Party], document: Document | None = None) -> bool:
    """May this session read without a (new) face check? Yes after an identity check passed in
    this session (any age: the session itself expires when idle). Otherwise only a returning
    party (:func:`returning`) may, and only what was already served on her: the list of her
    documents, and a document that :func:`served` says reached her. Anything else, and every
    signature, asks for the face check."""
    if identity_checks.latest_pass(s, person_id=row.person_id, holder_id=holder) is not None:
        return True
    back = [p for p in parties if returning(s, row, p)]
    if document is None:
        return bool(back)
    return any(served(s, p, document) for p in back)


def identity_passed(s: Session, row: PartySession, person: Person, check: IdentityCheck, *, holder: str) -> None:
    """An identity check (face, the identity authority, a clerk's) passed in this session: the
    session's party records join the person (``court.services.binding``), the phone whose SMS code
    it entered becomes hers, and every other browser of hers signs out (a new check proves who is
    here now)."""
    binding.join_parties(s, person, row.party_ids or [], check, holder_id=holder, via=f"web_{row.via}")
    if row.proven_phone:
        binding.phone_proven(s, person, row.proven_phone, check=check, holder_id=holder)
    end_others(s, row)


def awaiting_consent(s: Session, party_ids: set[int]) -> Party | None:
    """The first of the session's parties whose case has no consent to electronic service in force
    (``court.services.consent``): the pages ask for it before anything is read."""
    for party_id in sorted(party_ids):
        party = s.get(Party, party_id)
        if party is not None and not consent_rules.may_serve(s, party):
            return party
    return None


def party_in_case(s: Session, party_ids: set[int], case_id: int) -> Party | None:
    """The session's party in ``case_id`` (None when it acts for no one there)."""
    return s.scalar(select(Party).where(Party.id.in_(party_ids), Party.case_id == case_id).order_by(Party.id)) \
        if party_ids else None


def acting_for(s: Session, row: PartySession) -> set[int]:
    """The parties ``row`` acts for now: its own party records and, for an agent, the parties a
    live authority lets them act for (``court.services.agents``, asked on every request, so a
    revoked or expired authority stops at once). An agent's own record names the person who acts,
    not a party served, so it is not one of them."""
    own = set(row.party_ids or [])
    ids = set(s.scalars(select(Party.id).where(Party.id.in_(own), Party.role != PartyRole.AGENT))) if own else set()
    return ids | set(agents.principals(s, row.person_id))


def agent_for(s: Session, row: PartySession) -> set[int]:
    """Those of :func:`acting_for` that ``row`` acts for as an agent, not as the party itself (the
    pages head their documents "代 北京某某科技有限公司")."""
    own = set(row.party_ids or [])
    return {p for p in agents.principals(s, row.person_id) if p not in own}


def own_parties(s: Session, person_id: int, extra: list[int] | None = None) -> list[int]:
    """The parties a new session of the person acts for: every party bound to them, plus those
    named (the link's party, joined once her identity check passes)."""
    ids = set(s.scalars(select(Party.id).where(Party.person_id == person_id)))
    ids.update(extra or [])
    return sorted(ids)
