"""The periodic sweep: nothing is lost when Redis or a worker goes down.

Every ``NOTIFY_SWEEP_SECONDS`` (RQ's scheduler runs it; it reschedules itself, and every worker
start and every dispatch make sure the chain is alive) the sweep

- re-enqueues outbox rows still pending and due (their job was lost, or never sent because Redis
  was down at commit time);
- resolves rows stuck in "sending" past their lease (a worker died mid-send): rows the provider
  provably accepted are marked sent, the rest go back to pending (the development gateway can
  tell exactly; the cloud gateways cannot, so those are sent again — at least once);
- restarts staff pushes whose fan-out stopped;
- runs escalations that are due, and tells actors of ready steps nobody was told about;
- turns new audit rows into events for the court's systems and posts the due ones (webhooks);
- asks for the archive of closed cases whose flows have all ended.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import or_, select, update

from court import db, events, periodic
from court.models import (
    FlowStatus,
    FlowStep,
    NoticePush,
    Notification,
    NotificationStatus,
    ServiceRecord,
    SigningFlow,
    StepAction,
    StepStatus,
)
from notify import settings
from notify.providers import registry

log = logging.getLogger(__name__)
S = NotificationStatus
CHAIN_NAME = "notify-sweep"
CHAIN_KEY = periodic.key(CHAIN_NAME)
GRACE = timedelta(seconds=30)  # a fresh row's own job normally runs within this
PUSH_STALE = timedelta(minutes=2)
BATCH = 500
LIMIT = 50_000  # rows looked at per sweep


def run() -> dict[str, int]:
    from notify import jobs  # (not at the top: notify.jobs imports this module)

    now = db.utcnow()
    cfg = settings.get()
    out = {"pending": 0, "stuck_sent": 0, "stuck_retry": 0, "pushes": 0, "escalations": 0, "steps": 0,
           "webhooks": 0, "archives": 0}
    with db.transaction() as s:
        # 1. rows whose dispatch job is gone
        ids = list(s.scalars(select(Notification.id).where(
            Notification.status == S.PENDING, Notification.created_at <= now - GRACE,
            or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
        ).order_by(Notification.id).limit(LIMIT)))
        for i in range(0, len(ids), BATCH):
            jobs.dispatch_batch.enqueue(ids[i : i + BATCH], key=f"sweep-{ids[i]}-{int(now.timestamp())}", session=s)
        out["pending"] = len(ids)
        # 2. rows a dead worker left "sending"
        stuck = s.execute(select(Notification.id, Notification.channel).where(
            Notification.status == S.SENDING, Notification.next_attempt_at <= now).limit(LIMIT)).all()
        by_channel: dict[str, list[int]] = {}
        for nid, channel in stuck:
            by_channel.setdefault(channel, []).append(nid)
        for channel, nids in by_channel.items():
            try:
                known = registry.get(cfg, channel).already_sent(nids) or {}
            except Exception:
                log.exception("could not ask the %s provider about stuck rows", channel)
                known = {}
            for nid, provider_id in known.items():
                s.execute(update(Notification).where(Notification.id == nid, Notification.status == S.SENDING)
                          .values(status=S.SENT, provider_id=provider_id, sent_at=now, next_attempt_at=None))
            retry = [n for n in nids if n not in known]
            if retry:
                s.execute(update(Notification).where(Notification.id.in_(retry), Notification.status == S.SENDING)
                          .values(status=S.PENDING, next_attempt_at=None)
                          .execution_options(synchronize_session=False))
                for i in range(0, len(retry), BATCH):
                    jobs.dispatch_batch.enqueue(retry[i : i + BATCH], key=f"stuck-{retry[i]}-{int(now.timestamp())}",
                                                session=s)
            out["stuck_sent"] += len(known)
            out["stuck_retry"] += len(retry)
        # 3. fan-outs that stopped
        for push_id in s.scalars(select(NoticePush.id).where(
                NoticePush.status.in_(("queued", "running")), NoticePush.created_at <= now - GRACE,
                or_(NoticePush.heartbeat_at.is_(None), NoticePush.heartbeat_at <= now - PUSH_STALE))):
            jobs.fan_out.enqueue(push_id, key=f"-resume-{int(now.timestamp())}", session=s)
            out["pushes"] += 1
        # 4. escalations due
        for rec_id in s.scalars(select(ServiceRecord.id).where(
                ServiceRecord.stage.in_(("wechat", "sms", "email")), ServiceRecord.next_check_at <= now).limit(1000)):
            jobs.escalate.enqueue(rec_id, key=f"sweep-{int(now.timestamp())}", session=s)
            out["escalations"] += 1
        # 5. ready steps whose actor was never told (the step_ready job was lost)
        steps = s.execute(select(FlowStep.id, FlowStep.party_id).join(SigningFlow).where(
            SigningFlow.status == FlowStatus.RUNNING,
            FlowStep.status.in_((StepStatus.READY, StepStatus.RUNNING)),
            FlowStep.action != StepAction.SEAL).limit(1000)).all()
        if steps:
            told_keys = set(s.scalars(select(Notification.dedupe_key).where(
                Notification.dedupe_key.in_([k for st in steps for k in _keys(st.id)]))))
            told_records = set(s.scalars(select(ServiceRecord.step_id).where(
                ServiceRecord.step_id.in_([st.id for st in steps]), ServiceRecord.stage.is_not(None))))
            for st in steps:
                if st.id in told_records or told_keys & set(_keys(st.id)):
                    continue
                jobs.step_ready.enqueue(st.id, session=s)
                out["steps"] += 1
    # 6. events for the court's systems (their own transactions: a receiver never holds this one)
    from notify import webhooks

    out["webhooks"] = webhooks.pump(now=now)["queued"]
    # 7. closed cases whose flows have all ended: keep their electronic file (archive)
    from court.services import lifecycle

    with db.transaction() as s:
        for case_id in lifecycle.ready_to_archive(s):
            events.emit(events.ArchiveRequested(case_id, key=f"-{int(now.timestamp())}"), s)
            out["archives"] += 1
    return out


def _keys(step_id: int) -> list[str]:
    return [f"step:{step_id}:{c}" for c in ("wechat", "sms", "email", "staff", "none")]


def _chain() -> periodic.Chain:
    from notify import jobs

    return periodic.Chain(CHAIN_NAME, jobs.sweep, lambda: max(5, int(settings.get().NOTIFY_SWEEP_SECONDS)))


def schedule_next(force: bool = False) -> bool:
    """Keep one self-rescheduling sweep chain alive (:mod:`court.periodic`): ``CHAIN_KEY`` holds
    the id of the next scheduled sweep; it expires if the chain breaks, and the next caller starts
    a new one."""
    return periodic.schedule_next(_chain(), force=force)


def continue_chain(current_job_id: str | None) -> None:
    """Called by the sweep job: the chain's owner schedules the next run; a stray duplicate
    does not (so two chains never run side by side)."""
    periodic.continue_chain(_chain(), current_job_id)


def ensure_scheduled() -> None:
    """Cheap check, called at worker start and by dispatch jobs: restart a broken chain."""
    periodic.ensure(_chain())
