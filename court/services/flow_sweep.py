"""The flow sweep: a seal step whose job was lost is picked up again within a minute.

A SEAL step is READY or RUNNING while its job waits in the queue or runs. If the worker running
it was killed, or Redis was flushed, no job is left and nothing would ever seal the document.
Every ``FLOW_SWEEP_SECONDS`` this sweep (an RQ scheduler chain, :mod:`court.periodic`) looks at
every such step and asks whether it has a *live* job: one waiting in RQ (queued, scheduled for a
retry, deferred), or one running, which holds the document's lock (a short TTL refreshed while
it runs: :mod:`court.locks`). A step seen without a live job on two sweeps in a row is
enqueued again. Sealing is idempotent (the job re-reads the step under the document lock and
completes it once), so a rare duplicate costs a little work and never a second seal.

Party and staff steps need no job to stay alive (their actor acts on a page); telling the actor
again is the outbox sweep's job (``notify/sweep.py``).
"""
from __future__ import annotations

import logging
import uuid

from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select

from court import db, events, locks, periodic, queue, redis_conn
from court.models import FlowStatus, FlowStep, SigningFlow, StepAction, StepStatus

log = logging.getLogger(__name__)
LAST_RUN_KEY = "flowsweep:last_run"
LIMIT = 5000
WAITING = (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED)
_interval = {"seconds": 30}


def configure(interval_seconds: int) -> None:
    _interval["seconds"] = max(1, int(interval_seconds))


def _suspect_key(step_id: int) -> str:
    return f"flowsweep:suspect:{step_id}"


def _sweep_job_key(step_id: int) -> str:
    return f"flowsweep:job:{step_id}"


def _job_ids(step_id: int, attempts: int) -> list[str]:
    """The ids a live job of this step may have: the flow's own (this attempt or, while RQ
    waits to retry, the one before) and the last one this sweep made."""
    ids = [events.SealRequested.job_id(step_id, str(attempts)),
           events.SealRequested.job_id(step_id, str(max(0, attempts - 1)))]
    made = redis_conn.client().get(_sweep_job_key(step_id))
    if made:
        ids.append(redis_conn.text(made) or "")
    return ids


def has_live_job(step_id: int, attempts: int, document_id: int) -> bool:
    if locks.is_held(locks.document_lock_name(document_id)):
        return True  # a job is working on this document now
    conn = redis_conn.client()
    for job_id in _job_ids(step_id, attempts):
        try:
            status = Job.fetch(job_id, connection=conn).get_status(refresh=False)
        except NoSuchJobError:
            continue
        if status in WAITING:
            return True
    return False  # none waiting, and a "started" one without the lock is a dead worker's


def run() -> dict[str, int]:
    """One pass; returns counts (``suspect``: first seen without a job, ``requeued``)."""
    conn = redis_conn.client()
    interval = _interval["seconds"]
    with db.transaction() as s:
        rows = s.execute(select(FlowStep.id, FlowStep.attempts, SigningFlow.document_id).join(SigningFlow).where(
            SigningFlow.status == FlowStatus.RUNNING, FlowStep.action == StepAction.SEAL,
            FlowStep.status.in_((StepStatus.READY, StepStatus.RUNNING))).order_by(FlowStep.id).limit(LIMIT)).all()
    out = {"steps": len(rows), "suspect": 0, "requeued": 0}
    for step_id, attempts, document_id in rows:
        if has_live_job(step_id, attempts, document_id):
            conn.delete(_suspect_key(step_id))
            continue
        if conn.set(_suspect_key(step_id), "1", nx=True, ex=interval * 4):
            out["suspect"] += 1  # first sighting: its job may be on its way (enqueued after commit)
            continue
        key = f"{attempts}-sweep-{uuid.uuid4().hex[:8]}"
        job_id = events.SealRequested.job_id(step_id, key)
        conn.set(_sweep_job_key(step_id), job_id, ex=86400)
        events.emit(events.SealRequested(step_id, key))
        conn.delete(_suspect_key(step_id))
        out["requeued"] += 1
        log.warning("seal step %s had no live job; enqueued %s", step_id, job_id)
    conn.set(LAST_RUN_KEY, db.utcnow().isoformat())
    return out


@queue.job("signing", retry=False)
def sweep_job() -> dict[str, int]:
    from rq import get_current_job

    try:
        return run()
    finally:
        current = get_current_job()
        periodic.continue_chain(CHAIN, current.id if current else None)


CHAIN = periodic.Chain("flow-sweep", sweep_job, lambda: _interval["seconds"])


def ensure_scheduled() -> None:
    periodic.ensure(CHAIN)


def last_run() -> str | None:
    value = redis_conn.client().get(LAST_RUN_KEY)
    return redis_conn.text(value) or None
