"""Recording a party's receipt (CPL art. 87: the date received and the recipient's signature).

Called by the flow engine the moment a party's RECEIVE step is done, in the same transaction:
the service record gets ``signed_at`` and a receipt number, and the e-service credential job
and the party's confirmation follow after commit (the :class:`~court.events.ReceiptSigned` event). Idempotent: a second call changes nothing.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import audit, db, events
from court.models import FlowStep, ServiceRecord, StepAction, StepStatus
from court.services import agents, service_date


def record_for(s: Session, party_id: int, document_id: int) -> ServiceRecord | None:
    return s.scalar(select(ServiceRecord).where(ServiceRecord.party_id == party_id,
                                                ServiceRecord.document_id == document_id))


def record_receipt(s: Session, step: FlowStep, *, actor: str | None = None) -> ServiceRecord | None:
    """Record the receipt for a done RECEIVE step (once) and queue the credential.

    ``actor`` (``person:<id>``) is who signed: when it is an agent, the record keeps who acted for
    whom (CPL art. 88: receipt by the agent is service on the party)."""
    if step.action is not StepAction.RECEIVE or step.status is not StepStatus.DONE or step.party_id is None:
        return None
    document_id = step.flow.document_id
    rec = record_for(s, step.party_id, document_id)
    if rec is None:
        rec = ServiceRecord(party_id=step.party_id, document_id=document_id, channels_tried=[])
        s.add(rec)
        s.flush()
    if rec.signed_at is not None:
        return rec
    rec.signed_at = step.acted_at or db.utcnow()
    # signing for it proves it reached the party (counts when the party had consented)
    service_date.record_event(s, rec, channel="web", event="signed", at=rec.signed_at)
    if not rec.receipt_number:
        rec.receipt_number = f"SD{rec.signed_at.year}{rec.id:08d}"
    _note_signer(s, rec, step, actor)
    s.flush()
    audit.record(s, "service.receipt_signed", actor=f"party:{step.party_id}", case_id=step.flow.document.case_id,
                 subject=f"service_record:{rec.id}",
                 details={"document_id": document_id, "step_id": step.id, "receipt": rec.receipt_number,
                          "signed_by": actor, "acted_for": rec.acted_for})
    events.emit(events.ReceiptSigned(rec.id), s)
    return rec


def _note_signer(s: Session, rec: ServiceRecord, step: FlowStep, actor: str | None) -> None:
    """Keep who signed; for an agent, the authority and the sentence the receipt states."""
    if not actor or not actor.startswith("person:") or step.party is None:
        return
    person_id = int(actor.split(":")[1])
    rec.signed_by_person_id = person_id
    authority = agents.authority_for(s, person_id, step.party, "receive", now=rec.signed_at)
    if authority is not None:
        rec.agent_authority_id = authority.id
        rec.acted_for = agents.acted_for(authority, "签收")
