"""A document as one party sees it on the party pages: her step, where it stands, what she did.

The party pages (``web_sign/``) only parse the request and render; what a step's state means for
the party (the list's groups, the step a page acts on), the mark that a signature is being
applied (so a second tap or a reload never queues it twice) and the rows that record her acts are
decided here, once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from court import audit, db, redis_conn
from court.models import (
    AgentAuthority,
    Document,
    DocumentKind,
    DocumentVersion,
    FlowStep,
    Party,
    PartyRole,
    ServiceRecord,
    SigningFlow,
    StepAction,
    StepStatus,
)
from court.services import agents, receipts, service_date

SIGNING_FLAG_SECONDS = 600  # a signature being applied; the job ends well within this
_BUSY = (StepStatus.READY, StepStatus.RUNNING)
# which of the party's steps a page acts on: one she can act on now, else one still to come, else
# what she did, else a failure
_PREFERENCE = (_BUSY, (StepStatus.WAITING,), (StepStatus.DONE, StepStatus.REFUSED), (StepStatus.FAILED,))


def newest_flow(s: Session, document_id: int) -> SigningFlow | None:
    """The document's current flow (a document re-sent after a failure has a newer one)."""
    return s.scalar(select(SigningFlow).where(SigningFlow.document_id == document_id).order_by(SigningFlow.id.desc()))


def steps_of(s: Session, document_id: int, parties: set[int]) -> list[FlowStep]:
    """The steps of ``parties`` in the document's newest flow."""
    flow = newest_flow(s, document_id)
    if flow is None or not parties:
        return []
    return [st for st in flow.steps if st.party_id in parties]


def step_for(s: Session, document: Document, party: Party) -> FlowStep | None:
    """The party's step the pages show and act on (see ``_PREFERENCE``), or None."""
    steps = steps_of(s, document.id, {party.id})
    for wanted in _PREFERENCE:
        for st in steps:
            if st.status in wanted:
                return st
    return None


def visible_party(s: Session, document: Document, parties: set[int]) -> Party | None:
    """The one of ``parties`` that may see ``document``, or None: it has a step that has reached
    it (not still waiting behind the court's seal) or a service record; a credential is visible to
    the party whose service record it belongs to. Everything else is not theirs (pages answer 404)."""
    if not parties:
        return None
    if document.kind is DocumentKind.CREDENTIAL:
        rec = s.scalar(select(ServiceRecord).where(
            ServiceRecord.party_id.in_(parties),
            ServiceRecord.credential_version_id.in_([v.id for v in document.versions])))
        return rec.party if rec else None
    for step in steps_of(s, document.id, parties):
        if step.status is not StepStatus.WAITING:
            return step.party
    rec = s.scalar(select(ServiceRecord).where(ServiceRecord.document_id == document.id,
                                               ServiceRecord.party_id.in_(parties)))
    return rec.party if rec else None


def visible_documents(s: Session, parties: set[int]) -> list[tuple[Document, Party]]:
    """Every document ``parties`` may see (:func:`visible_party`) with the party that sees it, newest first."""
    if not parties:
        return []
    case_ids = set(s.scalars(select(Party.case_id).where(Party.id.in_(parties))))
    docs = s.scalars(select(Document).where(Document.case_id.in_(case_ids)).order_by(Document.id.desc())).all()
    out: list[tuple[Document, Party]] = []
    for doc in docs:
        party = visible_party(s, doc, parties)
        if party is not None:
            out.append((doc, party))
    return out


# ---- a person's documents, for a channel that knows the person (the bot's 我的文书) -----------------
MAX_SERVED = 5


@dataclass
class Holding:
    """The documents one person may see for one party: their own (``for_party`` None) or those of a
    party they act for under ``authority`` (the bot writes "代 北京某某科技有限公司")."""

    for_party: Party | None
    authority: AgentAuthority | None = None
    waiting: list[tuple[FlowStep, Document]] = field(default_factory=list)
    served: list[ServiceRecord] = field(default_factory=list)


def _ready_steps(s: Session, party_ids: set[int]) -> list[tuple[FlowStep, Document]]:
    """READY receive/sign steps of ``party_ids``: the documents that wait for them, oldest first."""
    rows = s.execute(
        select(FlowStep, Document)
        .join(SigningFlow, FlowStep.flow_id == SigningFlow.id)
        .join(Document, SigningFlow.document_id == Document.id)
        .where(FlowStep.party_id.in_(party_ids), FlowStep.status == StepStatus.READY,
               FlowStep.action.in_([StepAction.RECEIVE, StepAction.SIGN]))
        .order_by(FlowStep.id)).all()
    return [(step, doc) for step, doc in rows]


def _served_records(s: Session, party_ids: set[int], limit: int) -> list[ServiceRecord]:
    """Documents served on ``party_ids`` (a legal date of service fixed) or signed for, newest first."""
    return list(s.scalars(
        select(ServiceRecord)
        .where(ServiceRecord.party_id.in_(party_ids), ServiceRecord.document_id.is_not(None),
               or_(ServiceRecord.effective_at.is_not(None), ServiceRecord.signed_at.is_not(None)))
        .order_by(ServiceRecord.effective_at.desc().nulls_last(), ServiceRecord.id.desc()).limit(limit)))


def person_documents(s: Session, person_id: int, *, served_limit: int = MAX_SERVED,
                     now: datetime | None = None) -> list[Holding]:
    """What ``person_id`` may see and do in a channel that knows the person, own documents first,
    then one :class:`Holding` per party they act for (``court.services.agents``).

    An agent sees a party's documents only while the authority is in force (not revoked, started,
    not ended) and includes ``view``; a step waits for them only when the authority covers its act
    (a general authority does not settle: CPL art. 62), the same rule the pages apply when they
    open it. The agent's own record in the case stands for the person who acts, not a party served,
    so what it holds is listed with their own."""
    own_ids = set(s.scalars(select(Party.id).where(Party.person_id == person_id)))
    out = [Holding(None, None, _ready_steps(s, own_ids) if own_ids else [],
                   _served_records(s, own_ids, served_limit) if own_ids else [])]
    seen = set(own_ids)
    for authority in agents.authorities_of(s, person_id):
        party = authority.principal
        if party.id in seen or party.role is PartyRole.AGENT:
            continue
        if not agents.live(authority, now) or "view" not in agents.SCOPE_TABLE.get(authority.scope, ()):
            continue
        seen.add(party.id)
        waiting = [(step, doc) for step, doc in _ready_steps(s, {party.id})
                   if agents.may_act(s, person_id, party, agents.act_for_step(step), now=now)]
        out.append(Holding(party, authority, waiting, _served_records(s, {party.id}, served_limit)))
    return out


def list_state(s: Session, document: Document, party: Party) -> str:
    """Which group of the party's list the document belongs in: ``to_sign``, ``refused``,
    ``waiting`` (for others first), ``signed`` or ``served`` (nothing for her to sign)."""
    steps = steps_of(s, document.id, {party.id})
    if any(st.status in _BUSY for st in steps):
        return "to_sign"
    if any(st.status is StepStatus.REFUSED for st in steps):
        return "refused"
    if any(st.status is StepStatus.WAITING for st in steps):
        return "waiting"
    if steps and all(st.status is StepStatus.DONE for st in steps):
        rec = receipts.record_for(s, party.id, document.id)
        if rec is not None and rec.signed_at is None and all(st.action is StepAction.RECEIVE for st in steps):
            return "served"  # settled by post or another method (court.services.other_service): nothing signed
        return "signed"
    return "served"


def opened(s: Session, party: Party, version: DocumentVersion, *, at: datetime | None = None) -> ServiceRecord | None:
    """The party opened the document served on her: an act that fixes the date of service on any
    address (``court.services.service_date``), and the version she saw. None when it was not
    served on her (a transcript she only signs)."""
    rec = receipts.record_for(s, party.id, version.document_id)
    if rec is not None:
        rec.served_version_id = rec.served_version_id or version.id
        service_date.record_event(s, rec, channel="web", event="read", at=at or db.utcnow())
    return rec


def sign_requested(s: Session, step: FlowStep, *, person_id: int) -> None:
    """The audit row for a signature the party asked for on a page (the job records the rest)."""
    audit.record(s, "web.sign_requested", actor=f"person:{person_id}", case_id=step.flow.document.case_id,
                 subject=f"step:{step.id}", details={"document_id": step.flow.document_id})


# ---- a signature being applied ------------------------------------------------------------------
def _signing_key(step_id: int, attempts: int) -> str:
    return f"m:signing:{step_id}:{attempts}"


def signing(step: FlowStep) -> bool:
    """A signature for this attempt at the step is being applied (the page shows progress)."""
    return bool(redis_conn.client().exists(_signing_key(step.id, step.attempts)))


def start_signing(step: FlowStep) -> bool:
    """Mark this attempt as being signed; False when it already was (a double tap, a re-post)."""
    return bool(redis_conn.client().set(_signing_key(step.id, step.attempts), "1", nx=True, ex=SIGNING_FLAG_SECONDS))


def signing_over(step: FlowStep, *attempts: int) -> None:
    """Clear the mark for the step's current attempt (and any named earlier ones): it may be signed again."""
    redis_conn.client().delete(*{_signing_key(step.id, n) for n in (step.attempts, *attempts)})


def sign_failed(step: FlowStep, tried: int) -> bool:
    """The signature asked for at attempt ``tried`` did not go on (the step failed, or the job
    recorded an error and counted another attempt)."""
    return step.status is StepStatus.FAILED or bool(step.error and step.attempts > tried)
