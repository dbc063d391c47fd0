"""RQ jobs of the signing service, each declared once with its queue and job-id scheme, and the
handlers of the domain events this room answers (subscribed in ``signing.init_app``). Each job
takes ids, loads fresh state, is safe to run twice and leaves an audit trail (through the
services it calls)."""
from __future__ import annotations

import logging
import time

from court import db, events, metrics, queue, storage
from court.errors import DomainError
from court.models import FlowStep, StepStatus
from court.services import flow_steps

log = logging.getLogger(__name__)


@queue.job("signing", id=events.SealRequested.JOB_ID)
def seal_step(step_id: int) -> str:
    """Stamp the court seal for a SEAL flow step (:class:`~court.events.SealRequested`)."""
    from signing import service

    started = time.monotonic()
    outcome = service.seal_step(step_id)
    if outcome.status == "done":
        metrics.observe("seal", time.monotonic() - started)
    return outcome.status


@queue.job("signing", id="sign-step-{0}-{key}")
def sign_step(step_id: int, signature_key: str, person_id: int | None = None, staff_id: int | None = None) -> str:
    """Apply a party's (or judge's / clerk's) signature; the image was stored by
    :func:`signing.party.request_sign`. A refusal to sign goes through court.services.flow_steps."""
    from signing import party

    started = time.monotonic()
    try:
        version = party.sign_step(step_id, storage.store().get(signature_key), person_id, staff_id=staff_id)
        metrics.observe("sign", time.monotonic() - started)
    except DomainError as exc:  # not the signer, not their turn, bad image: retrying cannot help
        log.warning("sign step %s refused: %s", step_id, exc.code)
        with db.transaction() as s:
            step = s.get(FlowStep, step_id)
            if step is not None and step.status in (StepStatus.READY, StepStatus.RUNNING):
                flow_steps.fail_step(s, step, exc.localized("zh_Hans_CN"), final=False)
        return f"error:{exc.code}"
    return f"version:{version.id}"


@queue.job("signing", id="refusal-note-{0}")
def refusal_note(step_id: int) -> str:
    """Seal the note of a refusal into the transcript (:class:`~court.events.StepRefused`)."""
    from signing import notes

    version = notes.write(step_id)
    return f"version:{version.id}" if version is not None else "nothing"


@queue.job("signing", id="credential-{0}")
def issue_credential(service_record_id: int) -> str:
    """Produce and seal the e-service credential for a service record (once)."""
    from court.errors import Conflict
    from signing import credential

    try:
        version = credential.build(service_record_id)
    except Conflict as exc:
        if exc.code not in ("no_consent", "service_date_unattested"):
            raise
        return f"refused:{exc.code}"  # flagged or audited; retrying cannot help
    return f"version:{version.id}"


def subscribe() -> None:
    """The domain events this room answers (called by ``signing.init_app``)."""
    from signing import archive

    events.subscribe(events.SealRequested, _seal_requested)
    events.subscribe(events.StepRefused, _step_refused)
    events.subscribe(events.ReceiptSigned, _receipt_signed)
    events.subscribe(events.ArchiveRequested, archive.archive_requested)


def _seal_requested(ev: events.SealRequested) -> None:
    seal_step.enqueue(ev.step_id, key=ev.key)


def _step_refused(ev: events.StepRefused) -> None:
    refusal_note.enqueue(ev.step_id)


def _receipt_signed(ev: events.ReceiptSigned) -> None:
    issue_credential.enqueue(ev.service_record_id)
