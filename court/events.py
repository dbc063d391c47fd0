"""Domain events: what happened in a case, told to whichever rooms care, so ``court/`` never names
a channel or another room's job.

A service emits an event in its transaction (``events.emit(events.ReceiptSigned(rec.id), s)``);
the event leaves after the commit, in order with the jobs of the same transaction, and not at all
on rollback (:func:`court.queue.after_commit`). Each room subscribes its handlers in its
``init_app`` (``events.subscribe(events.ReceiptSigned, on_receipt_signed)``), which ``create_app``
calls in the web server, the workers and the CLI alike. A handler runs in the process that
committed; it only enqueues its room's job, so it is quick and never fails the commit (a failure is
logged, and the sweeps pick the work up again).

The names follow the audit log and the webhook event names (``court/services/webhooks.py``). The
events for the court's own systems are read from the audit log with a cursor instead (an act that
committed always produces its webhook event, even if this process dies right after the commit), so
an event here has a subscriber in some room, or says ``WEBHOOK_ONLY`` — a test checks that.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from sqlalchemy.orm import Session

from court import queue

log = logging.getLogger(__name__)
E = TypeVar("E", bound="Event")
_subscribers: dict[type[Event], list[Callable[[Any], None]]] = {}


@dataclass(frozen=True)
class Event:
    """A fact of the domain, named in the past tense, carrying ids only (handlers load fresh state)."""

    WEBHOOK_ONLY: ClassVar[bool] = False  # True: deliberately no subscriber, the court's systems hear it


@dataclass(frozen=True)
class NotificationAdded(Event):
    """An outbox row was written (``court.services.outbox.add``): send it."""

    notification_id: int


@dataclass(frozen=True)
class SealRequested(Event):
    """A SEAL step became ready (``key``: its attempt; the flow sweep adds its own suffix when the
    job was lost). ``JOB_ID`` is the id the sealing job runs under: the flow sweep asks RQ about
    exactly these ids to tell a lost seal from a waiting one."""

    step_id: int
    key: str
    JOB_ID: ClassVar[str] = "seal-step-{0}-{key}"

    @staticmethod
    def job_id(step_id: int, key: str) -> str:
        return SealRequested.JOB_ID.format(step_id, key=key)


@dataclass(frozen=True)
class StepReady(Event):
    """A party's RECEIVE/SIGN step or a staff APPROVE/SIGN step became ready: its actor is told."""

    step_id: int


@dataclass(frozen=True)
class StepRefused(Event):
    """A signer refused after the court's seal, on a step the sealed document's record page lists
    (CPL art. 150; ``court.services.flow_seal.note_needed``): the refusal is written into it, and
    the flow waits for that note before it finishes. Other refusals are in the audit log only."""

    step_id: int


@dataclass(frozen=True)
class FlowFinished(Event):
    """Every step of a flow has been acted on (webhook ``flow.finished``)."""

    flow_id: int


@dataclass(frozen=True)
class ReceiptSigned(Event):
    """A party signed for a document (CPL art. 87; audit ``service.receipt_signed``): the
    e-service credential is produced and the party is told."""

    service_record_id: int


@dataclass(frozen=True)
class ResendRequested(Event):
    """A clerk asked for a step's notice to go again to one address (``nonce``: this request)."""

    step_id: int
    address_key: str
    nonce: str


@dataclass(frozen=True)
class ArchiveRequested(Event):
    """A case was closed (webhook ``case.status_changed``), or the sweep found a closed case with
    nothing left running: keep its electronic file (``key``: ``""`` for the closing, the sweep's
    time for a later ask)."""

    case_id: int
    key: str = ""


@dataclass(frozen=True)
class DeliveryReported(Event):
    """A channel reported whether a message reached the recipient's system (service takes effect
    on arrival, CPL art. 90): WeChat's ``TEMPLATESENDJOBFINISH`` with its msgid and status."""

    channel: str
    message_ref: str
    result: str
    at_iso: str | None
    address: str


def subscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    """Run ``handler(event)`` after every committed emit of ``event_type`` (once per handler,
    however often an app is created)."""
    handlers = _subscribers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def subscribers(event_type: type[Event]) -> list[Callable[[Any], None]]:
    return list(_subscribers.get(event_type, []))


def all_events() -> list[type[Event]]:
    """Every event type declared here (for the catalogue test and the README)."""
    return [t for t in globals().values() if isinstance(t, type) and issubclass(t, Event) and t is not Event]


def emit(ev: Event, session: Session | None = None) -> None:
    """Tell the subscribers about ``ev`` once ``session`` commits (now, outside a transaction)."""
    queue.after_commit(session, lambda: _deliver(ev), type(ev).__name__)


def _deliver(ev: Event) -> None:
    handlers = _subscribers.get(type(ev), [])
    if not handlers and not ev.WEBHOOK_ONLY:
        log.error("event %s has no subscriber (is its room's init_app called?)", type(ev).__name__)
    for handler in handlers:
        try:
            handler(ev)
        except Exception:
            log.exception("handler %r of %s failed; the sweeps pick the work up again", handler, type(ev).__name__)
