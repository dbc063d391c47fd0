"""After a party signs for a document: record the receipt and ask for the e-service credential.

CPL art. 87: the receipt records the date received and the recipient's signature. Once the
party's RECEIVE step is done (the signing job has added their signature), the service record
gets ``signed_at`` (the step's time), a receipt number, and ``signing.jobs.issue_credential``
is queued to produce the sealed credential; ``bot.jobs.receipt_confirmation`` tells the party
on WeChat if they follow the account. Both are enqueued by dotted path and are idempotent, and
so is :func:`finish`: the progress page and the follow-up job may both call it.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import audit, db, queue
from court.models import FlowStep, ServiceRecord, StepAction, StepStatus

log = logging.getLogger(__name__)

CREDENTIAL_JOB = "signing.jobs.issue_credential"
CONFIRM_JOB = "bot.jobs.receipt_confirmation"
FOLLOW_UP_JOB = "web_sign.receipts.follow_up"
FOLLOW_UP_TRIES = 20


def record_for(s: Session, step: FlowStep) -> ServiceRecord | None:
    if step.party_id is None:
        return None
    return s.scalar(select(ServiceRecord).where(ServiceRecord.party_id == step.party_id,
                                                ServiceRecord.document_id == step.flow.document_id))


def finish(s: Session, step: FlowStep) -> ServiceRecord | None:
    """Record the receipt for a done RECEIVE step (once) and queue the credential."""
    if step.action is not StepAction.RECEIVE or step.status is not StepStatus.DONE or step.party_id is None:
        return None
    rec = record_for(s, step)
    if rec is None:
        rec = ServiceRecord(party_id=step.party_id, document_id=step.flow.document_id, channels_tried=[])
        s.add(rec)
        s.flush()
    if rec.signed_at is not None:
        return rec
    rec.signed_at = step.acted_at or db.utcnow()
    if rec.effective_at is None:  # signing for it on the page proves it reached the party
        rec.effective_at = rec.signed_at
        rec.effective_channel = "web"
    if not rec.receipt_number:
        rec.receipt_number = f"SD{rec.signed_at.year}{rec.id:08d}"
    s.flush()
    audit.record(s, "service.receipt_signed", actor=f"party:{step.party_id}", case_id=step.flow.document.case_id,
                 subject=f"service_record:{rec.id}",
                 details={"document_id": step.flow.document_id, "step_id": step.id, "receipt": rec.receipt_number})
    queue.enqueue(CREDENTIAL_JOB, rec.id, queue_name="signing", job_id=f"credential-{rec.id}", session=s)
    queue.enqueue(CONFIRM_JOB, rec.id, queue_name="notify", job_id=f"receipt-confirmation-{rec.id}", session=s)
    return rec


def schedule_follow_up(s: Session, step_id: int, attempt: int = 0) -> None:
    """Make sure the receipt is recorded even if the party closes the page before the signature
    job finishes: check again after the job queued in the same transaction."""
    delay = timedelta(seconds=min(60, 2 ** attempt)) if attempt else None
    queue.enqueue(FOLLOW_UP_JOB, step_id, attempt, queue_name="signing", delay=delay,
                  job_id=f"receipt-follow-up-{step_id}-{attempt}", session=s)


@queue.job
def follow_up(step_id: int, attempt: int = 0) -> str:
    with db.transaction() as s:
        step = s.get(FlowStep, step_id)
        if step is None:
            return "gone"
        if step.status is StepStatus.DONE:
            finish(s, step)
            return "done"
        if step.status in (StepStatus.READY, StepStatus.RUNNING) and attempt + 1 < FOLLOW_UP_TRIES:
            schedule_follow_up(s, step_id, attempt + 1)
            return "waiting"
        log.info("receipt follow-up for step %s stops at status %s", step_id, step.status.value)
        return step.status.value
