"""RQ job functions for ``notify/``, each declared once with its queue and job-id scheme, and
the handlers of the domain events this room answers (subscribed in ``notify.init_app``).

Every job takes ids, loads fresh state and is safe to run twice.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from court import db, events, queue
from court.models import FlowStep, Notification, ServiceRecord, SigningFlow
from notify import dispatch as dispatcher
from notify import push as pushes
from notify import serve, status, webhooks
from notify import sweep as sweeper

log = logging.getLogger(__name__)


@queue.job("notify", id="notification-{0}")
def dispatch(notification_id: int) -> dict[str, int]:
    """Send one outbox row (``court.services.outbox.add`` emits :class:`~court.events.NotificationAdded`)."""
    return dispatch_batch([notification_id])


@queue.job("notify", id="notification-batch-{key}")
def dispatch_batch(notification_ids: list[int]) -> dict[str, int]:
    """Send a batch of outbox rows (pushes, retries, the sweep)."""
    sweeper.ensure_scheduled()
    summary = dispatcher.dispatch(list(notification_ids))
    return {"claimed": summary.claimed, "sent": summary.sent, "failed": summary.failed, "retrying": summary.retrying}


@queue.job("notify", retry=False)
def sweep() -> dict[str, int]:
    from rq import get_current_job

    try:
        return sweeper.run()
    finally:
        job = get_current_job()
        sweeper.continue_chain(job.id if job else None)


@queue.job("notify", id="step-ready-{0}")
def step_ready(step_id: int) -> None:
    """A party's RECEIVE/SIGN step or a staff APPROVE/SIGN step became ready: tell the actor."""
    with db.transaction() as s:
        step = s.get(FlowStep, step_id)
        if step is not None:
            serve.step_ready(s, step)


@queue.job("notify", id="resend-{0}-{2}")
def resend(step_id: int, address_key: str, nonce: str) -> int | None:
    """A clerk sent a step's notice again (``court.services.service_actions.resend``)."""
    with db.transaction() as s:
        step = s.get(FlowStep, step_id)
        n = serve.resend(s, step, address_key, nonce) if step is not None else None
        return n.id if n is not None else None


@queue.job("notify", id="flow-finished-{0}")
def flow_finished(flow_id: int) -> None:
    with db.transaction() as s:
        flow = s.get(SigningFlow, flow_id)
        if flow is not None:
            serve.flow_finished(s, flow)


@queue.job("notify", id="escalate-{0}-{key}")
def escalate(record_id: int) -> str | None:
    with db.transaction() as s:
        rec = s.get(ServiceRecord, record_id, with_for_update=db.is_postgres())
        return serve.escalate(s, rec) if rec is not None else None


@queue.job("notify", id="push-{0}{key}")
def fan_out(push_id: int) -> int:
    """Write a staff push's outbox rows (resumable)."""
    return pushes.fan_out(push_id)


@queue.job("notify", id="wx-delivery-{0}-{key}")
def wechat_template_finished(msg_id: str, result: str, at_iso: str | None = None, openid: str | None = None) -> bool:
    """WeChat's ``TEMPLATESENDJOBFINISH`` event (the bot emits :class:`~court.events.DeliveryReported` with its MsgID,
    Status, CreateTime and the openid it came from): ``success`` is delivery; ``failed:user
    block`` / ``failed: system failed`` is a failure. An event from another openid than the
    message's, or timed before the message was sent, is refused (``court.services.service_date``)."""
    at = datetime.fromisoformat(at_iso) if at_iso else db.utcnow()
    with db.transaction() as s:
        n = s.scalar(select(Notification).where(
            Notification.channel == "wechat", Notification.provider_id == str(msg_id)))
        if n is None:
            log.info("TEMPLATESENDJOBFINISH for unknown msgid %s", msg_id)
            return False
        key = status.report_key("wechat", msg_id, result, openid, at_iso)
        return status.apply_report(s, provider="wechat", key=key, n=n, success=(result or "").strip() == "success",
                                   code=result, at=at, address=openid)


@queue.job("notify")
def deliver_webhook(delivery_id: int) -> str:
    """Post one event to a court system's endpoint (retries are scheduled by the sweep)."""
    return webhooks.deliver(delivery_id)


def subscribe() -> None:
    """The domain events this room answers (called by ``notify.init_app``)."""
    events.subscribe(events.NotificationAdded, _notification_added)
    events.subscribe(events.StepReady, _step_ready)
    events.subscribe(events.FlowFinished, _flow_finished)
    events.subscribe(events.ResendRequested, _resend_requested)
    events.subscribe(events.DeliveryReported, _delivery_reported)


def _notification_added(ev: events.NotificationAdded) -> None:
    dispatch.enqueue(ev.notification_id)


def _step_ready(ev: events.StepReady) -> None:
    step_ready.enqueue(ev.step_id)


def _flow_finished(ev: events.FlowFinished) -> None:
    flow_finished.enqueue(ev.flow_id)


def _resend_requested(ev: events.ResendRequested) -> None:
    resend.enqueue(ev.step_id, ev.address_key, ev.nonce)


def _delivery_reported(ev: events.DeliveryReported) -> None:
    if ev.channel == "wechat":  # the id names the sender: a forged event cannot shadow the real one
        wechat_template_finished.enqueue(ev.message_ref, ev.result, ev.at_iso, ev.address, key=ev.address[-12:])


__all__ = ["deliver_webhook", "dispatch", "dispatch_batch", "escalate", "fan_out", "flow_finished",
           "step_ready", "sweep", "wechat_template_finished"]
