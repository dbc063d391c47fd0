"""RQ jobs of the signing service. Each takes ids, loads fresh state, is safe to run twice and
leaves an audit trail (through the services it calls)."""
from __future__ import annotations

import logging
import time

from court import db, metrics, storage
from court.errors import DomainError
from court.models import FlowStep, StepStatus
from court.queue import job
from court.services import flow_steps

log = logging.getLogger(__name__)


@job
def seal_step(step_id: int) -> str:
    """Stamp the court seal for a SEAL flow step (enqueued by court.services.flows)."""
    from signing import service

    started = time.monotonic()
    outcome = service.seal_step(step_id)
    if outcome.status == "done":
        metrics.observe("seal", time.monotonic() - started)
    return outcome.status


@job
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


@job
def refusal_note(step_id: int) -> str:
    """Seal the note of a refusal into the transcript (enqueued by court.services.flow_steps)."""
    from signing import notes

    version = notes.write(step_id)
    return f"version:{version.id}" if version is not None else "nothing"


@job
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
